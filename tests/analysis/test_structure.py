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
