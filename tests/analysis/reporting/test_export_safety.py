"""CSV exports: text a spreadsheet would run as a formula is made inert; numbers stay numbers."""

import io

import numpy as np
import pandas as pd
import pytest

from analysis.io.spreadsheet import FORMULA_STARTS, csv_bytes, spreadsheet_safe


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_in_a_text_cell_gets_an_apostrophe(start):
    frame = pd.DataFrame({"participant_id": [f'{start}HYPERLINK("http://x")', "sub-01"], "biotype": [1, 2]})
    safe = spreadsheet_safe(frame)
    assert safe["participant_id"].tolist() == [f'\'{start}HYPERLINK("http://x")', "sub-01"]
    assert frame["participant_id"].iloc[0].startswith(start)  # the caller's table is not changed


def test_numbers_missing_values_and_plain_number_text_are_left_alone():
    frame = pd.DataFrame(
        {
            "participant_id": ["-12", "+3.5", "=1+1", None, "@sum", "-1e3x"],
            "score": [-1.5, 2.0, np.nan, 4.0, -0.0, 1e9],
            "biotype": [-1, 0, 1, 2, -1, 0],
            "included": [True, False, True, True, False, True],
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe["participant_id"].tolist()[:3] == ["-12", "+3.5", "'=1+1"]
    assert pd.isna(safe["participant_id"].iloc[3]) and safe["participant_id"].tolist()[4:] == ["'@sum", "'-1e3x"]
    for name in ("score", "biotype", "included"):
        assert safe[name].dtype == frame[name].dtype and safe[name].equals(frame[name])
    read = pd.read_csv(io.BytesIO(csv_bytes(frame)))
    assert read["score"].dtype == np.float64 and read["biotype"].dtype == np.int64
    assert np.allclose(read["score"], frame["score"], equal_nan=True)


def test_column_names_are_made_inert_too_and_a_safe_table_is_returned_unchanged():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"], "feature": ["pain_intensity"]})
    assert spreadsheet_safe(frame).columns.tolist() == ["'=cmd|' /C calc'!A0", "feature"]
    clean = pd.DataFrame({"feature": ["pain_intensity"], "value": [1.0]})
    assert spreadsheet_safe(clean) is clean
    assert csv_bytes(clean) == clean.to_csv(index=False).encode()


def test_every_csv_of_a_run_is_safe(clinical_cohort, clinical_run):
    from dataclasses import replace

    from analysis.reporting.run_files import run_files

    # Ids come from the researcher's files; one that is a formula must reach no export as one.
    assignments = clinical_run.assignments.copy()
    assignments.loc[assignments.index[:3], "participant_id"] = ['=HYPERLINK("http://evil","x")', "@SUM(A1)", "+cmd"]
    files = run_files(replace(clinical_run, assignments=assignments), clinical_cohort)
    ids = pd.read_csv(io.BytesIO(files["assignments.csv"]), dtype=str)["participant_id"]
    assert ids.tolist()[:3] == ['\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "'+cmd"]
    assert ids.tolist()[3:] == assignments["participant_id"].tolist()[3:]
    for name, data in files.items():
        if name.endswith(".csv"):
            for row in pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False).itertuples(index=False):
                assert not any(cell.startswith(("=", "@")) for cell in row), name
