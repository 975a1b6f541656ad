"""The private parts of hdbscan and umap-learn the project uses: all in one module, and checked against the installed releases."""

import ast
import inspect
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

from analysis.engine import library_internals as internals
from analysis.engine.clustering import hdbscan_fit, neighbour_graph, umap_embedding

ROOT = Path(__file__).resolve().parents[3]
MODULE = "analysis/engine/library_internals.py"
#: Private names of hdbscan and umap-learn that only the internals module may use.
PRIVATE_NAMES = {
    *internals.HDBSCAN_ATTRIBUTES,
    *internals.UMAP_ATTRIBUTES,
    *internals.SEARCH_INDEX_ATTRIBUTES,
    "_select_clusters",
    "_exemplars",
    "_tree_to_labels",
    "_hdbscan_linkage",
    "mst_linkage_core",
}


@pytest.mark.parametrize("distribution", sorted(internals.WRITTEN_FOR))
def test_the_installed_release_is_the_one_the_internals_were_written_for(distribution):
    wanted = internals.WRITTEN_FOR[distribution]
    assert version(distribution) == wanted, (
        f"{distribution} {version(distribution)} is installed, but {MODULE} reaches into {distribution} {wanted}: "
        "re-read each of its functions against the new release, then change WRITTEN_FOR and the pin together"
    )


def test_every_private_attribute_used_is_there_on_fitted_models(warm_umap):
    from hdbscan.plots import CondensedTree

    x = np.random.default_rng(0).normal(size=(120, 3))
    x[:60] += 6
    knn = neighbour_graph(x, 10, 0)
    _, model = umap_embedding(x, knn, 2, 0.0, 0)
    fit = hdbscan_fit(x, 10, 5, "eom", 0.0)
    for name in internals.HDBSCAN_ATTRIBUTES:
        assert hasattr(fit, name), f"HDBSCAN has no {name}: see {MODULE}"
    for name in internals.UMAP_ATTRIBUTES:
        assert hasattr(model, name), f"UMAP has no {name}: see {MODULE}"
    assert callable(getattr(CondensedTree, "_select_clusters", None)), f"CondensedTree has no _select_clusters: see {MODULE}"
    assert internals.raw_condensed_tree(fit).dtype.names == ("parent", "child", "lambda_val", "child_size")
    umap_ = internals.umap_private_module()
    assert {"n_neighbors", "metric", "random_state"} <= set(inspect.signature(umap_.nearest_neighbors).parameters)
    assert {"max_coord", "noise"} <= set(inspect.signature(umap_.noisy_scale_coords).parameters)
    labels, probabilities, _, condensed = internals.cut_single_linkage_tree(fit.single_linkage_tree_.to_numpy(), 10, "eom", 0.0)
    assert np.array_equal(labels, fit.labels_) and np.allclose(probabilities, fit.probabilities_)
    assert np.array_equal(condensed, internals.raw_condensed_tree(fit))


def test_umaps_transform_asks_the_search_index_only_what_the_exact_index_answers():
    import pynndescent
    import umap

    source = "".join(inspect.getsource(umap.umap_.UMAP.transform).split())
    assert "self._knn_search_index._angular_trees" in source, f"umap-learn's transform reads its index differently: see {MODULE}"
    assert "self._knn_search_index.query(X,self.n_neighbors,epsilon=epsilon)" in source, f"see {MODULE}"
    index_source = inspect.getsource(pynndescent.NNDescent)
    assert all(f"self.{name} =" in index_source for name in internals.SEARCH_INDEX_ATTRIBUTES), f"see {MODULE}"
    assert list(inspect.signature(pynndescent.NNDescent.query).parameters)[1:4] == ["query_data", "k", "epsilon"]
    assert list(inspect.signature(internals.ExactSearchIndex.query).parameters)[1:4] == ["query_data", "k", "epsilon"]


def test_umaps_default_epochs_are_the_ones_the_graph_is_pruned_for():
    import umap

    source = inspect.getsource(umap.umap_.simplicial_set_embedding)
    rule = (
        f"if graph.shape[0] <= {internals.UMAP_EPOCHS_THRESHOLD}:\n        default_epochs = {internals.UMAP_EPOCHS_SMALL}\n"
        f"    else:\n        default_epochs = {internals.UMAP_EPOCHS_LARGE}"
    )
    assert rule in source, f"umap-learn's default epochs changed: see {MODULE}"
    assert internals.layout_epochs(internals.UMAP_EPOCHS_THRESHOLD) == internals.UMAP_EPOCHS_SMALL
    assert internals.layout_epochs(internals.UMAP_EPOCHS_THRESHOLD + 1) == internals.UMAP_EPOCHS_LARGE


def test_no_other_module_reaches_into_hdbscan_or_umap():
    found = []
    for path in sorted([*ROOT.glob("analysis/**/*.py"), *ROOT.glob("components/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]):
        if path.relative_to(ROOT).as_posix() == MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_NAMES:
                names = [node.attr]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in PRIVATE_NAMES:
                names = [node.value]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("hdbscan", "umap"):
                names = [a.name for a in node.names if a.name.startswith("_") or a.name in PRIVATE_NAMES]
                names += [node.module] if any(part.startswith("_") for part in node.module.split(".")[1:]) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names]
    assert not found, f"private parts of hdbscan or umap-learn used outside {MODULE}: {found}"
