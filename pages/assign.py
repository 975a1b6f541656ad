"""Assign new participants: place a new cohort into the current run's biotypes, with a confidence."""

import streamlit as st

from analysis.engine.model import assign_participants, biotype_model, placement_summary
from analysis.errors import CohortError
from analysis.io.spreadsheet import csv_bytes
from analysis.reporting.run_files import replication_files
from components import cache, state
from components.embedding import assigned_figure
from components.progress import progress_bar, render_stopped
from components.replication import render_cohort_replication
from components.tables import render_table
from components.uploads import render_upload_form

st.title("Assign new participants")
result, cohort = cache.require_run("New participants are placed into that run's biotypes.")

st.caption(
    "New participants are transformed exactly like the reference cohort (nothing is refitted), placed on its map with "
    "UMAP's transform and given a biotype with HDBSCAN's approximate_predict; the membership probability is the "
    "confidence. Give them the modalities the run clustered on: " + ", ".join(result.config.modalities) + "."
)
with st.expander("Upload the new cohort", expanded=True):
    uploaded = render_upload_form(state.ASSIGN_PREFIX)
demo = st.button(
    "Try it with 200 new synthetic participants",
    key=state.ASSIGN_DEMO,
    help="New synthetic participants from the sample cohort's planted biotypes (another seed, ids sub-new...), each "
    "with every modality: genotyped, scanned and wearing a device.",
)
files = cache.demo_new_cohort_files() if demo else uploaded
render_stopped(state.ASSIGN_STOP, "placing the new participants")
if files is not None:
    run_key = st.session_state[state.CURRENT_RUN]
    try:
        new_cohort = cache.cohort_for(files.fingerprint(), files)
        placing = (run_key, new_cohort.fingerprint)
        done = st.session_state.get(state.ASSIGNED, (None, None))[:2] == placing
        if cache.placing_stopped(placing, demo):
            st.info("Placing these participants was stopped.", icon=":material/stop_circle:")
            if st.button("Place them", key=state.ASSIGN_RESUME, icon=":material/play_arrow:"):
                cache.resume_placing()
                st.rerun()
        elif not done:
            with progress_bar(f"Placing {new_cohort.n_participants:,} participants...", state.ASSIGN_STOP) as progress:
                fitted = cache.fitted_current(progress)  # refits only a run opened from its saved state
                assigned, issues = assign_participants(biotype_model(fitted, cohort), new_cohort, progress)
            st.session_state[state.ASSIGNED] = (*placing, assigned, issues)
            st.session_state[state.ASSIGNED_COHORT] = new_cohort
    except CohortError as error:
        st.error(str(error), icon=":material/error:")

kept = st.session_state.get(state.ASSIGNED)
if kept is None or kept[0] != st.session_state[state.CURRENT_RUN]:
    st.info("Upload a participants table (and the other files the run used), or try the synthetic demo.")
    st.stop()
_, fingerprint, assigned, issues = kept
placed = assigned["biotype"].fillna(-1) >= 1
columns = st.columns(4)
columns[0].metric("New participants", f"{len(assigned):,}")
columns[1].metric("Placed in a biotype", f"{int(placed.sum()):,}")
columns[2].metric("Outside every biotype", f"{int((assigned['biotype'].fillna(0) == -1).sum()):,}")
columns[3].metric("Not placed (missing data)", f"{int((~assigned['included']).sum()):,}")
for issue in issues:
    if issue.severity == "warning":
        st.warning(issue.message, icon=":material/warning:")
left, right = st.columns([3, 2])
left.plotly_chart(assigned_figure(result.assignments, assigned), width="stretch")
render_table(placement_summary(assigned), right)
right.caption(
    "A participant is placed only with every modality the run clustered on ("
    + ", ".join(result.config.modalities)
    + "): without one there is nothing to place them with, as in the reference run, and the reason is in "
    "exclusion_reason. 'Outside every biotype': embedded on the map, but HDBSCAN's approximate_predict put them in no "
    f"biotype, or fewer than {result.config.neighbour_agreement:.0%} of their nearest reference participants share the "
    "predicted one. The demo participants are drawn from the sample cohort's planted biotypes with new ids, and recruited "
    "with the full protocol (every one genotyped, scanned at the three sites with a scanner, and wearing a device), as a "
    "cohort collected for placement would be; an upload with the sample's gaps is placed only where it is complete."
)
st.dataframe(assigned, hide_index=True, width="stretch")
st.download_button(
    "assignments.csv of the new participants",
    csv_bytes(assigned),
    file_name="new_assignments.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
st.caption(
    "The same table as `python -m analysis assign --model model/ --participants new.csv ... --out DIR` writes with the "
    f"model from the Export page's zip (new cohort fingerprint `{fingerprint[:12]}`)."
)

st.subheader("Do the reference biotypes replicate in this cohort?")
st.caption(
    "Clusters the new cohort on its own with this run's configuration and compares its biotypes with those it is placed "
    "into: per reference biotype, whether it is found, its prediction strength and in-group proportion; and which of the "
    "new cohort's own biotypes match none (`python -m analysis replicate` writes the same files)."
)
new_cohort = st.session_state.get(state.ASSIGNED_COHORT)
if new_cohort is not None and new_cohort.fingerprint != fingerprint:
    new_cohort = None
replication = cache.replication_in.stored(result, cohort, new_cohort) if new_cohort is not None else None
if replication is None and new_cohort is not None:
    render_stopped(state.ASSIGN_REPLICATE_STOP, "clustering the new cohort")
    if st.button("Cluster the new cohort alone and compare", key=state.ASSIGN_REPLICATE, icon=":material/compare_arrows:"):
        try:
            with progress_bar("Replicating...", state.ASSIGN_REPLICATE_STOP) as progress:
                replication = cache.replication_in(result, cohort, new_cohort, progress=progress)
        except CohortError as error:
            st.error(str(error), icon=":material/error:")
if replication is not None:
    render_cohort_replication(replication, result.names)
    files = replication_files(replication, new_cohort, f"run of cohort {cohort.fingerprint[:12]} (seed {result.config.seed})")
    left, right = st.columns(2)
    for column, (name, content) in zip((left, right), files.items(), strict=True):
        column.download_button(
            name, content, file_name=name, on_click="ignore", icon=":material/download:", key=f"{state.ASSIGN_REPLICATE}:{name}"
        )
