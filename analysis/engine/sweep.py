"""Parameter sweep: what the biotypes look like over a grid of n_neighbors × min_cluster_size.

For each n_neighbors the neighbour graph and the UMAP embedding are computed once, and one HDBSCAN
tree of that embedding is cut at every min_cluster_size (min_samples shared, as in a run). The
n_neighbors columns are independent and run side by side in worker processes for large cohorts (or
on a Dask cluster, :mod:`analysis.engine.parallel`). Stability per cell is measured on the
embedding (HDBSCAN on random 80% subsamples of the embedded points, ARI against the cell's own
labels on the same points): it says how firmly HDBSCAN splits that embedding, not how stable the
embedding itself is (that is :mod:`analysis.engine.stability`, which re-embeds and costs far more).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from analysis.engine.clustering import (
    candidate_fits,
    dbcv_sample,
    neighbour_graph,
    selection_row,
    shared_min_samples,
    split_stabilities,
    umap_embedding,
)
from analysis.engine.parallel import parallel_workers


def parameter_sweep(x: np.ndarray, config, n_neighbors_grid: list[int], min_cluster_size_grid: list[int], progress=None) -> pd.DataFrame:
    """Cluster the fused features for every cell of the grid.

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
    config : RunConfig
        Supplies n_components, min_dist, min_samples (None: :func:`analysis.engine.clustering.shared_min_samples` of the grid's sizes), the
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
    grid = list(dict.fromkeys(min(k, len(x) - 1) for k in n_neighbors_grid))
    say(0.0, f"UMAP with n_neighbors {', '.join(map(str, grid))}")
    columns = Parallel(n_jobs=parallel_workers(len(x)), return_as="generator", max_nbytes=None)(
        delayed(sweep_column)(x, config, k, min_cluster_size_grid) for k in grid
    )
    rows = []
    for i, (k, column) in enumerate(zip(grid, columns, strict=True)):
        rows.extend(column)
        say((i + 1) / len(grid), f"sweep: n_neighbors {k} done ({i + 1} of {len(grid)})")
    return pd.DataFrame(rows)


def sweep_column(x: np.ndarray, config, n_neighbors: int, min_cluster_size_grid: list[int]) -> list[dict]:
    """The sweep's rows for one n_neighbors: one neighbour graph and embedding, one HDBSCAN tree cut at every size.

    Independent of the other columns (seeded), so columns can run in separate processes.

    Returns
    -------
    list of dict
        One row per min_cluster_size, as :func:`parameter_sweep` describes.
    """
    knn = neighbour_graph(x, n_neighbors, config.seed)
    embedding, _ = umap_embedding(x, knn, config.n_components, config.min_dist, config.seed)
    min_samples = config.min_samples or shared_min_samples(min_cluster_size_grid)
    fits = candidate_fits(embedding, min_cluster_size_grid, min_samples, config.cluster_selection_method, config.cluster_selection_epsilon)
    stability = split_stabilities(embedding, {m: fit.labels_ for m, fit in fits.items()}, min_samples, config, seed=config.seed)
    sample = dbcv_sample(len(x), config.seed)
    rows = []
    for m in min_cluster_size_grid:
        row = selection_row(fits[m], m, min_samples, knn[0], config.neighbour_agreement, embedding, sample)
        rows.append({"n_neighbors": n_neighbors, **row, "stability": stability[m]})
    return rows


#: n_neighbors values of the sweep (those below the number of participants are used).
SWEEP_N_NEIGHBORS = (5, 10, 15, 30, 50)


def run_sweep(result, progress=None) -> pd.DataFrame:
    """The sweep of a finished run: :data:`SWEEP_N_NEIGHBORS` × the run's min_cluster_size candidates.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    progress : callable(fraction, message), optional

    Returns
    -------
    DataFrame
        :func:`parameter_sweep` output; the same grid ``cluster --sweep`` writes to sweep.csv.
    """
    from analysis.engine.clustering import candidate_min_cluster_sizes

    x = result.fused.matrix.to_numpy()
    grid = [k for k in SWEEP_N_NEIGHBORS if k < len(x)]
    return parameter_sweep(x, result.config, grid, candidate_min_cluster_sizes(len(x)), progress)
