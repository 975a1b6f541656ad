"""Compare runs: this session's runs of the cohort side by side, which to keep, and how far two of them agree."""

import streamlit as st

from analysis.describe.run_comparison import parameter_differences, runs_overview, supplement_table
from analysis.errors import CohortError
from analysis.io.spreadsheet import csv_bytes
from components import cache, state
from components.run_comparison import runs_sankey_figure
from components.tables import render_table

st.title("Compare runs")
cohort = st.session_state.get(state.COHORT)
runs = cache.session_runs(cohort) if cohort is not None else []
if not runs:
    st.info("Compute biotypes on the **Biotypes** page first; every configuration you compute is listed here.")
    st.page_link("pages/biotypes.py", label="Go to Biotypes", icon=":material/scatter_plot:")
    st.stop()

by_key = dict(runs)
labels = {key: cache.run_label(key) for key, _ in runs}
current = st.session_state.get(state.CURRENT_RUN)
st.caption(
    f"This session keeps its {cache.RUNS_PER_SESSION} most recent runs of this cohort and every run you keep by name "
    f"(up to {cache.MAX_KEPT_RUNS}). Runs live in this browser session only: download a run's files on the Export page "
    "to keep it for good. Naming biotypes, saving groups or measuring stability changes a run in place."
)
overview = runs_overview([(labels[key], result) for key, result in runs])
overview.insert(1, "shown", [key == current for key, _ in runs])
overview.insert(2, "kept", [key in st.session_state.get(state.RUN_NAMES, {}) for key, _ in runs])
render_table(overview)

if current in by_key:
    with st.form(state.RUNS_NAME_FORM, border=False):
        columns = st.columns([3, 1, 1], vertical_alignment="bottom")
        name = columns[0].text_input(
            f"Keep the shown run ({labels[current]}) under a name",
            value=st.session_state.get(state.RUN_NAMES, {}).get(current, ""),
            max_chars=cache.MAX_RUN_NAME,
            key=state.RUNS_NAME,
            placeholder="e.g. clinical only, k=15",
        )
        keep = columns[1].form_submit_button("Keep", icon=":material/bookmark_add:", key=state.RUNS_KEEP)
        stop = columns[2].form_submit_button("Stop keeping", icon=":material/bookmark_remove:", key=state.RUNS_STOP_KEEPING)
    if keep:
        try:
            cache.keep_run(current, name)
        except CohortError as error:
            st.error(str(error))
        else:
            st.rerun()
    if stop:
        cache.stop_keeping(current)
        st.rerun()

if len(runs) < 2:
    st.info("Compute another configuration on the **Biotypes** page to compare two runs here.")
    st.stop()

st.subheader("Two runs side by side")
keys = [key for key, _ in runs]
columns = st.columns(2)
first = columns[0].selectbox(
    "First run", keys, index=keys.index(current) if current in keys else len(keys) - 1, format_func=labels.get, key=state.RUNS_FIRST
)
others = [k for k in keys if k != first]
second = columns[1].selectbox("Second run", others, index=len(others) - 1, format_func=labels.get, key=state.RUNS_SECOND)
a, b = by_key[first], by_key[second]
agreement = cache.runs_agreement(first, second)
metrics = st.columns(3)
metrics[0].metric(
    "Agreement (ARI)",
    f"{agreement.ari:.2f}",
    help="Adjusted Rand index over the participants both runs clustered, noise as a group of its own: 1 is the same "
    "biotypes (whatever their numbers), about 0 no more agreement than chance. Descriptive: two runs of one cohort are "
    "not independent samples, so no test is made.",
)
metrics[1].metric(
    "ARI, in a biotype in both",
    f"{agreement.ari_clustered:.2f}",
    help="The same over the participants in a biotype in both runs (noise left out).",
)
metrics[2].metric("Clustered by both", f"{agreement.n_both:,}")
for column, result, key in ((columns[0], a, first), (columns[1], b, second)):
    verdict = result.structure.headline if result.structure is not None else "not tested yet (open the run to test it)"
    row = overview[overview["run"] == labels[key]].iloc[0]
    column.markdown(f"**{labels[key]}**: {row['biotypes']} biotypes, structure {verdict}; replication: {row['replication']}")

differences = parameter_differences(a.config, b.config).rename(columns={"first": labels[first], "second": labels[second]})
if len(differences):
    st.markdown("**Parameters that differ**")
    render_table(differences)
else:
    st.caption("The two runs have the same parameters.")
unclustered = st.toggle("Show the participants a run did not cluster", value=False, key=state.RUNS_UNCLUSTERED)
st.plotly_chart(runs_sankey_figure(agreement.flows, labels[first], labels[second], a.names, b.names, unclustered), width="stretch")

columns = st.columns(2)
columns[0].download_button(
    "runs.csv (for the supplement)",
    lambda: csv_bytes(supplement_table([(labels[key], result) for key, result in runs], labels[first])),
    file_name="runs.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    key=state.RUNS_DOWNLOAD,
    help=f"Every run of this list with its parameters, biotypes, verdict and replication, and its agreement with {labels[first]}.",
)
if second != current and columns[1].button(f"Show {labels[second]} on every page", icon=":material/visibility:", key=state.RUNS_SHOW):
    cache.show_run(second)
    st.rerun()
