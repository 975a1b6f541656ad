"""Brain connectivity in a real browser: seconds from a biotype change or an edge-slider step to the glass brain redrawn.

    python bench/brain_browser.py [--repeats 5]

Serves the app with ``streamlit run`` (as tests/e2e do), loads the bundled sample cohort in headless
Debian chromium, computes the default run without the structure test and replication (they do not
change this page), opens Brain connectivity and then, ``--repeats`` times each, (a) picks another
biotype and (b) moves the "Strongest significant edges drawn" slider one step down with the keyboard (a view not drawn before).
Each time is from the action to the moment the glass brain in the page shows the new view (its plotly
title or, in versions that drew a PNG, its image changed), and to the moment the script run ended
(Streamlit's status widget gone). Each biotype is drawn once before timing (the first view of each is
computed and cached, as for any user). Prints medians and maxima. Asserts nothing; records the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: What identifies the glass brain drawn now: its plotly title, or the PNG's address where a version drew one.
GLASS_BRAIN_SIGNATURE = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.textContent.includes('minus rest'));
    const titles = plots.map(p => (p.querySelector('.gtitle') || {}).textContent || '').join('|');
    const images = [...document.querySelectorAll('[data-testid="stImage"] img')].map(i => i.src.slice(-64)).join('|');
    return titles + '#' + images;
}"""


def timed_change(page, act) -> tuple[float, float]:
    """Seconds from ``act()`` to the glass brain changed, and to the script run over."""
    before = page.evaluate(GLASS_BRAIN_SIGNATURE)
    started = time.perf_counter()
    act()
    page.wait_for_function(f"(old) => ({GLASS_BRAIN_SIGNATURE})() !== old", arg=before, timeout=120_000, polling=20)
    drawn = time.perf_counter() - started
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000, polling=20)
    return drawn, time.perf_counter() - started


def open_biotype_options(page):
    """Open the Biotype select box; return its options (a locator)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text="Biotype").first
    options = page.get_by_role("option")
    for _ in range(5):  # a click on a select box that still has the focus may close it instead
        box.click()
        try:
            options.first.wait_for(timeout=2_000)
            return options
        except Exception:
            page.keyboard.press("Escape")
    raise RuntimeError("the Biotype select box did not open")


def timed_biotype_change(page, index: int) -> tuple[float, float]:
    """:func:`timed_change` of picking the ``index``-th biotype (timed from the click on the option)."""
    options = open_biotype_options(page)
    return timed_change(page, lambda: options.nth(index).click())


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    from bench.results import record
    from tests.e2e.server import browser_page, served_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with served_app() as url, browser_page(width=1440, height=1400) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").click(timeout=180_000)
        page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_role("spinbutton", name="Null cohorts of the structure test (0 = not tested)").fill("0")
        page.get_by_role("spinbutton", name="Split-half replications (0 = off)").fill("0")
        page.get_by_role("button", name="Compute biotypes").click()
        page.get_by_text("min_cluster_size candidates").wait_for(timeout=480_000)
        page.get_by_role("link", name="Brain connectivity", exact=True).click()
        page.get_by_text("Glass brain", exact=True).wait_for(timeout=180_000)
        page.wait_for_function(f"() => ({GLASS_BRAIN_SIGNATURE})() !== '#'", timeout=120_000)
        n_biotypes = open_biotype_options(page).count()
        page.keyboard.press("Escape")
        for index in range(1, n_biotypes):  # every biotype's first view, so that each timed change is of a cached view
            timed_biotype_change(page, index)
        timed_biotype_change(page, 0)
        biotype, edges = [], []
        for repeat in range(args.repeats):
            biotype.append(timed_biotype_change(page, 1 + repeat % (n_biotypes - 1)))
            timed_biotype_change(page, 0)
            thumb = page.get_by_role("slider").last
            edges.append(timed_change(page, lambda thumb=thumb: thumb.press("ArrowLeft")))
    print(f"{'change':<32} {'drawn median s':>15} {'max':>6} {'run over median s':>18}")
    figures = {}
    for name, times in (("biotype", biotype), ("edge_slider", edges)):
        drawn, over = zip(*times, strict=True)
        print(f"{name:<32} {statistics.median(drawn):>15.2f} {max(drawn):>6.2f} {statistics.median(over):>18.2f}")
        figures[name] = {"drawn_median_s": statistics.median(drawn), "drawn_max_s": max(drawn), "over_median_s": statistics.median(over)}
    record("brain_browser", figures, {"repeats": args.repeats})


if __name__ == "__main__":
    main()
