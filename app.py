"""Pain Biotype Explorer: entry point (page config, navigation, sidebar status)."""

from analysis.engine.compiled_code import use_private_cache_folder

# Before anything imports numba: its compiled code is kept in a private temporary folder.
use_private_cache_folder()

import streamlit as st  # noqa: E402

from components import cache, state  # noqa: E402
from components.guard import page_guard  # noqa: E402
from components.structure import verdict_word  # noqa: E402

st.set_page_config(page_title="Pain Biotype Explorer", page_icon=":material/neurology:", layout="wide")
cache.compiling_in_background()

page = st.navigation(
    [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:", default=True),
        st.Page("pages/biotypes.py", title="Biotypes", icon=":material/scatter_plot:"),
        st.Page("pages/profiles.py", title="Biotype profiles", icon=":material/table_chart:"),
        st.Page("pages/brain.py", title="Brain connectivity", icon=":material/neurology:"),
        st.Page("pages/genetics.py", title="Genetics (PRS)", icon=":material/genetics:"),
        st.Page("pages/wearables.py", title="Wearables", icon=":material/watch:"),
        st.Page("pages/compare.py", title="Compare side by side", icon=":material/compare:"),
        st.Page("pages/runs.py", title="Compare runs", icon=":material/difference:"),
        st.Page("pages/manuscript.py", title="Table 1 and flow", icon=":material/article:"),
        st.Page("pages/assign.py", title="Assign new participants", icon=":material/person_add:"),
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
    ]
)


def sidebar_status(where) -> None:
    """The cohort and run the pages show, in ``where`` (a placeholder in the sidebar)."""
    with where.container():
        st.markdown("**Pain Biotype Explorer**")
        cohort = st.session_state.get(state.COHORT)
        if cohort is None:
            st.caption("No cohort loaded.")
        else:
            source = "sample cohort (synthetic)" if st.session_state.get(state.DATA_SOURCE) == "sample" else "uploaded files"
            st.caption(f"Cohort: {cohort.n_participants:,} participants from the {source}; fingerprint `{cohort.fingerprint[:12]}`")
        run = cache.current_run()
        if run is not None:
            st.caption(
                f"Run: {run.clusters.n_biotypes} biotypes ({verdict_word(run.structure)}), seed {run.config.seed}, "
                f"min_cluster_size {run.config.min_cluster_size}"
            )


# Drawn before the page (a page that stops early, st.stop, ends the script) and again after it, so
# that it reflects what the page just loaded or computed.
status = st.sidebar.empty()
sidebar_status(status)
with page_guard(page.title):
    page.run()
sidebar_status(status)
