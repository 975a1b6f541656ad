"""The split view: levels re-condensed from the run's tree, their flows, and the run's own level equal to its biotypes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from analysis.clustering import hdbscan_fit, labels_from_tree
from analysis.splits import MAX_LEVELS, split_flows, split_levels, split_nodes, split_sizes


@pytest.mark.parametrize(("method", "epsilon"), [("eom", 0.0), ("leaf", 0.0), ("eom", 0.5)])
def test_recondensed_tree_equals_a_new_fit(method, epsilon):
    # Two groups of two blobs: large sizes see 2 clusters, small ones 4.
    x, _ = make_blobs(n_samples=[150, 150, 150, 150], centers=[[0, 0], [3, 0], [20, 0], [23, 0]], cluster_std=0.6, random_state=0)
    fit = hdbscan_fit(x, 10, 5, method, epsilon)
    for size in (5, 10, 40, 200, 400):
        new = hdbscan_fit(x, size, 5, method, epsilon)
        labels, probabilities, outliers = labels_from_tree(fit, size, method, epsilon)
        assert np.array_equal(labels, new.labels_), size
        assert np.allclose(probabilities, new.probabilities_)
        assert np.allclose(outliers, new.outlier_scores_, equal_nan=True)


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
