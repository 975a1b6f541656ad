"""Embedding and clustering: UMAP (umap-learn) then HDBSCAN (hdbscan), with data-driven defaults.

The k-nearest-neighbour graph is computed once and shared by the clustering embedding and the 2-D
display embedding. A fixed seed makes UMAP single-threaded and every result identical run to run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

#: Fractions of the cohort tried as min_cluster_size when it is chosen from the data.
MIN_CLUSTER_FRACTIONS = (0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
DEFAULT_N_NEIGHBORS = 15
#: Subsamples and the most points used to measure how firmly HDBSCAN splits an embedding.
SPLIT_SUBSAMPLES = 5
SPLIT_MAX_POINTS = 5000
DISPLAY_MIN_DIST = 0.1


@dataclass(frozen=True)
class ClusterResult:
    """Biotypes of the included participants.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        0 for the largest biotype, 1 for the next, ...; -1 for noise (no biotype).
    probabilities : ndarray of float, shape (n,)
        HDBSCAN membership strength in [0, 1] (0 for noise).
    outlier_scores : ndarray of float, shape (n,)
        GLOSH outlier score in [0, 1]; higher is more atypical.
    agreement : ndarray of float, shape (n,)
        Share of each participant's nearest neighbours in the fused features (the UMAP graph)
        that HDBSCAN put in the participant's own cluster; NaN for HDBSCAN noise.
    embedding : ndarray of float32, shape (n, n_components)
        The UMAP embedding that was clustered.
    display : ndarray of float32, shape (n, 2)
        A 2-D UMAP of the same neighbour graph, for plots.
    n_neighbors, min_cluster_size, min_samples : int
        The values used (chosen from the data where the configuration left them open).
    selection : tuple of dict
        One row per min_cluster_size tried: ``min_cluster_size``, ``n_biotypes``,
        ``noise_fraction``, ``dbcv`` (HDBSCAN's relative validity), ``chosen``.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    outlier_scores: np.ndarray
    agreement: np.ndarray
    embedding: np.ndarray
    display: np.ndarray
    n_neighbors: int
    min_cluster_size: int
    min_samples: int
    selection: tuple[dict, ...]

    @property
    def n_biotypes(self) -> int:
        """Number of biotypes found (noise not counted)."""
        return int(self.labels.max()) + 1 if (self.labels >= 0).any() else 0


def neighbour_graph(x: np.ndarray, n_neighbors: int, seed: int) -> tuple:
    """The approximate k-nearest-neighbour graph (pynndescent, as umap-learn computes it).

    Returns
    -------
    tuple
        ``(indices, distances, search_index)`` as umap-learn's ``precomputed_knn`` expects.
    """
    from umap.umap_ import nearest_neighbors

    return nearest_neighbors(x, n_neighbors, "euclidean", {}, False, np.random.RandomState(seed), n_jobs=1)


def umap_embedding(x: np.ndarray, knn: tuple, n_components: int, min_dist: float, seed: int) -> tuple[np.ndarray, object]:
    """Fit UMAP on ``x`` reusing a neighbour graph.

    Returns
    -------
    embedding : ndarray of float32, shape (n, n_components)
    model : umap.UMAP
        The fitted model (kept for placing new participants).
    """
    import umap

    n_neighbors = knn[0].shape[1]
    model = umap.UMAP(
        n_neighbors=n_neighbors,
        n_components=n_components,
        min_dist=min_dist,
        random_state=seed,
        precomputed_knn=knn,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        embedding = model.fit_transform(x)
    return embedding.astype(np.float32), model


def hdbscan_fit(embedding: np.ndarray, min_cluster_size: int, min_samples: int, method: str, epsilon: float):
    """Fit HDBSCAN with the minimum spanning tree (for DBCV); prediction data is built later, on first use.

    The data ``approximate_predict`` needs (core distances of every point with a k-d tree, cluster
    exemplars) took ~30 s of a 100,000-point fit and is needed only to place new participants:
    :func:`with_prediction_data` builds it for the one fit that is saved.
    """
    import hdbscan

    return hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        cluster_selection_method=method,
        cluster_selection_epsilon=epsilon,
        gen_min_span_tree=True,
        prediction_data=False,
        core_dist_n_jobs=1,
    ).fit(embedding)


def with_prediction_data(fit):
    """``fit`` with the data ``hdbscan.approximate_predict`` needs, built once (in place) if it is not there yet."""
    if getattr(fit, "_prediction_data", None) is None:
        fit.generate_prediction_data()
    return fit


def labels_from_tree(fit, min_cluster_size: int, method: str, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN's result for another min_cluster_size, from a fit's single-linkage tree (no refit).

    With min_samples fixed, HDBSCAN's single-linkage tree does not depend on min_cluster_size; only
    the condensing of that tree and the selection of clusters do. Re-condensing the stored tree gives
    the same labels as a new fit (tested) in a fraction of the time.

    Parameters
    ----------
    fit : hdbscan.HDBSCAN
        A fitted model (its ``single_linkage_tree_``).
    min_cluster_size : int
    method : {"eom", "leaf"}
        cluster_selection_method.
    epsilon : float
        cluster_selection_epsilon.

    Returns
    -------
    labels : ndarray of int, shape (n,)
        HDBSCAN's labels (-1 noise), before any size ordering.
    probabilities : ndarray of float, shape (n,)
        Membership strengths. (Outlier scores and the rest of a model: :func:`refit_from_tree`.)
    """
    labels, probabilities, _, _ = _recondensed(fit, min_cluster_size, method, epsilon)
    return labels, probabilities


def _recondensed(fit, min_cluster_size: int, method: str, epsilon: float) -> tuple:
    """(labels, probabilities, cluster persistence, condensed tree) of ``fit``'s tree cut with these parameters."""
    from hdbscan.hdbscan_ import _tree_to_labels

    labels, probabilities, persistence, condensed, _ = _tree_to_labels(
        None,
        fit.single_linkage_tree_.to_numpy(),
        min_cluster_size=int(min_cluster_size),
        cluster_selection_method=method,
        cluster_selection_epsilon=float(epsilon),
    )
    return np.asarray(labels, dtype=np.int64), np.asarray(probabilities, dtype=np.float64), persistence, condensed


def refit_from_tree(fit, min_cluster_size: int, method: str, epsilon: float):
    """The HDBSCAN model a new fit with these parameters would give, built from ``fit``'s tree.

    Same data and same min_samples as ``fit``; labels, probabilities, persistence, outlier scores,
    DBCV (``relative_validity_``) and, once :func:`with_prediction_data` has run, ``approximate_predict``
    all equal a new fit's (tested), without recomputing core distances or the minimum spanning tree.

    Parameters
    ----------
    fit : hdbscan.HDBSCAN
        Fitted with :func:`hdbscan_fit` (raw data and minimum spanning tree kept).
    min_cluster_size : int
    method : {"eom", "leaf"}
    epsilon : float

    Returns
    -------
    hdbscan.HDBSCAN
        A new object; ``fit`` is not changed.
    """
    import copy

    labels, probabilities, persistence, condensed = _recondensed(fit, min_cluster_size, method, epsilon)
    new = copy.copy(fit)
    new.set_params(min_cluster_size=int(min_cluster_size), cluster_selection_method=method, cluster_selection_epsilon=float(epsilon))
    new.labels_, new.probabilities_, new.cluster_persistence_ = labels, probabilities, persistence
    new._condensed_tree = condensed
    new._outlier_scores = None
    new._relative_validity = None
    new._prediction_data = None
    new._exemplars = None
    return new


def candidate_min_cluster_sizes(n: int) -> list[int]:
    """min_cluster_size values tried when it is chosen from the data: 1-8% of n, at least 5."""
    return sorted({max(5, int(round(f * n))) for f in MIN_CLUSTER_FRACTIONS if max(5, int(round(f * n))) <= n // 2})


def default_min_samples(min_cluster_size: int) -> int:
    """min_samples when the configuration leaves it open: a quarter of min_cluster_size, at least 5.

    HDBSCAN's own default (min_samples = min_cluster_size) declares a large share of a clinical
    cohort noise; a smaller value keeps the density estimate smooth without that cost.
    """
    return max(5, min_cluster_size // 4)


def size_ordered(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0..k-1 by decreasing size (ties by first appearance); noise stays -1."""
    clusters = [c for c in dict.fromkeys(labels.tolist()) if c >= 0]
    order = sorted(clusters, key=lambda c: -int((labels == c).sum()))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(c, -1) for c in labels.tolist()], dtype=np.int64)


def find_biotypes(x: np.ndarray, config, progress=None, with_display: bool = True) -> tuple[ClusterResult, dict]:
    """Embed the fused features and cluster them.

    Parameters
    ----------
    x : ndarray of shape (n_participants, n_features)
    config : RunConfig
    progress : callable(fraction, message), optional
        Called before each long step, with the share of the work done in [0, 1].
    with_display : bool
        Also compute the 2-D display embedding; without it (resamples, which only need labels)
        ``result.display`` is NaN and ``models["umap_2d"]`` None.

    Returns
    -------
    result : ClusterResult
    models : dict
        ``umap`` (clustering embedding), ``umap_2d``, ``hdbscan``: the fitted objects;
        ``label_order``: HDBSCAN's label → the size-ordered label of ``result``.
    """
    say = progress or (lambda fraction, message: None)
    n = len(x)
    n_neighbors = min(config.n_neighbors or DEFAULT_N_NEIGHBORS, n - 1)
    say(0.05, f"nearest neighbours (k = {n_neighbors}) of {n} participants")
    knn = neighbour_graph(x, n_neighbors, config.seed)
    say(0.15, f"UMAP to {config.n_components} dimensions for clustering")
    embedding, umap_model = umap_embedding(x, knn, config.n_components, config.min_dist, config.seed)
    sizes = [config.min_cluster_size] if config.min_cluster_size else candidate_min_cluster_sizes(n)
    rows, fits = [], {}
    for k, size in enumerate(sizes):
        say(0.5 + 0.2 * k / len(sizes), f"HDBSCAN with min_cluster_size {size}")
        min_samples = config.min_samples or default_min_samples(size)
        fit = hdbscan_fit(embedding, size, min_samples, config.cluster_selection_method, config.cluster_selection_epsilon)
        fits[size] = fit
        row = selection_row(fit, size, min_samples)
        if len(sizes) > 1:
            row["stability"] = split_stability(embedding, fit.labels_, size, min_samples, config, seed=config.seed)
        rows.append(row)
    chosen = _choose(rows)
    selection = tuple({**row, "chosen": row["min_cluster_size"] == chosen} for row in rows)
    fit = fits[chosen]
    if with_display:
        say(0.75, "UMAP to 2 dimensions for display")
        display, display_model = umap_embedding(x, knn, 2, DISPLAY_MIN_DIST, config.seed)
    else:
        display, display_model = np.full((n, 2), np.nan, dtype=np.float32), None
    result, label_order = _clusters_of(fit, knn[0], embedding, display, n_neighbors, selection, config)
    return result, {"umap": umap_model, "umap_2d": display_model, "hdbscan": fit, "label_order": label_order}


def _clusters_of(fit, neighbours: np.ndarray, embedding, display, n_neighbors: int, selection: tuple, config) -> tuple[ClusterResult, dict]:
    """The run's biotypes from an HDBSCAN fit: neighbour-agreement check, then labels ordered by size.

    Returns
    -------
    result : ClusterResult
    label_order : dict of int to int
        HDBSCAN's label → the size-ordered label of ``result``.
    """
    agreement = neighbour_agreement(fit.labels_, neighbours)
    raw = agreed_labels(fit.labels_, agreement, config.neighbour_agreement)
    ordered = size_ordered(raw)
    label_order = {int(c): int(ordered[np.flatnonzero(raw == c)[0]]) for c in set(raw.tolist()) if c >= 0}
    result = ClusterResult(
        labels=ordered,
        probabilities=np.where(ordered >= 0, np.asarray(fit.probabilities_, dtype=np.float64), 0.0),
        outlier_scores=np.nan_to_num(np.asarray(fit.outlier_scores_, dtype=np.float64)),
        agreement=agreement,
        embedding=embedding,
        display=display,
        n_neighbors=n_neighbors,
        min_cluster_size=int(fit.min_cluster_size),
        min_samples=fit.min_samples,
        selection=selection,
    )
    return result, label_order


def recut_biotypes(clusters: ClusterResult, models: dict, config) -> tuple[ClusterResult, dict]:
    """A run's biotypes for another min_cluster_size, selection method or epsilon, from its HDBSCAN tree.

    Nothing is embedded or fitted again: the run's single-linkage tree is re-condensed
    (:func:`refit_from_tree`; min_samples stays the run's) and the neighbour-agreement check uses the
    run's neighbour graph. The result equals :func:`find_biotypes` with ``config`` (same seed, so the
    same embeddings), min_cluster_size and min_samples given (tested).

    Parameters
    ----------
    clusters : ClusterResult
        The run's.
    models : dict
        The run's fitted models (``hdbscan``, ``umap`` with its neighbour graph, ``umap_2d``).
    config : RunConfig
        The run's configuration with the new min_cluster_size, cluster_selection_method and
        cluster_selection_epsilon.

    Returns
    -------
    clusters : ClusterResult
    models : dict
        ``models`` with the new ``hdbscan`` and ``label_order``.
    """
    fit = refit_from_tree(models["hdbscan"], config.min_cluster_size, config.cluster_selection_method, config.cluster_selection_epsilon)
    selection = ({**selection_row(fit, config.min_cluster_size, fit.min_samples), "chosen": True},)
    neighbours = np.asarray(models["umap"].knn_indices)
    result, label_order = _clusters_of(fit, neighbours, clusters.embedding, clusters.display, clusters.n_neighbors, selection, config)
    return result, {**models, "hdbscan": fit, "label_order": label_order}


def neighbour_agreement(labels: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Share of each point's nearest neighbours that carry its cluster label.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Cluster labels, -1 for noise.
    neighbours : ndarray of int, shape (n, k)
        Indices of each point's k nearest neighbours; a point listed as its own neighbour is skipped.

    Returns
    -------
    ndarray of float, shape (n,)
        In [0, 1]; NaN for noise points and for points without other neighbours.
    """
    labels = np.asarray(labels)
    neighbours = np.asarray(neighbours)
    others = (neighbours != np.arange(len(labels))[:, None]) & (neighbours >= 0)
    same = (labels[np.clip(neighbours, 0, None)] == labels[:, None]) & others
    counts = others.sum(axis=1)
    share = np.divide(same.sum(axis=1), counts, out=np.full(len(labels), np.nan), where=counts > 0)
    return np.where(labels >= 0, share, np.nan)


def agreed_labels(labels: np.ndarray, agreement: np.ndarray, threshold: float) -> np.ndarray:
    """Labels with the points whose neighbour agreement is below ``threshold`` set to noise (-1)."""
    return np.where(agreement < threshold, -1, labels)


def selection_row(fit, size: int, min_samples: int) -> dict:
    """Number of biotypes, noise share and DBCV of one HDBSCAN fit."""
    labels = fit.labels_
    n_biotypes = int(labels.max()) + 1 if (labels >= 0).any() else 0
    try:
        dbcv = float(fit.relative_validity_) if n_biotypes >= 2 else float("nan")
    except (ValueError, ZeroDivisionError, IndexError):
        dbcv = float("nan")
    return {
        "min_cluster_size": size,
        "min_samples": min_samples,
        "n_biotypes": n_biotypes,
        "noise_fraction": float((labels < 0).mean()),
        "dbcv": dbcv,
    }


def split_stability(embedding: np.ndarray, labels: np.ndarray, size: int, min_samples: int, config, seed: int) -> float:
    """How firmly HDBSCAN splits an embedding: median ARI between its labels and re-fits on 80% subsamples.

    At most :data:`SPLIT_MAX_POINTS` points are used (min_cluster_size and min_samples scaled to the
    subsample), so the cost does not grow with the cohort.

    Parameters
    ----------
    embedding : ndarray of shape (n, n_components)
    labels : ndarray of int, shape (n,)
        HDBSCAN's labels of the whole embedding.
    size, min_samples : int
        The HDBSCAN parameters of ``labels``.
    config : RunConfig
        Supplies the selection method and epsilon.
    seed : int

    Returns
    -------
    float
        Median adjusted Rand index over :data:`SPLIT_SUBSAMPLES` subsamples, in [-1, 1].
    """
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    n = len(embedding)
    points = min(int(round(0.8 * n)), int(round(0.8 * SPLIT_MAX_POINTS)))
    share = points / n
    scores = []
    for _ in range(SPLIT_SUBSAMPLES):
        rows = np.sort(rng.choice(n, points, replace=False))
        fit = hdbscan_fit(
            embedding[rows],
            max(2, int(round(size * share))),
            max(1, int(round(min_samples * share))),
            config.cluster_selection_method,
            config.cluster_selection_epsilon,
        )
        scores.append(adjusted_rand_score(labels[rows], fit.labels_))
    return float(np.median(scores))


def _choose(rows: list[dict]) -> int:
    """The min_cluster_size with the best DBCV + split stability among fits with two or more biotypes.

    DBCV alone favours many small clusters on some data; adding the stability of the split under
    subsampling (both on comparable scales, at most 1) prefers splits that are both dense and firm.
    Ties go to the larger size; with no fit of two or more biotypes, the fit with the most biotypes.
    """
    scored = [r for r in rows if r["n_biotypes"] >= 2 and np.isfinite(r["dbcv"])]
    if not scored:
        return max(rows, key=lambda r: (r["n_biotypes"], r["min_cluster_size"]))["min_cluster_size"]
    return max(scored, key=lambda r: (round(r["dbcv"] + r.get("stability", 0.0), 6), r["min_cluster_size"]))["min_cluster_size"]
