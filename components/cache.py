"""Every cached call into analysis/, keyed by the cohort fingerprint (a hash of all input bytes).

Heavy arguments carry a leading underscore so that Streamlit does not hash them; the explicit
fingerprint is the key (Streamlit hashes only a sample of a large frame's rows).
"""

from __future__ import annotations

import functools
import inspect
import io
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort, CohortFiles, load_cohort, sample_cohort_files
from analysis.cohort.connectivity import edges_to_matrix
from analysis.cohort.validation import ValidationReport, validation_report
from analysis.config import RunConfig
from analysis.describe.flow import run_flow
from analysis.describe.groups import comparison_labels, group_members
from analysis.describe.profiling import pairwise_profile, profile_table
from analysis.describe.run_comparison import LabellingAgreement, labelling_agreement
from analysis.describe.summaries import (
    BiotypeConnectivity,
    adherence_by_biotype,
    binary_outcome_by_biotype,
    biotype_connectivity,
    prs_association_by_biotype,
    prs_deciles,
    significant_edges,
    strongest_edges,
    wearable_trajectories,
)
from analysis.describe.table_one import TableOne, run_table_one
from analysis.engine.clustering import compile_ahead
from analysis.engine.model import biotype_model
from analysis.engine.run import (
    RunResult,
    recut,
    renamed,
    run_biotypes,
    with_fitted_models,
    with_groups,
    with_replication,
    with_stability,
    with_structure,
)
from analysis.engine.saved_state import opened_run
from analysis.engine.splits import split_view
from analysis.engine.sweep import run_sweep
from analysis.errors import CohortError
from analysis.features.availability import ModalityAvailability, modality_availability
from analysis.features.blocks import ShownConnectivity, shown_connectivity
from analysis.features.extractors import PrsFeatures, prs_features
from analysis.io.run_archive import SavedRun, assignment_differences, input_mismatch
from analysis.reporting.flow_svg import flow_svg
from analysis.reporting.run_files import run_files, synthetic_cohort_files, write_run
from analysis.validity.external import CohortReplication, replicate_in_cohort
from components import state
from components.brain import glass_brain_figure, region_labels
from components.profiles import biotype_label
from components.progress import progress_bar, was_stopped
from components.structure import render_verdict

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def compiling_in_background() -> threading.Thread:
    """Start compiling UMAP's numba code once per server process (a daemon thread).

    The first UMAP fit in a process pays numba's compilation (:func:`compile_ahead`); started
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


# A resource, not data: the Biotypes page reads it on every rerun, and cache_data would unpickle a copy each time.
@st.cache_resource(max_entries=4, scope="session", show_spinner="Finding who has which modality...")
def availability_for(fingerprint: str, _cohort: Cohort) -> ModalityAvailability:
    """Which participants each modality's features would include, for this session's cohort (read-only)."""
    return modality_availability(_cohort)


@st.cache_resource(max_entries=1, show_spinner="Finding who has which modality...")
def sample_availability() -> ModalityAvailability:
    """The sample cohort's modality availability, found once per server and shared by every session."""
    return modality_availability(sample_cohort())


@st.cache_resource(max_entries=4, scope="session")
def modalities_in_files_for(fingerprint: str, _cohort: Cohort) -> tuple[str, ...]:
    """The feature modalities at least one participant has a value of in the files (the run form offers these)."""
    has = _cohort.availability()
    return tuple(m for m in M.FEATURE_MODALITIES if has[m].any())


def modalities_in_files(cohort: Cohort) -> tuple[str, ...]:
    """:func:`modalities_in_files_for` of a loaded cohort, found once per cohort and session."""
    return modalities_in_files_for(cohort.fingerprint, cohort)


def availability_of(cohort: Cohort) -> ModalityAvailability:
    """Who has which modality as a run with the default feature settings sees it (shared for the sample, else this session's)."""
    if cohort.fingerprint == sample_files().fingerprint():
        return sample_availability()
    return availability_for(cohort.fingerprint, cohort)


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


def open_saved_run(saved: SavedRun, cohort: Cohort, progress=None) -> tuple[RunResult, int | None]:
    """Open a saved run of the loaded cohort, make it current and keep it under its zip's name.

    With the run's saved state (``state/``), the run is rebuilt from it without embedding or
    clustering (:func:`analysis.engine.saved_state.opened_run`); without it, computed again from
    run.json. Nothing of the archive but run.json, assignments.csv and the state is read
    (:mod:`analysis.io.run_archive`); no pickle is opened.

    Returns
    -------
    result : RunResult
    differences : int or None
        Participants whose biotype differs from the archive's assignments.csv (0 when the run is
        reproduced exactly; None when the archive has none).

    Raises
    ------
    CohortError
        When the loaded files are not those the run read (the message names the file).
    """
    mismatch = input_mismatch(saved, cohort.provenance)
    if mismatch is not None:
        raise mismatch
    key = (cohort.fingerprint, saved.config)
    runs = st.session_state.setdefault(state.RUNS, {})
    if saved.state and key not in runs:
        result = _keep(key, opened_run(saved.state, cohort, saved.record, saved.name, progress))
    else:
        result = run_for(cohort, saved.config, progress)
    if key not in st.session_state.get(state.RUN_NAMES, {}):
        try:
            keep_run(key, saved.name[:MAX_RUN_NAME])
        except CohortError:
            pass  # another kept run has that name or eight are kept: the run is listed as "Run n"
    return result, assignment_differences(saved, result.assignments)


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
    """Store a run of this session under ``key`` and make it current.

    Beyond :data:`RUNS_PER_SESSION` runs that the researcher has not kept by name, the oldest of them
    is dropped; runs kept by name (:func:`keep_run`) stay.
    """
    runs = st.session_state.setdefault(state.RUNS, {})
    runs[key] = result
    serials = st.session_state.setdefault(state.RUN_SERIALS, {})
    if key not in serials:
        serials[key] = max(serials.values(), default=0) + 1
    named = st.session_state.get(state.RUN_NAMES, {})
    unnamed = [k for k in runs if k not in named]
    while len(unnamed) > RUNS_PER_SESSION:
        runs.pop(unnamed.pop(0))
    st.session_state[state.CURRENT_RUN] = key
    return result


#: Runs a researcher may keep by name in one session, besides the :data:`RUNS_PER_SESSION` most recent.
MAX_KEPT_RUNS = 8
#: Longest name a kept run may have.
MAX_RUN_NAME = 60


def session_runs(cohort: Cohort) -> list[tuple[tuple, RunResult]]:
    """The runs of ``cohort`` kept in this session, oldest first, as (key, run)."""
    return [(key, result) for key, result in st.session_state.get(state.RUNS, {}).items() if key[0] == cohort.fingerprint]


def run_label(key: tuple) -> str:
    """What a run of this session is called: the name it was kept under, else "Run <n>" (numbered as computed)."""
    name = st.session_state.get(state.RUN_NAMES, {}).get(key)
    return name or f"Run {st.session_state.get(state.RUN_SERIALS, {}).get(key, '?')}"


def keep_run(key: tuple, name: str) -> None:
    """Keep a run of this session under ``name``: it is no longer dropped for newer runs, and is shown by that name.

    Raises
    ------
    CohortError
        When the name is empty, too long, or another kept run has it, or :data:`MAX_KEPT_RUNS` are kept already.
    """
    name = name.strip()
    names = st.session_state.setdefault(state.RUN_NAMES, {})
    where = "the run's name"
    if not name:
        raise CohortError("the name is empty", where, "type a name, e.g. 'clinical only, k=15'")
    if len(name) > MAX_RUN_NAME:
        raise CohortError(f"the name is {len(name)} characters long (at most {MAX_RUN_NAME})", where, "choose a shorter name")
    if any(other != key and given == name for other, given in names.items()):
        raise CohortError(f"another kept run is called '{name}'", where, "choose another name")
    if key not in names and len(names) >= MAX_KEPT_RUNS:
        raise CohortError(f"{MAX_KEPT_RUNS} runs are kept already", "the kept runs", "stop keeping one of them first")
    names[key] = name


def stop_keeping(key: tuple) -> None:
    """Forget a run's name: it is dropped like any other once newer runs are computed."""
    st.session_state.get(state.RUN_NAMES, {}).pop(key, None)


def runs_agreement(first: tuple, second: tuple) -> LabellingAgreement:
    """How far two runs of this session agree (:func:`labelling_agreement`), kept beside the first run."""
    runs = st.session_state[state.RUNS]
    key = SummaryKey(first, "runs_agreement", (("second", second),), False)
    store = _summaries()
    if key not in store:
        store[key] = labelling_agreement(runs[first].assignments, runs[second].assignments)
    return store[key]


def show_run(key: tuple) -> None:
    """Make a run of this session the one every page shows."""
    st.session_state[state.CURRENT_RUN] = key


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
    result = recut(fitted_current(progress), st.session_state[state.COHORT], min_cluster_size, method, epsilon, progress)
    return _keep((key[0], result.config), result)


def fitted_current(progress=None) -> RunResult:
    """The current run with its fitted UMAP and HDBSCAN; a run opened from its saved state has them refitted once (and kept).

    See :func:`analysis.engine.run.with_fitted_models` (same biotypes, checked).
    """
    key = st.session_state[state.CURRENT_RUN]
    if st.session_state[state.RUNS][key].models.fitted:
        return st.session_state[state.RUNS][key]
    say = progress or (lambda fraction, message: None)
    return _replace_current(lambda result: with_fitted_models(result, lambda f, m: say(f, f"refitting the opened run's model: {m}")))


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
    """``result`` with its structure test and split-half replication, run now (with progress bars) where they have not run yet.

    Each shows a Stop button; once stopped, a run's checks are not started again until :func:`resume_checks`.
    """
    key = _run_key(result)
    stopped = st.session_state.setdefault(state.CHECKS_STOPPED, set())
    if was_stopped(state.CHECKS_STOP_STRUCTURE) or was_stopped(state.CHECKS_STOP_REPLICATION):
        stopped.add(key)
    if key in stopped:
        return result
    if result.structure is None:
        with progress_bar("Testing whether the biotypes are distinct subgroups (null cohorts)...", state.CHECKS_STOP_STRUCTURE) as progress:
            result = add_structure(progress)
    if result.split_half is None and not result.replication_note:
        with progress_bar(
            "Checking whether the biotypes are found again in each half of the cohort...", state.CHECKS_STOP_REPLICATION
        ) as progress:
            result = add_replication(progress)
    return result


def placing_stopped(placing: tuple, asked: bool) -> bool:
    """Whether placing a new cohort into a run (``(run key, new cohort fingerprint)``) was stopped and not asked for again.

    The Stop of :data:`state.ASSIGN_STOP` starts the rerun that records it; an uploaded cohort is then not
    placed again by itself on later reruns, until :func:`resume_placing` or ``asked`` (a click that asks for it).
    """
    if was_stopped(state.ASSIGN_STOP):
        st.session_state[state.ASSIGN_STOPPED] = placing
    if asked:
        resume_placing()
    return st.session_state.get(state.ASSIGN_STOPPED) == placing


def resume_placing() -> None:
    """Let a stopped placement of new participants start again."""
    st.session_state.pop(state.ASSIGN_STOPPED, None)


def checks_stopped(result: RunResult) -> bool:
    """Whether the researcher stopped this run's structure test or replication (they are not restarted by themselves)."""
    return _run_key(result) in st.session_state.get(state.CHECKS_STOPPED, set())


def resume_checks(result: RunResult) -> None:
    """Let :func:`tested_run` start this run's stopped checks again."""
    st.session_state.get(state.CHECKS_STOPPED, set()).discard(_run_key(result))


def _replace_current(change: Callable[[RunResult], RunResult]) -> RunResult:
    """Store ``change(current run)`` under its own key in place of the current run and make it current.

    Summaries that show no names are carried over to it.
    """
    key = st.session_state[state.CURRENT_RUN]
    runs = st.session_state[state.RUNS]
    result = change(runs[key])
    new_key = (key[0], result.config)
    store = _summaries()
    for summary, value in list(store.items()):
        if summary.run == key and not summary.shows_names:
            store[replace(summary, run=new_key)] = value
    if new_key != key:
        # The same run, named, grouped or measured: it takes the old one's place, number and name.
        for kept in (st.session_state.setdefault(state.RUN_SERIALS, {}), st.session_state.setdefault(state.RUN_NAMES, {})):
            if key in kept:
                kept[new_key] = kept.pop(key)
        runs.pop(key)
    return _keep(new_key, result)


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


# Summaries of a run: what a page shows of the run beyond the run itself, computed once per run and
# parameters and kept in this session's state beside the run (dropped with it). Each is a named
# function of (result, cohort, *parameters); the parameters are its key.


@dataclass(frozen=True)
class SummaryKey:
    """Where a summary of a run is kept in the session.

    Attributes
    ----------
    run : tuple or None
        The key the session keeps the run under (cohort fingerprint, configuration).
    name : str
        The summary's function.
    params : tuple of (str, object)
        Its parameters by name (a cohort by its fingerprint).
    shows_names : bool
        It shows biotype names, so a renamed run computes it again.
    """

    run: tuple | None
    name: str
    params: tuple
    shows_names: bool


def _summaries() -> dict[SummaryKey, object]:
    """The summaries of this session, without those of runs no longer kept."""
    store = st.session_state.setdefault(state.DERIVED, {})
    runs = st.session_state.get(state.RUNS, {})
    for stale in [k for k in store if k.run not in runs]:
        store.pop(stale)
    return store


def _run_key(result: RunResult) -> tuple | None:
    """The key this session keeps ``result`` under (None for a run it does not keep)."""
    return next((key for key, kept in st.session_state.get(state.RUNS, {}).items() if kept is result), None)


def _key_part(value: object) -> object:
    """A parameter as part of a summary's key: a cohort by its fingerprint, anything else as it is (it must be hashable)."""
    if isinstance(value, Cohort):
        return ("cohort", value.fingerprint)
    hash(value)
    return value


def per_run(*, shows_names: bool = False) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Keep a summary of a run in this session's state, computed once per run and parameters.

    The decorated function takes ``(result, cohort, *parameters)`` and, optionally, a keyword
    ``progress`` that is passed through and is not part of the key. Parameters are hashable (str,
    numbers, tuples of them) or a :class:`Cohort`, keyed by its fingerprint. The decorated function
    gains ``stored(result, cohort, *parameters)``: the summary if it has been computed, else None
    (for summaries computed only when the researcher asks).

    Parameters
    ----------
    shows_names : bool
        The summary shows biotype names, so renaming the biotypes computes it again.
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        signature = inspect.signature(function)

        def key_of(result: RunResult, cohort: Cohort, *args, **kwargs) -> SummaryKey:
            bound = signature.bind(result, cohort, *args, **kwargs)
            bound.apply_defaults()
            params = tuple((k, _key_part(v)) for k, v in bound.arguments.items() if k not in ("result", "cohort", "progress"))
            return SummaryKey(_run_key(result), function.__name__, params, shows_names)

        @functools.wraps(function)
        def summary(result: RunResult, cohort: Cohort, *args, progress=None, **kwargs) -> T:
            key = key_of(result, cohort, *args, **kwargs)
            store = _summaries()
            if key.run is None:
                return function(result, cohort, *args, **kwargs, **({} if progress is None else {"progress": progress}))
            if key not in store:
                store[key] = function(result, cohort, *args, **kwargs, **({} if progress is None else {"progress": progress}))
            return store[key]

        def stored(result: RunResult, cohort: Cohort, *args, **kwargs) -> T | None:
            return _summaries().get(key_of(result, cohort, *args, **kwargs))

        summary.stored = stored
        return summary

    return decorate


def run_labels(result: RunResult) -> pd.Series:
    """Biotype number (1-based, -1 noise) of every clustered participant, indexed like the cohort's participants."""
    return pd.Series(result.clusters.numbers, index=result.fused.included)


def compared_labels(result: RunResult, cohort: Cohort, groups: tuple[str, ...] = ()) -> pd.Series:
    """The labels of the Compare page: the run's biotypes, with the members of ``groups`` (first first) relabelled as their group."""
    if not groups:
        return run_labels(result)
    members, _ = group_members(cohort.participants["participant_id"], result.config.custom_groups)
    return comparison_labels(run_labels(result), members, list(groups))[0]


@per_run()
def connectivity_shown(result: RunResult, cohort: Cohort, harmonise: bool = True) -> ShownConnectivity | None:
    """The run's connectivity for the brain views, harmonised as the run was unless ``harmonise`` is False."""
    return shown_connectivity(cohort, result.config, harmonise)


@per_run()
def connectivity_by_biotype(
    result: RunResult, cohort: Cohort, harmonise: bool = True, groups: tuple[str, ...] = ()
) -> list[BiotypeConnectivity]:
    """Per biotype (or compared set) mean connectivity and its edge-wise difference from the rest (:func:`biotype_connectivity`)."""
    return biotype_connectivity(connectivity_shown(result, cohort, harmonise).connectivity, compared_labels(result, cohort, groups))


@per_run(shows_names=True)
def glass_brain(result: RunResult, cohort: Cohort, biotype: int, max_q: float, shown: int, harmonise: bool = True) -> go.Figure:
    """Glass brain of the ``shown`` strongest edges with q < ``max_q`` of one biotype against the rest (:func:`glass_brain_figure`)."""
    view = connectivity_shown(result, cohort, harmonise)
    summary = next(s for s in connectivity_by_biotype(result, cohort, harmonise) if s.biotype == biotype)
    significant = significant_edges(summary, max_q)
    drawn = edges_to_matrix(strongest_edges(significant, shown), view.connectivity.n_rois)
    title = (
        f"{biotype_label(biotype, result.names)} minus rest: {shown} of {int((significant != 0).sum()):,} edges "
        f"(q < {max_q:g}; {'harmonised' if view.harmonised else 'raw'})"
    )
    atlas = view.connectivity.atlas
    return glass_brain_figure(drawn, atlas.coords, region_labels(atlas, atlas.n_rois), title)


@per_run()
def adjusted_prs(result: RunResult, cohort: Cohort) -> tuple[pd.DataFrame, list, PrsFeatures]:
    """The polygenic scores as the run clustered them (:func:`analysis.features.extractors.prs_features`)."""
    return prs_features(cohort, result.config)


@per_run()
def prs_deciles_of(result: RunResult, cohort: Cohort, score: str, outcome: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biotype make-up and outcome prevalence per decile of one adjusted score (:func:`prs_deciles`)."""
    adjusted = adjusted_prs(result, cohort)[0]
    return prs_deciles(adjusted[score], run_labels(result), cohort.participants[outcome] if outcome else None)


@per_run()
def prs_association(result: RunResult, cohort: Cohort, scores: tuple[str, ...], outcome: str) -> pd.DataFrame:
    """Odds ratio per SD and AUC of each adjusted score for a binary outcome, per biotype (:func:`prs_association_by_biotype`)."""
    adjusted = adjusted_prs(result, cohort)[0]
    return prs_association_by_biotype(adjusted[list(scores)], cohort.participants[outcome], run_labels(result), seed=result.config.seed)


@per_run()
def trajectories(result: RunResult, cohort: Cohort, metric: str, groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """Daily mean of a wearable metric per biotype (or compared set) with its 95% interval (:func:`wearable_trajectories`)."""
    return wearable_trajectories(cohort.wearables.days, metric, compared_labels(result, cohort, groups))


@per_run()
def adherence(result: RunResult, cohort: Cohort) -> tuple[pd.DataFrame, float]:
    """Wearable adherence per participant with its biotype, and the Kruskal-Wallis p across biotypes (:func:`adherence_by_biotype`)."""
    return adherence_by_biotype(cohort.wearables.adherence(), run_labels(result))


@per_run()
def outcome_shares(result: RunResult, cohort: Cohort, outcome: str) -> pd.DataFrame:
    """Share of a binary outcome per biotype with its interval (:func:`binary_outcome_by_biotype`)."""
    return binary_outcome_by_biotype(cohort.participants[outcome], result.assignments.set_index(cohort.participants.index)["biotype"])


@per_run()
def group_profile(result: RunResult, cohort: Cohort, groups: tuple[str, ...]) -> pd.DataFrame:
    """Each compared set against all other clustered participants (:func:`profile_table`)."""
    features = result.features
    return profile_table(features.values, features.modality, compared_labels(result, cohort, groups), features.clustered)


@per_run()
def group_pairwise(result: RunResult, cohort: Cohort, groups: tuple[str, ...], pair: tuple[int, int]) -> pd.DataFrame:
    """Two compared sets against each other on every feature (:func:`pairwise_profile`)."""
    labels = compared_labels(result, cohort, groups)
    features = result.features
    return pairwise_profile(features.values, features.modality, labels[labels.isin(pair)], clustered=features.clustered)


@per_run()
def splits(result: RunResult, cohort: Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's HDBSCAN tree cut at other min_cluster_size values: nodes and flows (:func:`split_view`)."""
    return split_view(result)


@per_run()
def sweep(result: RunResult, cohort: Cohort, progress=None) -> pd.DataFrame:
    """Biotypes, noise, DBCV and stability over n_neighbors × min_cluster_size (:func:`run_sweep`); computed when asked."""
    return run_sweep(result, progress)


@per_run()
def replication_in(result: RunResult, cohort: Cohort, new_cohort: Cohort, progress=None) -> CohortReplication:
    """Whether the run's biotypes are found again in a new cohort clustered on its own (:func:`replicate_in_cohort`)."""
    fitted = result if result.models.fitted else fitted_current(progress)
    return replicate_in_cohort(biotype_model(fitted, cohort), new_cohort, progress=progress)


@per_run(shows_names=True)
def table_one_of(result: RunResult, cohort: Cohort, groups: tuple[str, ...] = ()) -> TableOne:
    """Table 1 of the run by biotype, or by the custom groups named (:func:`run_table_one`)."""
    return run_table_one(result, cohort, groups)


@per_run(shows_names=True)
def flow_diagram(result: RunResult, cohort: Cohort) -> str:
    """The run's participant flow diagram as SVG text (:func:`run_flow`, :func:`flow_svg`)."""
    return flow_svg(run_flow(result, cohort))


@per_run(shows_names=True)
def export_files(result: RunResult, cohort: Cohort) -> dict[str, bytes]:
    """The run's files as the command line writes them, name → bytes (:func:`run_files`)."""
    return run_files(result, cohort)
