"""The participants table and the data dictionary: modalities, numbers, ranges, quality warnings."""

import numpy as np
import pytest

from analysis.cohort.participants import load_dictionary, load_participants
from analysis.errors import CohortError
from tests.conftest import frame_file, participants_frame, text_file


def test_modalities_from_prefixes_and_names(participants_file):
    table = load_participants(participants_file)
    assert table.modality == {
        "site": "covariate",
        "sex": "covariate",
        "age": "covariate",
        "pain_intensity": "clinical",
        "phq9": "clinical",
        "pcs_total": "clinical",
        "prs_mcp": "prs",
        "outcome_pain_12m": "outcome",
    }
    assert table.frame.index.name == "participant"
    assert table.frame.index[0] == "01"
    assert table.frame["phq9"].dtype == np.float64


def test_connectivity_wearable_prefixes_and_text_columns_set_aside(participants):
    participants["fc_dmn_sal"] = 0.1 * np.arange(len(participants))
    participants["wear_steps_mean"] = 1000.0 + np.arange(len(participants))
    participants["diagnosis"] = ["low back pain"] * len(participants)
    table = load_participants(frame_file("p.csv", participants))
    assert table.modality["fc_dmn_sal"] == "connectivity"
    assert table.modality["wear_steps_mean"] == "wearables"
    assert table.modality["diagnosis"] == "text"
    assert any("text column 'diagnosis' is kept but not used" in i.message for i in table.issues)


def test_text_in_numeric_column_names_line_and_column(participants):
    participants["phq9"] = participants["phq9"].astype(object)
    participants.loc[4, "phq9"] = "12 pts"
    with pytest.raises(CohortError, match=r"'12 pts' in column 'phq9' is not a number in p.csv line 6, column 'phq9'"):
        load_participants(frame_file("p.csv", participants))


def test_missing_tokens_are_missing_not_text(participants):
    participants["phq9"] = participants["phq9"].astype(object)
    participants.loc[[1, 2, 3], "phq9"] = ["NA", ".", "n/a"]
    table = load_participants(frame_file("p.csv", participants))
    assert table.frame["phq9"].isna().sum() == 3


def test_decimal_commas_in_semicolon_file_are_read_with_a_note(participants):
    participants["prs_mcp"] = [f"{v:.2f}".replace(".", ",") for v in np.linspace(-1, 1, len(participants))]
    table = load_participants(frame_file("p.csv", participants, sep=";"))
    assert table.frame["prs_mcp"].iloc[0] == -1.0
    assert table.frame["prs_mcp"].iloc[-1] == 1.0
    assert any("decimal commas" in i.message for i in table.issues)


def test_infinite_value_is_refused(participants):
    participants["pcs_total"] = participants["pcs_total"].astype(object)
    participants.loc[2, "pcs_total"] = "inf"
    with pytest.raises(CohortError, match=r"infinite value in column 'pcs_total' in p.csv line 4"):
        load_participants(frame_file("p.csv", participants))


def test_constant_and_often_missing_columns_warn_but_load(participants):
    participants["pcs_total"] = 20.0
    participants.loc[[0, 1], "phq9"] = np.nan
    table = load_participants(frame_file("p.csv", participants))
    messages = [i.message for i in table.issues if i.severity == "warning"]
    assert any("'pcs_total' is constant (20 for everyone)" in m for m in messages)
    assert any("17% of 'phq9' is missing" in m for m in messages)


def test_empty_column_warns(participants):
    participants["gad7"] = np.nan
    table = load_participants(frame_file("p.csv", participants))
    assert any("'gad7' is empty" in i.message for i in table.issues)


@pytest.mark.parametrize("n", [1, 2, 9])
def test_too_few_participants_is_refused(n):
    with pytest.raises(CohortError, match=rf"has {n} participant\(s\); biotypes need at least 10"):
        load_participants(frame_file("p.csv", participants_frame(n)))


def test_age_with_text_is_refused(participants):
    participants["age"] = participants["age"].astype(object)
    participants.loc[0, "age"] = "forty"
    with pytest.raises(CohortError, match="'forty' in column 'age' is not a number"):
        load_participants(frame_file("p.csv", participants))


DICTIONARY = """column,modality,description,unit,min,max,missing_codes
pain_intensity,clinical,Average pain,NRS,0,10,
phq9,clinical,PHQ-9,points,0,27,-99
site_code,covariate,Site,,,,
custom_score,outcome,Not clustered,,,,
"""


def test_dictionary_overrides_modality_and_declares_missing_codes(participants):
    participants["custom_score"] = np.arange(len(participants), dtype=float)
    participants.loc[3, "phq9"] = -99
    table = load_participants(frame_file("p.csv", participants), load_dictionary(text_file("dd.csv", DICTIONARY)))
    assert table.modality["custom_score"] == "outcome"
    assert np.isnan(table.frame["phq9"].iloc[3])
    assert any("declared missing code" in i.message for i in table.issues)


def test_values_outside_dictionary_range_are_refused(participants):
    participants.loc[5, "pain_intensity"] = 14
    with pytest.raises(
        CohortError,
        match=r"1 value\(s\) of 'pain_intensity' lie outside the data dictionary's range \[0, 10\] \(first: 14\) in p.csv line\(s\) 7",
    ):
        load_participants(frame_file("p.csv", participants), load_dictionary(text_file("dd.csv", DICTIONARY)))


def test_dictionary_unknown_modality_is_refused():
    with pytest.raises(CohortError, match=r"unknown modality 'genes' for column 'x' in dd.csv line 2: use one of clinical"):
        load_dictionary(text_file("dd.csv", "column,modality\nx,genes\n"))


def test_dictionary_without_column_column_is_refused():
    with pytest.raises(CohortError, match="no 'column' column"):
        load_dictionary(text_file("dd.csv", "name,modality\nx,clinical\n"))


def test_dictionary_clinical_text_column_must_be_numeric(participants):
    participants["notes"] = "see chart"
    with pytest.raises(CohortError, match="'see chart' in column 'notes' is not a number"):
        load_participants(frame_file("p.csv", participants), load_dictionary(text_file("dd.csv", "column,modality\nnotes,clinical\n")))


def test_dictionary_with_modalities_keeps_descriptions_and_refuses_unknown_roles():
    from analysis.cohort.participants import dictionary_with_modalities

    current = load_dictionary(text_file("dict.csv", "column,modality,description,unit,min,max\nage,covariate,Age,years,18,85\n"))
    written = dictionary_with_modalities({"age": "covariate", "phq9": "clinical", "notes": "text"}, {"phq9": "outcome"}, current, "d.csv")
    entries = load_dictionary(written).entries
    assert written.name == "d.csv"
    assert entries["modality"].fillna("").tolist() == ["covariate", "outcome", ""]
    assert entries.loc["age", "description"] == "Age" and entries.loc["age", "max"] == 85.0
    with pytest.raises(CohortError, match="cannot give column 'phq9' the modality 'brain'"):
        dictionary_with_modalities({"phq9": "clinical"}, {"phq9": "brain"}, None)
    with pytest.raises(CohortError, match="cannot give column 'nope'"):
        dictionary_with_modalities({"phq9": "clinical"}, {"nope": "clinical"}, None)


def test_the_written_dictionary_is_spreadsheet_safe_and_reads_back_as_it_was(participants):
    from analysis.cohort.participants import dictionary_with_modalities

    # A column name and a missing-code list that a spreadsheet would run as formulas.
    participants["=HYPERLINK(1)"] = 1.0 + np.arange(len(participants))
    participants.loc[participants.index[0], "phq9"] = -99
    current = load_dictionary(text_file("dict.csv", 'column,modality,missing_codes\nphq9,clinical,"-99;-"\n'))
    columns = {"phq9": "clinical", "=HYPERLINK(1)": "clinical"}
    written = dictionary_with_modalities(columns, {"=HYPERLINK(1)": "covariate"}, current, "d.csv")
    text = written.data.decode()
    assert "'=HYPERLINK(1)" in text and "'-99;-" in text
    assert not any(line.startswith(("=", "-", "+", "@")) for line in text.splitlines())
    entries = load_dictionary(written).entries
    assert entries.index.tolist() == ["phq9", "=HYPERLINK(1)"]
    assert entries.loc["phq9", "missing_codes"] == "-99;-"
    table = load_participants(frame_file("p.csv", participants), load_dictionary(written))
    assert table.modality["=HYPERLINK(1)"] == "covariate"
    assert np.isnan(table.frame["phq9"].iloc[0])  # -99 still read as missing
