"""First "Compute biotypes" in a freshly started dashboard, in a real browser (Debian's chromium).

    python bench/cold_start_app.py [--wait 60 0]

For each ``--wait`` value a new ``streamlit run app.py`` is started (a new server process, so
numba's compilation is not done yet), the app is opened, and after that many seconds the sample
cohort is loaded and the default run computed; the times from the click on "Compute biotypes" to the
run's biotypes on the page (its map's colour control) and to its validity checks on the page (the
candidates table below them, drawn after the structure test and split-half replication, which the
dashboard runs after showing the biotypes) are printed, then the time from the Assign page's "Try it with 200 new
synthetic participants" to their placement on the page (the first demo click of that server). The
server compiles UMAP's code in a background thread from the first page view
(components.cache.compiling_in_background). Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.server import browser_page, served_app  # noqa: E402


def first_compute_seconds(wait: float, screenshot: Path | None = None) -> tuple[float, float, float]:
    """Seconds from the click on Compute biotypes (``wait`` s after the app was opened) to the run's biotypes shown and to its validity checks shown, then of the first demo assignment."""
    with served_app() as url, browser_page(width=1440, height=1200) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").wait_for(timeout=120_000)
        time.sleep(wait)
        page.get_by_role("button", name="Load sample cohort").click(timeout=180_000)
        page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
        page.get_by_role("link", name="Biotypes", exact=True).click()
        button = page.get_by_role("button", name="Compute biotypes")
        button.wait_for(timeout=60_000)
        started = time.perf_counter()
        button.click()
        page.get_by_text("Colour the map by", exact=True).wait_for(timeout=600_000)
        shown = time.perf_counter() - started
        page.get_by_text("min_cluster_size candidates").wait_for(timeout=600_000)
        checked = time.perf_counter() - started
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError("the page shows an exception")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        page.get_by_role("link", name="Assign new participants", exact=True).click()
        demo = page.get_by_role("button", name="Try it with 200 new synthetic participants")
        demo.wait_for(timeout=60_000)
        started = time.perf_counter()
        demo.click()
        page.get_by_text("Placed in a biotype", exact=True).wait_for(timeout=600_000)
        assigning = time.perf_counter() - started
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError("the Assign page shows an exception")
        return shown, checked, assigning


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, nargs="+", default=[60.0, 0.0])
    parser.add_argument("--screenshot", type=Path, help="save the Biotypes page after the first run as this PNG")
    args = parser.parse_args()
    for wait in args.wait:
        shown, checked, assigning = first_compute_seconds(wait, args.screenshot)
        print(
            f"app open {wait:.0f} s before loading: first Compute biotypes showed the biotypes after {shown:.1f} s "
            f"and the structure test and replication after {checked:.1f} s, then the first demo assignment took {assigning:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
