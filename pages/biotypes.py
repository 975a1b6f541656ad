"""Biotypes page: configure and compute a run, see the participants' map, download the record."""

import streamlit as st

from analysis.engine.run import participant_stability
from analysis.errors import CohortError
from components import cache, state
from components.availability import render_availability
from components.embedding import embedding_figure, render_run_summary, sample_points_control, selection_table, sizes_figure
from components.naming import render_naming_form
from components.progress import progress_bar, render_stopped
from components.replication import render_replication
from components.run_form import render_run_form
from components.run_tools import render_group_tools, render_recut_form, render_stability
from components.selection import selected_customdata
from components.splits import split_figure
from components.structure import render_structure_details, render_verdict_slots
from components.sweep import SWEEP_METRICS, adopt, cell_values, picked_cell, sweep_figure

st.title("Biotypes")
cohort = st.session_state.get(state.COHORT)
if cohort is None:
    st.info("Load a cohort on the **Data** page first (the sample cohort is one click away).")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()

availability = st.container()  # above the form, drawn once the form's run (if any) is done
try:
    config = render_run_form(cohort)
    render_stopped(state.BIOTYPES_STOP, "the run")
    if config is not None:
        with progress_bar("Starting...", state.BIOTYPES_STOP) as progress:
            cache.run_for(cohort, config, progress)
except CohortError as error:
    st.error(str(error), icon=":material/error:")

result = cache.current_run()
with availability:
    render_availability(cache.availability_of(cohort), cohort.n_participants, before_a_run=result is None)
if result is None:
    st.info("Set the run up above and click **Compute biotypes**. The first run in a new server takes longer (UMAP compiles).")
    st.stop()

verdict_slots = render_run_summary(result)
given = render_naming_form(result.names, result.automatic_names, dict(result.config.biotype_names))
if given is not None:
    try:
        result = cache.rename_current(given)
    except CohortError as error:
        st.error(str(error), icon=":material/error:")
per_participant = ["membership_probability", "outlier_score"]
measured = ["stability"] if result.stability is not None else []
columns = ["biotype", *per_participant, *measured] + [c for c in cohort.participants.columns if c != "participant_id"]
colour_by = st.selectbox(
    "Colour the map by",
    columns,
    key=state.BIOTYPES_COLOUR,
    help="membership_probability: how firmly HDBSCAN places each participant in their biotype (0 for noise); "
    "outlier_score: GLOSH, high for participants at the edge of the data; stability (once measured below): "
    "the share of resamples that kept the participant in their biotype.",
)
assignments = result.assignments
if colour_by == "biotype":
    colour = None
elif colour_by in per_participant:
    colour = assignments[colour_by]
elif colour_by == "stability":
    colour = participant_stability(result).reindex(cohort.participants.index).set_axis(assignments.index)
else:
    colour = cohort.participants[colour_by].set_axis(assignments.index)
sample_points = sample_points_control(assignments, state.BIOTYPES_SAMPLE)
left, right = st.columns([3, 1])
event = left.plotly_chart(
    embedding_figure(assignments, colour, colour_by, sample_points),
    width="stretch",
    on_select="rerun",
    selection_mode=("lasso", "box"),
    key=state.BIOTYPES_MAP,
)
selected = sorted(set(selected_customdata(event)))
result = render_group_tools(result, selected, left)
right.plotly_chart(sizes_figure(assignments), width="stretch")
result = cache.tested_run(result)
render_verdict_slots(result.structure, verdict_slots)
st.subheader("Are there biotypes at all?")
if cache.checks_stopped(result):
    st.warning(
        "Stopped: the structure test and split-half replication of this run did not finish, so whether its biotypes are "
        "distinct subgroups and whether they replicate is not known. Everything else is kept.",
        icon=":material/stop_circle:",
    )
    if st.button("Run them now", key=state.BIOTYPES_RESUME_CHECKS, icon=":material/play_arrow:"):
        cache.resume_checks(result)
        st.rerun()
elif result.structure.gap_null is None:
    st.caption(result.structure.explanation)
if result.structure is not None:
    render_structure_details(result.structure)
st.caption(
    "min_cluster_size candidates tried (score = DBCV + split stability, the median ARI of HDBSCAN re-fitted on 80% subsamples; "
    "the chosen one is marked). Biotypes and noise % are what the run gives with each size, after the neighbour-agreement "
    "check; HDBSCAN's own counts before that check follow."
)
st.dataframe(selection_table(result), hide_index=True, width="stretch")

st.subheader("Do they replicate?")
render_replication(result.split_half, result.replication_note, result.names, result.sites, result.sites_note)

st.subheader("Stability under resampling")
render_stability(result)

st.subheader("How the biotypes split")
nodes, flows = cache.splits(result, cohort)
st.plotly_chart(split_figure(nodes, flows, result.config.min_cluster_size, result.names), width="stretch")
st.caption(
    f"The run's HDBSCAN tree (min_samples {result.config.min_samples}) cut at other min_cluster_size values, as clustree draws "
    "resolutions: each column is one cut, each box a biotype coloured by the run's biotype most of its participants are in. "
    "A biotype that keeps its colour across columns is robust to this choice; one that splits or merges is not."
)
render_recut_form(result)

stored = cache.sweep.stored(result, cohort)
st.subheader("Parameter sweep")
st.caption(
    "Biotypes, noise, DBCV and stability over n_neighbors × min_cluster_size; pick a cell (click it, or choose below) to use its parameters."
)
if stored is None:
    render_stopped(state.BIOTYPES_SWEEP_STOP, "the sweep")
if stored is None and st.button(
    "Run the sweep", key=state.BIOTYPES_SWEEP_RUN, help="One UMAP per n_neighbors (5 of them), then HDBSCAN per cell."
):
    with progress_bar("Starting the sweep...", state.BIOTYPES_SWEEP_STOP) as progress:
        stored = cache.sweep(result, cohort, progress=progress)
if stored is not None:
    metric = st.radio(
        "Colour cells by",
        list(SWEEP_METRICS),
        format_func=lambda m: SWEEP_METRICS[m][0],
        horizontal=True,
        key=state.BIOTYPES_SWEEP_METRIC,
    )
    current = (result.config.n_neighbors, result.config.min_cluster_size)
    event = st.plotly_chart(
        sweep_figure(stored, metric, current), on_select="rerun", selection_mode="points", key=state.BIOTYPES_SWEEP_MAP, width="stretch"
    )
    clicked = picked_cell(event)
    if clicked is not None and clicked != st.session_state.get(state.BIOTYPES_SWEEP_CELL):
        st.session_state[state.BIOTYPES_SWEEP_CELL] = clicked
        st.session_state[state.BIOTYPES_SWEEP_K], st.session_state[state.BIOTYPES_SWEEP_M] = clicked
    left, right = st.columns(2)
    k = left.selectbox("n_neighbors", [int(v) for v in sorted(stored["n_neighbors"].unique())], key=state.BIOTYPES_SWEEP_K)
    m = right.selectbox("min_cluster_size", [int(v) for v in sorted(stored["min_cluster_size"].unique())], key=state.BIOTYPES_SWEEP_M)
    cell = (int(k), int(m))
    values = cell_values(stored, cell)
    st.button(
        f"Use n_neighbors {cell[0]} and min_cluster_size {cell[1]} "
        f"({int(values.get('n_biotypes', 0))} biotypes, noise {values.get('noise_fraction', 0):.0%})",
        key=state.BIOTYPES_ADOPT,
        on_click=adopt,
        args=(cell,),
        icon=":material/tune:",
    )
    st.caption(
        "Stability here is how firmly HDBSCAN splits each cell's embedding (80% subsamples of the embedded points); "
        "the stability resamples of the run form re-embed and measure the run itself."
    )

st.download_button(
    "Download the run (assignments, profiles, audits, run.json, model)",
    lambda: cache.run_archive(result, cohort),
    file_name="biotype_run.zip",
    mime="application/zip",
    on_click="ignore",
    icon=":material/download:",
)
st.caption("`python -m analysis cluster --config run.json` with the same input files reproduces assignments.csv exactly.")
