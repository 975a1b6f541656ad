"""Parameter sweep: what the biotypes look like over a grid of n_neighbors × min_cluster_size.

For each n_neighbors the neighbour graph and the UMAP embedding are computed once; every
min_cluster_size then only re-runs HDBSCAN on that embedding. Stability per cell is measured on the
embedding (HDBSCAN on random 80% subsamples of the embedded points, ARI against the cell's own
labels on the same points): it says how firmly HDBSCAN splits that embedding, not how stable the
embedding itself is (that is :mod:`analysis.stability`, which re-embeds and costs far more).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clustering import (
    agreed_labels,
    default_min_samples,
    hdbscan_fit,
    neighbour_agreement,
    neighbour_graph,
    selection_row,
    split_stability,
    umap_embedding,
)


def parameter_sweep(x: np.ndarray, config, n_neighbors_grid: list[int], min_cluster_size_grid: list[int], progress=None) -> pd.DataFrame:
    """Cluster the fused features for every cell of the grid.

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
    config : RunConfig
        Supplies n_components, min_dist, min_samples (None: a quarter of min_cluster_size), the
        selection method, epsilon and the seed.
    n_neighbors_grid, min_cluster_size_grid : list of int
    progress : callable(fraction, message), optional

    Returns
    -------
    DataFrame
        One row per cell: ``n_neighbors``, ``min_cluster_size``, ``min_samples``, ``n_biotypes``,
        ``noise_fraction`` (after the neighbour-agreement check, as in a run), ``dbcv`` (of HDBSCAN's
        own labels) and ``stability`` (median ARI over subsamples, see above).
    """
    say = progress or (lambda fraction, message: None)
    rows = []
    for i, k in enumerate(n_neighbors_grid):
        say(i / len(n_neighbors_grid), f"UMAP with n_neighbors {k}")
        k = min(k, len(x) - 1)
        knn = neighbour_graph(x, k, config.seed)
        embedding, _ = umap_embedding(x, knn, config.n_components, config.min_dist, config.seed)
        for m in min_cluster_size_grid:
            min_samples = config.min_samples or default_min_samples(m)
            fit = hdbscan_fit(embedding, m, min_samples, config.cluster_selection_method, config.cluster_selection_epsilon)
            labels = agreed_labels(fit.labels_, neighbour_agreement(fit.labels_, knn[0]), config.neighbour_agreement)
            row = selection_row(fit, m, min_samples)
            kept = np.unique(labels[labels >= 0])
            row.update(n_biotypes=len(kept), noise_fraction=float((labels < 0).mean()))
            rows.append(
                {"n_neighbors": k, **row, "stability": split_stability(embedding, fit.labels_, m, min_samples, config, seed=config.seed)}
            )
    say(1.0, "sweep done")
    return pd.DataFrame(rows)


#: n_neighbors values of the sweep (those below the number of participants are used).
SWEEP_N_NEIGHBORS = (5, 10, 15, 30, 50)


def run_sweep(result, progress=None) -> pd.DataFrame:
    """The sweep of a finished run: :data:`SWEEP_N_NEIGHBORS` × the run's min_cluster_size candidates.

    Parameters
    ----------
    result : analysis.biotypes.RunResult
    progress : callable(fraction, message), optional

    Returns
    -------
    DataFrame
        :func:`parameter_sweep` output; the same grid ``cluster --sweep`` writes to sweep.csv.
    """
    from analysis.clustering import candidate_min_cluster_sizes

    x = result.fused.matrix.to_numpy()
    grid = [k for k in SWEEP_N_NEIGHBORS if k < len(x)]
    return parameter_sweep(x, result.config, grid, candidate_min_cluster_sizes(len(x)), progress)
