"""Two runs of one cohort side by side: which parameters differ, how far the labellings agree, who moved where.

Agreement is the adjusted Rand index (Hubert & Arabie 1985) between the two runs' biotypes, over the
participants both runs clustered: once with noise as a group of its own (a participant who is noise
in one run and in a biotype in the other counts as a disagreement) and once over the participants
in a biotype in both. It is descriptive: two runs of one cohort are not independent samples, so no
test is made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from analysis.config import RunConfig

#: Flow label of a participant a run did not cluster (lacking a modality); noise is -1, biotypes 1, 2, ...
NOT_CLUSTERED = 0


@dataclass(frozen=True)
class LabellingAgreement:
    """How far two runs' biotypes agree, and where each participant went.

    Attributes
    ----------
    ari : float
        Adjusted Rand index over the participants both runs clustered, noise as a group of its own
        (NaN when fewer than two such participants).
    ari_clustered : float
        The same over the participants in a biotype in both runs (NaN when fewer than two).
    n_both : int
        Participants both runs clustered (noise included).
    n_in_a_biotype_in_both : int
    flows : DataFrame
        Columns ``first``, ``second`` and ``n``: participants per pair of labels (biotype number,
        -1 noise, 0 not clustered), every participant of the cohort counted once, largest first.
    """

    ari: float
    ari_clustered: float
    n_both: int
    n_in_a_biotype_in_both: int
    flows: pd.DataFrame


def flow_labels(assignments: pd.DataFrame) -> pd.Series:
    """Each participant's label for the flows: biotype number, -1 for noise, :data:`NOT_CLUSTERED` when not clustered.

    Parameters
    ----------
    assignments : DataFrame
        A run's assignment table (``participant_id``, ``biotype`` (NaN when not clustered), ``included``).

    Returns
    -------
    Series of int indexed by participant_id
    """
    labels = assignments["biotype"].where(assignments["included"], NOT_CLUSTERED).fillna(NOT_CLUSTERED)
    return pd.Series(labels.to_numpy(dtype=np.int64), index=assignments["participant_id"].to_numpy(), name="label")


def labelling_agreement(first: pd.DataFrame, second: pd.DataFrame) -> LabellingAgreement:
    """Agreement between two runs' assignment tables of the same cohort.

    Parameters
    ----------
    first, second : DataFrame
        Assignment tables (:data:`analysis.engine.run.ASSIGNMENT_COLUMNS`) of two runs of one cohort.

    Returns
    -------
    LabellingAgreement

    Raises
    ------
    ValueError
        When the tables do not list the same participants (runs of different cohorts).
    """
    a, b = flow_labels(first), flow_labels(second)
    if set(a.index) != set(b.index):
        raise ValueError("the two runs are of different cohorts (their participants differ)")
    b = b.reindex(a.index)
    both = (a != NOT_CLUSTERED) & (b != NOT_CLUSTERED)
    in_biotypes = both & (a > 0) & (b > 0)
    flows = pd.DataFrame({"first": a.to_numpy(), "second": b.to_numpy()}).value_counts().rename("n").reset_index()
    flows = flows.sort_values(["n", "first", "second"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
    return LabellingAgreement(
        ari=_ari(a[both], b[both]),
        ari_clustered=_ari(a[in_biotypes], b[in_biotypes]),
        n_both=int(both.sum()),
        n_in_a_biotype_in_both=int(in_biotypes.sum()),
        flows=flows,
    )


def _ari(first: pd.Series, second: pd.Series) -> float:
    """Adjusted Rand index of two labellings, NaN with fewer than two participants."""
    return float(adjusted_rand_score(first, second)) if len(first) >= 2 else float("nan")


def parameter_differences(first: RunConfig, second: RunConfig) -> pd.DataFrame:
    """The configuration parameters whose values differ between two runs.

    Returns
    -------
    DataFrame
        Columns ``parameter``, ``first`` and ``second`` (values as text, in :class:`RunConfig`'s field
        order); empty when the configurations are equal.
    """
    rows = [
        {"parameter": f.name, "first": _shown(getattr(first, f.name)), "second": _shown(getattr(second, f.name))}
        for f in fields(RunConfig)
        if getattr(first, f.name) != getattr(second, f.name)
    ]
    return pd.DataFrame(rows, columns=["parameter", "first", "second"])


def _shown(value: object) -> str:
    """A parameter's value as a short text ("automatic" for a value the run chooses from the data)."""
    if value is None:
        return "automatic"
    if isinstance(value, tuple):
        return ", ".join(_shown_item(v) for v in value) or "none"
    return str(value)


def _shown_item(item: object) -> str:
    """One entry of a tuple-valued parameter: a (name, value) pair as name=value, a custom group by its size."""
    if isinstance(item, tuple) and len(item) == 2:
        name, value = item
        return f"{name} ({len(value)} participants)" if isinstance(value, tuple) else f"{name}={value}"
    return str(item)


#: Columns of :func:`runs_overview`.
OVERVIEW_COLUMNS = (
    "run",
    "modalities",
    "missing_modality",
    "n_neighbors",
    "min_cluster_size",
    "min_samples",
    "seed",
    "clustered",
    "biotypes",
    "noise_share",
    "verdict",
    "replication",
)


def runs_overview(runs: list[tuple[str, object]]) -> pd.DataFrame:
    """One row per run: its main parameters, what it found, its structure verdict and split-half replication.

    Parameters
    ----------
    runs : list of (str, RunResult)
        Each run with the label it is shown under.

    Returns
    -------
    DataFrame
        Columns :data:`OVERVIEW_COLUMNS`: ``clustered`` participants, ``biotypes`` found,
        ``noise_share`` of the clustered in no biotype, ``verdict`` (the structure verdict with its
        p-value, "not tested yet" before the test) and ``replication`` (how many biotypes replicate
        across halves, or why it was not measured).
    """
    rows = []
    for label, result in runs:
        config, assignments = result.config, result.assignments
        clustered = assignments.loc[assignments["included"], "biotype"].astype(int)
        rows.append(
            {
                "run": label,
                "modalities": ", ".join(config.modalities),
                "missing_modality": config.missing_modality,
                "n_neighbors": config.n_neighbors,
                "min_cluster_size": config.min_cluster_size,
                "min_samples": config.min_samples,
                "seed": config.seed,
                "clustered": len(clustered),
                "biotypes": int(clustered[clustered > 0].nunique()),
                "noise_share": float((clustered < 0).mean()) if len(clustered) else float("nan"),
                "verdict": result.structure.headline if result.structure is not None else "not tested yet",
                "replication": _replication_text(result),
            }
        )
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))


def _replication_text(result) -> str:
    """How many biotypes replicate across halves, e.g. "3 of 4 (B1, B2, B4)", or why it was not measured."""
    split_half = result.split_half
    if split_half is None:
        return f"not measured: {result.replication_note}" if result.replication_note else "not measured yet"
    replicated = [b.biotype for b in split_half.biotypes if b.replicates]
    return f"{len(replicated)} of {len(split_half.biotypes)}" + (f" ({', '.join(f'B{b}' for b in replicated)})" if replicated else "")


def supplement_table(runs: list[tuple[str, object]], reference: str) -> pd.DataFrame:
    """The runs' overview with each run's agreement with the ``reference`` run: the table for a paper's supplement.

    Returns
    -------
    DataFrame
        :func:`runs_overview`'s columns, then ``ari_with_reference`` (noise as a group) and
        ``ari_clustered_with_reference`` (participants in a biotype in both) against the run
        labelled ``reference`` (1 for the reference itself).
    """
    table = runs_overview(runs)
    by_label = dict(runs)
    agreements = [labelling_agreement(by_label[reference].assignments, result.assignments) for _, result in runs]
    table["ari_with_reference"] = [a.ari for a in agreements]
    table["ari_clustered_with_reference"] = [a.ari_clustered for a in agreements]
    table.insert(1, "reference", [label == reference for label, _ in runs])
    return table
