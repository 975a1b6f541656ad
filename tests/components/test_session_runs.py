"""The session's runs: the most recent kept, those named kept beyond them, a changed run in its old place."""

import pytest

from analysis.errors import CohortError
from components import cache, state


class Run:
    """Stands in for a RunResult: the store only keeps and returns it."""

    def __init__(self, config):
        self.config = config


@pytest.fixture
def session(monkeypatch):
    store = {}
    monkeypatch.setattr(cache.st, "session_state", store)
    return store


def compute(name: str) -> tuple:
    key = ("cohort", name)
    cache._keep(key, Run(name))
    return key


def test_beyond_the_most_recent_runs_the_oldest_is_dropped_unless_kept_by_name(session):
    first = compute("a")
    cache.keep_run(first, "  clinical only ")
    later = [compute(name) for name in "bcde"]
    assert list(session[state.RUNS]) == [first, *later[-cache.RUNS_PER_SESSION :]]
    assert cache.run_label(first) == "clinical only" and cache.run_label(later[-1]) == "Run 5"
    cache.stop_keeping(first)
    compute("f")
    assert first not in session[state.RUNS] and len(session[state.RUNS]) == cache.RUNS_PER_SESSION


def test_a_named_or_measured_run_takes_the_old_ones_place_number_and_name(session):
    first, second = compute("a"), compute("b")
    cache.keep_run(second, "final")
    session[state.DERIVED] = {
        cache.SummaryKey(second, "splits", (), False): "tree",
        cache.SummaryKey(second, "export_files", (), True): "x",
    }
    cache._replace_current(lambda result: Run("b renamed"))
    new = ("cohort", "b renamed")
    assert list(session[state.RUNS]) == [first, new]
    assert cache.run_label(new) == "final" and session[state.RUN_SERIALS][new] == 2
    assert list(cache._summaries()) == [cache.SummaryKey(new, "splits", (), False)]  # names shown: made again


def test_a_name_must_be_given_unique_short_and_within_the_limit(session):
    keys = [compute(str(k)) for k in range(cache.MAX_KEPT_RUNS + 1)]
    with pytest.raises(CohortError, match="the name is empty"):
        cache.keep_run(keys[-1], "   ")
    with pytest.raises(CohortError, match="at most 60"):
        cache.keep_run(keys[-1], "x" * 61)
    cache.keep_run(keys[-1], "final")
    with pytest.raises(CohortError, match="another kept run is called 'final'"):
        cache.keep_run(keys[-2], "final")
    cache.keep_run(keys[-1], "final, renamed")  # renaming a kept run is not keeping another
    for k, key in enumerate(keys[1 : cache.MAX_KEPT_RUNS]):
        cache.keep_run(key, f"run {k}")
    with pytest.raises(CohortError, match=f"{cache.MAX_KEPT_RUNS} runs are kept already"):
        cache.keep_run(keys[0], "one too many")


def test_a_stopped_placement_is_not_restarted_by_itself_but_a_click_asks_for_it(session):
    placing = (("cohort", "a"), "new cohort")
    session[state.ASSIGN_STOP] = True  # the rerun a click on Stop starts
    assert cache.placing_stopped(placing, asked=False)
    del session[state.ASSIGN_STOP]  # later reruns: the uploaded files are still there
    assert cache.placing_stopped(placing, asked=False)
    assert not cache.placing_stopped((("cohort", "a"), "another cohort"), asked=False)
    assert not cache.placing_stopped(placing, asked=True)  # "Try it" clicked again, or "Place them"
    assert not cache.placing_stopped(placing, asked=False)
