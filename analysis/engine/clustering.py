"""Embedding and clustering: UMAP (umap-learn) then HDBSCAN (hdbscan), with data-driven defaults.

The k-nearest-neighbour graph is computed once and shared by the clustering embedding and the 2-D
display embedding. A fixed seed makes UMAP single-threaded and every result identical run to run.
"""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from analysis.engine import library_internals as internals
from analysis.engine.parallel import parallel_workers

#: Fractions of the cohort tried as min_cluster_size when it is chosen from the data.
MIN_CLUSTER_FRACTIONS = (0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
DEFAULT_N_NEIGHBORS = 15
#: Cohorts smaller than this get an exact neighbour graph (umap-learn's own small-data threshold).
EXACT_GRAPH_MAX_POINTS = 4096
#: Subsamples and the most points used to measure how firmly HDBSCAN splits an embedding.
SPLIT_SUBSAMPLES = 5
SPLIT_MAX_POINTS = 5000
DISPLAY_MIN_DIST = 0.1
#: From this many participants the spectral starts of a run's UMAP fits are computed before the fits,
#: one after the other (:func:`spectral_starts`), instead of inside the fits running side by side:
#: umap-learn's eigen-solver keeps sqrt(n) vectors of n float64 (0.7 GB at 200,000, 2.8 GB at 500,000).
SHARED_START_MIN_PARTICIPANTS = 200_000
#: Largest min_samples chosen when the configuration leaves it open: core distances over more
#: neighbours cost time and memory (n x min_samples distances) and smooth the density no further.
MAX_DEFAULT_MIN_SAMPLES = 100
#: Most points on which a candidate's DBCV is computed (a seeded random sample, the same for every
#: candidate of a run): the exact index costs the square of the points in a cluster.
DBCV_MAX_POINTS = 3000
#: Below this median ARI of the chosen split under subsampling, the run's number of biotypes carries a
#: caution: Steinley (2004) reads an ARI under 0.65 as poor agreement between two partitions.
SPLIT_STABILITY_CAUTION = 0.65
#: One build of a fit's prediction data at a time (a run's own thread and a stability measurement).
_PREDICTION_DATA_LOCK = threading.Lock()


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
        One row per min_cluster_size tried (:func:`selection_row`): the final ``n_biotypes`` and
        ``noise_fraction`` (after the neighbour-agreement check, as the run reports them), HDBSCAN's
        own ``hdbscan_clusters`` and ``hdbscan_noise_fraction``, ``dbcv`` (:func:`dbcv_of`),
        ``stability`` (when several sizes were tried) and ``chosen``.
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

    @property
    def chosen_split_stability(self) -> float:
        """Median ARI of the chosen min_cluster_size's split under subsampling; NaN when only one size was tried."""
        chosen = [row for row in self.selection if row.get("chosen")]
        return float(chosen[0].get("stability", np.nan)) if chosen else float("nan")

    @property
    def numbers(self) -> np.ndarray:
        """The biotype numbers every table, page and export uses; see :func:`biotype_numbers`."""
        return biotype_numbers(self.labels)


@dataclass(frozen=True)
class FittedModels:
    """The fitted objects of one embedding and clustering (:func:`find_biotypes`).

    Attributes
    ----------
    umap : umap.UMAP or None
        The clustering embedding's model (places new participants with ``transform``); None in a run
        opened from its saved state (:mod:`analysis.io.run_state`) until the models are refitted.
    umap_2d : umap.UMAP or None
        The 2-D display embedding's model; None when no display embedding was fitted (resamples) or
        in an opened run.
    hdbscan : hdbscan.HDBSCAN or None
        The chosen fit (its tree serves re-cuts; its prediction data, once built, placements); None
        in an opened run.
    label_order : dict of int to int
        HDBSCAN's label → the size-ordered label of the :class:`ClusterResult`.
    neighbours : ndarray of int, shape (n, n_neighbors)
        Indices of the neighbour graph (each participant first).
    saved_tree : ndarray of float64, shape (n - 1, 4), or None
        HDBSCAN's single-linkage tree as saved with an opened run (None when ``hdbscan`` is fitted:
        :func:`single_linkage_of` reads it from the fit).
    """

    umap: object
    umap_2d: object
    hdbscan: object
    label_order: dict
    neighbours: np.ndarray
    saved_tree: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        """Whether the fitted UMAP and HDBSCAN objects are here (False in a run opened from its saved state)."""
        return self.umap is not None and self.hdbscan is not None


def single_linkage_of(models: FittedModels) -> np.ndarray:
    """HDBSCAN's single-linkage tree of a run, shape (n - 1, 4): ``left``, ``right``, ``distance``, ``size`` (float64)."""
    if models.hdbscan is not None:
        return np.asarray(models.hdbscan.single_linkage_tree_.to_numpy(), dtype=np.float64)
    if models.saved_tree is None:
        raise ValueError("the run holds neither its HDBSCAN fit nor its saved single-linkage tree")
    return models.saved_tree


def biotype_numbers(labels: np.ndarray) -> np.ndarray:
    """The public biotype numbers of 0-based labels: 1 for the largest biotype (B1), 2, ...; -1 for noise.

    HDBSCAN's labels (0-based) stay inside clustering and the saved model; everything a user reads
    (assignments.csv, every profile, importance and stability table, every page and the report) is
    numbered with these, so that any two tables join on ``biotype``.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        0-based biotypes, -1 for noise.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    labels = np.asarray(labels, dtype=np.int64)
    return np.where(labels >= 0, labels + 1, -1)


def neighbour_graph(x: np.ndarray, n_neighbors: int, seed: int) -> tuple:
    """The k-nearest-neighbour graph of ``x``: exact below :data:`EXACT_GRAPH_MAX_POINTS` points, else pynndescent's.

    Below the threshold the graph is exact, as umap-learn's own fit makes it there (its small-data
    path): pynndescent is not used, so a new process does not compile its graph building (most of
    a cold start). From the threshold on, umap-learn's approximate graph (pynndescent, euclidean,
    one thread, seeded).

    Returns
    -------
    tuple
        ``(indices, distances, search_index)`` as umap-learn's ``precomputed_knn`` expects:
        arrays of shape (n, n_neighbors), nearest first (a point is its own first neighbour unless an
        identical point comes before it); the search index places new participants (for an exact graph, by exact distances:
        :class:`analysis.engine.library_internals.ExactSearchIndex`).
    """
    if len(x) < EXACT_GRAPH_MAX_POINTS:
        return exact_neighbour_graph(x, n_neighbors)
    return internals.nearest_neighbors(x, n_neighbors, seed)


def neighbour_graph_kind(n_points: int) -> str:
    """How :func:`neighbour_graph` builds the graph of ``n_points`` points, in words for a methods section."""
    return "exact" if n_points < EXACT_GRAPH_MAX_POINTS else "approximate (pynndescent; Dong et al. 2011)"


def exact_neighbour_graph(x: np.ndarray, n_neighbors: int) -> tuple:
    """The exact euclidean k-nearest-neighbour graph, as umap-learn builds it from all pairwise distances.

    Holds one (n, n) float32 matrix (64 MB at :data:`EXACT_GRAPH_MAX_POINTS`).

    Returns
    -------
    (indices, distances, search_index)
        int32 indices and float32 distances of shape (n, n_neighbors), nearest first, and an
        :class:`analysis.engine.library_internals.ExactSearchIndex` of ``x``.
    """
    from sklearn.metrics import pairwise_distances

    points = np.asarray(x, dtype=np.float32)
    # The points against themselves, as umap-learn's fit computes them (each point's distance to
    # itself exactly 0), rather than ExactSearchIndex.query, whose self-distances carry rounding.
    distances = pairwise_distances(points, metric="euclidean")
    indices = np.argsort(distances, axis=1)[:, :n_neighbors]
    nearest = np.take_along_axis(distances, indices, axis=1)
    return indices.astype(np.int32), nearest.astype(np.float32), internals.ExactSearchIndex(points)


def umap_embedding(
    x: np.ndarray,
    knn: tuple,
    n_components: int,
    min_dist: float,
    seed: int,
    start: tuple | None = None,
    epochs: int | None = None,
) -> tuple[np.ndarray, object]:
    """Fit UMAP on ``x`` reusing a neighbour graph.

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
    knn : tuple
        ``(indices, distances, search_index)`` from :func:`neighbour_graph`, or ``(indices, distances)``:
        the embedding is the same, but the model cannot place new participants until
        :func:`with_search_index` gives it the index.
    n_components : int
    min_dist : float
    seed : int
    start : (ndarray of shape (n, n_components), numpy.random.RandomState), optional
        Where the layout starts and the random state to go on with (:func:`spectral_starts`);
        None: umap-learn's own spectral start from ``seed``.
    epochs : int, optional
        Layout epochs; None: umap-learn's default (500 up to 10,000 participants, 200 above).

    Returns
    -------
    embedding : ndarray of float32, shape (n, n_components)
    model : umap.UMAP
        The fitted model (kept for placing new participants).
    """
    from analysis.engine.compiled_code import umap_module

    umap = umap_module()
    n_neighbors = knn[0].shape[1]
    model = umap.UMAP(
        n_neighbors=n_neighbors,
        n_components=n_components,
        min_dist=min_dist,
        random_state=seed if start is None else start[1],
        precomputed_knn=knn,
        init="spectral" if start is None else start[0],
        n_epochs=epochs,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        embedding = model.fit_transform(x)
    return embedding.astype(np.float32), model


def with_search_index(model, search_index):
    """``model`` (fitted by :func:`umap_embedding` without a search index) with ``search_index`` attached, in place.

    The index only serves ``transform`` (placing new participants); a fit does not read it. Fits
    sent to worker processes therefore go without it, and the one index of the run is attached to
    every model afterwards: one copy in memory and in the saved model instead of one per fit.
    """
    return internals.attach_search_index(model, search_index)


def spectral_starts(x: np.ndarray, knn: tuple, dims: tuple[int, ...], seed: int) -> dict[int, tuple]:
    """The spectral starts umap-learn's seeded fits of ``knn`` would make, computed here one after the other.

    The fuzzy graph of ``knn`` is built and pruned as umap-learn's fit does, then for each number of
    dimensions its spectral layout is solved, scaled and jittered with umap-learn's own functions
    (``spectral_layout``, ``noisy_scale_coords``) and the fit's random state. A fit given the start
    and that random state (:func:`umap_embedding`) is byte-identical to one that starts by itself
    (tested). What changes is where the eigen-solver runs: its sqrt(n) working vectors of n float64
    (2.8 GB at 500,000) are held once at a time, here, instead of once in each of the fits running
    side by side (:data:`SHARED_START_MIN_PARTICIPANTS`).

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
    knn : tuple
        ``(indices, distances, ...)`` from :func:`neighbour_graph`.
    dims : tuple of int
        The fits' numbers of dimensions.
    seed : int
        The fits' seed.

    Returns
    -------
    dict of int to (ndarray of float32, shape (n, d), numpy.random.RandomState)
        Number of dimensions → the fit's start and its random state, advanced past the start's jitter.
    """
    umap_ = internals.umap_private_module()
    from umap.spectral import spectral_layout

    features = np.ascontiguousarray(x, dtype=np.float32)
    indices, distances = knn[0], knn[1]
    graph, _, _ = umap_.fuzzy_simplicial_set(features, indices.shape[1], np.random.RandomState(seed), "euclidean", {}, indices, distances)
    graph = graph.tocoo()
    graph.sum_duplicates()
    # umap-learn drops edges too weak to be sampled in its default number of epochs before the layout
    graph.data[graph.data < graph.data.max() / float(internals.layout_epochs(graph.shape[0]))] = 0.0
    graph.eliminate_zeros()
    starts = {}
    for d in dims:
        random_state = np.random.RandomState(seed)
        layout = spectral_layout(features, graph, d, random_state, metric="euclidean", metric_kwds={})
        starts[d] = (internals.noisy_scale_coords(layout, random_state), random_state)
    return starts


def both_embeddings(x: np.ndarray, knn: tuple, config) -> tuple[tuple, tuple]:
    """The clustering embedding and the 2-D display embedding of one neighbour graph.

    Each fit is seeded and single-threaded, so the two are independent: from
    :data:`analysis.engine.parallel.PARALLEL_MIN_PARTICIPANTS` participants they run side by side in two
    joblib worker processes (which stay warm for the next run), and inside
    :func:`analysis.engine.parallel.compute_on` on a Dask cluster; results are identical to fitting them one
    after the other here (tested). A worker receives only what a fit reads: the features as float32
    (UMAP converts them to float32 itself) and the graph without its search index, which is attached
    to both models here (:func:`with_search_index`). From :data:`SHARED_START_MIN_PARTICIPANTS`
    participants the fits' spectral starts are computed here first, one after the other
    (:func:`spectral_starts`; same results, less memory).

    Returns
    -------
    (embedding, model), (display, display_model)
        As :func:`umap_embedding` returns them, for ``config.n_components`` and for 2 dimensions.
    """
    from joblib import Parallel, delayed

    fits = [(config.n_components, config.min_dist), (2, DISPLAY_MIN_DIST)]
    dims = tuple(d for d, _ in fits)
    # umap-learn fits on float32 whatever it is given: one conversion here serves every use below
    features = np.ascontiguousarray(x, dtype=np.float32)
    if len(x) >= SHARED_START_MIN_PARTICIPANTS:
        starts = spectral_starts(features, knn, dims, config.seed)
    else:
        starts = dict.fromkeys(dims)
    workers = parallel_workers(len(x))
    if workers == 1:
        return tuple(umap_embedding(features, knn, d, min_dist, config.seed, starts[d]) for d, min_dist in fits)
    graph = knn[:2]
    # max_nbytes=None: no read-only memory maps of large inputs (umap-learn writes into the graph arrays).
    jobs = (delayed(umap_embedding)(features, graph, d, min_dist, config.seed, starts[d]) for d, min_dist in fits)
    fitted = Parallel(n_jobs=workers, max_nbytes=None)(jobs)
    return tuple((embedding, with_search_index(model, knn[2])) for embedding, model in fitted)


def hdbscan_fit(embedding: np.ndarray, min_cluster_size: int, min_samples: int, method: str, epsilon: float):
    """Fit HDBSCAN with the minimum spanning tree (for DBCV); prediction data is built later, on first use.

    The data ``approximate_predict`` needs (core distances of every point with a k-d tree, cluster
    exemplars) is a large share of a large fit's time and is needed only to place new participants:
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
    """``fit`` with the data ``hdbscan.approximate_predict`` needs, built once (in place) if it is not there yet.

    Built as ``fit.generate_prediction_data()`` builds it, except for which condensed-tree cluster
    each label stands for (:func:`selected_clusters`): hdbscan 0.8.44 takes the lowest-numbered
    segment its points sit in, which is a sub-cluster when the selected cluster split before any
    point left it, and ``approximate_predict`` then gave wrong labels and noise even to the fitted
    points themselves (seen in stability resamples with min_samples 2).
    """
    with _PREDICTION_DATA_LOCK:
        if internals.stored_prediction_data(fit) is None:
            internals.build_prediction_data(fit, selected_clusters(internals.raw_condensed_tree(fit), np.asarray(fit.labels_)))
    return fit


def with_repaired_prediction_data(fit):
    """``fit``, its prediction data rebuilt (in place) if it does not name the clusters its labels came from.

    Models saved before November 2026 carry the prediction data hdbscan builds itself, which can
    stand a label for a sub-cluster (:func:`with_prediction_data`); placing participants with such a
    model can put them in the wrong biotype. Checking costs one pass over the condensed tree.
    """
    data = internals.stored_prediction_data(fit)
    if data is None:
        return fit
    selection = selected_clusters(internals.raw_condensed_tree(fit), np.asarray(fit.labels_))
    if [data.reverse_cluster_map.get(label) for label in range(len(selection))] != selection:
        internals.drop_prediction_data(fit)
        with_prediction_data(fit)
    return fit


def selected_clusters(condensed_tree: np.ndarray, labels: np.ndarray) -> list[int]:
    """The cluster of HDBSCAN's condensed tree that each label was selected as, in label order.

    A label's cluster is the deepest cluster that holds every point of the label: the lowest common
    ancestor of the segments its points leave the tree from (cluster ids grow with depth).

    Parameters
    ----------
    condensed_tree : structured ndarray
        hdbscan's raw condensed tree (``parent``, ``child``, ``lambda_val``, ``child_size``).
    labels : ndarray of int, shape (n,)
        HDBSCAN's labels of that tree's points (-1 noise).

    Returns
    -------
    list of int
        Entry ``k`` is the cluster id of label ``k``.
    """
    clusters = condensed_tree[condensed_tree["child_size"] > 1]
    parent_of = dict(zip(clusters["child"].tolist(), clusters["parent"].tolist(), strict=True))
    points = condensed_tree[condensed_tree["child_size"] == 1]
    segment_of_point = dict(zip(points["child"].tolist(), points["parent"].tolist(), strict=True))

    def ancestors(cluster: int) -> list[int]:
        chain = [cluster]
        while chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
        return chain

    selection = []
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        segments = {segment_of_point[int(i)] for i in np.flatnonzero(labels == label)}
        common = set.intersection(*(set(ancestors(segment)) for segment in segments))
        selection.append(max(common))
    return selection


@contextmanager
def prediction_data_alongside(fit):
    """Build ``fit``'s prediction data (:func:`with_prediction_data`) in a thread while the block runs.

    For a run whose model will be saved: the k-d tree and core distances are built while the
    biotypes are profiled instead of after. The block's end waits
    for the thread (also when the block raises); an error of the thread is raised there.

    Parameters
    ----------
    fit : hdbscan.HDBSCAN or None
        None runs the block alone.
    """
    if fit is None:
        yield
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prediction-data") as pool:
        built = pool.submit(with_prediction_data, fit)
        yield
        built.result()


def labels_from_tree(tree: np.ndarray, min_cluster_size: int, method: str, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN's result for another min_cluster_size, from a fit's single-linkage tree (no refit).

    With min_samples fixed, HDBSCAN's single-linkage tree does not depend on min_cluster_size; only
    the condensing of that tree and the selection of clusters do. Re-condensing the stored tree gives
    the same labels as a new fit (tested) in a fraction of the time.

    Parameters
    ----------
    tree : ndarray of float64, shape (n - 1, 4)
        A fit's single-linkage tree (:func:`single_linkage_of`).
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
    labels, probabilities, _, _ = internals.cut_single_linkage_tree(tree, min_cluster_size, method, epsilon)
    return labels, probabilities


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

    tree = fit.single_linkage_tree_.to_numpy()
    labels, probabilities, persistence, condensed = internals.cut_single_linkage_tree(tree, min_cluster_size, method, epsilon)
    new = copy.copy(fit)
    new.set_params(min_cluster_size=int(min_cluster_size), cluster_selection_method=method, cluster_selection_epsilon=float(epsilon))
    new.labels_, new.probabilities_, new.cluster_persistence_ = labels, probabilities, persistence
    return internals.with_condensed_tree(new, condensed)


def candidate_min_cluster_sizes(n: int) -> list[int]:
    """min_cluster_size values tried when it is chosen from the data: 1-8% of n, at least 5."""
    return sorted({max(5, int(round(f * n))) for f in MIN_CLUSTER_FRACTIONS if max(5, int(round(f * n))) <= n // 2})


def default_min_samples(min_cluster_size: int) -> int:
    """min_samples when the configuration leaves it open: a quarter of min_cluster_size, 5 to 100.

    HDBSCAN's own default (min_samples = min_cluster_size) declares a large share of a clinical
    cohort noise; a smaller value keeps the density estimate smooth without that cost. The ceiling
    (:data:`MAX_DEFAULT_MIN_SAMPLES`) bounds the core-distance computation in large cohorts.
    """
    return max(5, min(min_cluster_size // 4, MAX_DEFAULT_MIN_SAMPLES))


def shared_min_samples(sizes: list[int]) -> int:
    """The one min_samples used for several candidate min_cluster_size values (when not configured).

    :func:`default_min_samples` of the middle candidate: one min_samples lets one HDBSCAN tree serve
    every candidate (:func:`candidate_fits`). On the quality benchmark (bench/quality.py) the middle
    candidate matched or beat the smallest one's and each candidate's own value.
    """
    ordered = sorted(sizes)
    return default_min_samples(ordered[len(ordered) // 2])


def candidate_fits(embedding: np.ndarray, sizes: list[int], min_samples: int, method: str, epsilon: float) -> dict:
    """HDBSCAN for each min_cluster_size in ``sizes``, all cut from one single-linkage tree.

    With min_samples shared, the core distances and the minimum spanning tree are computed once
    (for the smallest size) and every other size re-condenses that tree (:func:`refit_from_tree`;
    equal to a new fit, tested). At 100,000 participants this is one fit instead of six.

    Returns
    -------
    dict of int to hdbscan.HDBSCAN
    """
    first = min(sizes)
    tree = hdbscan_fit(embedding, first, min_samples, method, epsilon)
    return {size: tree if size == first else refit_from_tree(tree, size, method, epsilon) for size in sizes}


def size_ordered(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0..k-1 by decreasing size (ties by first appearance); noise stays -1."""
    clusters = [c for c in dict.fromkeys(labels.tolist()) if c >= 0]
    order = sorted(clusters, key=lambda c: -int((labels == c).sum()))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(c, -1) for c in labels.tolist()], dtype=np.int64)


def find_biotypes(
    x: np.ndarray, config, progress=None, with_display: bool = True, layout_epochs: int | None = None
) -> tuple[ClusterResult, FittedModels]:
    """Embed the fused features and cluster them.

    Parameters
    ----------
    x : ndarray of shape (n_participants, n_features)
    config : RunConfig
    progress : callable(fraction, message), optional
        Called before each long step, with the share of the work done in [0, 1].
    with_display : bool
        Also compute the 2-D display embedding; without it (resamples, which only need labels)
        ``result.display`` is NaN and ``models.umap_2d`` None.
    layout_epochs : int, optional
        Epochs of the clustering embedding's layout, only without the display embedding (the
        validity checks' re-clusterings of large cohorts); None: umap-learn's default.

    Returns
    -------
    result : ClusterResult
    models : FittedModels
    """
    if with_display and layout_epochs is not None:
        raise ValueError("layout_epochs applies only to fits without the display embedding")
    say = progress or (lambda fraction, message: None)
    n = len(x)
    n_neighbors = min(config.n_neighbors or DEFAULT_N_NEIGHBORS, n - 1)
    say(0.05, f"nearest neighbours (k = {n_neighbors}) of {n} participants")
    knn = neighbour_graph(x, n_neighbors, config.seed)
    if with_display:
        say(0.15, f"UMAP to {config.n_components} dimensions for clustering and to 2 for display")
        (embedding, umap_model), (display, display_model) = both_embeddings(x, knn, config)
    else:
        say(0.15, f"UMAP to {config.n_components} dimensions for clustering")
        embedding, umap_model = umap_embedding(x, knn, config.n_components, config.min_dist, config.seed, epochs=layout_epochs)
        display, display_model = np.full((n, 2), np.nan, dtype=np.float32), None
    sizes = [config.min_cluster_size] if config.min_cluster_size else candidate_min_cluster_sizes(n)
    # One min_samples for every candidate, so that one tree serves them all.
    min_samples = config.min_samples or shared_min_samples(sizes)
    say(0.5, f"HDBSCAN (min_samples {min_samples}) at min_cluster_size {', '.join(map(str, sizes))}")
    fits = candidate_fits(embedding, sizes, min_samples, config.cluster_selection_method, config.cluster_selection_epsilon)
    sample = dbcv_sample(n, config.seed)
    rows = [selection_row(fits[size], size, min_samples, knn[0], config.neighbour_agreement, embedding, sample) for size in sizes]
    if len(sizes) > 1:
        say(0.65, "stability of each candidate split under subsampling")
        stability = split_stabilities(embedding, {size: fit.labels_ for size, fit in fits.items()}, min_samples, config, seed=config.seed)
        rows = [{**row, "stability": stability[row["min_cluster_size"]]} for row in rows]
    chosen = _choose(rows)
    selection = tuple({**row, "chosen": row["min_cluster_size"] == chosen} for row in rows)
    fit = fits[chosen]
    result, label_order = _clusters_of(fit, knn[0], embedding, display, n_neighbors, selection, config)
    return result, FittedModels(umap_model, display_model, fit, label_order, knn[0])


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


def recut_biotypes(clusters: ClusterResult, models: FittedModels, config) -> tuple[ClusterResult, FittedModels]:
    """A run's biotypes for another min_cluster_size, selection method or epsilon, from its HDBSCAN tree.

    Nothing is embedded or fitted again: the run's single-linkage tree is re-condensed
    (:func:`refit_from_tree`; min_samples stays the run's) and the neighbour-agreement check uses the
    run's neighbour graph. The result equals :func:`find_biotypes` with ``config`` (same seed, so the
    same embeddings), min_cluster_size and min_samples given (tested).

    Parameters
    ----------
    clusters : ClusterResult
        The run's.
    models : FittedModels
        The run's.
    config : RunConfig
        The run's configuration with the new min_cluster_size, cluster_selection_method and
        cluster_selection_epsilon.

    Returns
    -------
    clusters : ClusterResult
    models : FittedModels
        ``models`` with the new ``hdbscan`` and ``label_order``.
    """
    fit = refit_from_tree(models.hdbscan, config.min_cluster_size, config.cluster_selection_method, config.cluster_selection_epsilon)
    neighbours = np.asarray(models.neighbours)
    sample = dbcv_sample(len(neighbours), config.seed)
    row = selection_row(fit, config.min_cluster_size, fit.min_samples, neighbours, config.neighbour_agreement, clusters.embedding, sample)
    selection = ({**row, "chosen": True},)
    result, label_order = _clusters_of(fit, neighbours, clusters.embedding, clusters.display, clusters.n_neighbors, selection, config)
    return result, replace(models, hdbscan=fit, label_order=label_order)


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


def selection_row(
    fit, size: int, min_samples: int, neighbours: np.ndarray, threshold: float, embedding: np.ndarray, sample: np.ndarray
) -> dict:
    """What one HDBSCAN fit gives as a run: biotypes and noise after the neighbour-agreement check, and HDBSCAN's own.

    Parameters
    ----------
    fit : fitted hdbscan.HDBSCAN
    size, min_samples : int
        The fit's min_cluster_size and min_samples.
    neighbours : ndarray of int, shape (n, k)
        The run's neighbour graph (:func:`neighbour_agreement`).
    threshold : float
        ``RunConfig.neighbour_agreement``.
    embedding : ndarray of shape (n, n_components)
        The embedding the fit clustered.
    sample : ndarray of int
        Rows on which DBCV is computed (:func:`dbcv_sample`).

    Returns
    -------
    dict
        ``min_cluster_size``, ``min_samples``, ``n_biotypes`` and ``noise_fraction`` (the run's figures
        with this size: clusters that keep members after the agreement check, and the share of
        noise then), ``hdbscan_clusters`` and ``hdbscan_noise_fraction`` (HDBSCAN's labels before the
        check) and ``dbcv`` (:func:`dbcv_of` HDBSCAN's own labels; NaN below two clusters).
    """
    labels = np.asarray(fit.labels_)
    final = agreed_labels(labels, neighbour_agreement(labels, neighbours), threshold)
    clusters = int(labels.max()) + 1 if (labels >= 0).any() else 0
    return {
        "min_cluster_size": size,
        "min_samples": min_samples,
        "n_biotypes": len(np.unique(final[final >= 0])),
        "noise_fraction": float((final < 0).mean()),
        "hdbscan_clusters": clusters,
        "hdbscan_noise_fraction": float((labels < 0).mean()),
        "dbcv": dbcv_of(embedding, labels, sample),
    }


def dbcv_sample(n: int, seed: int) -> np.ndarray:
    """Sorted rows on which DBCV is computed: all ``n`` up to :data:`DBCV_MAX_POINTS`, else a seeded random sample of that many."""
    if n <= DBCV_MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, DBCV_MAX_POINTS, replace=False))


def dbcv_of(embedding: np.ndarray, labels: np.ndarray, sample: np.ndarray) -> float:
    """Density-based clustering validation (Moulavi et al. 2014) of a labelling, on the rows ``sample``.

    The exact index (hdbscan's ``validity_index``, computed by :func:`analysis.engine.dbcv.validity_index`
    to the same bits, faster: mutual-reachability minimum spanning trees within each cluster), not
    HDBSCAN's ``relative_validity_``, whose cheap approximation ranked
    splits that merge clear clusters above the splits that keep them (digits: 8 biotypes scored over
    the 11 that match the ten digits). Noise counts in the denominator, so a labelling that leaves
    more participants as noise scores lower. Clusters with fewer than 3 rows in the sample count as noise.

    Parameters
    ----------
    embedding : ndarray of shape (n, d)
    labels : ndarray of int, shape (n,)
        -1 for noise.
    sample : ndarray of int
        Rows to use (:func:`dbcv_sample`).

    Returns
    -------
    float
        In [-1, 1], higher is better; NaN when fewer than two clusters have 3 rows in the sample.
    """
    from analysis.engine.dbcv import validity_index

    points = np.asarray(embedding, dtype=np.float64)[sample]
    kept = np.asarray(labels)[sample].copy()
    ids, counts = np.unique(kept[kept >= 0], return_counts=True)
    kept[np.isin(kept, ids[counts < 3])] = -1
    if (counts >= 3).sum() < 2:
        return float("nan")
    _, kept[kept >= 0] = np.unique(kept[kept >= 0], return_inverse=True)
    try:
        with np.errstate(all="ignore"):
            value = float(validity_index(points, kept))
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def split_stabilities(embedding: np.ndarray, labels: dict, min_samples: int, config, seed: int) -> dict:
    """How firmly HDBSCAN splits an embedding: median ARI between its labels and re-fits on 80% subsamples.

    At most :data:`SPLIT_MAX_POINTS` points are used (min_cluster_size and min_samples scaled to the
    subsample), so the cost does not grow with the cohort. Each subsample is fitted once and its tree
    re-cut for every min_cluster_size (:func:`candidate_fits`).

    Parameters
    ----------
    embedding : ndarray of shape (n, n_components)
    labels : dict of int to ndarray of int, shape (n,)
        min_cluster_size → HDBSCAN's labels of the whole embedding with it.
    min_samples : int
        The HDBSCAN min_samples of every entry of ``labels``.
    config : RunConfig
        Supplies the selection method and epsilon.
    seed : int
        Seeds the subsamples (the same subsamples for every size).

    Returns
    -------
    dict of int to float
        min_cluster_size → median adjusted Rand index over :data:`SPLIT_SUBSAMPLES` subsamples, in [-1, 1].
    """
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    n = len(embedding)
    points = min(int(round(0.8 * n)), int(round(0.8 * SPLIT_MAX_POINTS)))
    share = points / n
    scaled = {size: max(2, int(round(size * share))) for size in labels}
    scores = {size: [] for size in labels}
    for _ in range(SPLIT_SUBSAMPLES):
        rows = np.sort(rng.choice(n, points, replace=False))
        fits = candidate_fits(
            embedding[rows],
            sorted(set(scaled.values())),
            max(1, int(round(min_samples * share))),
            config.cluster_selection_method,
            config.cluster_selection_epsilon,
        )
        for size, full in labels.items():
            scores[size].append(adjusted_rand_score(full[rows], fits[scaled[size]].labels_))
    return {size: float(np.median(values)) for size, values in scores.items()}


def _choose(rows: list[dict]) -> int:
    """The min_cluster_size with the best DBCV among sizes that give two or more biotypes and split firmly.

    A size splits firmly when its split stability under subsampling is at least
    :data:`SPLIT_STABILITY_CAUTION`; when none does (or stability was not measured), all sizes with two
    or more biotypes compete. Ties go to the larger size; with no fit of two or more biotypes, the fit
    with the most biotypes.
    """
    scored = [r for r in rows if r["n_biotypes"] >= 2 and np.isfinite(r["dbcv"])]
    if not scored:
        return max(rows, key=lambda r: (r["n_biotypes"], r["min_cluster_size"]))["min_cluster_size"]
    firm = [r for r in scored if r.get("stability", 1.0) >= SPLIT_STABILITY_CAUTION]
    return max(firm or scored, key=lambda r: (round(r["dbcv"], 6), r["min_cluster_size"]))["min_cluster_size"]


def compile_ahead() -> float:
    """Run the numba-compiled code of a run once, on 300 random points, so that later runs start warm.

    A new Python process pays numba's compilation on its first UMAP fit (umap-learn compiles on
    first use; from :data:`EXACT_GRAPH_MAX_POINTS` participants pynndescent's graph building too,
    which this run on 300 points does not reach); the dashboard calls this in a background thread
    when its server starts. No data of anyone is involved.

    Returns
    -------
    float
        Seconds it took.
    """
    import time

    from analysis.config import RunConfig

    started = time.perf_counter()
    x = np.random.default_rng(0).normal(size=(300, 8))
    find_biotypes(x, RunConfig(seed=0, min_cluster_size=30))
    return time.perf_counter() - started
