"""Several researchers at once: concurrent browser sessions on one server all finish, with no error."""

from tests.e2e.server import served_app
from tests.e2e.sessions import STEPS, concurrent_sessions

#: Sessions held at once in CI (bench/load_sessions.py runs 10 and reports latencies and memory).
SESSIONS = 3


def test_concurrent_sessions_each_load_and_compute_without_error(warm_umap):
    with served_app() as url:
        results, _ = concurrent_sessions(url, SESSIONS, checks=False)  # concurrency is the subject, not the checks
    assert [r.get("error") for r in results] == [None] * SESSIONS
    assert all(step in r for r in results for step in STEPS)
