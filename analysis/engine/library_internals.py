"""Every place this project reaches inside hdbscan and umap-learn beyond their public API, and nowhere else.

Written against the versions in :data:`WRITTEN_FOR` (requirements.txt pins them).
tests/analysis/engine/test_library_internals.py fails, naming this module, as soon as an installed
version differs or an attribute used here is missing: re-read each function below against the new
release before changing the pin.

hdbscan (``HDBSCAN`` fitted by :func:`analysis.engine.clustering.hdbscan_fit`):

- ``_condensed_tree``: the raw condensed tree (structured array), which the public
  ``condensed_tree_`` wraps in an object;
- ``_prediction_data``, ``_raw_data``, ``_metric_kwargs``: what ``approximate_predict`` reads, and
  what building it takes, built here instead of by ``generate_prediction_data()`` because hdbscan
  0.8.44 can stand a label for a sub-cluster (:func:`analysis.engine.clustering.with_prediction_data`);
- ``CondensedTree._select_clusters``: replaced on one tree object so that ``PredictionData`` is told
  which cluster each label was selected as;
- ``_outlier_scores``, ``_relative_validity``, ``_exemplars``: cached results, cleared when a fit's
  tree is cut again;
- ``hdbscan.hdbscan_._tree_to_labels``: condensing and selecting from a single-linkage tree, which a
  re-cut at another min_cluster_size reuses instead of fitting again;
- ``hdbscan._hdbscan_linkage.mst_linkage_core``: the Prim minimum spanning tree of a dense distance
  matrix that ``hdbscan.validity`` builds per cluster; :mod:`analysis.engine.dbcv` builds the same tree
  with it and finds each edge's endpoint in one vectorised pass instead of hdbscan's loop.

umap-learn (``UMAP`` fitted by :func:`analysis.engine.clustering.umap_embedding`):

- ``_knn_search_index``: the neighbour search index ``transform`` reads, attached after a fit made
  without it (one index per run instead of one per fit);
- the search index's interface as ``transform`` uses it (``query(X, k, epsilon=...)`` and
  ``_angular_trees``), which :class:`ExactSearchIndex` gives an exact neighbour graph;
- ``umap.umap_.nearest_neighbors`` and ``umap.umap_.noisy_scale_coords``: module functions that
  the package does not export, used to build the neighbour graph once and the spectral starts of a
  fit outside it;
- :data:`UMAP_EPOCHS_SMALL`, :data:`UMAP_EPOCHS_LARGE`, :data:`UMAP_EPOCHS_THRESHOLD`: umap-learn's
  default number of layout epochs, which decides the edges pruned from the graph before a layout.
"""

from __future__ import annotations

import numpy as np

#: Distribution → the version every function here was written against.
WRITTEN_FOR = {"hdbscan": "0.8.44", "umap-learn": "0.5.12"}
#: umap-learn's default layout epochs: this many up to :data:`UMAP_EPOCHS_THRESHOLD` points, else the large number.
UMAP_EPOCHS_SMALL = 500
UMAP_EPOCHS_LARGE = 200
UMAP_EPOCHS_THRESHOLD = 10_000
#: Attributes of a fitted HDBSCAN read or written here.
HDBSCAN_ATTRIBUTES = ("_condensed_tree", "_prediction_data", "_raw_data", "_metric_kwargs", "_outlier_scores", "_relative_validity")
#: Attributes of a fitted UMAP read or written here.
UMAP_ATTRIBUTES = ("_knn_search_index",)
#: Attributes of pynndescent's search index that umap-learn's ``transform`` reads (:class:`ExactSearchIndex` has them).
SEARCH_INDEX_ATTRIBUTES = ("_angular_trees",)


def umap_private_module():
    """``umap.umap_``, imported as :func:`analysis.engine.compiled_code.umap_module` imports umap-learn."""
    from analysis.engine.compiled_code import umap_module

    return umap_module().umap_


def nearest_neighbors(x: np.ndarray, n_neighbors: int, seed: int) -> tuple:
    """umap-learn's approximate neighbour graph of ``x`` (euclidean, one thread): ``(indices, distances, search_index)``."""
    return umap_private_module().nearest_neighbors(x, n_neighbors, "euclidean", {}, False, np.random.RandomState(seed), n_jobs=1)


def noisy_scale_coords(layout: np.ndarray, random_state: np.random.RandomState) -> np.ndarray:
    """A spectral layout scaled and jittered as umap-learn's fit does before its epochs (``random_state`` advanced)."""
    return umap_private_module().noisy_scale_coords(layout, random_state, max_coord=10, noise=0.0001)


def layout_epochs(n_points: int) -> int:
    """The number of layout epochs umap-learn uses by default for ``n_points`` points."""
    return UMAP_EPOCHS_SMALL if n_points <= UMAP_EPOCHS_THRESHOLD else UMAP_EPOCHS_LARGE


class ExactSearchIndex:
    """The search index of an exact neighbour graph: answers ``query`` as pynndescent's ``NNDescent`` does, exactly.

    umap-learn's ``transform`` asks the fitted model's search index for each new point's
    neighbours (``query(X, k, epsilon=...)``, after reading ``_angular_trees`` to choose the
    epsilon); this index finds them among the fitted points by brute force (scikit-learn,
    Euclidean, in memory-bounded chunks). Holds the fitted points as float32.

    Parameters
    ----------
    data : ndarray of shape (n, n_features)
        The points the graph was built on.
    """

    #: Read by umap-learn's ``transform`` to choose pynndescent's search epsilon (unused here).
    _angular_trees = False

    def __init__(self, data: np.ndarray):
        self._raw_data = np.ascontiguousarray(data, dtype=np.float32)

    def query(self, query_data: np.ndarray, k: int = 10, epsilon: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` fitted points nearest each query point, nearest first.

        Returns
        -------
        indices : ndarray of int32, shape (n_queries, k)
        distances : ndarray of float32, shape (n_queries, k)
        """
        from sklearn.neighbors import NearestNeighbors

        search = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(self._raw_data)
        distances, indices = search.kneighbors(np.asarray(query_data, dtype=np.float32))
        return indices.astype(np.int32), distances.astype(np.float32)


def attach_search_index(model, search_index):
    """``model`` (a fitted UMAP) with ``search_index`` set where ``transform`` reads it, in place."""
    model.knn_search_index = model._knn_search_index = search_index
    return model


def raw_condensed_tree(fit) -> np.ndarray:
    """A fitted HDBSCAN's condensed tree as hdbscan keeps it: a structured array (``parent``, ``child``, ``lambda_val``, ``child_size``)."""
    return fit._condensed_tree


def stored_prediction_data(fit):
    """The ``PredictionData`` a fitted HDBSCAN holds, or None when none was built."""
    return getattr(fit, "_prediction_data", None)


def drop_prediction_data(fit) -> None:
    """Forget a fit's prediction data (in place), so that it is built again."""
    fit._prediction_data = None


def build_prediction_data(fit, selection: list[int]) -> None:
    """Give ``fit`` the prediction data ``approximate_predict`` reads, with label ``k`` standing for cluster ``selection[k]``.

    As ``fit.generate_prediction_data()`` builds it (a k-d tree, as hdbscan picks for euclidean
    data), except that the condensed tree reports ``selection`` as its selected clusters.
    """
    from hdbscan.prediction import PredictionData

    tree = fit.condensed_tree_
    tree._select_clusters = lambda: selection  # what PredictionData asks the tree for
    min_samples = fit.min_samples or fit.min_cluster_size
    fit._prediction_data = PredictionData(fit._raw_data, tree, min_samples, tree_type="kdtree", metric=fit.metric, **fit._metric_kwargs)


def cut_single_linkage_tree(single_linkage: np.ndarray, min_cluster_size: int, method: str, epsilon: float) -> tuple:
    """hdbscan's condensing and cluster selection of a single-linkage tree.

    Returns
    -------
    labels : ndarray of int64, shape (n,)
    probabilities : ndarray of float64, shape (n,)
    persistence : ndarray of float, shape (n_clusters,)
    condensed : structured ndarray
        The raw condensed tree.
    """
    from hdbscan.hdbscan_ import _tree_to_labels

    labels, probabilities, persistence, condensed, _ = _tree_to_labels(
        None,
        single_linkage,
        min_cluster_size=int(min_cluster_size),
        cluster_selection_method=method,
        cluster_selection_epsilon=float(epsilon),
    )
    return np.asarray(labels, dtype=np.int64), np.asarray(probabilities, dtype=np.float64), persistence, condensed


def with_condensed_tree(fit, condensed: np.ndarray):
    """``fit`` (in place) given another raw condensed tree, with every result hdbscan cached from the old one cleared."""
    fit._condensed_tree = condensed
    fit._outlier_scores = None
    fit._relative_validity = None
    fit._prediction_data = None
    fit._exemplars = None
    return fit


def prim_minimum_spanning_tree(distances: np.ndarray) -> np.ndarray:
    """hdbscan's Prim minimum spanning tree of a dense symmetric distance matrix (what ``hdbscan.validity`` builds).

    Returns
    -------
    ndarray of float64, shape (n - 1, 3)
        One row per step from node 0: the node the search was at, the node added, the edge's weight.
        The first column is not the added node's neighbour in the tree (:mod:`analysis.engine.dbcv`).
    """
    from hdbscan._hdbscan_linkage import mst_linkage_core

    return mst_linkage_core(np.ascontiguousarray(distances, dtype=np.float64))
