"""How biotypes split and merge as min_cluster_size changes (the view clustree draws for resolutions).

HDBSCAN with a fixed min_samples builds one single-linkage tree of the embedding; min_cluster_size
only decides how that tree is condensed and which clusters are selected. Every level here is
therefore the run's own tree re-condensed (no new HDBSCAN fit, no new embedding), and then passed
through the same neighbour-agreement check and size ordering as the run, so the level at the run's
min_cluster_size is exactly the run's biotypes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engine.clustering import (
    agreed_labels,
    biotype_numbers,
    candidate_min_cluster_sizes,
    labels_from_tree,
    neighbour_agreement,
    single_linkage_of,
    size_ordered,
)

#: At most this many levels are drawn (the run's own size is always one of them).
MAX_LEVELS = 8


def split_sizes(result) -> list[int]:
    """min_cluster_size of each level: the candidates a run chooses from, plus the run's own, largest first.

    Parameters
    ----------
    result : analysis.engine.run.RunResult

    Returns
    -------
    list of int
        At most :data:`MAX_LEVELS` values, decreasing (few large biotypes first, then their splits).
    """
    n = len(result.clusters.labels)
    own = result.clusters.min_cluster_size
    candidates = sorted(set(candidate_min_cluster_sizes(n)) | {r["min_cluster_size"] for r in result.clusters.selection} | {own})
    if len(candidates) > MAX_LEVELS:
        others = [c for c in candidates if c != own]
        keep = np.unique(np.linspace(0, len(others) - 1, MAX_LEVELS - 1).round().astype(int))
        candidates = sorted({own, *(others[i] for i in keep)})
    return sorted(candidates, reverse=True)


def split_levels(result, sizes: list[int] | None = None) -> pd.DataFrame:
    """Biotypes of every clustered participant at each min_cluster_size.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
        Must hold its HDBSCAN tree (the fit, or the tree saved with an opened run:
        :func:`analysis.engine.clustering.single_linkage_of`) and its neighbour graph
        (``models.neighbours``, which the agreement check uses).
    sizes : list of int, optional
        min_cluster_size values; default :func:`split_sizes`.

    Returns
    -------
    DataFrame, shape (n_clustered, n_levels)
        Indexed like ``result.fused.included``; one column per size (in the order given), values
        0-based size-ordered biotypes, -1 for noise. The run's own size reproduces ``result.clusters.labels``.
    """
    tree = single_linkage_of(result.models)
    neighbours = np.asarray(result.models.neighbours)
    config = result.config
    columns = {}
    for size in sizes or split_sizes(result):
        raw, _ = labels_from_tree(tree, int(size), config.cluster_selection_method, config.cluster_selection_epsilon)
        columns[int(size)] = size_ordered(agreed_labels(raw, neighbour_agreement(raw, neighbours), config.neighbour_agreement))
    return pd.DataFrame(columns, index=result.fused.included)


def split_flows(levels: pd.DataFrame) -> pd.DataFrame:
    """Participants moving between the biotypes of consecutive levels.

    Parameters
    ----------
    levels : DataFrame
        :func:`split_levels` output.

    Returns
    -------
    DataFrame
        One row per (level, biotype) → (next level, biotype) pair with participants:
        ``from_size``, ``from_biotype``, ``to_size``, ``to_biotype`` (0-based, -1 noise), ``n``.
        Summed over a level's rows, ``n`` is the number of clustered participants.
    """
    rows = []
    for left, right in zip(levels.columns[:-1], levels.columns[1:], strict=True):
        counts = pd.crosstab(levels[left], levels[right])
        for (a, b), n in counts.stack().items():
            if n:
                rows.append({"from_size": int(left), "from_biotype": int(a), "to_size": int(right), "to_biotype": int(b), "n": int(n)})
    return pd.DataFrame(rows, columns=["from_size", "from_biotype", "to_size", "to_biotype", "n"])


def split_nodes(levels: pd.DataFrame, run_labels: np.ndarray) -> pd.DataFrame:
    """Each level's biotypes, with the run biotype most of their participants belong to.

    Parameters
    ----------
    levels : DataFrame
        :func:`split_levels` output.
    run_labels : ndarray of int, shape (n_clustered,)
        The run's labels (0-based, -1 noise), in ``levels``' row order.

    Returns
    -------
    DataFrame
        ``size``, ``biotype`` (0-based, -1 noise), ``n``, ``run_biotype`` (the run's biotype of most of
        its participants, -1 noise) and ``run_share`` (the share of its participants in that biotype).
    """
    rows = []
    run = pd.Series(np.asarray(run_labels), index=levels.index)
    for size in levels.columns:
        for biotype, members in levels.groupby(size).groups.items():
            counts = run.loc[members].value_counts()
            top = min(counts.index[counts == counts.max()])  # ties: the lower label (noise before biotypes)
            rows.append(
                {
                    "size": int(size),
                    "biotype": int(biotype),
                    "n": len(members),
                    "run_biotype": int(top),
                    "run_share": float(counts.loc[top] / len(members)),
                }
            )
    return pd.DataFrame(rows, columns=["size", "biotype", "n", "run_biotype", "run_share"])


def split_view(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The nodes and flows of a run's split view (levels from :func:`split_sizes`).

    Returns
    -------
    nodes : DataFrame
        :func:`split_nodes` output, in biotype numbers (1-based, -1 noise) as every other table.
    flows : DataFrame
        :func:`split_flows` output, numbered the same way.
    """
    levels = split_levels(result).apply(biotype_numbers)
    return split_nodes(levels, result.clusters.numbers), split_flows(levels)
