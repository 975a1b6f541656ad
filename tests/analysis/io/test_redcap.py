"""REDCap: the data dictionary read as the tool's, identifiers never used or exported, one event of a longitudinal export."""

import io

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.participants import dictionary_with_modalities, load_dictionary
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from analysis.errors import CohortError
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import run_files
from tests.conftest import WITHOUT_CHECKS

HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
]  # fmt: skip
FIELDS = [
    ["record_id", "baseline", "", "text", "Record ID", "", "", "", "", "", "", "", ""],
    ["patient_name", "baseline", "", "text", "Name", "", "", "", "", "", "y", "", ""],
    ["intro", "baseline", "", "descriptive", "<b>Welcome</b>", "", "", "", "", "", "", "", ""],
    ["race", "baseline", "", "radio", "Race", "1, White | 2, Black | 3, Asian | 4, Other", "", "", "", "", "", "", ""],
    ["pain_nrs", "baseline", "", "radio", "Pain now", " | ".join(f"{i}, {i}" for i in range(11)), "", "", "", "", "", "", ""],
    ["phq9", "baseline", "", "text", "PHQ-9 total", "", "points", "integer", "0", "27", "", "", ""],
    ["gad7", "baseline", "", "text", "GAD-7 total", "", "", "integer", "0", "21", "", "", ""],
    ["pcs", "baseline", "", "calc", "Catastrophizing", "[pcs1]+[pcs2]", "", "", "", "", "", "", ""],
    ["opioid", "baseline", "", "yesno", "Opioid use", "", "", "", "", "", "", "", ""],
    ["pain_site", "baseline", "", "checkbox", "Where is the pain?", "1, Back | 2, Neck | 3, Knee", "", "", "", "", "", "", ""],
    ["consent_file", "baseline", "", "file", "Signed consent", "", "", "", "", "", "", "", ""],
]


def redcap_dictionary(fields=FIELDS) -> InputFile:
    frame = pd.DataFrame(fields, columns=HEADER)
    return InputFile("Project_DataDictionary.csv", frame.to_csv(index=False).encode())


def redcap_export(n: int = 60, seed: int = 0, events: tuple[str, ...] = ()) -> pd.DataFrame:
    """Records as REDCap exports them ("raw" codes), optionally one row per record and event."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for event in events or ("",):
            rows.append(
                {
                    "record_id": str(i + 1),
                    **({"redcap_event_name": event} if events else {}),
                    "patient_name": f"Person {i}",
                    "race": int(rng.integers(1, 5)),
                    "pain_nrs": int(rng.integers(0, 11)),
                    "phq9": int(rng.integers(0, 28)),
                    "gad7": int(rng.integers(0, 22)),
                    "pcs": round(float(rng.normal(20, 5)), 1),
                    "opioid": int(rng.integers(0, 2)),
                    **{f"pain_site___{k}": int(rng.integers(0, 2)) for k in (1, 2, 3)},
                    "consent_file": "[document]",
                    "baseline_complete": 2,
                }
            )
    return pd.DataFrame(rows)


def export_file(frame: pd.DataFrame, event: str = "") -> InputFile:
    return InputFile("Project_DATA.csv", frame.to_csv(index=False).encode(), event=event)


def test_a_redcap_dictionary_becomes_ranges_levels_checkbox_columns_and_identifiers():
    dictionary = load_dictionary(redcap_dictionary())
    entries = dictionary.entries
    assert dictionary.source == "redcap" and "intro" not in entries.index
    assert (entries.loc["phq9", "min"], entries.loc["phq9", "max"]) == (0.0, 27.0) and entries.loc["phq9", "unit"] == "points"
    assert dictionary.levels == {"race": {"1": "White", "2": "Black", "3": "Asian", "4": "Other"}}  # pain_nrs: number labels
    assert [c for c in entries.index if c.startswith("pain_site")] == ["pain_site___1", "pain_site___2", "pain_site___3"]
    assert entries.loc["pain_site___2", "description"] == "Where is the pain?: Neck (checked 1, not 0)"
    assert (entries.loc["opioid", "min"], entries.loc["opioid", "max"]) == (0.0, 1.0)
    assert dictionary.identifiers == frozenset({"patient_name"}) and entries.loc["patient_name", "modality"] == "ignore"
    assert entries.loc["consent_file", "modality"] == "ignore"


def test_a_cohort_read_with_its_redcap_dictionary_uses_labels_for_categories_and_never_clusters_identifiers():
    cohort = load_cohort(CohortFiles(participants=export_file(redcap_export()), dictionary=redcap_dictionary()))
    modality = cohort.modality
    assert cohort.participants["participant_id"].iloc[0] == "1"  # record_id is the participant id
    assert modality["patient_name"] == "ignore" and modality["consent_file"] == "ignore"
    assert modality["baseline_complete"] == "ignore"  # form status, proposed
    assert modality["race"] == "covariate" and set(cohort.participants["race"].dropna()) <= {"White", "Black", "Asian", "Other"}
    assert modality["pain_nrs"] == "clinical" and cohort.participants["pain_nrs"].dtype == np.float64
    assert all(modality[f"pain_site___{k}"] == "clinical" for k in (1, 2, 3))


def test_identifier_fields_are_never_written_to_a_runs_files(warm_umap):
    frame = redcap_export(80)
    cohort = load_cohort(CohortFiles(participants=export_file(frame), dictionary=redcap_dictionary()))
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    files = run_files(result, cohort)
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        assert "patient_name" not in text and "Person 1" not in text, name


def test_a_value_outside_the_redcap_validation_range_is_refused_and_an_unknown_choice_is_said():
    frame = redcap_export()
    frame.loc[5, "phq9"] = 31
    with pytest.raises(CohortError, match=r"outside the data dictionary's range \[0, 27\]"):
        load_cohort(CohortFiles(participants=export_file(frame), dictionary=redcap_dictionary()))
    frame = redcap_export()
    frame.loc[3, "race"] = 9
    cohort = load_cohort(CohortFiles(participants=export_file(frame), dictionary=redcap_dictionary()))
    assert any("1 value(s) of category 'race' are not among its choices (9)" in i.message for i in cohort.issues)
    assert cohort.participants["race"].iloc[3] == "9"


def test_roles_edited_on_a_redcap_dictionary_keep_the_category_labels():
    files = CohortFiles(participants=export_file(redcap_export()), dictionary=redcap_dictionary())
    cohort = load_cohort(files)
    columns = {c: m for c, m in cohort.modality.items()}
    edited = dictionary_with_modalities(columns, {"gad7": "ignore"}, load_dictionary(files.dictionary))
    again = load_cohort(CohortFiles(participants=files.participants, dictionary=edited))
    assert again.modality["gad7"] == "ignore" and again.modality["race"] == "covariate"
    assert set(again.participants["race"].dropna()) <= {"White", "Black", "Asian", "Other"}
    assert load_dictionary(edited).levels["race"]["2"] == "Black"


def test_a_longitudinal_export_is_not_refused_as_duplicate_ids_but_asks_for_an_event():
    frame = redcap_export(30, events=("baseline_arm_1", "week_12_arm_1"))
    with pytest.raises(CohortError) as error:
        load_cohort(CohortFiles(participants=export_file(frame)))
    assert str(error.value) == (
        "the table is a longitudinal REDCap export: each record has a row per event ('baseline_arm_1' (30 rows), "
        "'week_12_arm_1' (30 rows)) in Project_DATA.csv, column redcap_event_name: choose one event: --event "
        "baseline_arm_1 on the command line, or the event box under the upload"
    )
    repeating = pd.DataFrame({"record_id": ["1", "2"], "redcap_event_name": ["week_12_arm_1"] * 2,
                              "redcap_repeat_instrument": ["medications"] * 2, "redcap_repeat_instance": [1, 1]})  # fmt: skip
    with_repeats = pd.concat([frame, repeating], ignore_index=True)
    cohort = load_cohort(CohortFiles(participants=export_file(with_repeats, "week_12_arm_1")))
    assert cohort.n_participants == 30 and cohort.provenance[0].event == "week_12_arm_1"
    note = next(i.what for i in cohort.issues if "longitudinal" in i.what)
    assert note == (
        "longitudinal REDCap export: read event 'week_12_arm_1' (30 of 62 rows); 2 repeating-instrument row(s) of that "
        "event set aside; other events: baseline_arm_1"
    )
    assert cohort.modality["redcap_event_name"] == "ignore" and cohort.modality["redcap_repeat_instance"] == "ignore"
    with pytest.raises(
        CohortError, match="the export has no event 'week_2' in Project_DATA.csv, column redcap_event_name: choose one of its events"
    ):
        load_cohort(CohortFiles(participants=export_file(frame, "week_2")))


def test_the_command_line_reads_one_event_with_a_redcap_dictionary(tmp_path, capsys):
    frame = redcap_export(30, events=("baseline_arm_1", "week_12_arm_1"))
    (tmp_path / "data.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "dictionary.csv").write_bytes(redcap_dictionary().data)
    args = ["validate", "--participants", str(tmp_path / "data.csv"), "--dictionary", str(tmp_path / "dictionary.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: the table is a longitudinal REDCap export")
    assert main([*args, "--event", "baseline_arm_1"]) == 0
    out = capsys.readouterr().out
    assert "Cohort: 30 participants" in out and "read event 'baseline_arm_1' (30 of 60 rows)" in out
    assert "Person 1" not in out


def test_a_radio_field_without_choices_is_one_clear_error():
    fields = [*FIELDS, ["mood", "baseline", "", "dropdown", "Mood", "", "", "", "", "", "", "", ""]]
    with pytest.raises(CohortError, match="dropdown field 'mood' of the REDCap data dictionary has no choices"):
        load_dictionary(redcap_dictionary(fields))


def test_the_api_metadata_export_is_read_too():
    names = ["field_name", "form_name", "section_header", "field_type", "field_label", "select_choices_or_calculations",
             "field_note", "text_validation_type_or_show_slider_number", "text_validation_min", "text_validation_max", "identifier",
             "branching_logic", "required_field"]  # fmt: skip
    buffer = io.StringIO()
    pd.DataFrame(FIELDS, columns=names).to_csv(buffer, index=False)
    dictionary = load_dictionary(InputFile("metadata.csv", buffer.getvalue().encode()))
    assert dictionary.source == "redcap" and dictionary.identifiers == frozenset({"patient_name"})
