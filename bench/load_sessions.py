"""Load: N concurrent browser sessions against one server on loopback, each loading the sample and computing biotypes.

    python bench/load_sessions.py [--sessions 10] [--warm]

Starts ``streamlit run app.py`` on 127.0.0.1 (the repository's .streamlit/config.toml applies),
then opens N pages of Debian's chromium at once (Playwright, one browser, one context per session,
so no cookies or state are shared). Each session clicks **Load sample cohort**, waits for the
report, opens **Biotypes**, clicks **Compute biotypes** and waits for the result
(tests/e2e/sessions.py). With ``--warm`` the app is opened once first (the first page view starts
the server's background numba compilation) and the sessions start 90 s later, when it has finished.
Prints per-step latency percentiles over the sessions, the sessions that failed (a timeout or an
exception shown in the page) and the peak resident memory of the server and its worker processes.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(ROOT))
from process_memory import TreeMemory  # noqa: E402

from tests.e2e.server import served_process  # noqa: E402
from tests.e2e.sessions import STEPS, concurrent_sessions  # noqa: E402


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--warm", action="store_true", help="open the app once and let the background compilation finish first (90 s)")
    args = parser.parse_args()
    with served_process() as (process, url), TreeMemory(process.pid, interval=0.5) as memory:
        results, wall = concurrent_sessions(url, args.sessions, warm_for=90.0 if args.warm else 0.0)
    failed = [r for r in results if "error" in r]
    print(f"{args.sessions} concurrent sessions ({'warm' if args.warm else 'cold'} server), {wall:.0f} s in all")
    for step in STEPS:
        values = np.array([r[step] for r in results if step in r])
        if len(values):
            p50, p90 = np.percentile(values, [50, 90])
            print(f"{step:<18} n={len(values):>3}  median {p50:6.1f} s  p90 {p90:6.1f} s  max {values.max():6.1f} s")
    print(f"sessions with an error: {len(failed)}")
    for r in failed:
        print(f"  session {r['session']}: {r['error']}")
    print(f"peak memory of the server and its workers: {memory.peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
