"""A failure inside one page stays in that page: one message, no traceback, nothing lost."""

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.pages.conftest import computed_session


@pytest.fixture
def computed(warm_umap):
    """One session with the sample cohort clustered on its clinical measures."""
    return computed_session()


def _open_through_app(at: AppTest) -> AppTest:
    """Open the default (Data) page through app.py, whose guard wraps the page.

    AppTest, like a server's very first run, treats the pages/ folder as Streamlit's old multipage
    layout and runs a switched-to page file directly; the entry point runs for its own page.
    """
    return at.switch_page("app.py").run()


def test_a_bug_in_one_page_shows_one_message_there_and_the_rest_of_the_app_works(computed, monkeypatch):
    import components.report

    def broken(*args, **kwargs):
        raise RuntimeError("sub-0042 pain_intensity 7.5")  # what a traceback could leak

    monkeypatch.setattr(components.report, "render_validation_report", broken)
    at = computed
    run_key = at.session_state[state.CURRENT_RUN]
    _open_through_app(at)
    assert not at.exception
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "**Data**" in messages[0] and "RuntimeError" in messages[0]
    assert "sub-0042" not in messages[0] and "7.5" not in messages[0]
    assert any("Cohort:" in c.value for c in at.sidebar.caption)  # drawn after the page, so the app went on
    at.switch_page("pages/profiles.py").run()
    assert not at.exception and not at.error
    assert at.session_state[state.CURRENT_RUN] == run_key and at.session_state[state.COHORT] is not None


def test_a_user_error_a_page_did_not_catch_is_shown_as_it_is(computed, monkeypatch):
    import components.report
    from analysis.errors import CohortError

    error = CohortError("the PRS file has no SCORE column", "prs.sscore", "export the scores with PLINK 2 --score")

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(components.report, "render_validation_report", refuse)
    at = _open_through_app(computed)
    assert not at.exception
    assert [e.value for e in at.error] == [str(error)]
