"""The roles the tool proposes for columns no data dictionary describes, and what a run does with them."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cohort import roles as R
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.validation import validation_report
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import run_record
from tests.conftest import WITHOUT_CHECKS


def wide_export(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """A clinical-study export in miniature: ids, a row number, codes, an arm, a death flag, follow-up, dates, a year, empty columns."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "row": np.arange(1, n + 1)})
    for j in range(6):
        frame[f"q{j}"] = rng.normal(size=n).round(2)
    frame["race"] = rng.integers(1, 5, n)
    frame["arm"] = rng.choice([1, 2], n)
    frame["death"] = rng.integers(0, 2, n)
    frame["pain_w0"] = rng.normal(size=n).round(2)
    frame["pain_w12"] = rng.normal(size=n).round(2)
    frame["visit_date"] = [f"2021-0{1 + i % 9}-1{i % 9}" for i in range(n)]
    frame["year"] = rng.choice([2019, 2020, 2021], n)
    for j in range(5):
        frame[f"empty{j}"] = np.nan
    frame["const"] = 3
    frame["sparse"] = np.where(rng.random(n) < 0.5, np.nan, rng.normal(size=n))
    return frame


def cohort_of(frame: pd.DataFrame, dictionary: str | None = None):
    files = CohortFiles(
        participants=InputFile("export.csv", frame.to_csv(index=False).encode()),
        dictionary=InputFile("dictionary.csv", dictionary.encode()) if dictionary else None,
    )
    return load_cohort(files)


def test_a_wide_export_gets_a_proposed_role_and_a_reason_for_each_column_that_is_not_a_baseline_measure():
    cohort = cohort_of(wide_export())
    proposed = {p.column: (p.role, p.kind) for p in cohort.proposals}
    assert proposed == {
        "row": ("ignore", R.IDENTIFIER),
        "race": ("covariate", R.CODED_CATEGORY),
        "arm": ("treatment", R.TREATMENT_ARM),
        "death": ("outcome", R.OUTCOME),
        "pain_w12": ("outcome", R.FOLLOW_UP),
        "visit_date": ("covariate", R.BATCH),
        "year": ("covariate", R.BATCH),
    }
    assert all(cohort.modality[c] == role for c, (role, _) in proposed.items())
    assert [c for c, m in cohort.modality.items() if m == "clinical"] == [f"q{j}" for j in range(6)] + ["pain_w0"] + [
        f"empty{j}" for j in range(5)
    ] + ["const", "sparse"]
    reasons = {p.column: p.reason for p in cohort.proposals}
    assert "1 to 120" in reasons["row"] and "1, 2, 3, 4" in reasons["race"] and "week 0" in reasons["pain_w12"]


def test_the_report_counts_findings_per_kind_lists_the_proposals_and_says_so_on_the_command_line():
    report = validation_report(cohort_of(wide_export()))
    counts = report.problem_counts().set_index("problem")
    assert counts.loc["empty column", "columns"] == 5 and counts.loc["constant column", "columns"] == 1
    assert counts.loc["mostly missing", "columns"] == 1 and counts.loc["mostly missing", "examples"] == "sparse"
    assert report.columns_of_problem("warning", "empty column") == [f"empty{j}" for j in range(5)]
    table = report.issues_table()
    assert len(table) == len(report.issues) and (table["column"] == "const").sum() == 1
    text = report.to_text()
    assert "warning: empty column: 5 column(s) (empty0, empty1, empty2, empty3, empty4)" in text
    assert "Roles proposed (7 column(s)" in text and "  race -> covariate (integer-coded category): integer codes (1, 2, 3, 4)" in text
    assert "column 'empty0' is empty" not in text  # counted, not one line each
    assert report.covariates["race"].startswith("1: ") and report.covariates["visit_date"].startswith("dates from 2021-01-10")


def test_a_data_dictionary_entry_wins_over_a_proposal():
    dictionary = "column,modality\nyear,clinical\nrace,clinical\n"
    cohort = cohort_of(wide_export(), dictionary)
    assert cohort.modality["year"] == "clinical" and cohort.modality["race"] == "clinical"
    assert {p.column for p in cohort.proposals}.isdisjoint({"year", "race"})


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["pain_t1", "pain_t2", "pain_t3"], {"pain_t2", "pain_t3"}),  # the earliest of a family is the baseline
        (["BPI_SevW0", "BPI_SevW12"], {"BPI_SevW12"}),
        (["pain", "odi_12m", "promis_fu", "pcs_post", "pain_pre"], {"odi_12m", "promis_fu", "pcs_post"}),
        (["mood_t2", "x_v3", "pain_week0", "visit1_pain"], set()),  # lone short markers and time zero are not follow-up
        (["pain_duration_months", "years_of_education", "outcome_pain_12m"], {"outcome_pain_12m"}),
    ],
)
def test_follow_up_measures_are_told_from_baseline_ones(columns, expected):
    assert set(R._follow_up_columns(columns)) == expected


@pytest.mark.parametrize(
    "column, values, role",
    [
        ("treatment_satisfaction", [1, 2, 3, 4, 5] * 8, None),  # a rating about treatment is not an arm
        ("TRT01P", ["drug", "placebo"] * 20, "treatment"),
        ("stress_response_score", [i % 20 for i in range(40)], None),
        ("responder", [0, 1] * 20, "outcome"),
        ("widespread_pain_index", [i % 20 for i in range(40)], None),
        ("ses", [1, 2, 3] * 13 + [1], None),  # socio-economic status, not a session
        ("collection_year", [2007, 2008, 2009] * 13 + [2007], "covariate"),
        ("sample_plate", ["P1", "P2"] * 20, "covariate"),
        ("marital_status", [1, 2, 3, 4] * 10, "covariate"),
        ("q17", [1, 2, 3, 4] * 10, None),  # an unnamed integer item stays a measure (the nesting check watches it)
        ("patient_no", list(range(100, 140)), "ignore"),
        ("postcode", [10115 + i for i in range(0, 80, 2)], "ignore"),
        ("DTHFL", ["Y", "N"] * 20, "outcome"),
        ("notes", ["2020-03-01", "2021-12-24"] * 20, "ignore"),  # text that is dates
    ],
)
def test_single_column_rules(column, values, role):
    series = pd.Series(values)
    numeric = pd.api.types.is_numeric_dtype(series)
    frame = pd.DataFrame({column: series.astype(float) if numeric else series.astype(object)})
    proposal = R.propose_roles(frame, {column: numeric}).get(column)
    assert (proposal.role if proposal else None) == role


def groups_with_a_year(n: int = 360, seed: int = 0, year_tracks_group: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated groups in four measurements, and a collection year (2007-2009) independent of them or not."""
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1, 2], n // 3)
    centres = np.array([[0, 0, 0, 0], [6, 6, 0, 0], [0, 6, 6, 6]], dtype=float)
    x = centres[truth] + rng.normal(size=(n, 4))
    year = 2007 + (truth if year_tracks_group else rng.integers(0, 3, n))
    frame = pd.DataFrame(x.round(3), columns=["bill", "depth", "flipper", "mass"])
    frame.insert(0, "participant_id", [f"p{i:03d}" for i in range(n)])
    frame["year"] = year
    return frame, truth


def test_a_year_column_is_a_covariate_by_default_said_in_the_notes_and_audited(warm_umap):
    frame, truth = groups_with_a_year(year_tracks_group=True)
    cohort = cohort_of(frame)
    assert cohort.modality["year"] == "covariate"
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    assert "clinical:year" not in result.fused.matrix.columns
    messages = [i.message for i in result.issues]
    assert any("batch or time column(s) 'year' kept as covariates" in m for m in messages)
    audit = result.audit.set_index("covariate")
    assert audit.loc["year", "kind"] == "categorical" and audit.loc["year", "flagged"]
    assert any(m.startswith("biotypes track year (corrected_cramers_v") for m in messages)
    from analysis.reporting.methods import methods_paragraphs

    assert any(
        "not changed by the researcher (docs/input_formats.md): batch or time: year. None of them was clustered." in p
        for p in methods_paragraphs(result, cohort)
    )
    record = json.loads(json.dumps(run_record(result, cohort), default=str))
    assert {"column": "year", "role": "covariate", "kind": R.BATCH} == {
        k: v for k, v in record["role_proposals"][0].items() if k != "reason"
    }


def test_biotypes_that_nest_inside_a_clustered_code_are_warned_about_by_name(warm_umap):
    frame, _ = groups_with_a_year()
    frame["year"] = frame["year"] * 0 + np.repeat([1, 2, 3], len(frame) // 3)[np.random.default_rng(1).permutation(len(frame))]
    frame["year"] = frame["year"] * 10  # a code (10, 20, 30) with a large spread, made a measure by the dictionary
    cohort = cohort_of(frame.rename(columns={"year": "wave_code"}), "column,modality\nwave_code,clinical\n")
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    nested = [i.message for i in result.issues if "nest inside the levels of 'wave_code'" in i.message]
    assert len(nested) == 1 and "an integer code with 3 values" in nested[0]
    clean = run_biotypes(cohort_of(frame.drop(columns="year")), RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    assert not any("nest inside" in i.message for i in clean.issues)


def test_an_integer_coded_covariate_enters_the_clinical_value_baseline_as_levels_not_as_a_number():
    from analysis.outcomes.clinical_value import covariate_matrix

    frame = pd.DataFrame({"race": [1.0, 2.0, 3.0, 4.0, 2.0, np.nan], "age": [30.0, 41.0, 52.0, 63.0, 44.0, 35.0]})
    matrix = covariate_matrix(frame, ["race", "age"])
    assert matrix.columns.tolist() == ["race_2", "race_3", "race_4", "race_missing", "age"]
    assert matrix["race_missing"].tolist() == [0, 0, 0, 0, 0, 1] and matrix["age"].tolist() == frame["age"].tolist()
