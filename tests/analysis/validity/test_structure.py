"""The null cohorts of the distinctness test: the data's mean and covariance, and nothing else."""

import numpy as np
import pytest

from analysis.validity.structure import gaussian_null


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
    from analysis.validity.structure import graded_check

    direction = np.array([1.0, 1.0, 0.5, 0.0, 0.0, 0.0]) / 1.5
    x, labels = mixture(np.outer([0, 6, 12, 18], direction), 80, 6)
    permuted = np.array([3, 1, 4, 2])[labels - 1]  # biotype numbers not in axis order
    check = graded_check(x, permuted)
    assert check.graded and check.axis_share > 0.99
    assert check.order == (3, 1, 4, 2)
    np.testing.assert_allclose(np.abs(check.axis), direction, atol=0.05)


def test_biotypes_at_the_corners_of_a_simplex_are_not_graded():
    from analysis.validity.structure import graded_check

    x, labels = mixture(6 * np.eye(4, 6), 80, 7)
    check = graded_check(x, labels)
    assert not check.graded and check.axis_share < 0.5


def test_two_biotypes_are_never_called_graded_and_noise_is_left_out():
    from analysis.validity.structure import graded_check

    x, labels = mixture(np.array([[0.0, 0.0], [5.0, 0.0]]), 60, 8)
    labels[:10] = -1
    check = graded_check(x, labels)
    assert check.axis_share == pytest.approx(1.0) and not check.graded
    assert np.isnan(graded_check(x, np.where(labels == 2, 2, -1)).axis_share)


def automatic():
    from analysis.config import AUTOMATIC_PARAMETERS, RunConfig

    return RunConfig(chosen_from_data=AUTOMATIC_PARAMETERS, seed=0)


def structure_of(x: np.ndarray):
    """The structure test of ``x`` clustered by the pipeline with every choice made from the data."""
    from analysis.engine.clustering import find_biotypes
    from analysis.validity.structure import structure_test

    clusters, _ = find_biotypes(x, automatic(), with_display=False)
    return structure_test(x, clusters.numbers, automatic())


@pytest.mark.slow
def test_a_planted_mixture_is_distinct_with_every_figure_behind_it(warm_umap):
    x, _ = mixture(4 * np.eye(3, 6), 100, 10)
    structure = structure_of(x)
    assert structure.verdict == "distinct", structure.explanation
    assert structure.p_value == pytest.approx(1 / 20)  # above all 19 null cohorts
    assert structure.gap.p_value < 1e-3 and structure.gap_null.observed > max(structure.gap_null.null)
    assert len(structure.gap_null.null) == len(structure.separation.null) == len(structure.null_biotypes) == 19
    assert structure.n_tested == 300 and not structure.subsampled
    assert structure.layout_epochs == 500  # the run's own: umap-learn's default up to 10,000 participants
    assert "gap between B" in structure.explanation and "dip test p < 0.001" in structure.explanation  # never "p = 0"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gaussian", "uniform", "continuum"])
def test_cohorts_without_subgroups_are_never_distinct(kind, warm_umap):
    rng = np.random.default_rng(11)
    if kind == "gaussian":
        x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    elif kind == "uniform":
        x = rng.uniform(size=(300, 6))
    else:  # one skewed severity factor behind six items
        x = rng.gamma(2.0, size=(300, 1)) * rng.uniform(0.5, 1.5, 6) + 0.6 * rng.normal(size=(300, 6))
    structure = structure_of((x - x.mean(axis=0)) / x.std(axis=0))
    assert structure.verdict in ("not_distinct",), structure.explanation
    assert structure.explanation.startswith("Not distinct")


@pytest.mark.slow
def test_a_ladder_of_separated_clusters_is_graded(warm_umap):
    direction = np.array([1.0, 1.0, 0.5, 0.0, 0.0]) / 1.5
    x, _ = mixture(np.outer([0, 7, 14, 21], direction), 75, 12)
    structure = structure_of(x)
    assert structure.verdict == "graded", structure.explanation
    assert structure.graded.axis_share > 0.95 and "levels of one dimension" in structure.explanation


def test_no_null_cohort_is_untested_and_one_biotype_is_not_distinct():
    from analysis.validity.structure import structure_test

    x = np.random.default_rng(0).normal(size=(50, 3))
    assert structure_test(x, np.ones(50, dtype=int), automatic().with_(null_cohorts=0)).verdict == "untested"
    lone = structure_test(x, np.where(np.arange(50) < 40, 1, -1), automatic())
    assert lone.verdict == "not_distinct" and lone.p_value is None


def test_too_few_null_cohorts_to_reach_005_are_refused():
    from analysis.config import RunConfig
    from analysis.errors import CohortError

    with pytest.raises(CohortError, match="null_cohorts"):
        RunConfig(null_cohorts=5)
    assert RunConfig(null_cohorts=0).null_cohorts == 0


def test_the_gap_is_found_across_a_gap_and_not_inside_one_gaussian():
    from sklearn.cluster import KMeans

    from analysis.validity.structure import gap

    rng = np.random.default_rng(13)
    one = rng.normal(size=(600, 4))
    halves = KMeans(2, n_init=3, random_state=0).fit_predict(one)  # two halves of one Gaussian
    assert gap(one, halves).p_value > 0.2
    two, labels = mixture(np.array([[0.0] * 4, [5.0, 0, 0, 0]]), 300, 14)
    labels = labels.copy()
    labels[280:320] = -1  # noise between them is projected too
    found = gap(two, labels)
    assert found.p_value < 1e-6 and found.pair == (1, 2)
    assert gap(one, np.full(600, -1)).p_value == 1.0


def test_planted_halves_keep_mean_and_covariance_and_lie_the_separation_apart():
    from analysis.validity.structure import planted_halves

    rng = np.random.default_rng(15)
    x = rng.normal(size=(400, 3)) @ np.diag([3.0, 1.0, 0.5]) + 2.0
    planted = planted_halves(x, 100_000, 4.0, np.random.default_rng(16))
    np.testing.assert_allclose(planted.mean(axis=0), x.mean(axis=0), atol=0.03)
    np.testing.assert_allclose(np.cov(planted, rowvar=False), np.cov(x, rowvar=False), atol=0.06)
    from sklearn.mixture import GaussianMixture

    halves = GaussianMixture(2, random_state=0).fit(planted[:20_000, :1])  # the leading axis is the first here
    distance = abs(float(np.diff(halves.means_.ravel())[0]))
    assert distance / np.sqrt(halves.covariances_.ravel()).mean() == pytest.approx(4.0, rel=0.05)
    np.testing.assert_allclose(halves.weights_, [0.5, 0.5], atol=0.01)


def test_the_empirical_p_value_counts_the_observed_cohort():
    from analysis.validity.structure import empirical_p_value

    assert empirical_p_value(2.0, np.array([1.0, 0.5, 1.9])) == pytest.approx(0.25)
    assert empirical_p_value(1.0, np.array([1.0, 0.5, 1.9])) == pytest.approx(0.75)


def test_a_not_distinct_verdict_says_too_small_to_tell_when_planted_subgroups_are_missed():
    from analysis.validity.structure import GradedCheck, Power, explanation_of

    comparison = null_comparison_of(0.02, [0.02] * 19)
    missed = Power((3.0, 4.0, 5.0, 6.0), (0.0, 0.0, 0.5, 1.0), 6.0)
    found = Power((3.0, 4.0, 5.0, 6.0), (0.5, 1.0, 1.0, 1.0), 4.0)
    flat = GradedCheck(0.5, (1, 2), np.ones(2), False)
    gap = gap_of(1.0)
    text = explanation_of("not_distinct", comparison, gap, flat, missed, 19, 120, False)
    assert "Too small to tell: at N = 120, two planted subgroups were called distinct only from a separation of 6 SD" in text
    assert "Too small" not in explanation_of("not_distinct", comparison, gap, flat, found, 19, 120, False)
    never = Power((3.0, 4.0, 5.0, 6.0), (0.0, 0.0, 0.0, 0.5), None)
    assert "not even 6 SD apart" in explanation_of("not_distinct", comparison, gap, flat, never, 19, 120, False)


def null_comparison_of(observed, null):
    from analysis.validity.structure import NullComparison, empirical_p_value

    return NullComparison(observed, tuple(null), empirical_p_value(observed, np.array(null)))


def gap_of(p):
    from analysis.validity.structure import Gap

    return Gap(p, (1, 2), 0.02)


@pytest.mark.slow
def test_a_large_cohort_is_tested_on_a_subsample_clustered_as_its_null_cohorts_are(monkeypatch, layout_epochs_calls, warm_umap):
    from analysis.engine.clustering import find_biotypes
    from analysis.validity import structure as module

    x, _ = mixture(5 * np.eye(3, 6), 100, 13)
    clusters, _ = find_biotypes(x, automatic(), with_display=False)
    monkeypatch.setattr(module, "MAX_TESTED_PARTICIPANTS", 200)
    layout_epochs_calls.clear()  # the run's own clustering above
    structure = module.structure_test(x, clusters.numbers, automatic())
    assert structure.subsampled and structure.n_tested == 200
    # The subsample, the 19 null and the 8 planted cohorts: one pipeline, the same shorter layout.
    assert layout_epochs_calls == [module.SUBSAMPLE_LAYOUT_EPOCHS] * (19 + 8 + 1)
    assert structure.layout_epochs == module.SUBSAMPLE_LAYOUT_EPOCHS == structure.to_dict()["layout_epochs"] == 200
    assert structure.verdict == "distinct", structure.explanation
    assert "tested on a subsample of 200 participants" in structure.explanation
