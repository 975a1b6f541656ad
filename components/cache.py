"""Every cached call into analysis/, keyed by the cohort fingerprint (a hash of all input bytes).

Heavy arguments carry a leading underscore so that Streamlit does not hash them; the explicit
fingerprint is the key (Streamlit hashes only a sample of a large frame's rows).
"""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from analysis.cohort.cohort import Cohort, CohortFiles, load_cohort, sample_cohort_files
from analysis.cohort.validation import ValidationReport, validation_report
from analysis.config import RunConfig
from analysis.engine.clustering import compile_ahead
from analysis.engine.run import RunResult, recut, renamed, run_biotypes, with_groups, with_replication, with_stability, with_structure
from analysis.features.blocks import ShownConnectivity, shown_connectivity
from analysis.reporting.run_files import synthetic_cohort_files, write_run
from components import state
from components.structure import render_verdict

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def compiling_in_background() -> threading.Thread:
    """Start compiling UMAP's and pynndescent's numba code once per server process (a daemon thread).

    The first nearest-neighbour search and UMAP fit in a process cost ~40 s of compilation; started
    when the first page is drawn, it is done by the time a researcher has loaded a cohort and set a
    run up, and their first "Compute biotypes" runs warm.
    """
    thread = threading.Thread(target=compile_ahead, name="compile-numba", daemon=True)
    thread.start()
    return thread


# scope="session": a cohort and its report belong to the session that loaded them; Streamlit drops
# them when that session ends, and no other session can reach them (never persisted to disk).
@st.cache_resource(max_entries=4, scope="session", show_spinner="Reading and checking the cohort files...")
def cohort_for(fingerprint: str, _files: CohortFiles) -> Cohort:
    """The validated cohort of these files, for this session (read-only object; never mutate it)."""
    return load_cohort(_files)


@st.cache_data(max_entries=8, scope="session", show_spinner=False)
def report_for(fingerprint: str, _cohort: Cohort) -> ValidationReport:
    """The validation report of a cohort, for this session."""
    return validation_report(_cohort)


@st.cache_resource(max_entries=1, show_spinner=False)
def sample_files() -> CohortFiles:
    """The bundled sample cohort's files, read from disk once per server."""
    return sample_cohort_files()


@st.cache_resource(max_entries=1, show_spinner="Reading and checking the sample cohort...")
def sample_cohort() -> Cohort:
    """The bundled sample cohort, loaded once per server and shared by every session (synthetic, read-only)."""
    return load_cohort(sample_files())


@st.cache_resource(max_entries=1, show_spinner=False)
def sample_report() -> ValidationReport:
    """The sample cohort's validation report, made once per server and shared by every session."""
    return validation_report(sample_cohort())


def loaded_cohort(files: CohortFiles) -> Cohort:
    """The validated cohort of these files: the bundled sample's is shared by all sessions, any other is this session's own."""
    fingerprint = files.fingerprint()
    if fingerprint == sample_files().fingerprint():
        return sample_cohort()
    return cohort_for(fingerprint, files)


def report_of(cohort: Cohort) -> ValidationReport:
    """The validation report of a cohort loaded by :func:`loaded_cohort` (shared for the sample, else this session's)."""
    if cohort.fingerprint == sample_files().fingerprint():
        return sample_report()
    return report_for(cohort.fingerprint, cohort)


#: Ids of the Assign page's demo participants start with this (the sample's are sub-0001 ... sub-1000).
DEMO_ID_PREFIX = "sub-new"


@st.cache_resource(max_entries=1, show_spinner="Generating 200 synthetic participants...")
def demo_new_cohort_files() -> CohortFiles:
    """200 new synthetic participants to try assigning into a run of the sample cohort.

    Drawn from the sample's planted biotypes with another seed (7), ids sub-new0001 ..., and recruited
    with the full protocol: every one genotyped, scanned (at the three sites with a scanner) and given a
    device, so that whatever modalities the run clustered on, each has them (some still fall short of
    the run's minimum of valid wearable days).
    """
    return synthetic_cohort_files(200, seed=7, id_prefix=DEMO_ID_PREFIX, complete=True)


#: Runs kept per session (each holds its embeddings and fitted models).
RUNS_PER_SESSION = 3


def run_for(cohort: Cohort, config: RunConfig, progress=None) -> RunResult:
    """The biotype run of this cohort and configuration, computed once per session.

    Runs are kept in this session's state (never shared between sessions), keyed by the cohort
    fingerprint and the frozen configuration; the oldest is dropped beyond :data:`RUNS_PER_SESSION`.
    Not an ``st.cache_*`` function, because those replay the progress bar's updates on every hit.
    The structure test is not run here: the page draws the map first, then calls :func:`add_structure`.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
    progress : callable(fraction, message), optional
        Driven only when the run is computed.

    Returns
    -------
    RunResult
    """
    runs = st.session_state.setdefault(state.RUNS, {})
    key = (cohort.fingerprint, config)
    if key in runs:
        st.session_state[state.CURRENT_RUN] = key
        return runs[key]
    compilation = compiling_in_background()
    if compilation.is_alive():
        if progress:
            progress(0.0, "waiting for UMAP's code to finish compiling (once per server start)")
        # The run starts after the background compilation, never alongside it: one dashboard run made
        # alongside it (under heavy load) differed from the command line's; alone they are identical.
        compilation.join()
    return _keep(key, run_biotypes(cohort, config, progress, structure=False, replication=False))


def _keep(key: tuple, result: RunResult) -> RunResult:
    """Store a run of this session under ``key`` (dropping the oldest beyond :data:`RUNS_PER_SESSION`) and make it current."""
    runs = st.session_state.setdefault(state.RUNS, {})
    runs[key] = result
    while len(runs) > RUNS_PER_SESSION:
        runs.pop(next(iter(runs)))
    st.session_state[state.CURRENT_RUN] = key
    return result


def current_run() -> RunResult | None:
    """The run the pages show, or None before the first 'Compute biotypes' of this cohort."""
    key = st.session_state.get(state.CURRENT_RUN)
    cohort = st.session_state.get(state.COHORT)
    if key is None or cohort is None or key[0] != cohort.fingerprint:
        return None
    return st.session_state.get(state.RUNS, {}).get(key)


def rename_current(given: dict[int, str]) -> RunResult:
    """Name the current run's biotypes by hand; the renamed run becomes current (nothing is recomputed).

    The renamed run is stored under its own key (its configuration now holds the names, so run.json
    reproduces them); summaries that do not show names are carried over to it.
    """
    return _replace_current(lambda result: renamed(result, given))


def set_groups(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> RunResult:
    """Give the current run these custom groups (each profiled; nothing is re-clustered); the grouped run becomes current.

    Stored like a renamed run: under its own key (its configuration holds the groups, so run.json
    reproduces them). Build ``groups`` with :func:`analysis.describe.groups.with_group`, ``renamed_group`` or ``without_group``.
    """
    cohort = st.session_state[state.COHORT]
    return _replace_current(lambda result: with_groups(result, cohort, groups))


def recut_current(min_cluster_size: int, method: str, epsilon: float, progress=None) -> RunResult:
    """Cut the current run's HDBSCAN tree elsewhere (no new embedding); the new run becomes current.

    Stored under its configuration, which is the one a full run giving the same biotypes would have
    (:func:`analysis.engine.run.recut`); nothing computed for the old biotypes is carried over.
    """
    key = st.session_state[state.CURRENT_RUN]
    result = recut(st.session_state[state.RUNS][key], st.session_state[state.COHORT], min_cluster_size, method, epsilon, progress)
    return _keep((key[0], result.config), result)


def add_stability(n_resamples: int, progress=None, subsample: int = 0) -> RunResult:
    """Measure the current run's stability under resampling; the measured run becomes current (biotypes unchanged).

    Its configuration then says ``stability_resamples = n_resamples`` and ``stability_subsample =
    subsample`` (0: 80% of the participants), so run.json reproduces the figures.
    """
    return _replace_current(lambda result: with_stability(result, n_resamples, progress, subsample))


def add_structure(progress=None) -> RunResult:
    """Run the current run's structure test (are there biotypes at all?); the tested run becomes current (biotypes unchanged).

    Its configuration is unchanged (``null_cohorts`` was already in it), so run.json reproduces the verdict.
    """
    return _replace_current(lambda result: with_structure(result, progress))


def add_replication(progress=None) -> RunResult:
    """Measure the current run's split-half replication; the measured run becomes current (biotypes unchanged).

    Its configuration is unchanged (``replication_splits`` was already in it), so run.json reproduces the figures.
    """
    cohort = st.session_state[state.COHORT]
    return _replace_current(lambda result: with_replication(result, cohort, progress))


def tested_run(result: RunResult) -> RunResult:
    """``result`` with its structure test and split-half replication, run now (with progress bars) where they have not run yet."""
    if result.structure is None:
        bar = st.progress(0.0, text="Testing whether the biotypes are distinct subgroups (null cohorts)...")
        try:
            result = add_structure(lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message))
        finally:
            bar.empty()
    if result.split_half is None and not result.replication_note:
        bar = st.progress(0.0, text="Checking whether the biotypes are found again in each half of the cohort...")
        try:
            result = add_replication(lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message))
        finally:
            bar.empty()
    return result


def _replace_current(change: Callable[[RunResult], RunResult]) -> RunResult:
    """Store ``change(current run)`` under its own key and make it current, carrying over name-free summaries."""
    key = st.session_state[state.CURRENT_RUN]
    result = change(st.session_state[state.RUNS][key])
    new_key = (key[0], result.config)
    store = st.session_state.setdefault(state.DERIVED, {})
    for (run_key, name), value in list(store.items()):
        if run_key == key and not name.startswith(NAMED_SUMMARIES):
            store[(new_key, name)] = value
    return _keep(new_key, result)


#: Summaries that show biotype names (recomputed after renaming).
NAMED_SUMMARIES = ("glass:", "export:")


def derived(name: str, compute: Callable[[], T]) -> T:
    """A summary of the current run (per-biotype connectivity, trajectories, ...), computed once per run.

    Kept in this session's state beside the runs, keyed by the current run and ``name``; summaries
    of runs no longer kept are dropped.

    Parameters
    ----------
    name : str
        What is computed, with every parameter that changes it (e.g. ``"trajectories:steps"``).
    compute : callable() -> T
        Called only when the summary is not stored yet.
    """
    key = st.session_state.get(state.CURRENT_RUN)
    store = st.session_state.setdefault(state.DERIVED, {})
    runs = st.session_state.get(state.RUNS, {})
    for stale in [k for k in store if k[0] not in runs]:
        store.pop(stale)
    if (key, name) not in store:
        store[(key, name)] = compute()
    return store[(key, name)]


def require_run(why: str = "") -> tuple[RunResult, Cohort]:
    """The current run and its cohort, with the structure verdict drawn as the page's header.

    Without a run, say where to compute one and stop the page. A run whose structure test has not
    run yet (the researcher left the Biotypes page while it ran) is tested here first.
    """
    result = current_run()
    cohort = st.session_state.get(state.COHORT)
    if result is None or cohort is None:
        st.info("Compute biotypes on the **Biotypes** page first." + (f" {why}" if why else ""))
        st.page_link("pages/biotypes.py", label="Go to Biotypes", icon=":material/scatter_plot:")
        st.stop()
    result = tested_run(result)
    render_verdict(result.structure, compact=True)
    return result, cohort


def run_labels(result: RunResult) -> pd.Series:
    """Biotype number (1-based, -1 noise) of every clustered participant, indexed like the cohort's participants."""
    return pd.Series(result.clusters.numbers, index=result.fused.included)


def connectivity_shown(result: RunResult, cohort: Cohort, harmonise: bool = True) -> ShownConnectivity | None:
    """The current run's connectivity for the brain views, harmonised as the run was (computed once per run and view)."""
    return derived(f"connectivity:shown:{harmonise}", lambda: shown_connectivity(cohort, result.config, harmonise))


def bids_archive(result: RunResult, cohort: Cohort) -> bytes:
    """The run's BIDS derivative files (:func:`analysis.reporting.run_files.bids_derivative_files`) as zip bytes, packed on click."""
    from analysis.reporting.run_files import bids_derivative_files

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in bids_derivative_files(result, cohort).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def run_archive(result: RunResult, cohort: Cohort) -> bytes:
    """The run's record (assignments.csv, profiles, audits, run.json, model/) as zip bytes.

    Written through :func:`analysis.reporting.run_files.write_run` into a temporary folder that is removed at once.
    Called only when the user clicks the download button (Streamlit's deferred download data), so a
    rerun of the page never packs it.
    """
    with tempfile.TemporaryDirectory(prefix="biotypes-") as folder:
        paths = write_run(result, cohort, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
