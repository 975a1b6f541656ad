"""The validation report: every figure it shows is checked against values computed here."""

import numpy as np
import pandas as pd

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.validation import validation_report
from tests.conftest import frame_file, participants_frame


def make_report(frame=None, **files):
    frame = participants_frame() if frame is None else frame
    return validation_report(load_cohort(CohortFiles(participants=frame_file("participants.csv", frame), **files)))


def test_modality_counts_and_missingness_are_the_data():
    frame = participants_frame()
    frame.loc[[0, 1, 2], "prs_mcp"] = np.nan
    frame.loc[[0], "phq9"] = np.nan
    report = make_report(frame)
    rows = {s.modality: s for s in report.modalities}
    assert report.n_participants == 12
    assert rows["prs"].n_participants == 9
    assert rows["prs"].share == 9 / 12
    assert rows["prs"].missing_fraction == 0.0
    assert rows["clinical"].n_participants == 12
    assert rows["clinical"].n_features == 3
    assert rows["clinical"].missing_fraction == 1 / 36
    miss = report.column_missingness.set_index("column")["missing_fraction"]
    assert miss["prs_mcp"] == 0.25
    assert miss["phq9"] == 1 / 12
    assert "connectivity" not in rows


def test_covariates_and_text_rendering():
    frame = participants_frame()
    report = make_report(frame)
    counts = frame["site"].value_counts()
    assert report.covariates["site"].startswith(f"{counts.index[0]} {counts.iloc[0]}")
    assert report.covariates["age"] == f"min {frame['age'].min():g}, median {frame['age'].median():g}, max {frame['age'].max():g}"
    text = report.to_text()
    assert "Cohort: 12 participants" in text
    assert "Usable: yes" in text
    assert "Problems found: none" in text


def test_warnings_come_first_and_are_counted():
    frame = participants_frame()
    frame["pcs_total"] = 3.0
    report = make_report(frame)
    assert len(report.warnings) == 1
    assert report.issues[0].severity == "warning"
    assert "Problems found: 1 warning(s), none blocking" in report.to_text()


def test_summary_table_matches_summaries():
    table = make_report().summary_table()
    assert isinstance(table, pd.DataFrame)
    assert table["participants"].tolist() == [12, 12, 12]
    assert table["modality"].tolist() == ["Clinical / psychosocial", "Genetics (PRS)", "Outcomes (not clustered)"]
