"""Biotypes page: configure and compute a run, see the participants' map, download the record."""

import numpy as np
import streamlit as st

from analysis.biotypes import participant_stability
from analysis.config import MAX_NAME_LENGTH
from analysis.errors import CohortError
from analysis.groups import renamed_group, with_group, without_group
from analysis.splits import split_view
from analysis.sweep import run_sweep
from components import cache, state
from components.embedding import embedding_figure, render_run_summary, selection_table, sizes_figure, stability_figure
from components.naming import render_naming_form
from components.run_form import render_run_form
from components.selection import selected_customdata
from components.splits import split_figure
from components.sweep import SWEEP_METRICS, adopt, cell_values, picked_cell, sweep_figure

st.title("Biotypes")
cohort = st.session_state.get(state.COHORT)
if cohort is None:
    st.info("Load a cohort on the **Data** page first (the sample cohort is one click away).")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()

try:
    config = render_run_form(cohort)
    if config is not None:
        bar = st.progress(0.0, text="Starting...")
        cache.run_for(cohort, config, lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message))
        bar.empty()
except CohortError as error:
    st.error(str(error), icon=":material/error:")

result = cache.current_run()
if result is None:
    st.info("Set the run up above and click **Compute biotypes**. The first run in a new server takes longer (UMAP compiles).")
    st.stop()

render_run_summary(result)
given = render_naming_form(result.models["names"], result.models["automatic_names"], dict(result.config.biotype_names))
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
left, right = st.columns([3, 1])
event = left.plotly_chart(
    embedding_figure(assignments, colour, colour_by),
    width="stretch",
    on_select="rerun",
    selection_mode=("lasso", "box"),
    key=state.BIOTYPES_MAP,
)
selected = sorted(set(selected_customdata(event)))
if selected:
    with left.form(state.BIOTYPES_GROUP_FORM, border=True):
        st.markdown(f"**{len(selected)} participants selected** — save them as a group to profile them like a biotype.")
        name = st.text_input("Group name", max_chars=MAX_NAME_LENGTH, key=state.BIOTYPES_GROUP_NAME)
        if st.form_submit_button("Save as group", key=state.BIOTYPES_SAVE_GROUP):
            if not name.strip():
                st.error("Give the group a name, then save again.", icon=":material/error:")
            else:
                result = cache.set_groups(with_group(result.config.custom_groups, name.strip(), selected))
                st.success(f"Group '{name.strip()}' saved: see Biotype profiles and Export.", icon=":material/check:")
else:
    left.caption("Draw a lasso or a box on the map to select participants and save them as a group.")
if len(result.config.custom_groups):
    sizes = result.groups["group"].value_counts(sort=False)
    left.caption("Custom groups: " + ", ".join(f"{g} ({sizes.get(g, 0)})" for g, _ in result.config.custom_groups))
    with left.expander("Rename or remove a group"), st.form(state.BIOTYPES_GROUP_EDIT_FORM, border=False):
        group = st.selectbox("Group", [g for g, _ in result.config.custom_groups], key=state.BIOTYPES_GROUP_PICK)
        new_name = st.text_input("New name", max_chars=MAX_NAME_LENGTH, key=state.BIOTYPES_GROUP_NEW_NAME)
        rename, remove = st.columns(2)
        renaming = rename.form_submit_button("Rename", key=state.BIOTYPES_GROUP_RENAME)
        removing = remove.form_submit_button("Remove", key=state.BIOTYPES_GROUP_REMOVE)
        try:
            if renaming and not new_name.strip():
                st.error("Type the group's new name, then press Rename again.", icon=":material/error:")
            elif renaming or removing:
                groups = result.config.custom_groups
                changed = renamed_group(groups, group, new_name.strip()) if renaming else without_group(groups, group)
                result = cache.set_groups(changed)
                st.rerun()
        except CohortError as error:
            st.error(str(error), icon=":material/error:")
right.plotly_chart(sizes_figure(assignments), width="stretch")
st.caption("min_cluster_size candidates tried (score = DBCV + stability of the split; the chosen one is marked)")
st.dataframe(selection_table(result), hide_index=True, width="stretch")

st.subheader("Stability under resampling")
if result.stability is None:
    left, right = st.columns([1, 3])
    resamples = left.number_input("Subsamples", 5, 200, 20, step=5, key=state.BIOTYPES_RESAMPLES)
    right.caption(
        "Each subsample re-embeds and re-clusters a random 80% of the clustered participants with this run's parameters "
        f"(about {result.timings.get('embedding_and_clustering', 0):.0f} s each here); biotypes are matched by Jaccard index "
        "(Hennig's clusterboot: below 0.5 a biotype dissolves, above 0.75 it is stable)."
    )
    if right.button("Measure stability", key=state.BIOTYPES_MEASURE, icon=":material/replay:"):
        bar = st.progress(0.0, text="Re-clustering subsamples...")
        result = cache.add_stability(int(resamples), lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        bar.empty()
        st.rerun()
else:
    left, right = st.columns([3, 2])
    left.plotly_chart(stability_figure(result.stability, result.models["names"]), width="stretch")
    summary = result.stability.summary()
    summary["name"] = [result.models["names"].get(b - 1, f"B{b}") for b in summary["biotype"]]
    right.dataframe(summary, hide_index=True, width="stretch")
    right.caption(
        f"Median ARI with the run over the subsamples: {float(np.median(result.stability.ari)):.2f}. "
        "Colour the map by **stability** to see which participants move."
    )

st.subheader("How the biotypes split")
nodes, flows = cache.derived("splits", lambda: split_view(result))
st.plotly_chart(split_figure(nodes, flows, result.config.min_cluster_size, result.models["names"]), width="stretch")
st.caption(
    f"The run's HDBSCAN tree (min_samples {result.config.min_samples}) cut at other min_cluster_size values, as clustree draws "
    "resolutions: each column is one cut, each box a biotype coloured by the run's biotype most of its participants are in. "
    "A biotype that keeps its colour across columns is robust to this choice; one that splits or merges is not."
)
with st.form(state.BIOTYPES_RECUT_FORM, border=True):
    st.markdown("**Cut the tree elsewhere** — new biotypes from this run's embedding in well under a second (then profiled)")
    size_col, method_col, epsilon_col = st.columns(3)
    n_clustered = len(result.clusters.labels)
    size = size_col.number_input(
        "min_cluster_size", 2, max(2, n_clustered // 2), int(result.config.min_cluster_size), key=state.BIOTYPES_RECUT_SIZE
    )
    methods = ["eom", "leaf"]
    method = method_col.selectbox(
        "cluster_selection_method", methods, index=methods.index(result.config.cluster_selection_method), key=state.BIOTYPES_RECUT_METHOD
    )
    epsilon = epsilon_col.number_input(
        "cluster_selection_epsilon", 0.0, 10.0, float(result.config.cluster_selection_epsilon), step=0.05, key=state.BIOTYPES_RECUT_EPSILON
    )
    st.caption(
        f"min_samples stays {result.config.min_samples} (it shapes the tree itself; change it in the run form). Names given by "
        "hand and measured stability belong to the current biotypes and are not carried over; custom groups are."
    )
    if st.form_submit_button("Re-cut", key=state.BIOTYPES_RECUT, icon=":material/content_cut:"):
        bar = st.progress(0.0, text="Cutting the tree...")
        cache.recut_current(int(size), method, float(epsilon), lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        bar.empty()
        st.rerun()

sweep_key = f"sweep:{result.config.seed}"
stored = st.session_state.get(state.DERIVED, {}).get((st.session_state[state.CURRENT_RUN], sweep_key))
st.subheader("Parameter sweep")
st.caption(
    "Biotypes, noise, DBCV and stability over n_neighbors × min_cluster_size; pick a cell (click it, or choose below) to use its parameters."
)
if stored is None and st.button(
    "Run the sweep", key=state.BIOTYPES_SWEEP_RUN, help="One UMAP per n_neighbors (5 of them), then HDBSCAN per cell."
):
    bar = st.progress(0.0, text="Starting the sweep...")
    stored = cache.derived(sweep_key, lambda: run_sweep(result, lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m)))
    bar.empty()
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
