"""Server time of a page switch once a run is computed: every page of the sample cohort's run, in AppTest.

    python bench/page_switch.py [--repeats 5]

Loads the bundled sample cohort, computes the default run (every modality), visits every page once
(whatever a page summarises is computed and cached then), and then times ``switch_page(...).run()``
for each page ``--repeats`` times: the whole script run of the page on the server, cached results
included (Streamlit's AppTest runs the script in this process; no browser, no network). Then the
display changes (:data:`DISPLAY_CHANGES`: a biotype, a score, a metric, a q threshold chosen on a
page): each widget is set to two values once (their results computed and cached), then alternated
between them ``--repeats`` times, each rerun timed the same way. Prints the median and the largest
time per page and per change. Asserts nothing; records them (bench/results/page_switch.jsonl).

AppTest compiles a page's script afresh at every run (a new ``ScriptCache`` each time: 15-40 ms of
parsing and Streamlit's "magic" rewriting here), where a server compiles each page once and keeps the
bytecode for every later rerun of every session (the runtime's one ``ScriptCache``). The bench gives
AppTest one shared cache, as a server has; ``--compile-each-run`` measures AppTest as it comes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = (
    "pages/data.py",
    "pages/biotypes.py",
    "pages/profiles.py",
    "pages/brain.py",
    "pages/genetics.py",
    "pages/wearables.py",
    "pages/compare.py",
    "pages/runs.py",
    "pages/manuscript.py",
    "pages/assign.py",
    "pages/export.py",
)

#: (page, widget kind, widget key, its two values): a selectbox's values are option positions.
DISPLAY_CHANGES = (
    ("pages/biotypes.py", "selectbox", "biotypes_colour_by", (0, 1)),
    ("pages/profiles.py", "select_slider", "profiles_max_q", (1.0, 0.05)),
    ("pages/brain.py", "selectbox", "brain_biotype", (0, 1)),
    ("pages/brain.py", "select_slider", "brain_max_q", (0.05, 0.01)),
    ("pages/brain.py", "slider", "brain_edges", (50, 20)),
    ("pages/genetics.py", "selectbox", "genetics_score", (0, 1)),
    ("pages/wearables.py", "selectbox", "wearables_metric", (0, 1)),
    ("pages/compare.py", "selectbox", "compare_metric", (0, 1)),
)


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    from streamlit.testing.v1 import AppTest

    from bench.results import record
    from components import state

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compile-each-run", action="store_true", help="compile the page's script at every run, as AppTest does")
    args = parser.parse_args()
    if not args.compile_each_run:
        share_script_cache()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.button(key=state.DATA_LOAD_SAMPLE).click().run()
    at.switch_page("pages/biotypes.py").run()
    started = time.perf_counter()
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    print(f"compute (sample cohort, every modality): {time.perf_counter() - started:.1f} s")
    for page in PAGES:
        at.switch_page(page).run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception}")
    print(f"{'page':<22} {'median ms':>10} {'max ms':>8}")
    figures = {}
    for page in PAGES:
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            at.switch_page(page).run()
            times.append(1000 * (time.perf_counter() - started))
        print(f"{page:<22} {statistics.median(times):>10.0f} {max(times):>8.0f}")
        figures[page] = {"median_ms": statistics.median(times), "max_ms": max(times)}
    print(f"{'display change':<40} {'median ms':>10} {'max ms':>8}")
    for page, kind, key, values in DISPLAY_CHANGES:
        times = display_change_times(at, page, kind, key, values, args.repeats)
        label = f"{page.removeprefix('pages/').removesuffix('.py')}: {key}"
        print(f"{label:<40} {statistics.median(times):>10.0f} {max(times):>8.0f}")
        figures[label] = {"median_ms": statistics.median(times), "max_ms": max(times)}
    record("page_switch", figures, {"repeats": args.repeats, "script_cache": "per run" if args.compile_each_run else "shared"})


def display_change_times(at, page: str, kind: str, key: str, values: tuple | None, repeats: int) -> list[float]:
    """Milliseconds of each rerun that sets a widget of ``page`` to the other of two values, once both were shown."""
    at.switch_page(page).run()

    def show(value) -> float:
        started = time.perf_counter()
        element = getattr(at, kind)(key=key)
        (element.select_index(value) if kind == "selectbox" else element.set_value(value)).run()
        if at.exception:
            raise RuntimeError(f"{page} {key}={value}: {at.exception}")
        return 1000 * (time.perf_counter() - started)

    for value in values:
        show(value)
    return [show(values[k % 2]) for k in range(1, 2 * repeats + 1)]


def share_script_cache() -> None:
    """Make every AppTest run use one ScriptCache, so that a page is compiled once, as on a server."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


if __name__ == "__main__":
    main()
