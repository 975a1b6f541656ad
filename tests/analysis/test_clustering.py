"""UMAP + HDBSCAN: recovery of planted clusters, reproducibility, data-driven min_cluster_size."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis.clustering import candidate_min_cluster_sizes, default_min_samples, find_biotypes, size_ordered
from analysis.config import RunConfig


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=[150, 100, 50], n_features=8, cluster_std=1.0, random_state=3)
    return x, y


def test_planted_clusters_are_recovered(warm_umap, blobs):
    x, y = blobs
    result, models = find_biotypes(x, RunConfig(seed=1))
    clustered = result.labels >= 0
    assert result.n_biotypes == 3
    assert adjusted_rand_score(y[clustered], result.labels[clustered]) >= 0.98
    assert clustered.mean() >= 0.9
    assert (np.bincount(result.labels[clustered]) == sorted(np.bincount(result.labels[clustered]), reverse=True)).all()
    assert result.display.shape == (300, 2)
    assert result.embedding.shape == (300, 5)
    assert set(models) == {"umap", "umap_2d", "hdbscan", "label_order"}
    assert sum(row["chosen"] for row in result.selection) == 1
    assert ((0 <= result.probabilities) & (result.probabilities <= 1)).all()


def test_same_seed_same_result_and_fixed_parameters_are_used(warm_umap, blobs):
    x, _ = blobs
    config = RunConfig(seed=4, min_cluster_size=20, n_neighbors=10, min_samples=3)
    first, _ = find_biotypes(x, config)
    second, _ = find_biotypes(x, config)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.display, second.display)
    assert (first.min_cluster_size, first.n_neighbors, first.min_samples) == (20, 10, 3)
    assert len(first.selection) == 1


def test_helpers():
    assert size_ordered(np.array([5, 5, -1, 2, 2, 2])).tolist() == [1, 1, -1, 0, 0, 0]
    assert candidate_min_cluster_sizes(1000) == [10, 20, 30, 50, 80]
    assert candidate_min_cluster_sizes(100) == [5, 8]
    assert default_min_samples(80) == 20
    assert default_min_samples(10) == 5
