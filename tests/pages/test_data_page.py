"""The Data page in streamlit's AppTest: sample cohort, uploads, errors that keep the loaded cohort."""

import gzip
import io

import numpy as np
import pandas as pd

from components import state
from tests.conftest import participants_frame
from tests.pages.conftest import metric


def csv_bytes(frame) -> bytes:
    return frame.to_csv(index=False).encode()


def modality_table(app):
    """The report's per-modality table."""
    return next(d.value for d in app.dataframe if "% of cohort" in d.value.columns)


def test_first_visit_invites_to_load(app):
    assert any("No cohort yet" in i.value for i in app.info)
    assert app.button(key=state.DATA_LOAD_SAMPLE).label == "Load sample cohort"
    assert not app.error


def test_load_sample_cohort_shows_its_report(app):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    assert not app.exception
    assert not app.error
    assert metric(app, "Participants") == "1,000"
    assert metric(app, "Modalities") == "5"
    cohort = app.session_state[state.COHORT]
    assert metric(app, "Warnings") == str(sum(i.severity == "warning" for i in cohort.issues))
    assert any("W001" in w.value for w in app.warning)
    table = modality_table(app)
    assert (
        table["participants"].tolist()
        == cohort.availability().sum().loc[["clinical", "prs", "connectivity", "wearables", "outcome"]].tolist()
    )
    # The sidebar status (drawn by app.py) is checked in tests/e2e: AppTest reruns only the page script.


def test_upload_participants_and_prs(app):
    frame = participants_frame(15)
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("cohort.csv", csv_bytes(frame.drop(columns="prs_mcp")), "text/csv"))
    app.run()
    assert not app.exception
    assert metric(app, "Participants") == "15"
    sscore = "#IID\tMCP_AVG\n" + "".join(f"{pid}\t{v}\n" for pid, v in zip(frame["participant_id"], frame["prs_mcp"], strict=True))
    app.file_uploader(key=state.DATA_PRS).set_value(("mcp.sscore.gz", gzip.compress(sscore.encode()), "application/gzip"))
    app.run()
    cohort = app.session_state[state.COHORT]
    np.testing.assert_allclose(cohort.participants["prs_mcp"].to_numpy(), frame["prs_mcp"].to_numpy())
    assert "Genetics (PRS)" in modality_table(app)["modality"].tolist()


def test_upload_connectivity_with_atlas_choice(app):
    frame = participants_frame(12)
    rng = np.random.default_rng(1)
    a = rng.uniform(-0.5, 0.5, (5, 160, 160))
    m = (a + a.transpose(0, 2, 1)) / 2
    buffer = io.BytesIO()
    np.savez(buffer, matrices=m, participant_id=frame["participant_id"][:5].to_numpy(dtype=str))
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("p.csv", csv_bytes(frame), "text/csv"))
    app.file_uploader(key=state.DATA_CONNECTIVITY).set_value(("fc.npz", buffer.getvalue(), "application/octet-stream"))
    app.selectbox(key=state.DATA_ATLAS).set_value("dosenbach_2010")
    app.run()
    assert not app.exception
    cohort = app.session_state[state.COHORT]
    assert cohort.connectivity.atlas.name == "dosenbach_2010"
    assert cohort.availability()["connectivity"].sum() == 5
    app.selectbox(key=state.DATA_ATLAS).set_value("power_2011").run()
    assert "the matrices have 160 regions but the atlas 'power_2011' has 264" in app.error[0].value


def test_bad_upload_shows_error_and_keeps_the_loaded_cohort(app):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    bad = participants_frame()
    bad.loc[4, "participant_id"] = bad.loc[0, "participant_id"]
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("mine.csv", csv_bytes(bad), "text/csv"))
    app.run()
    assert not app.exception
    assert len(app.error) == 1
    assert app.error[0].value.startswith("duplicate participant_id '01' in mine.csv lines 2 and 6: make ids unique")
    assert any("still in use" in i.value for i in app.info)
    assert metric(app, "Participants") == "1,000"


def test_binary_upload_is_a_clear_error(app):
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("scan.csv", b"\x00\x01\x02\x03binary", "text/csv"))
    app.run()
    assert not app.exception
    assert "'scan.csv' is a binary file, not delimited text" in app.error[0].value


def test_an_upload_is_read_and_hashed_once_across_reruns(app):
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("cohort.csv", csv_bytes(participants_frame(12)), "text/csv"))
    app.run()
    first = app.session_state[state.DATA_PARTICIPANTS + state.INPUT_SUFFIX][1]
    app.selectbox(key=state.DATA_ATLAS).set_value("power_2011").run()
    assert app.session_state[state.DATA_PARTICIPANTS + state.INPUT_SUFFIX][1] is first
    assert "sha256" in first.__dict__


def test_column_roles_edited_in_the_table_reload_the_cohort_like_the_command_line(app):
    from dataclasses import replace

    from analysis.cohort.cohort import load_cohort, sample_cohort_files
    from analysis.cohort.participants import load_dictionary

    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    before = app.session_state[state.COHORT]
    editor = app.data_editor(key=state.DATA_ROLES_TABLE)
    table = editor.value
    assert table["column"].tolist() == [c for c in before.modality if not c.startswith("prs_")]  # prs_* came from the score file
    assert table["modality"].tolist() == [before.modality[c] for c in table["column"]]
    rows = {c: i for i, c in enumerate(table["column"])}
    app.session_state[state.DATA_ROLES_TABLE] = {
        "edited_rows": {rows["psqi"]: {"modality": "ignore"}, rows["pain_duration_months"]: {"modality": "covariate"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    apply = app.button(key=state.DATA_ROLES_APPLY)
    assert apply.label == "Apply 2 change(s)"
    apply.click().run()
    assert not app.exception and not app.error
    after = app.session_state[state.COHORT]
    assert after.modality["psqi"] == "ignore" and after.modality["pain_duration_months"] == "covariate"
    assert {c: m for c, m in after.modality.items() if c not in ("psqi", "pain_duration_months")} == {
        c: m for c, m in before.modality.items() if c not in ("psqi", "pain_duration_months")
    }
    assert after.fingerprint != before.fingerprint
    # The edited dictionary keeps the sample dictionary's descriptions, and loading the files with it (as the
    # command line does with --dictionary) gives the same cohort, fingerprint included.
    _, dictionary = app.session_state[state.DATA_ROLES]
    entries = load_dictionary(dictionary).entries
    original = load_dictionary(sample_cohort_files().dictionary).entries
    assert entries.loc["age", "description"] == original.loc["age", "description"]
    assert load_cohort(replace(sample_cohort_files(), dictionary=dictionary)).fingerprint == after.fingerprint
    assert any("(edited)" in e.label for e in app.expander)

    app.button(key=state.DATA_ROLES_RESET).click().run()
    assert app.session_state[state.COHORT].fingerprint == before.fingerprint


def test_a_wide_export_gets_a_summary_first_and_a_roles_review_that_is_confirmed_in_the_table(app):
    from analysis.cohort.participants import load_dictionary
    from tests.analysis.cohort.test_roles import wide_export

    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("export.csv", csv_bytes(wide_export()), "text/csv"))
    app.run()
    assert not app.exception and not app.error
    counts = next(d.value for d in app.dataframe if "problem" in d.value.columns).set_index("problem")
    assert counts.loc["empty column", "columns"] == 5 and counts.loc["constant column", "columns"] == 1
    assert metric(app, "Roles proposed") == "7"
    assert any("Roles proposed for 7 column(s)" in i.value and "1 integer-coded category" in i.value for i in app.info)
    assert not any("is empty" in w.value for w in app.warning)  # counted and listed together, not a box each
    assert any(e.label.endswith("empty column: 5 column(s)") for e in app.expander)
    download = app.get("download_button")[0]
    assert download.proto.label == "Download every finding (CSV)"
    table = app.data_editor(key=state.DATA_ROLES_TABLE).value.set_index("column")
    assert table.loc["year", "modality"] == "covariate" and table.loc["year", "proposed because"].startswith("batch or time: named like")
    assert table.loc["q0", "proposed because"] == ""
    confirm = app.button(key=state.DATA_ROLES_APPLY)
    assert confirm.label == "Confirm the 7 proposed role(s)" and not confirm.disabled
    confirm.click().run()
    assert not app.exception and not app.error
    cohort = app.session_state[state.COHORT]
    assert cohort.proposals == () and cohort.modality["year"] == "covariate" and cohort.modality["race"] == "covariate"
    entries = load_dictionary(app.session_state[state.DATA_ROLES][1]).entries
    assert entries.loc["pain_w12", "modality"] == "outcome" and entries.loc["q0", "modality"] == "clinical"


def test_a_workbook_upload_offers_its_sheets_and_reads_the_one_chosen(app):
    from tests.bad_inputs import xlsx

    frame = participants_frame(14)
    workbook = xlsx({"Read me": pd.DataFrame({"about": ["exported 2026-11-30"]}), "Baseline": frame})
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("export.xlsx", workbook, "application/octet-stream"))
    app.run()
    assert not app.exception
    sheet = app.selectbox(key=state.DATA_PARTICIPANTS + state.SHEET_CHOICE_SUFFIX)
    assert sheet.options == ["Read me", "Baseline"] and sheet.value == "Read me"
    assert "(sheet 'Read me')" in app.error[0].value and "on another sheet ('Baseline'), choose it" in app.error[0].value
    sheet.set_value("Baseline").run()
    assert not app.exception and not app.error
    cohort = app.session_state[state.COHORT]
    assert metric(app, "Participants") == "14" and cohort.provenance[0].sheet == "Baseline"
    assert cohort.participants["participant_id"].tolist() == frame["participant_id"].tolist()


def test_a_longitudinal_redcap_export_asks_for_its_event_and_reads_the_one_chosen(app):
    from tests.analysis.io.test_redcap import redcap_export

    frame = redcap_export(30, events=("baseline_arm_1", "week_12_arm_1"))
    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("Project_DATA.csv", csv_bytes(frame), "text/csv"))
    app.run()
    assert not app.exception
    event = app.selectbox(key=state.DATA_PARTICIPANTS + state.EVENT_CHOICE_SUFFIX)
    assert event.options == ["baseline_arm_1", "week_12_arm_1"] and event.value is None
    assert len(app.error) == 1 and "or the event box under the upload" in app.error[0].value
    event.set_value("week_12_arm_1").run()
    assert not app.exception and not app.error
    cohort = app.session_state[state.COHORT]
    assert cohort.n_participants == 30 and cohort.provenance[0].event == "week_12_arm_1"


def test_phenotype_tables_uploaded_with_their_sidecars_are_joined(app):
    import json

    from tests.analysis.io.test_bids import PHENOTYPE_SIDECAR, bids_table, phenotype_table

    app.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("participants.tsv", bids_table().encode(), "text/tab-separated-values"))
    table = phenotype_table([f"sub-{i:03d}" for i in range(1, 31)]).encode()
    app.file_uploader(key=state.DATA_PHENOTYPES).set_value(
        [("pain.tsv", table, "text/tab-separated-values"), ("pain.json", json.dumps(PHENOTYPE_SIDECAR).encode(), "application/json")]
    )
    app.run()
    assert not app.exception and not app.error
    cohort = app.session_state[state.COHORT]
    assert cohort.sources["odi"] == "pain.tsv" and cohort.descriptions["odi"] == "Oswestry Disability Index (%)"
