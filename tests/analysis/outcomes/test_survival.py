"""Time-to-event outcomes: loading duration/event columns, Kaplan-Meier and log-rank by biotype, the C-index gain."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.participants import load_dictionary, load_participants
from analysis.errors import CohortError
from analysis.outcomes.clinical_value import clinical_value
from analysis.outcomes.survival import (
    CoxModel,
    TimeToEvent,
    concordance,
    event_indicator,
    survival_by_biotype,
    time_to_event_pairs,
    unpenalised_cox,
)
from tests.conftest import biotypes_on_a_line, frame_file, participants_frame, text_file


def exponential_times(hazards: np.ndarray, follow_up: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Event times drawn at each participant's hazard, censored at ``follow_up``: (durations, events)."""
    times = rng.exponential(1.0 / hazards)
    return np.minimum(times, follow_up), (times <= follow_up).astype(float)


def test_kaplan_meier_medians_recover_planted_hazards_and_the_log_rank_test_finds_them():
    rng = np.random.default_rng(0)
    numbers = np.repeat([1, 2], 1500)
    hazards = np.where(numbers == 1, 0.05, 0.2)  # medians ln 2 / h: 13.9 and 3.5 months
    durations, events = exponential_times(hazards, 40.0, rng)
    result = survival_by_biotype("months", "event", durations, events, numbers)
    medians = result.medians.set_index("biotype")
    for biotype, truth in ((1, np.log(2) / 0.05), (2, np.log(2) / 0.2)):
        assert abs(medians.at[biotype, "median"] - truth) < 0.1 * truth  # about 4 standard errors
        assert medians.at[biotype, "median_low"] <= medians.at[biotype, "median"] <= medians.at[biotype, "median_high"]
    assert result.logrank_df == 1 and result.logrank_p < 1e-10
    assert result.n == 3000 and result.events == int(events.sum())
    curve = result.curves[result.curves["biotype"] == 1]
    assert curve["survival"].iloc[0] == 1.0 and curve["survival"].is_monotonic_decreasing
    assert (curve["ci_low"] <= curve["survival"] + 1e-12).all() and (curve["survival"] <= curve["ci_high"] + 1e-12).all()
    assert "log-rank χ² = " in result.reading() and "p < 0.001" in result.reading()


def test_the_log_rank_test_holds_its_size_when_biotypes_share_one_hazard():
    rng = np.random.default_rng(1)
    p_values = []
    for _ in range(200):
        numbers = rng.integers(1, 4, 90)
        durations, events = exponential_times(np.full(90, 0.1), 12.0, rng)
        p_values.append(survival_by_biotype("t", "e", durations, events, numbers).logrank_p)
    rejected = float(np.mean(np.array(p_values) <= 0.05))
    assert 0.01 <= rejected <= 0.10, rejected


def test_event_indicators_accept_0_1_and_yes_no_and_nothing_else():
    assert event_indicator(pd.Series([1.0, 0.0, np.nan])).tolist()[:2] == [1.0, 0.0]
    assert event_indicator(pd.Series(["Yes", "no", " TRUE ", None])).tolist()[:3] == [1.0, 0.0, 1.0]
    assert event_indicator(pd.Series([0.0, 2.0])) is None
    assert event_indicator(pd.Series(["yes", "maybe"])) is None


def test_durations_pair_with_the_named_event_or_the_only_one():
    modality = {"months_a": "duration", "months_b": "duration", "event_a": "event", "event_b": "event"}
    pairs, unpaired = time_to_event_pairs(modality, {"months_a": "event_a"})
    assert pairs == [TimeToEvent("months_a", "event_a")]
    assert len(unpaired) == 1 and "'months_b' has no event column (2 event columns" in unpaired[0]
    pairs, unpaired = time_to_event_pairs({"months_a": "duration", "event_a": "event"}, {})
    assert pairs == [TimeToEvent("months_a", "event_a")] and not unpaired


def survival_table(n: int = 30) -> pd.DataFrame:
    frame = participants_frame(n)
    frame["months_followed"] = np.linspace(1, 24, n)
    frame["relapsed"] = np.where(np.arange(n) % 3 == 0, "yes", "no")
    return frame


DICTIONARY = "column,modality,event\nmonths_followed,duration,relapsed\nrelapsed,event,\n"


def test_a_dictionary_declares_duration_and_event_and_pairs_them():
    frame = survival_table()
    cohort = load_cohort(CohortFiles(participants=frame_file("p.csv", frame), dictionary=text_file("d.csv", DICTIONARY)))
    assert cohort.modality["months_followed"] == "duration" and cohort.modality["relapsed"] == "event"
    assert cohort.time_to_event == {"months_followed": "relapsed"}
    assert cohort.participants["relapsed"].tolist()[:3] == [1.0, 0.0, 0.0]
    messages = [i.message for i in cohort.issues]
    assert any("event column 'relapsed' is read as 1 = yes/true" in m for m in messages)
    assert any("time-to-event outcome 'months_followed' (event 'relapsed'): 10 event(s), 20 censored" in m for m in messages)


def test_names_propose_duration_event_and_arm_when_the_values_fit():
    frame = participants_frame(30)
    frame["months_to_relapse"] = np.linspace(1, 24, 30)
    frame["relapse_event"] = (np.arange(30) % 2).astype(float)
    frame["arm"] = np.where(np.arange(30) % 2, "placebo", "drug")
    frame["days_to_surgery"] = np.linspace(-5, 20, 30)  # negative: not a follow-up time
    table = load_participants(frame_file("p.csv", frame))
    assert table.modality["months_to_relapse"] == "duration"
    assert table.modality["relapse_event"] == "event"
    assert table.modality["arm"] == "treatment"
    assert table.modality["days_to_surgery"] == "clinical"


def test_an_event_column_that_is_not_0_1_is_refused_with_its_line():
    frame = survival_table()
    frame.loc[4, "relapsed"] = "maybe"
    with pytest.raises(CohortError, match=r"event column 'relapsed' holds 'maybe'.* in p.csv line\(s\) 6, column 'relapsed'"):
        load_participants(frame_file("p.csv", frame), load_dictionary(text_file("d.csv", DICTIONARY)))


def test_a_negative_duration_is_refused_with_its_line():
    frame = survival_table()
    frame.loc[2, "months_followed"] = -3.0
    with pytest.raises(
        CohortError, match=r"1 value\(s\) of duration column 'months_followed' are negative \(first: -3\) in p.csv line\(s\) 4"
    ):
        load_participants(frame_file("p.csv", frame), load_dictionary(text_file("d.csv", DICTIONARY)))


def test_a_duration_naming_a_column_that_is_not_an_event_is_refused():
    frame = survival_table()
    dictionary = "column,modality,event\nmonths_followed,duration,phq9\nrelapsed,event,\n"
    with pytest.raises(CohortError, match=r"names 'phq9' as its event column, which is a clinical column in d.csv, row 'months_followed'"):
        load_cohort(CohortFiles(participants=frame_file("p.csv", frame), dictionary=text_file("d.csv", dictionary)))


def test_cox_models_recover_a_planted_log_hazard_ratio_and_a_constant_column_gets_none():
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.normal(size=400), np.ones(400)])
    durations, events = exponential_times(np.exp(0.7 * x[:, 0]) * 0.1, 10.0, rng)
    y = np.column_stack([durations, events])
    params, covariance, log_likelihood = unpenalised_cox(x, y)
    se = np.sqrt(covariance[0, 0])
    assert abs(params[0] - 0.7) < 3 * se
    assert params[1] == 0.0 and covariance[1, 1] == 0.0 and np.isfinite(log_likelihood)
    penalised = CoxModel(penalty=1.0).fit(x[:, :1], y)
    assert 0 < penalised.coef_[0] <= params[0] + 1e-9  # shrunk towards 0
    assert concordance(y, penalised.predict(x[:, :1])) > 0.6
    assert concordance(y, -penalised.predict(x[:, :1])) < 0.4


def three_biotypes_on_a_line(per: int = 150, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return biotypes_on_a_line(per, seed, 3)[:2]


def survival_value(hazards: np.ndarray, x: np.ndarray, numbers: np.ndarray, seed: int):
    durations, events = exponential_times(hazards, 24.0, np.random.default_rng(seed))
    frame = pd.DataFrame({"months": durations, "event": events})
    value = clinical_value(frame, [], [], x, numbers, None, 0, time_to_event=(TimeToEvent("months", "event"),))
    return value.outcomes[0], value.survival[0]


def test_a_hazard_of_the_middle_biotype_gains_c_index_beyond_the_severity_axis_and_an_unrelated_one_does_not():
    x, numbers = three_biotypes_on_a_line()
    planted, curves = survival_value(np.where(numbers == 2, 0.25, 0.04), x, numbers, seed=4)
    assert planted.metric == "c_index" and planted.event == "event"
    assert planted.ci_low > 0 and planted.p_value < 1e-6 and planted.adds_value
    assert planted.resamples == 100 and planted.resample_size == len(numbers)
    assert curves.logrank_p < 1e-6
    unrelated, curves = survival_value(np.full(len(numbers), 0.08), x, numbers, seed=5)
    assert unrelated.ci_low <= 0 <= unrelated.ci_high and not unrelated.adds_value
    assert curves.logrank_p > 0.01
