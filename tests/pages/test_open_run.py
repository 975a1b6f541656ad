"""Opening a command-line run's zip on the Data page: identical, and its pickled model never opened.

From its saved state without computing anything, or computed again from run.json when the zip has no state.
"""

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main as cli_main
from analysis.cohort.cohort import SAMPLE_DATA
from analysis.io.spreadsheet import csv_bytes
from analysis.reporting.run_files import run_files
from components import state
from tests.conftest import sample_input_arguments

pytestmark = pytest.mark.slow


class WritesAFile:
    """A pickle that writes a file when loaded: what a malicious model.joblib would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch '{self.path}'",))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, warm_umap):
    """The sample cohort clustered on its clinical measures by the command line: a biotype named, a group saved, stability measured."""
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "config.json"
    settings = {"modalities": ["clinical"], "null_cohorts": 0, "replication_splits": 0, "site_replication": False}
    ids = pd.read_csv(Path(SAMPLE_DATA) / "participants.csv", dtype={"participant_id": str})["participant_id"][:10].tolist()
    extras = {"biotype_names": [[1, "first found"]], "custom_groups": {"first ten": ids}, "stability_resamples": 2}
    config.write_text(json.dumps({**settings, **extras}))
    assert cli_main(["cluster", *sample_input_arguments(), "--config", str(config), "--out", str(folder / "run")]) == 0
    return folder / "run"


def zipped(folder: Path, replace: dict[str, bytes] | None = None, leave_out: str = "") -> bytes:
    """The folder zipped as `zip -r run.zip run` would, with some members' bytes replaced and those under ``leave_out`` left out."""
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder.parent).as_posix()
            if path.is_file() and not (leave_out and name.startswith(leave_out)):
                archive.writestr(name, replace.get(name, path.read_bytes()))
    return buffer.getvalue()


def nothing_computed(monkeypatch):
    """Make embedding and clustering raise: opening the run must not compute them."""

    def computed(*args, **kwargs):
        raise AssertionError("the embedding and clustering were computed")

    monkeypatch.setattr("analysis.engine.run.find_biotypes", computed)


def open_zip(app, data: bytes):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.file_uploader(key=state.DATA_RUN_ZIP).set_value(("run.zip", data, "application/zip")).run()
    assert not app.exception
    app.button(key=state.DATA_OPEN_RUN).click().run(timeout=300)
    assert not app.exception


@pytest.mark.parametrize("with_state", [True, False], ids=["from its saved state", "computed again from run.json"])
def test_a_command_line_runs_zip_opens_identical_and_its_model_is_never_unpickled(app, cli_run, tmp_path, monkeypatch, with_state):
    marker = tmp_path / "the_pickle_ran"
    if with_state:
        nothing_computed(monkeypatch)
    open_zip(
        app, zipped(cli_run, {"run/model/model.joblib": pickle.dumps(WritesAFile(marker))}, leave_out="" if with_state else "run/state/")
    )
    assert not app.error, [e.value for e in app.error]
    assert any("every participant's biotype as in the zip's assignments.csv" in s.value for s in app.success)
    assert any("from the saved state (nothing computed again)" in s.value for s in app.success) == with_state
    assert any("model/model.joblib" in c.value for c in app.caption)  # listed as not opened
    assert not marker.exists()
    key = app.session_state[state.CURRENT_RUN]
    result = app.session_state[state.RUNS][key]
    assert csv_bytes(result.assignments) == (cli_run / "assignments.csv").read_bytes()  # byte for byte
    assert result.names[1] == "B1 · first found"  # names given by hand come back
    files = run_files(result, app.session_state[state.COHORT])
    for name in ("groups.csv", "profile_groups.csv", "stability.csv", "table1.csv", "flow.svg"):  # groups and stability too
        assert files[name] == (cli_run / name).read_bytes(), name
    assert app.session_state[state.RUN_NAMES][key] == "run.zip"  # kept under the zip's name
    app.switch_page("pages/biotypes.py").run()
    assert not app.exception and not app.error
    legend = [t["name"] for t in json.loads(app.get("plotly_chart")[0].proto.spec)["data"]]
    assert any(name.startswith("B1 · first found (n=") for name in legend)


def test_a_zip_of_other_files_is_one_error_naming_the_file(app, cli_run):
    record = json.loads((cli_run / "run.json").read_text())
    for entry in record["inputs"]:
        if entry["role"] == "participants":
            entry["sha256"] = "0" * 64
    open_zip(app, zipped(cli_run, {"run/run.json": json.dumps(record).encode()}))
    assert [e.value for e in app.error] == [
        "participants.csv is not the participants file the run read (participants.csv): its SHA-256 is "
        f"{app.session_state[state.COHORT].provenance[0].sha256[:12]}…, the run's 000000000000… in run.zip: run.json: "
        "load the very files the run was computed from"
    ]
    assert state.CURRENT_RUN not in app.session_state or app.session_state[state.CURRENT_RUN] is None


def test_an_opened_run_refits_its_model_for_the_zip_and_gives_the_same_biotypes(app, cli_run):
    open_zip(app, zipped(cli_run))
    key = app.session_state[state.CURRENT_RUN]
    assert not app.session_state[state.RUNS][key].models.fitted
    app.switch_page("pages/export.py").run()
    assert not app.exception and not app.error
    assert any("holds no fitted model" in i.value for i in app.info)
    app.button(key=state.EXPORT_REFIT).click().run(timeout=300)
    assert not app.exception and not app.error
    result = app.session_state[state.RUNS][app.session_state[state.CURRENT_RUN]]
    assert result.models.fitted and app.session_state[state.CURRENT_RUN] == key
    assert not any("holds no fitted model" in i.value for i in app.info)
    assert csv_bytes(result.assignments) == (cli_run / "assignments.csv").read_bytes()
    from components.cache import run_archive

    names = zipfile.ZipFile(io.BytesIO(run_archive(result, app.session_state[state.COHORT]))).namelist()
    assert "model/model.joblib" in names and "state/state.json" in names
