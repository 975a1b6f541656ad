"""Table 1 and the participant flow: the first table and the first figure a clinical journal asks for."""

import streamlit as st

from components import cache, state
from components.manuscript import render_flow, render_table_one

st.title("Table 1 and participant flow")
result, cohort = cache.require_run()

group_names = [g for g, _ in result.config.custom_groups]
by_groups = (
    bool(group_names)
    and st.segmented_control("Columns", ["Biotypes", "Custom groups"], default="Biotypes", key=state.TABLE_ONE_BY) == "Custom groups"
)
groups: tuple[str, ...] = ()
if by_groups:
    groups = tuple(
        st.multiselect(
            "Custom groups, in the order a participant in several is counted",
            group_names,
            default=group_names,
            key=state.TABLE_ONE_GROUPS,
        )
    )
    if not groups:
        st.info("Pick one or more custom groups.")
        st.stop()

with st.spinner("Tabulating every variable by group…"):
    table = cache.table_one_of(result, cohort, groups)
st.caption(
    "Every variable of the participants table (connectivity is on the Brain connectivity page), with the run's wearable "
    "summaries. Variables the biotypes were clustered on are described only: they differ between biotypes by "
    "construction, so a test of them would be circular. The command line writes the same table as table1.csv."
)
if by_groups:
    render_table_one(
        table, "Table 1. Participant characteristics by custom group", "custom groups", "table1_groups", state.TABLE_ONE_PREFIX
    )
else:
    render_table_one(table, "Table 1. Participant characteristics by biotype", "biotypes", "table1", state.TABLE_ONE_PREFIX)

st.subheader("Participant flow")
st.caption(
    "From the participants loaded to each biotype: who was not clustered and why (each participant once, by the reason "
    "the run recorded), how many lacked each modality, and the noise. The command line writes the same figure as flow.svg."
)
render_flow(cache.flow_diagram(result, cohort), state.TABLE_ONE_PREFIX)
