"""A saved run's zip: run.json and assignments.csv read, pickles never opened, the cohort's files checked by SHA-256."""

import io
import json
import os
import pickle
import zipfile

import pandas as pd
import pytest

from analysis.cohort.cohort import FileRecord
from analysis.config import RunConfig
from analysis.errors import CohortError
from analysis.io.run_archive import assignment_differences, input_mismatch, read_run_archive

INPUTS = [{"role": "participants", "name": "participants.csv", "bytes": 10, "sha256": "a" * 64}]


class WritesAFile:
    """A pickle that, when loaded, writes a file: what a malicious model.joblib would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, content in members.items():
            zipped.writestr(name, content)
    return buffer.getvalue()


def run_json() -> bytes:
    return json.dumps({"config": json.loads(RunConfig(seed=3).to_json()), "inputs": INPUTS, "created_utc": "2026-12-01T10:00:00Z"}).encode()


def test_the_run_record_is_read_and_a_pickled_model_is_never_opened(tmp_path):
    marker = tmp_path / "the_pickle_ran"
    zipped = archive(
        {
            "run1/run.json": run_json(),
            "run1/assignments.csv": b"participant_id,biotype\n007,1\n008,\n",
            "run1/model/model.joblib": pickle.dumps(WritesAFile(marker)),
        }
    )
    saved = read_run_archive(zipped, "run1.zip")
    assert saved.config == RunConfig(seed=3) and saved.inputs == tuple(INPUTS) and saved.created == "2026-12-01T10:00:00Z"
    assert saved.not_opened == ("run1/model/model.joblib",)
    assert saved.assignments["participant_id"].tolist() == ["007", "008"]  # ids stay text
    assert not marker.exists()
    pickle.loads(zipfile.ZipFile(io.BytesIO(zipped)).read("run1/model/model.joblib"))  # the test's own check that it would run
    assert marker.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"run.json is not here", "not a zip file"),
        (archive({"notes.txt": b"hello"}), "no run.json in the zip"),
        (archive({"run.json": b"{not json"}), "run.json is not valid JSON"),
        (archive({"run.json": b'{"seed": 1}'}), "not a run record"),
        (archive({"a/run.json": run_json(), "b/run.json": run_json()}), "2 run.json files in the zip \\(a/run.json, b/run.json\\)"),
    ],
)
def test_a_file_that_is_not_a_run_is_one_clear_error(data, message):
    with pytest.raises(CohortError, match=message) as error:
        read_run_archive(data, "mine.zip")
    assert "mine.zip" in str(error.value) and "Export page" in str(error.value)


def test_the_loaded_files_must_be_those_the_run_read():
    saved = read_run_archive(archive({"run.json": run_json()}), "run.zip")
    same = (FileRecord("participants", "p.csv", 10, "a" * 64),)
    assert input_mismatch(saved, same) is None
    changed = input_mismatch(saved, (FileRecord("participants", "p.csv", 10, "b" * 64),))
    assert "p.csv is not the participants file the run read (participants.csv)" in str(changed)
    assert "missing" not in str(changed) and "run.zip" in str(changed)
    lacking = input_mismatch(saved, ())
    assert "the run read a participants file (participants.csv) and none is loaded" in str(lacking)
    extra = input_mismatch(saved, (*same, FileRecord("prs", "scores.sscore", 5, "c" * 64)))
    assert "has a prs file (scores.sscore) the run did not read" in str(extra)


def test_differences_from_the_saved_assignments_are_counted():
    saved = read_run_archive(archive({"run.json": run_json(), "assignments.csv": b"participant_id,biotype\na,1\nb,-1\nc,\n"}), "r.zip")
    again = pd.DataFrame({"participant_id": ["a", "b", "c"], "biotype": pd.array([1, -1, pd.NA], dtype="Int64")})
    assert assignment_differences(saved, again) == 0
    again.loc[1, "biotype"] = 2
    assert assignment_differences(saved, again) == 1
