"""Every cached call into analysis/, keyed by the cohort fingerprint (a hash of all input bytes).

Heavy arguments carry a leading underscore so that Streamlit does not hash them; the explicit
fingerprint is the key (Streamlit hashes only a sample of a large frame's rows).
"""

from __future__ import annotations

import streamlit as st

from analysis.cohort import Cohort, CohortFiles, load_cohort, sample_cohort_files
from analysis.validation import ValidationReport, validation_report


@st.cache_resource(max_entries=4, show_spinner="Reading and checking the cohort files...")
def cohort_for(fingerprint: str, _files: CohortFiles) -> Cohort:
    """The validated cohort of these files (shared read-only object; never mutate it)."""
    return load_cohort(_files)


@st.cache_data(max_entries=8, show_spinner=False)
def report_for(fingerprint: str, _cohort: Cohort) -> ValidationReport:
    """The validation report of a cohort."""
    return validation_report(_cohort)


@st.cache_resource(max_entries=1, show_spinner=False)
def sample_files() -> CohortFiles:
    """The bundled sample cohort's files, read from disk once per server."""
    return sample_cohort_files()
