"""The upload form of the Data page: one uploader per input kind, returning CohortFiles."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from analysis.cohort.atlas import BUNDLED_ATLASES
from analysis.cohort.cohort import CohortFiles
from analysis.errors import CohortError
from analysis.io.inputs import InputFile, check_size
from analysis.io.redcap import events_in_file
from analysis.io.workbooks import XLSX, sheet_names, table_format
from components import state

#: Extensions offered for every delimited-text upload (the loaders look through gzip for each of them).
TEXT_TYPES = ["csv", "tsv", "txt", "gz"]
#: Extensions offered for tables that may also come as an Excel workbook or a Parquet file.
TABLE_TYPES = [*TEXT_TYPES, "xlsx", "parquet"]
ATLAS_FROM_FILE = "as named in the .npz (or none)"


def _input(key: str) -> InputFile | None:
    """The uploaded file under a widget key as an InputFile, or None.

    The InputFile is kept for as long as the same upload stays, so that its SHA-256 (the cache key)
    is computed once per upload rather than on every rerun of the page.
    """
    uploaded = st.session_state.get(key)
    if uploaded is None:
        st.session_state.pop(f"{key}{state.INPUT_SUFFIX}", None)
        return None
    kept = st.session_state.get(f"{key}{state.INPUT_SUFFIX}")
    if kept is None or kept[0] != uploaded.file_id:
        # The server refuses larger uploads itself; the same limit here covers any other way in.
        limit = int(st.get_option("server.maxUploadSize")) * 2**20
        check_size(uploaded.name, uploaded.size, limit, "server.maxUploadSize in .streamlit/config.toml (MB)")
        kept = (uploaded.file_id, InputFile(uploaded.name, uploaded.getvalue()))
        st.session_state[f"{key}{state.INPUT_SUFFIX}"] = kept
    return kept[1]


def _with_sheet(file: InputFile | None, key: str) -> InputFile | None:
    """The file with the sheet chosen under it (a select box shown for a workbook of two sheets or more)."""
    if file is None:
        return None
    kept = st.session_state.get(f"{key}{state.SHEETS_SUFFIX}")
    if kept is None or kept[0] != file.sha256:
        try:
            sheets = sheet_names(file.name, file.data) if table_format(file.data) == XLSX else []
        except CohortError:
            sheets = []  # a damaged workbook: loading it says so, as for any other file
        kept = (file.sha256, sheets)
        st.session_state[f"{key}{state.SHEETS_SUFFIX}"] = kept
    sheets = kept[1]
    if len(sheets) < 2:
        return file
    sheet = st.selectbox(f"Sheet of {file.name}", sheets, key=f"{key}{state.SHEET_CHOICE_SUFFIX}")
    return replace(file, sheet=sheet or "")


def _with_event(file: InputFile | None, key: str) -> InputFile | None:
    """The participants table with the REDCap event chosen under it (a select box for a longitudinal export)."""
    if file is None:
        return None
    kept = st.session_state.get(f"{key}{state.EVENTS_SUFFIX}")
    if kept is None or kept[0] != (file.sha256, file.sheet):
        kept = ((file.sha256, file.sheet), events_in_file(file))
        st.session_state[f"{key}{state.EVENTS_SUFFIX}"] = kept
    events = kept[1]
    if len(events) < 2:
        return file
    event = st.selectbox(
        f"REDCap event of {file.name} (a row per record and event: the rows of one event are read)",
        events,
        index=None,
        placeholder="choose the event whose rows to read",
        key=f"{key}{state.EVENT_CHOICE_SUFFIX}",
    )
    return replace(file, event=event or "")


def _phenotypes(key: str) -> tuple[tuple[InputFile, InputFile | None], ...]:
    """The uploaded phenotype tables, each paired with the .json sidecar of the same name (kept per upload, hashed once)."""
    uploaded = st.session_state.get(key) or []
    ids = tuple(u.file_id for u in uploaded)
    kept = st.session_state.get(f"{key}{state.INPUT_SUFFIX}")
    if kept is None or kept[0] != ids:
        limit = int(st.get_option("server.maxUploadSize")) * 2**20
        for u in uploaded:
            check_size(u.name, u.size, limit, "server.maxUploadSize in .streamlit/config.toml (MB)")
        files = [InputFile(u.name, u.getvalue()) for u in uploaded]
        sidecars = {f.name.split(".")[0]: f for f in files if f.name.lower().endswith(".json")}
        tables = tuple((f, sidecars.get(f.name.split(".")[0])) for f in files if not f.name.lower().endswith(".json"))
        kept = (ids, tables)
        st.session_state[f"{key}{state.INPUT_SUFFIX}"] = kept
    return kept[1]


def _switch_to_upload() -> None:
    st.session_state[state.DATA_SOURCE] = "upload"


def render_upload_form(prefix: str = state.DATA_PREFIX) -> CohortFiles | None:
    """Draw the uploaders; return the uploaded files once a participants table is there.

    Parameters
    ----------
    prefix : str
        Prefix of the widget keys (:data:`components.state.DATA_PREFIX` on the Data page, another
        on pages that upload a second cohort); on the Data page an upload makes the uploaded files
        the session's cohort source.

    Returns
    -------
    CohortFiles or None
        None until a participants table is uploaded.
    """
    keys = state.upload_keys(prefix)
    changed = _switch_to_upload if prefix == state.DATA_PREFIX else None
    st.file_uploader(
        "Participants table (CSV, TSV, Excel .xlsx or Parquet; one row per participant)",
        type=TABLE_TYPES,
        key=keys["participants"],
        on_change=changed,
        help="A participant_id column (or IID, subject_id, sub, record_id); optional site, sex, age, ancestry; "
        "prs_*, fc_*, wear_*, outcome_* prefixes set the modality; other numeric columns are clinical.",
    )
    left, right = st.columns(2)
    with left:
        st.file_uploader("PRS scores (PLINK 2 .sscore, PRSice-2 .all_score/.best, pgsc_calc)", key=keys["prs"], on_change=changed)
        st.file_uploader("Wearables, daily long format (CSV)", type=TEXT_TYPES, key=keys["wearables"], on_change=changed)
        st.file_uploader(
            "Data dictionary (CSV or .xlsx: column, modality, description, unit, min, max; a REDCap data dictionary; a BIDS .json sidecar)",
            type=[*TABLE_TYPES, "json"],
            key=keys["dictionary"],
            on_change=changed,
        )
        st.file_uploader(
            "Phenotype tables (BIDS phenotype/*.tsv, each with its .json sidecar; joined on participant id)",
            type=[*TABLE_TYPES, "json"],
            accept_multiple_files=True,
            key=keys["phenotypes"],
            on_change=changed,
        )
    with right:
        st.file_uploader(
            "Connectivity (.npz, .npy, or .zip of *_relmat.tsv)",
            type=["npz", "npy", "zip"],
            key=keys["connectivity"],
            on_change=changed,
        )
        st.file_uploader(
            "Matrix ids for a .npy stack (CSV with participant_id, in matrix order)",
            type=TEXT_TYPES,
            key=keys["connectivity_ids"],
            on_change=changed,
        )
        st.selectbox("Atlas of the matrices", [ATLAS_FROM_FILE, *BUNDLED_ATLASES], key=keys["atlas"], on_change=changed)
        st.file_uploader(
            "...or atlas coordinates (CSV: roi, x, y, z, label, network)",
            type=TEXT_TYPES,
            key=keys["atlas_coords"],
            on_change=changed,
        )
    try:
        participants = _with_event(_with_sheet(_input(keys["participants"]), keys["participants"]), keys["participants"])
        if participants is None:
            return None
        choice = st.session_state.get(keys["atlas"], ATLAS_FROM_FILE)
        atlas = _input(keys["atlas_coords"]) or (None if choice == ATLAS_FROM_FILE else choice)
        return CohortFiles(
            participants=participants,
            prs=_input(keys["prs"]),
            connectivity=_input(keys["connectivity"]),
            connectivity_ids=_input(keys["connectivity_ids"]),
            atlas=atlas,
            wearables=_input(keys["wearables"]),
            dictionary=_with_sheet(_input(keys["dictionary"]), keys["dictionary"]),
            phenotypes=_phenotypes(keys["phenotypes"]),
        )
    except CohortError as error:
        st.error(str(error), icon=":material/error:")
        return None
