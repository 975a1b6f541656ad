"""Data page: load the sample cohort or upload files, and read the validation report."""

from dataclasses import replace

import streamlit as st

from analysis.errors import CohortError
from components import cache, state
from components.open_run import render_open_run
from components.roles import render_roles_editor
from components.uploads import render_upload_form
from components.validation_report import render_validation_report

st.title("Data")
st.caption("Load the bundled synthetic cohort, or upload your own files. Nothing leaves this machine.")

if st.button("Load sample cohort", key=state.DATA_LOAD_SAMPLE, type="primary"):
    st.session_state[state.DATA_SOURCE] = "sample"

with st.expander("Upload your cohort", expanded=st.session_state.get(state.DATA_SOURCE) != "sample"):
    uploaded = render_upload_form()

source = st.session_state.get(state.DATA_SOURCE)
files = cache.sample_files() if source == "sample" else uploaded if source == "upload" else None
roles = st.session_state.get(state.DATA_ROLES)
if files is not None and roles is not None and roles[0] == files.fingerprint():
    base, files = files, replace(files, dictionary=roles[1])  # column roles edited below, as a data dictionary
else:
    base = files
if files is not None:
    try:
        cohort = cache.loaded_cohort(files)
        st.session_state[state.COHORT] = cohort
        st.session_state[state.DATA_ERROR] = None
    except CohortError as error:
        st.session_state[state.DATA_ERROR] = str(error)
elif source == "upload":
    st.session_state[state.DATA_ERROR] = None  # no files to load (the form said why, if it refused one)

if st.session_state.get(state.DATA_ERROR):
    st.error(st.session_state[state.DATA_ERROR], icon=":material/error:")
    if st.session_state.get(state.COHORT) is not None:
        st.info("The cohort loaded before is still in use; its report follows.")

cohort = st.session_state.get(state.COHORT)
if cohort is not None:
    with st.expander("Open a saved run of this cohort"):
        render_open_run(cohort)
if cohort is None:
    st.info("No cohort yet: click **Load sample cohort** or upload a participants table.")
else:
    editable = base is not None and st.session_state.get(state.COHORT) is cohort
    render_validation_report(cache.report_of(cohort), (lambda: render_roles_editor(cohort, base, files)) if editable else None)
