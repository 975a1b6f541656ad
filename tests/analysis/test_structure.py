"""The null cohorts of the distinctness test: the data's mean and covariance, and nothing else."""

import numpy as np
import pytest

from analysis.structure import gaussian_null


def bimodality_coefficient(values: np.ndarray) -> float:
    """Sarle's coefficient (skewness² + 1) / kurtosis: above 5/9 suggests two modes."""
    from scipy import stats

    return (stats.skew(values) ** 2 + 1) / (stats.kurtosis(values, fisher=False))


def test_the_null_keeps_mean_and_covariance():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(4, 4))
    x = rng.normal(size=(500, 4)) @ mixing + np.array([3.0, -1.0, 0.0, 10.0])
    null = gaussian_null(x, 200_000, np.random.default_rng(1))
    assert null.shape == (200_000, 4)
    np.testing.assert_allclose(null.mean(axis=0), x.mean(axis=0), atol=0.02 * x.std(axis=0).max())
    np.testing.assert_allclose(np.cov(null, rowvar=False), np.cov(x, rowvar=False), atol=0.02 * np.abs(np.cov(x, rowvar=False)).max())


def test_the_null_keeps_nothing_else_two_groups_become_one():
    rng = np.random.default_rng(2)
    groups = np.repeat([0.0, 6.0], 300)
    x = np.column_stack([groups + rng.normal(size=600), rng.normal(size=600)])
    assert bimodality_coefficient(x[:, 0]) > 5 / 9
    null = gaussian_null(x, 20_000, np.random.default_rng(3))
    assert bimodality_coefficient(null[:, 0]) < 0.4  # a Gaussian's is 1/3
    assert np.var(null[:, 0], ddof=1) == pytest.approx(np.var(x[:, 0], ddof=1), rel=0.05)


def test_wider_than_long_data_stay_in_their_span_and_seeds_repeat():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 200))
    null = gaussian_null(x, 50, np.random.default_rng(5))
    centred = x - x.mean(axis=0)
    projection = np.linalg.lstsq(centred.T, (null - x.mean(axis=0)).T, rcond=None)[0]
    np.testing.assert_allclose(centred.T @ projection, (null - x.mean(axis=0)).T, atol=1e-8)
    np.testing.assert_array_equal(null, gaussian_null(x, 50, np.random.default_rng(5)))
    with pytest.raises(ValueError):
        gaussian_null(x[:1], 5, rng)


def mixture(centres: np.ndarray, per: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + rng.normal(size=(per, len(c))) for c in centres])
    return x, np.repeat(np.arange(1, len(centres) + 1), per)


def test_a_ladder_of_clusters_along_one_axis_is_graded_and_ordered():
    from analysis.structure import graded_check

    direction = np.array([1.0, 1.0, 0.5, 0.0, 0.0, 0.0]) / 1.5
    x, labels = mixture(np.outer([0, 6, 12, 18], direction), 80, 6)
    permuted = np.array([3, 1, 4, 2])[labels - 1]  # biotype numbers not in axis order
    check = graded_check(x, permuted)
    assert check.graded and check.axis_share > 0.99
    assert check.order == (3, 1, 4, 2)
    np.testing.assert_allclose(np.abs(check.axis), direction, atol=0.05)


def test_biotypes_at_the_corners_of_a_simplex_are_not_graded():
    from analysis.structure import graded_check

    x, labels = mixture(6 * np.eye(4, 6), 80, 7)
    check = graded_check(x, labels)
    assert not check.graded and check.axis_share < 0.5


def test_two_biotypes_are_never_called_graded_and_noise_is_left_out():
    from analysis.structure import graded_check

    x, labels = mixture(np.array([[0.0, 0.0], [5.0, 0.0]]), 60, 8)
    labels[:10] = -1
    check = graded_check(x, labels)
    assert check.axis_share == pytest.approx(1.0) and not check.graded
    assert np.isnan(graded_check(x, np.where(labels == 2, 2, -1)).axis_share)
