"""Biotypes page: configure and compute a run, see the participants' map, download the record."""

import streamlit as st

from analysis.config import MAX_NAME_LENGTH
from analysis.errors import CohortError
from components import cache, state
from components.embedding import embedding_figure, render_run_summary, selection_table, sizes_figure
from components.naming import render_naming_form
from components.run_form import render_run_form

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
columns = ["biotype", *per_participant] + [c for c in cohort.participants.columns if c != "participant_id"]
colour_by = st.selectbox(
    "Colour the map by",
    columns,
    key=state.BIOTYPES_COLOUR,
    help="membership_probability: how firmly HDBSCAN places each participant in their biotype (0 for noise); "
    "outlier_score: GLOSH, high for participants at the edge of the data.",
)
assignments = result.assignments
if colour_by == "biotype":
    colour = None
elif colour_by in per_participant:
    colour = assignments[colour_by]
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
selected = sorted({p["customdata"][0] for p in (event.selection.points if event else []) if p.get("customdata")})
if selected:
    with left.form(state.BIOTYPES_GROUP_FORM, border=True):
        st.markdown(f"**{len(selected)} participants selected** — save them as a group to profile them like a biotype.")
        name = st.text_input("Group name", max_chars=MAX_NAME_LENGTH, key=state.BIOTYPES_GROUP_NAME)
        if st.form_submit_button("Save as group", key=state.BIOTYPES_SAVE_GROUP):
            if not name.strip():
                st.error("Give the group a name, then save again.", icon=":material/error:")
            else:
                result = cache.add_group(name.strip(), selected)
                st.success(f"Group '{name.strip()}' saved: see Biotype profiles and Export.", icon=":material/check:")
else:
    left.caption("Draw a lasso or a box on the map to select participants and save them as a group.")
if len(result.groups):
    sizes = result.groups["group"].value_counts(sort=False)
    left.caption("Custom groups: " + ", ".join(f"{g} ({n})" for g, n in sizes.items()))
right.plotly_chart(sizes_figure(assignments), width="stretch")
st.caption("min_cluster_size candidates tried (score = DBCV + stability of the split; the chosen one is marked)")
st.dataframe(selection_table(result), hide_index=True, width="stretch")

st.download_button(
    "Download the run (assignments, profiles, audits, run.json, model)",
    lambda: cache.run_archive(result, cohort),
    file_name="biotype_run.zip",
    mime="application/zip",
    on_click="ignore",
    icon=":material/download:",
)
st.caption("`python -m analysis cluster --config run.json` with the same input files reproduces assignments.csv exactly.")
