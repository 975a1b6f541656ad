"""Open a saved run (the Export page's zip, or a zipped ``cluster --out`` folder) with the loaded cohort."""

from __future__ import annotations

import streamlit as st

from analysis.cohort.cohort import Cohort
from analysis.errors import CohortError
from analysis.io.run_archive import SavedRun, read_run_archive
from components import cache, state
from components.progress import progress_bar, render_stopped


def render_open_run(cohort: Cohort) -> None:
    """The run's zip uploader, what the zip holds, and "Open this run": rebuilt from its saved state, or computed again from run.json."""
    st.caption(
        "Load the files the run was computed from above, then give its zip: the Export page's biotype_run.zip or a zipped "
        "folder written by `python -m analysis cluster --out`. The files must be the very ones run.json records (SHA-256). "
        "The run opens from the state saved with it (its embedding, HDBSCAN tree and every result, as JSON and NumPy "
        "arrays) without computing anything again; a zip without a saved state is computed again from run.json — the same "
        "files, settings and package versions give the same biotypes. Names, groups, stability, verdict and replication "
        "come back with it. A fitted model in the zip is never opened (a pickle can run code); where one is needed "
        "(placing new participants, a re-cut, the model file) it is refitted here from run.json."
    )
    upload = st.file_uploader("The run's zip", type=["zip"], key=state.DATA_RUN_ZIP)
    render_stopped(state.DATA_OPEN_RUN_STOP, "opening the run")
    if upload is None:
        return
    try:
        saved = _saved_run(upload)
    except CohortError as error:
        st.error(str(error), icon=":material/error:")
        return
    config = saved.config
    how = (
        "it holds its saved state and opens without computing again"
        if saved.state
        else "it holds no saved state, so it is computed again from run.json"
    )
    st.markdown(
        f"**{saved.name}**: made {saved.created or 'at an unrecorded time'}; {saved.record.get('n_biotypes', '?')} biotypes "
        f"on {', '.join(config.modalities)} (seed {config.seed}, n_neighbors {config.n_neighbors}, min_cluster_size "
        f"{config.min_cluster_size}); {how}."
    )
    if saved.not_opened:
        st.caption("Not opened (may hold pickles): " + ", ".join(f"`{n}`" for n in saved.not_opened))
    if not st.button("Open this run", key=state.DATA_OPEN_RUN, icon=":material/folder_open:"):
        return
    doing = "Reading the run's saved state..." if saved.state else "Computing the run again from run.json..."
    try:
        with progress_bar(doing, state.DATA_OPEN_RUN_STOP) as progress:
            result, differences = cache.open_saved_run(saved, cohort, progress)
    except CohortError as error:
        st.error(str(error), icon=":material/error:")
        return
    if differences:
        st.warning(
            f"Opened, but {differences:,} participants' biotypes differ from the zip's assignments.csv: the run was made with "
            "other package versions or on another processor (run.json's versions and machine say which).",
            icon=":material/warning:",
        )
    else:
        st.success(
            f"Opened: {result.clusters.n_biotypes} biotypes"
            + (", every participant's biotype as in the zip's assignments.csv" if differences == 0 else "")
            + (
                ", from the saved state (nothing computed again). Every page now shows this run."
                if saved.state
                else ". Every page now shows this run; a verdict or replication the run had not computed is computed on the Biotypes page."
            ),
            icon=":material/check:",
        )
    st.page_link("pages/biotypes.py", label="Go to Biotypes", icon=":material/scatter_plot:")


def _saved_run(upload) -> SavedRun:
    """The uploaded zip read once per upload (kept in this session beside the upload's id), not on every rerun."""
    kept = st.session_state.get(state.DATA_SAVED_RUN)
    if kept is None or kept[0] != upload.file_id:
        kept = (upload.file_id, read_run_archive(upload.getvalue(), upload.name))
        st.session_state[state.DATA_SAVED_RUN] = kept
    return kept[1]
