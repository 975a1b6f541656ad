"""The split view: levels re-condensed from the run's tree, their flows, and the run's own level equal to its biotypes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from analysis.engine.clustering import hdbscan_fit, labels_from_tree
from analysis.engine.splits import MAX_LEVELS, split_flows, split_levels, split_nodes, split_sizes


@pytest.mark.parametrize(("method", "epsilon"), [("eom", 0.0), ("leaf", 0.0), ("eom", 0.5)])
def test_recondensed_tree_equals_a_new_fit(method, epsilon):
    # Two groups of two blobs: large sizes see 2 clusters, small ones 4.
    x, _ = make_blobs(n_samples=[150, 150, 150, 150], centers=[[0, 0], [3, 0], [20, 0], [23, 0]], cluster_std=0.6, random_state=0)
    fit = hdbscan_fit(x, 10, 5, method, epsilon)
    for size in (5, 10, 40, 200, 400):
        new = hdbscan_fit(x, size, 5, method, epsilon)
        labels, probabilities = labels_from_tree(fit.single_linkage_tree_.to_numpy(), size, method, epsilon)
        assert np.array_equal(labels, new.labels_), size
        assert np.allclose(probabilities, new.probabilities_)


@pytest.mark.slow
def test_levels_flows_and_nodes(clinical_run):
    run = clinical_run
    sizes = split_sizes(run)
    assert sizes == sorted(sizes, reverse=True) and len(sizes) <= MAX_LEVELS
    assert run.clusters.min_cluster_size in sizes
    levels = split_levels(run, sizes)
    assert list(levels.columns) == sizes and levels.index.equals(run.fused.included)
    # The run's own level is exactly the run's biotypes (same tree, same agreement check, same ordering).
    assert np.array_equal(levels[run.clusters.min_cluster_size].to_numpy(), run.clusters.labels)

    flows = split_flows(levels)
    for left, right in zip(sizes[:-1], sizes[1:], strict=True):
        pair = flows[(flows["from_size"] == left) & (flows["to_size"] == right)]
        assert pair["n"].sum() == len(levels)
        expected = pd.crosstab(levels[left], levels[right])
        for row in pair.itertuples():
            assert row.n == expected.loc[row.from_biotype, row.to_biotype]
        assert (pair["n"] > 0).all()

    nodes = split_nodes(levels, run.clusters.labels)
    assert (nodes.groupby("size")["n"].sum() == len(levels)).all()
    own = nodes[nodes["size"] == run.clusters.min_cluster_size]
    assert (own["run_biotype"] == own["biotype"]).all() and np.allclose(own["run_share"], 1.0)
    for row in nodes.itertuples():
        members = levels.index[levels[row.size] == row.biotype]
        shares = pd.Series(run.clusters.labels, index=levels.index).loc[members].value_counts(normalize=True)
        assert row.run_share == pytest.approx(shares.max()) and shares.loc[row.run_biotype] == pytest.approx(shares.max())


@pytest.mark.parametrize(("method", "epsilon"), [("eom", 0.0), ("leaf", 0.3)])
def test_a_model_refitted_from_the_tree_is_a_new_fit(method, epsilon):
    import hdbscan

    from analysis.engine.clustering import refit_from_tree, with_prediction_data

    x, _ = make_blobs(n_samples=[150, 150, 150, 150], centers=[[0, 0], [3, 0], [20, 0], [23, 0]], cluster_std=0.6, random_state=0)
    fit = hdbscan_fit(x, 10, 5, "eom", 0.0)
    new_points, _ = make_blobs(n_samples=40, centers=[[0, 0], [23, 0]], cluster_std=0.8, random_state=1)
    for size in (20, 200):
        new = hdbscan_fit(x, size, 5, method, epsilon)
        refit = refit_from_tree(fit, size, method, epsilon)
        assert np.array_equal(refit.labels_, new.labels_)
        assert np.allclose(refit.probabilities_, new.probabilities_)
        assert np.allclose(refit.cluster_persistence_, new.cluster_persistence_)
        assert np.allclose(refit.outlier_scores_, new.outlier_scores_, equal_nan=True)
        if new.labels_.max() >= 1:
            assert refit.relative_validity_ == pytest.approx(new.relative_validity_)
        predicted, strength = hdbscan.approximate_predict(with_prediction_data(refit), new_points)
        expected, expected_strength = hdbscan.approximate_predict(with_prediction_data(new), new_points)
        assert np.array_equal(predicted, expected) and np.allclose(strength, expected_strength)
        assert refit.min_cluster_size == size and fit.min_cluster_size == 10  # the original is untouched


@pytest.mark.slow
def test_recut_equals_a_full_run_with_its_configuration(clinical_cohort, clinical_run):
    from analysis.engine.run import recut, run_biotypes
    from analysis.reporting.run_files import run_files

    run = clinical_run
    found = set()
    smaller = max(5, run.clusters.min_cluster_size // 3)
    for size, method, epsilon in ((smaller, "eom", 0.0), (smaller, "leaf", 0.2)):
        cut = recut(run, clinical_cohort, size, method, epsilon)
        assert cut.config.min_cluster_size == size and cut.config.min_samples == run.config.min_samples
        assert cut.clusters.embedding is run.clusters.embedding and cut.fused is run.fused  # nothing re-embedded
        full = run_biotypes(clinical_cohort, cut.config, structure=False, replication=False)  # run.json aside
        assert full.config == cut.config
        assert np.array_equal(full.clusters.labels, cut.clusters.labels)
        found.add(cut.clusters.n_biotypes)
        ours, theirs = run_files(cut, clinical_cohort), run_files(full, clinical_cohort)
        assert set(ours) == set(theirs)
        for name in ours:
            if name != "run.json":
                assert ours[name] == theirs[name], name
    assert len(found) == 2  # the leaf cut finds other biotypes than the eom one (more than 4 here)
