"""Daily wearable exports: study days, counting missing and non-wear days, refusals."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.wearables import VALID_WEAR_MINUTES, DuplicateDays, load_wearables
from analysis.errors import CohortError
from tests.conftest import frame_file, participants_frame, text_file


def daily(ids=("sub-01", "sub-02"), days=5) -> pd.DataFrame:
    rows = []
    for k, pid in enumerate(ids):
        for d in range(days):
            rows.append(
                {
                    "participant_id": pid,
                    "date": f"2025-03-{d + 1 + k:02d}",
                    "hrv_rmssd_ms": 30.0 + d,
                    "steps": 5000.0,
                    "wear_minutes": 1300.0,
                }
            )
    return pd.DataFrame(rows)


def test_dates_become_study_days_per_participant():
    w = load_wearables(frame_file("w.csv", daily()))
    assert w.metrics == ("hrv_rmssd_ms", "steps", "wear_minutes")
    assert w.wear_column == "wear_minutes"
    assert w.days.groupby("participant")["day"].agg(["min", "max"]).to_dict("list") == {"min": [1, 1], "max": [5, 5]}


def test_missing_and_nonwear_days_are_counted_not_dropped():
    frame = daily()
    frame = frame.drop(index=[1, 2])  # sub-01 misses days 2 and 3
    frame.loc[3, "wear_minutes"] = VALID_WEAR_MINUTES - 1  # sub-01 day 4 barely worn
    frame.loc[7, ["hrv_rmssd_ms", "steps", "wear_minutes"]] = np.nan  # sub-02 day 3 empty
    w = load_wearables(frame_file("w.csv", frame))
    adherence = w.adherence()
    assert adherence.loc["01"].to_dict() == {"days_recorded": 3, "span_days": 5, "missing_days": 2, "nonwear_days": 1, "valid_days": 2}
    assert adherence.loc["02"].to_dict() == {"days_recorded": 5, "span_days": 5, "missing_days": 0, "nonwear_days": 1, "valid_days": 4}
    assert len(w.days) == 8


def test_integer_days_are_accepted():
    frame = daily().drop(columns="date").assign(day=list(range(1, 6)) * 2)
    w = load_wearables(frame_file("w.csv", frame))
    assert w.days["day"].tolist() == list(range(1, 6)) * 2
    assert w.days["date"].isna().all()


def test_unreadable_date_names_line():
    frame = daily()
    frame.loc[6, "date"] = "03/14/2025"
    with pytest.raises(CohortError, match=r"date '03/14/2025' cannot be read in w.csv line 8, column 'date': write dates as YYYY-MM-DD"):
        load_wearables(frame_file("w.csv", frame))


def test_fractional_day_is_refused():
    frame = daily().drop(columns="date").assign(day=[1, 2, 3, 4, 4.5] * 2)
    with pytest.raises(CohortError, match=r"day '4.5' is not a whole number in w.csv line 6"):
        load_wearables(frame_file("w.csv", frame))


def twenty_days(n_participants=10):
    return daily(ids=[f"sub-{i:02d}" for i in range(1, n_participants + 1)], days=20)


def test_an_identical_repeated_day_is_kept_once_and_counted():
    frame = twenty_days()
    w = load_wearables(frame_file("w.csv", pd.concat([frame, frame.iloc[[2]]])))
    assert len(w.days) == len(frame) and not w.days.duplicated(["participant", "day"]).any()
    assert w.duplicate_days == DuplicateDays(identical=1, averaged=0, rows_removed=1, rows_in_file=len(frame) + 1)
    assert any(i.severity == "info" and "1 participant-day(s) had identical repeated rows" in i.message for i in w.issues)
    one = w.days[(w.days["participant"] == "01") & (w.days["day"] == 3)]
    assert one["hrv_rmssd_ms"].tolist() == [32.0]


def test_differing_repeated_days_are_averaged_with_a_warning_naming_the_lines():
    frame = twenty_days()
    again = frame.iloc[[2, 30]].assign(hrv_rmssd_ms=[40.0, np.nan], steps=[7000.0, 9000.0])
    w = load_wearables(frame_file("w.csv", pd.concat([frame, again])))
    assert w.duplicate_days.averaged == 2 and w.duplicate_days.identical == 0 and w.duplicate_days.rows_removed == 2
    day3 = w.days[(w.days["participant"] == "01") & (w.days["day"] == 3)].iloc[0]
    assert day3["hrv_rmssd_ms"] == 36.0 and day3["steps"] == 6000.0  # (32 + 40) / 2, (5000 + 7000) / 2
    second = w.days[(w.days["participant"] == "02") & (w.days["day"] == 11)].iloc[0]
    assert second["hrv_rmssd_ms"] == 40.0 and second["steps"] == 7000.0  # a missing value is left out of the mean
    warning = next(i for i in w.issues if i.severity == "warning" and "different values" in i.message)
    assert "2 participant-day(s)" in warning.message and "participant '01', day 3, lines 4, 202" in warning.message
    assert len(w.days) == len(frame)


def test_too_many_repeated_days_are_refused_as_intraday_data():
    frame = twenty_days()
    hourly = pd.concat([frame, frame.iloc[:12]])  # 12 of 212 rows (6%) repeat a day
    with pytest.raises(
        CohortError, match=r"12 of 212 rows \(6%\) repeat a participant and day.*first: participant '01', day 1, lines 2 and 202"
    ):
        load_wearables(frame_file("w.csv", hourly))


def test_repeated_days_are_counted_in_the_run_record_and_the_validation_report():
    from analysis.cohort.validation import validation_report
    from analysis.reporting.run_files import duplicate_days_record

    frame = twenty_days()
    repeated = CohortFiles(frame_file("p.csv", participants_frame(10)), wearables=frame_file("w.csv", pd.concat([frame, frame.iloc[[5]]])))
    cohort = load_cohort(repeated)
    record = duplicate_days_record(cohort)
    assert record["identical"] == 1 and record["averaged"] == 0 and record["rows_removed"] == 1 and "mean" in record["rule"]
    assert any("identical repeated rows" in i.message for i in validation_report(cohort).issues)
    once = CohortFiles(frame_file("p.csv", participants_frame(10)), wearables=frame_file("w.csv", frame))
    assert duplicate_days_record(load_cohort(once)) is None


def test_no_time_column_and_no_metric_are_refused():
    with pytest.raises(CohortError, match="no 'date' or 'day' column"):
        load_wearables(text_file("w.csv", "participant_id,steps\n01,5\n"))
    with pytest.raises(CohortError, match="no metric columns"):
        load_wearables(text_file("w.csv", "participant_id,date\n01,2025-01-01\n"))


def test_cohort_reports_unmatched_wearable_ids():
    cohort = load_cohort(
        CohortFiles(participants=frame_file("p.csv", participants_frame()), wearables=frame_file("w.csv", daily(("sub-01", "sub-77"))))
    )
    assert set(cohort.wearables.days["participant"]) == {"01"}
    assert cohort.availability()["wearables"].sum() == 1
    assert any("1 of 2 ids in the wearables file match no participant ('sub-77')" in i.message for i in cohort.issues)


def test_infinite_metric_names_line_and_column():
    frame = daily()
    frame["steps"] = frame["steps"].astype(object)
    frame.loc[3, "steps"] = "inf"
    with pytest.raises(CohortError, match=r"infinite value in column 'steps' in w.csv line 5, column 'steps'"):
        load_wearables(frame_file("w.csv", frame))
