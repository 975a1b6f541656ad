"""Tools of the Biotypes page that change the current run: custom groups, stability, re-cutting the tree."""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.config import MAX_NAME_LENGTH, MIN_STABILITY_SUBSAMPLE
from analysis.describe.groups import renamed_group, with_group, without_group
from analysis.engine.run import RunResult
from analysis.errors import CohortError
from components import cache, state
from components.embedding import stability_figure
from components.progress import progress_bar, render_stopped
from components.tables import render_table


def render_group_tools(result: RunResult, selected: list[str], where) -> RunResult:
    """Save the participants selected on the map as a group; rename or remove groups. Drawn in ``where`` (a column).

    Returns
    -------
    RunResult
        The current run: ``result``, or the run with the group just saved.
    """
    if selected:
        with where.form(state.BIOTYPES_GROUP_FORM, border=True):
            st.markdown(f"**{len(selected)} participants selected** — save them as a group to profile them like a biotype.")
            name = st.text_input("Group name", max_chars=MAX_NAME_LENGTH, key=state.BIOTYPES_GROUP_NAME)
            if st.form_submit_button("Save as group", key=state.BIOTYPES_SAVE_GROUP):
                if not name.strip():
                    st.error("Give the group a name, then save again.", icon=":material/error:")
                else:
                    result = cache.set_groups(with_group(result.config.custom_groups, name.strip(), selected))
                    st.success(f"Group '{name.strip()}' saved: see Biotype profiles and Export.", icon=":material/check:")
    else:
        where.caption("Draw a lasso or a box on the map to select participants and save them as a group.")
    if not result.config.custom_groups:
        return result
    sizes = result.groups["group"].value_counts(sort=False)
    where.caption("Custom groups: " + ", ".join(f"{g} ({sizes.get(g, 0)})" for g, _ in result.config.custom_groups))
    with where.expander("Rename or remove a group"), st.form(state.BIOTYPES_GROUP_EDIT_FORM, border=False):
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
                cache.set_groups(renamed_group(groups, group, new_name.strip()) if renaming else without_group(groups, group))
                st.rerun()
        except CohortError as error:
            st.error(str(error), icon=":material/error:")
    return result


def render_stability(result: RunResult) -> None:
    """Measure the run's stability under resampling, or show it: Jaccard per biotype and the summary table."""
    if result.stability is None:
        left, middle, right = st.columns([1, 1, 3])
        resamples = left.number_input("Subsamples", 5, 200, 20, step=5, key=state.BIOTYPES_RESAMPLES)
        n_clustered = len(result.clusters.labels)
        subsample = middle.number_input(
            "Participants per subsample",
            0,
            max(0, n_clustered - 1),
            0,
            key=state.BIOTYPES_SUBSAMPLE,
            help=f"0: 80% of the {n_clustered} clustered participants. Fewer (at least {MIN_STABILITY_SUBSAMPLE}) is faster on large "
            "cohorts: the others are placed by each subsample's UMAP transform and HDBSCAN approximate_predict.",
        )
        right.caption(
            "Each subsample re-embeds and re-clusters a random 80% of the clustered participants with this run's parameters "
            f"(about {result.timings.get('embedding_and_clustering', 0):.0f} s each here at full size); biotypes are matched by "
            "Jaccard index (Hennig's clusterboot: below 0.5 a biotype dissolves, above 0.75 it is stable)."
        )
        with right:
            render_stopped(state.BIOTYPES_STABILITY_STOP, "measuring stability")
        if right.button("Measure stability", key=state.BIOTYPES_MEASURE, icon=":material/replay:"):
            try:
                with right, progress_bar("Re-clustering subsamples...", state.BIOTYPES_STABILITY_STOP) as progress:
                    cache.add_stability(int(resamples), progress, int(subsample))
            except CohortError as error:
                st.error(str(error), icon=":material/error:")
                return
            st.rerun()
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(stability_figure(result.stability, result.names), width="stretch")
    summary = result.stability.summary()
    summary["name"] = [result.names.get(b, f"B{b}") for b in summary["biotype"]]
    render_table(summary, right)
    right.caption(
        f"Median ARI with the run over the subsamples: {float(np.median(result.stability.ari)):.2f}. "
        f"Cost: {result.stability.cost()}. Colour the map by **stability** to see which participants move."
    )


def render_recut_form(result: RunResult) -> None:
    """Cut the run's HDBSCAN tree at another min_cluster_size, selection method or epsilon (no new embedding)."""
    with st.form(state.BIOTYPES_RECUT_FORM, border=True):
        st.markdown("**Cut the tree elsewhere** — new biotypes from this run's embedding in well under a second (then profiled)")
        size_col, method_col, epsilon_col = st.columns(3)
        n_clustered = len(result.clusters.labels)
        size = size_col.number_input(
            "min_cluster_size", 2, max(2, n_clustered // 2), int(result.config.min_cluster_size), key=state.BIOTYPES_RECUT_SIZE
        )
        methods = ["eom", "leaf"]
        method = method_col.selectbox(
            "cluster_selection_method",
            methods,
            index=methods.index(result.config.cluster_selection_method),
            key=state.BIOTYPES_RECUT_METHOD,
        )
        epsilon = epsilon_col.number_input(
            "cluster_selection_epsilon",
            0.0,
            10.0,
            float(result.config.cluster_selection_epsilon),
            step=0.05,
            key=state.BIOTYPES_RECUT_EPSILON,
        )
        st.caption(
            f"min_samples stays {result.config.min_samples} (it shapes the tree itself; change it in the run form). Names given by "
            "hand and measured stability belong to the current biotypes and are not carried over; custom groups are."
        )
        recut = st.form_submit_button("Re-cut", key=state.BIOTYPES_RECUT, icon=":material/content_cut:")
    render_stopped(state.BIOTYPES_RECUT_STOP, "re-cutting the tree")
    if recut:
        try:
            with progress_bar("Cutting the tree...", state.BIOTYPES_RECUT_STOP) as progress:
                cache.recut_current(int(size), method, float(epsilon), progress)
        except CohortError as error:  # an opened run whose refitted model gives other biotypes
            st.error(str(error), icon=":material/error:")
        else:
            st.rerun()
