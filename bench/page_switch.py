"""Server time of a page switch once a run is computed: every page of the sample cohort's run, in AppTest.

    python bench/page_switch.py [--repeats 5]

Loads the bundled sample cohort, computes the default run (every modality), visits every page once
(whatever a page summarises is computed and cached then), and then times ``switch_page(...).run()``
for each page ``--repeats`` times: the whole script run of the page on the server, cached results
included (Streamlit's AppTest runs the script in this process; no browser, no network). Prints the
median and the largest time per page. Asserts nothing; records them (bench/results/page_switch.jsonl).
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


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    from streamlit.testing.v1 import AppTest

    from bench.results import record
    from components import state

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
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
    record("page_switch", figures, {"repeats": args.repeats})


if __name__ == "__main__":
    main()
