"""Clinical value: do the biotypes predict an outcome better than covariates plus a dimensional summary?"""

import numpy as np
import pandas as pd

from analysis.outcomes.clinical_value import Designs, clinical_value, cv_folds, out_of_fold, outcome_kind, refit_gain_interval, score
from tests.conftest import biotypes_on_a_line


def clusters_on_a_line(per: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three clusters along the first of four features (centres 0, 6, 12): one severity axis orders them."""
    return biotypes_on_a_line(per, seed, 4)[:2]


def value_of(y: np.ndarray, x: np.ndarray, numbers: np.ndarray, **kwargs):
    frame = pd.DataFrame({"outcome_y": y, "age": np.random.default_rng(9).normal(50, 10, len(y))})
    frame = frame.assign(**kwargs.pop("columns", {}))
    covariates = kwargs.pop("covariates", ["age"])
    return clinical_value(frame, ["outcome_y"], covariates, x, numbers, kwargs.pop("sites", None), 0, **kwargs).outcomes[0]


def test_an_outcome_unrelated_to_the_data_shows_no_gain():
    x, numbers = clusters_on_a_line()
    y = np.random.default_rng(1).normal(size=len(x))
    value = value_of(y, x, numbers)
    assert value.metric == "r2"
    assert value.ci_low <= 0 <= value.ci_high
    assert value.p_value > 0.05
    assert not value.adds_value
    assert "add nothing demonstrable" in value.reading()


def test_an_outcome_of_the_middle_biotype_gains_what_no_severity_axis_captures():
    x, numbers = clusters_on_a_line()
    y = 3.0 * (numbers == 2) + np.random.default_rng(2).normal(size=len(x))
    value = value_of(y, x, numbers)
    assert value.gain > 0.3 and value.ci_low > 0
    assert value.p_value < 1e-6
    assert value.adds_value
    assert value.df == 2  # three biotypes: two indicators
    assert value.baseline == "covariates (age) and the first 2 principal components of the clustered features"


def test_an_outcome_that_follows_the_severity_axis_gains_nothing_from_the_biotypes():
    x, numbers = clusters_on_a_line()
    y = 0.5 * x[:, 0] + np.random.default_rng(3).normal(size=len(x))
    value = value_of(y, x, numbers)
    assert value.baseline_score > 0.7  # the axis predicts it well
    assert abs(value.gain) < 0.02
    assert not value.adds_value


def test_a_two_valued_outcome_is_scored_by_auc():
    x, numbers = clusters_on_a_line()
    rng = np.random.default_rng(4)
    y = (rng.random(len(x)) < np.where(numbers == 2, 0.8, 0.2)).astype(float)
    value = value_of(y, x, numbers)
    assert value.metric == "auc"
    assert 0.5 < value.with_biotypes_score <= 1
    assert value.ci_low > 0 and value.adds_value
    assert value.folds == "5 folds, stratified by outcome"


def test_folds_are_grouped_by_site_so_no_site_is_in_its_own_training_folds():
    y = np.arange(90.0)
    sites = np.repeat(["a", "b", "c"], 30)
    folds, described = cv_folds(y, "r2", sites, 0)
    assert len(folds) == 3 and "grouped by site" in described
    for train, test in folds:
        assert not set(sites[train]) & set(sites[test])
    value = value_of(np.random.default_rng(5).normal(size=360), *clusters_on_a_line(), sites=np.repeat(["a", "b", "c", "d"], 90))
    assert value.folds.startswith("4 folds grouped by site")


def test_a_named_severity_score_replaces_the_principal_components():
    x, numbers = clusters_on_a_line()
    y = 3.0 * (numbers == 2) + np.random.default_rng(6).normal(size=len(x))
    value = value_of(y, x, numbers, columns={"severity": x[:, 0]}, severity_score="severity")
    assert value.baseline == "covariates (age) and the severity score severity"
    assert value.adds_value


def test_outcomes_that_cannot_be_assessed_say_why_and_carry_no_numbers():
    x, numbers = clusters_on_a_line()
    sparse = np.full(len(x), np.nan)
    sparse[:12] = np.arange(12.0)
    value = value_of(sparse, x, numbers)
    assert value.note == "recorded for 12 clustered participants (at least 30 needed)"
    assert np.isnan(value.gain) and value.to_dict()["gain"] is None
    rare = np.zeros(len(x))
    rare[:4] = 1
    assert "4 participants have the rarer value" in value_of(rare, x, numbers).note
    text = np.random.default_rng(7).choice(["low", "mid", "high"], len(x))
    assert value_of(text, x, numbers).note == "neither two-valued nor numeric"


def test_outcome_kinds():
    assert outcome_kind(pd.Series(["no", "yes", None, "yes"]))[0] == "auc"
    kind, values = outcome_kind(pd.Series([0.0, 1.0, np.nan]))
    assert kind == "auc" and np.isnan(values[2]) and values[1] == 1.0
    assert outcome_kind(pd.Series([1.0, 2.0, 3.5]))[0] == "r2"


def test_the_interval_refits_both_models_and_holds_a_real_gain():
    x, numbers = clusters_on_a_line(per=60)
    y = 3.0 * (numbers == 2) + np.random.default_rng(8).normal(size=len(x))
    indicators = (numbers[:, None] == np.array([2, 3])).astype(float)
    designs = Designs("r2", y, np.zeros((len(y), 0)), x, indicators, 2, None)
    low, high = refit_gain_interval(designs, 0, resamples=50)
    base, full = out_of_fold(designs, cv_folds(y, "r2", None, 0)[0])
    gain = score("r2", y, full) - score("r2", y, base)
    assert 0 < low < gain < high
    assert (low, high) == refit_gain_interval(designs, 0, resamples=50)  # seeded
    without = Designs("r2", y, np.zeros((len(y), 0)), x, indicators[:, :0], 2, None)
    assert refit_gain_interval(without, 0, resamples=20) == (0.0, 0.0)  # nothing added: every refit gains exactly 0


def test_a_p_value_that_underflows_is_written_below_a_bound_never_as_zero():
    from analysis.outcomes.clinical_value import OutcomeValue

    value = OutcomeValue("outcome_y", "r2", 500, 0.1, 0.4, 0.3, 0.25, 0.35, 0.0, 2000.0, 2, "the first 2 principal components", "5 folds")
    assert "LR test p < 0.001" in value.reading() and "p = 0" not in value.reading()
    assert value.to_dict()["p_value"] > 0


def test_more_biotypes_than_clustered_features_compare_with_as_many_components_as_the_features_have():
    from analysis.outcomes.clinical_value import clinical_value

    rng = np.random.default_rng(0)
    n = 240
    numbers = np.repeat(np.arange(1, 9), n // 8)  # eight biotypes
    features = rng.normal(size=(n, 3)) + numbers[:, None] * 0.1  # three clustered features
    frame = pd.DataFrame({"outcome_pain": rng.normal(size=n) + numbers * 0.2})
    value = clinical_value(frame, ["outcome_pain"], [], features, numbers, None, 0)
    assert value.outcomes[0].baseline == "the first 3 principal components of the clustered features"
    assert np.isfinite(value.outcomes[0].gain)


def test_refits_spread_over_processes_give_the_interval_computed_in_one(monkeypatch):
    from analysis.outcomes import clinical_value as module

    x, numbers = clusters_on_a_line(per=40, seed=3)
    y = (numbers == 2).astype(float)
    y[np.random.default_rng(1).random(len(y)) < 0.2] = 1.0
    indicators = (numbers[:, None] == np.array([2, 3])).astype(float)
    designs = Designs("auc", y, np.zeros((len(y), 0)), x, indicators, 2, None)
    monkeypatch.setattr(module, "refit_workers", lambda: 1)
    here = refit_gain_interval(designs, 4, resamples=30)
    monkeypatch.setattr(module, "refit_workers", lambda: 2)
    assert refit_gain_interval(designs, 4, resamples=30) == here
    draws = module.resample_draws(designs, 4, 30, None)
    assert len(draws) == 30 and all(len(np.intersect1d(drawn, left)) == 0 for drawn, left in draws)
