"""A saved run read back from its zip: the Export page's download or a zipped ``cluster --out`` folder.

Only plain files are read: run.json, assignments.csv and the run's saved state (``state/``: JSON and
NumPy arrays read with ``allow_pickle=False``, :mod:`analysis.engine.saved_state`). A pickled model
in the archive (``model/model.joblib``) is never opened, since unpickling runs code and a hash proves
nothing about who made the file. The cohort's files must be those whose SHA-256 run.json records.
With its state, the run is rebuilt without computing the embedding or the clustering; without it
(a folder written before the state was saved), the run is computed again from run.json's
configuration: the same inputs, configuration and package versions give the same biotypes, byte for
byte.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from analysis.config import RunConfig
from analysis.errors import CohortError

#: Largest run.json or assignments.csv read from an archive (uncompressed bytes).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
#: Suffixes of files that may hold pickles; outside the saved state they are listed, never opened.
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".npy", ".npz")
#: The run folder's saved state (read as JSON and as NumPy arrays without pickles).
STATE_PREFIX = "state/"
FIX = "upload the biotype_run.zip the Export page wrote, or a zip of a folder written by `python -m analysis cluster --out`"


@dataclass(frozen=True)
class SavedRun:
    """What a run's archive says about the run.

    Attributes
    ----------
    name : str
        The archive's file name.
    config : RunConfig
        The run's resolved configuration (run.json's ``config``).
    inputs : tuple of dict
        run.json's ``inputs``: ``role``, ``name``, ``bytes`` and ``sha256`` of each file the run read.
    record : dict
        run.json as written.
    assignments : DataFrame or None
        The archive's assignments.csv (participant_id as text), to check the run computed again against.
    not_opened : tuple of str
        Archive members that were not opened because they may hold pickles (the fitted model).
    state : dict of str to bytes
        The run's saved state (paths relative to the run folder, e.g. ``state/state.json``); empty
        when the archive has none.
    """

    name: str
    config: RunConfig
    inputs: tuple[dict, ...]
    record: dict
    assignments: pd.DataFrame | None
    not_opened: tuple[str, ...]
    state: dict = field(default_factory=dict)

    @property
    def created(self) -> str:
        """When the run was made (UTC, as run.json says), or "" when it does not say."""
        return str(self.record.get("created_utc", ""))


def read_run_archive(data: bytes, name: str) -> SavedRun:
    """Read a run's zip.

    Parameters
    ----------
    data : bytes
        The zip file.
    name : str
        Its file name, for messages.

    Returns
    -------
    SavedRun

    Raises
    ------
    CohortError
        When the file is not a zip, holds no run.json (at its top or in one folder), or run.json is
        not a run record this tool wrote.
    """
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CohortError("not a zip file", name, FIX)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        folder = _run_folder([m.filename for m in members], name)
        record = _json_member(archive, folder + "run.json", name)
        if not isinstance(record, dict) or "config" not in record or "inputs" not in record:
            raise CohortError("run.json is not a run record (no 'config' or 'inputs')", name, FIX)
        config = RunConfig.from_dict(record["config"], f"{name}: run.json")
        assignments = None
        if folder + "assignments.csv" in archive.namelist():
            text = _member_bytes(archive, folder + "assignments.csv", name)
            assignments = pd.read_csv(io.BytesIO(text), dtype={"participant_id": str}, keep_default_na=False, na_values=[""])
        state = {
            m.filename[len(folder) :]: _member_bytes(archive, m.filename, name)
            for m in members
            if m.filename.startswith(folder + STATE_PREFIX) and m.filename.endswith((".json", ".npy"))
        }
        not_opened = tuple(
            m.filename for m in members if m.filename.lower().endswith(PICKLE_SUFFIXES) and m.filename[len(folder) :] not in state
        )
    inputs = tuple(i for i in record["inputs"] if isinstance(i, dict))
    return SavedRun(name, config, inputs, record, assignments, not_opened, state)


def _run_folder(names: list[str], archive: str) -> str:
    """The folder of the archive that holds run.json: "" at the top, or the one folder a zipped --out folder has."""
    found = sorted({n[: -len("run.json")] for n in names if n == "run.json" or n.endswith("/run.json")}, key=lambda f: (len(f), f))
    if not found:
        raise CohortError("no run.json in the zip", archive, FIX)
    if len(found) > 1 and found[0] != "":
        raise CohortError(
            f"{len(found)} run.json files in the zip ({', '.join(f + 'run.json' for f in found)})",
            archive,
            "zip one run folder: the Export page's biotype_run.zip or one `cluster --out` folder",
        )
    return found[0]


def _member_bytes(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    info = archive.getinfo(member)
    if info.file_size > MAX_MEMBER_BYTES:
        raise CohortError(f"{member} is {info.file_size:,} bytes uncompressed", name, f"a run's {member} is far smaller; {FIX}")
    return archive.read(member)


def _json_member(archive: zipfile.ZipFile, member: str, name: str):
    try:
        return json.loads(_member_bytes(archive, member, name))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CohortError(f"{member} is not valid JSON", name, FIX) from None


def input_mismatch(saved: SavedRun, provenance) -> CohortError | None:
    """Whether the loaded cohort's files are the ones the run read; the first difference as an error naming the file.

    Parameters
    ----------
    saved : SavedRun
    provenance : tuple of FileRecord
        The loaded cohort's files (:attr:`analysis.cohort.cohort.Cohort.provenance`).

    Returns
    -------
    CohortError or None
        None when every file the run read is loaded with the same SHA-256 and no other file is.
    """
    loaded = {r.role: r for r in provenance}
    used = {i.get("role"): i for i in saved.inputs}
    for role, record in used.items():
        mine = loaded.get(role)
        if mine is None:
            return CohortError(
                f"the run read a {role} file ({record.get('name')}) and none is loaded",
                f"{saved.name}: run.json",
                "load the files the run was computed from on this page, then open the run again",
            )
        if mine.sha256 != record.get("sha256"):
            return CohortError(
                f"{mine.name} is not the {role} file the run read ({record.get('name')}): its SHA-256 is "
                f"{mine.sha256[:12]}…, the run's {str(record.get('sha256'))[:12]}…",
                f"{saved.name}: run.json",
                "load the very files the run was computed from",
            )
    extra = [r for role, r in loaded.items() if role not in used]
    if extra:
        return CohortError(
            f"the loaded cohort has a {extra[0].role} file ({extra[0].name}) the run did not read",
            f"{saved.name}: run.json",
            "load only the files the run was computed from",
        )
    return None


def assignment_differences(saved: SavedRun, assignments: pd.DataFrame) -> int | None:
    """How many participants' biotype differs between the saved assignments and those computed again (None when the zip has none)."""
    if saved.assignments is None:
        return None
    before = saved.assignments.set_index("participant_id")["biotype"]
    after = assignments.set_index("participant_id")["biotype"].astype("Float64").reindex(before.index)
    return int((before.astype("Float64").fillna(0) != after.fillna(0)).sum())
