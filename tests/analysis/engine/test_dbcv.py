"""The project's DBCV is hdbscan's, bit for bit, on clusterings with and without ties."""

import numpy as np
import pytest
from hdbscan.validity import validity_index as hdbscan_validity_index
from sklearn.datasets import make_blobs

from analysis.engine.clustering import hdbscan_fit
from analysis.engine.dbcv import internal_tree, validity_index


def labellings():
    """(points, labels) cases: HDBSCAN's own labels, random labels, ties from rounded coordinates, gaps in the labels."""
    cases = []
    for seed in range(4):
        x, truth = make_blobs(n_samples=[120, 90, 60], n_features=3, cluster_std=1.2, random_state=seed)
        fit = hdbscan_fit(x, 15, 5, "eom", 0.0)
        cases.append((x, np.asarray(fit.labels_)))
        cases.append((x, truth.astype(np.int64)))
        rounded = np.round(x, 0)  # many equal distances: ties in the trees
        cases.append((rounded, truth.astype(np.int64)))
        noisy = truth.copy()
        noisy[np.random.default_rng(seed).random(len(noisy)) < 0.2] = -1
        cases.append((x, noisy))
    gap = cases[1][1].copy()
    gap[gap == 1] = 3  # a label with no members below the largest
    cases.append((cases[1][0], gap))
    grid = np.array([[i, j] for i in range(6) for j in range(6)], dtype=float)  # every distance repeated
    cases.append((np.vstack([grid, grid + 20]), np.repeat([0, 1], 36)))
    return cases


@pytest.mark.parametrize("case", range(len(labellings())))
def test_the_index_is_hdbscans_bit_for_bit(case):
    points, labels = labellings()[case]
    points = np.asarray(points, dtype=np.float64)
    with np.errstate(all="ignore"):
        expected = hdbscan_validity_index(points, labels)
        assert validity_index(points, labels) == expected


def test_the_internal_tree_is_hdbscans():
    from hdbscan.validity import distances_between_points, internal_minimum_spanning_tree

    for points, labels in labellings():
        reachability, _ = distances_between_points(np.asarray(points, dtype=np.float64), labels, 0)
        vertices, edges = internal_tree(reachability.copy())
        expected_vertices, expected_edges = internal_minimum_spanning_tree(reachability.copy())
        assert np.array_equal(vertices, expected_vertices) and np.array_equal(edges, expected_edges)
