"""Biotype × treatment interaction: predictive of response, reported apart from prognosis."""

import warnings

import numpy as np
import pandas as pd

from analysis.outcomes.clinical_value import clinical_value
from analysis.outcomes.survival import TimeToEvent
from analysis.outcomes.treatment import treatment_arms, treatment_interaction
from tests.conftest import biotypes_on_a_line


def trial(per: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.random.Generator]:
    """Three biotypes along one axis of three features, a randomised 0/1 arm: (features, numbers, arm, rng)."""
    x, numbers, rng = biotypes_on_a_line(per, seed, 3)
    return x, numbers, rng.integers(0, 2, 3 * per).astype(float), rng


def interaction_of(y: np.ndarray, x: np.ndarray, numbers: np.ndarray, arm: np.ndarray, **kwargs):
    frame = pd.DataFrame({"outcome_y": y, "arm": np.where(arm == 1, "active", "placebo")})
    value = clinical_value(frame, ["outcome_y"], [], x, numbers, None, 0, treatment="arm", **kwargs)
    return value.interactions[0], value


def test_arms_take_the_control_named_arm_as_reference_and_refuse_more_than_two():
    arms, note = treatment_arms(pd.Series(["drug", "placebo", "drug", None]))
    assert (arms.reference, arms.treated) == ("placebo", "drug") and not note
    assert arms.values[:3].tolist() == [1.0, 0.0, 1.0] and np.isnan(arms.values[3])
    arms, _ = treatment_arms(pd.Series([1.0, 0.0, 1.0]))
    assert (arms.reference, arms.treated) == ("0", "1")
    arms, note = treatment_arms(pd.Series(["a", "b", "c"]))
    assert arms is None and note.startswith("3 arms recorded")


def test_an_effect_only_in_one_biotype_is_found_and_placed_there():
    x, numbers, arm, rng = trial()
    y = -2.0 * arm * (numbers == 3) + rng.normal(size=len(numbers))
    interaction, value = interaction_of(y, x, numbers, arm)
    assert (interaction.reference, interaction.treated, interaction.effect) == ("placebo", "active", "mean difference")
    assert interaction.p_value < 1e-6 and interaction.df == 2 and interaction.modifies_effect
    effects = interaction.effects.set_index("biotype")
    assert effects.at[3, "ci_low"] <= -2.0 <= effects.at[3, "ci_high"] and effects.at[3, "ci_high"] < 0
    for biotype in (1, 2):
        assert effects.at[biotype, "ci_low"] <= 0 <= effects.at[biotype, "ci_high"]
    assert "predictive of response" in interaction.reading()
    assert "arm" in value.outcomes[0].baseline  # prognosis is assessed with the arm in the baseline


def test_an_effect_shared_by_every_biotype_is_no_interaction():
    x, numbers, arm, rng = trial(seed=1)
    y = -1.0 * arm + rng.normal(size=len(numbers))
    interaction, _ = interaction_of(y, x, numbers, arm)
    assert interaction.p_value > 0.05 and not interaction.modifies_effect
    assert (interaction.effects["ci_high"] < 0).all()  # the effect is there, in every biotype
    assert "no difference in treatment effect between biotypes was demonstrated" in interaction.reading()


def test_an_effect_that_grows_along_the_severity_axis_is_not_credited_to_the_biotypes():
    x, numbers, arm, rng = trial(seed=2)
    y = -0.3 * arm * x[:, 0] + rng.normal(size=len(numbers))
    interaction, _ = interaction_of(y, x, numbers, arm)
    assert interaction.p_value > 0.05


def test_a_hazard_ratio_in_one_biotype_is_found_from_a_time_to_event_outcome():
    x, numbers, arm, rng = trial(per=250, seed=3)
    hazard = 0.1 * np.where((numbers == 2) & (arm == 1), 0.3, 1.0)
    times = rng.exponential(1.0 / hazard)
    frame = pd.DataFrame({"months": np.minimum(times, 24.0), "event": (times <= 24.0).astype(float), "arm": arm})
    value = clinical_value(frame, [], [], x, numbers, None, 0, time_to_event=(TimeToEvent("months", "event"),), treatment="arm")
    interaction = value.interactions[0]
    assert interaction.effect == "hazard ratio" and interaction.p_value < 0.01
    effects = interaction.effects.set_index("biotype")
    assert effects.at[2, "ci_low"] <= 0.3 <= effects.at[2, "ci_high"] < 1.0
    assert effects.at[1, "ci_low"] <= 1.0 <= effects.at[1, "ci_high"]


def test_biotypes_whose_effect_cannot_be_estimated_are_left_out_and_listed():
    x, numbers, arm, rng = trial(seed=4)
    arm[numbers == 1] = 0.0  # nobody of biotype 1 was treated
    y = (rng.random(len(numbers)) < 0.3).astype(float)
    y[(numbers == 2) & (arm == 1)] = 0.0  # no treated participant of biotype 2 had the outcome: separation
    summary = x[:, :1]
    interaction = treatment_interaction(
        "y", "", "auc", y, numbers, treatment_arms(pd.Series(arm))[0], "arm", np.empty((len(y), 0)), summary
    )
    assert interaction.left_out == (1, 2)
    assert interaction.note.startswith("fewer than two biotypes have 5 participants in each arm and both outcomes")
    assert np.isnan(interaction.p_value) and interaction.effects.empty


def test_an_unbounded_interval_is_reported_as_not_estimable_not_as_infinity(monkeypatch):
    """A quasi-separated biotype once overflowed exp() to an infinite odds ratio (and broke the figure's axis)."""
    import analysis.outcomes.treatment as treatment

    fitted = treatment._coefficients

    def flat_likelihood(metric, y, design):
        params, covariance = fitted(metric, y, design)
        return params, covariance * 1e8  # standard errors 10,000 times larger: exp() of the bounds overflows

    x, numbers, arm, rng = trial(seed=4)
    y = (rng.uniform(size=len(numbers)) < 0.4).astype(float)
    monkeypatch.setattr(treatment, "_coefficients", flat_likelihood)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        interaction, _ = interaction_of(y, x, numbers, arm)
    assert interaction.effect == "odds ratio"
    assert interaction.effects[["effect", "ci_low", "ci_high"]].isna().all().all()
    assert np.isfinite(interaction.p_value)  # the likelihood-ratio test does not depend on the Wald intervals
