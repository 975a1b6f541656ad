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
    import components.validation_report

    def broken(*args, **kwargs):
        raise RuntimeError("sub-0042 pain_intensity 7.5")  # what a traceback could leak

    monkeypatch.setattr(components.validation_report, "render_validation_report", broken)
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
    import components.validation_report
    from analysis.errors import CohortError

    error = CohortError("the PRS file has no SCORE column", "prs.sscore", "export the scores with PLINK 2 --score")

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(components.validation_report, "render_validation_report", refuse)
    at = _open_through_app(computed)
    assert not at.exception
    assert [e.value for e in at.error] == [str(error)]


def _stopped_after(calls: int, compute):
    """``compute`` with its progress callback raising Streamlit's StopException at the ``calls``-th update.

    That is what happens when a user presses Stop, or moves to another page or widget, while a run
    reports progress: the next Streamlit call of the script raises StopException (a BaseException).
    """
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    seen = []

    def wrapped(*args, progress=None, **kwargs):
        def stopping(fraction, message):
            seen.append(message)
            if len(seen) >= calls:
                raise StopException()
            if progress:
                progress(fraction, message)

        args = list(args)
        if len(args) >= 3:  # run_biotypes(cohort, config, progress)
            args[2] = stopping
        else:
            kwargs["progress"] = stopping
        return compute(*args, **kwargs)

    return wrapped, seen


def test_a_run_stopped_midway_leaves_the_session_as_it_was_and_can_be_run_again(computed, monkeypatch):
    import components.cache

    at = computed
    before = at.session_state[state.CURRENT_RUN]
    runs_before = set(at.session_state[state.RUNS])
    stopping, seen = _stopped_after(3, components.cache.run_biotypes)
    monkeypatch.setattr(components.cache, "run_biotypes", stopping)
    at.number_input(key=state.BIOTYPES_SEED).set_value(before[1].seed + 1)
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    assert len(seen) == 3  # the run really started and was stopped inside the analysis
    assert not at.exception and not at.error
    assert at.session_state[state.CURRENT_RUN] == before
    assert set(at.session_state[state.RUNS]) == runs_before  # no half-made run kept
    at.run()  # the user's next click: the page draws the earlier run again
    assert not at.exception and not at.error
    assert any(m.label == "Biotypes" for m in at.metric)

    monkeypatch.undo()
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    assert not at.exception and not at.error
    after = at.session_state[state.CURRENT_RUN]
    assert after != before and after[1].seed == before[1].seed + 1
    assert len(at.session_state[state.RUNS][after].assignments) == len(at.session_state[state.RUNS][before].assignments)


def test_a_stability_measurement_stopped_midway_keeps_the_run_and_can_be_run_again(computed, monkeypatch):
    import components.cache

    at = computed
    before = at.session_state[state.CURRENT_RUN]
    stopping, seen = _stopped_after(2, components.cache.with_stability)
    monkeypatch.setattr(components.cache, "with_stability", stopping)
    at.number_input(key=state.BIOTYPES_RESAMPLES).set_value(5)
    at.button(key=state.BIOTYPES_MEASURE).click().run()
    assert len(seen) == 2
    assert not at.exception and not at.error
    assert at.session_state[state.CURRENT_RUN] == before
    assert at.session_state[state.RUNS][before].stability is None

    monkeypatch.undo()
    at.button(key=state.BIOTYPES_MEASURE).click().run()
    assert not at.exception and not at.error
    after = at.session_state[state.CURRENT_RUN]
    assert at.session_state[state.RUNS][after].stability is not None
    assert after[1].stability_resamples == 5
