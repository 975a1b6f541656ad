"""The bad-input corpus through the Data page's uploads: one st.error, the app usable, nothing lost."""

import pytest
import streamlit.config as st_config
from streamlit.testing.v1 import AppTest

from components import state
from components.uploads import ATLAS_FROM_FILE
from tests.analysis.test_bad_input_corpus import files_of
from tests.bad_inputs import ROLES, cases
from tests.pages.conftest import APP

UPLOADER = {
    "participants": state.DATA_PARTICIPANTS,
    "prs": state.DATA_PRS,
    "connectivity": state.DATA_CONNECTIVITY,
    "connectivity_ids": state.DATA_CONNECTIVITY_IDS,
    "atlas": state.DATA_ATLAS_COORDS,
    "wearables": state.DATA_WEARABLES,
    "dictionary": state.DATA_DICTIONARY,
}


@pytest.mark.slow
def test_every_corpus_case_uploaded_gives_one_message_and_keeps_what_was_loaded():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.button(key=state.DATA_LOAD_SAMPLE).click().run()
    loaded = at.session_state[state.COHORT].fingerprint
    limit = st_config.get_option("server.maxUploadSize")
    try:
        for case in cases():
            st_config.set_option("server.maxUploadSize", case.max_file_mb or limit)
            for role in ROLES:
                name, data = case.files.get(role, (None, None))
                at.file_uploader(key=UPLOADER[role]).set_value(None if name is None else (name, data, "application/octet-stream"))
            at.selectbox(key=state.DATA_ATLAS).set_value(case.atlas or ATLAS_FROM_FILE)
            at.run()
            assert not at.exception, case.name
            errors = [e.value for e in at.error]
            cohort = at.session_state[state.COHORT]
            if case.outcome == "refused":
                assert len(errors) == 1 and case.expect in errors[0], (case.name, errors)
                assert cohort.fingerprint == loaded, case.name  # what was loaded before is still in use
                assert any("still in use" in i.value for i in at.info) or "limit" in errors[0] or "empty" in errors[0], case.name
            else:
                files = files_of(case)
                assert errors == [] and cohort.fingerprint == files.fingerprint(), (case.name, errors)
                case.check(cohort)
                loaded = cohort.fingerprint
    finally:
        st_config.set_option("server.maxUploadSize", limit)
