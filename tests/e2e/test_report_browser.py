"""The HTML report as a co-author sees it: opened offline in chromium, every figure coloured and every label whole.

The report is built in this process after Streamlit has been imported, as the dashboard builds it:
Streamlit then makes its own plotly template the default, whose colours are placeholders that only
its chart element fills in ("#000001", ...), so a report that relies on the default draws black.
"""

import io

import numpy as np
import pytest
from matplotlib.colors import rgb_to_hsv
from PIL import Image

import components.embedding  # noqa: F401  (imports Streamlit, which installs its plotly template)
from analysis.cohort.cohort import load_cohort, sample_cohort_files
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from components.html_report import report_html
from tests.e2e.server import browser_page

#: A pixel counts towards a hue when it is this saturated and bright (text, grid lines and greys are not).
MIN_SATURATION, MIN_VALUE = 0.25, 0.2
#: Share of a figure's chromatic pixels a hue must hold to count (anti-aliasing blends are not colours).
MIN_HUE_SHARE = 0.02
#: Hue buckets of 30 degrees.
HUE_BUCKETS = 12

#: Per figure: its title, legend entries, and every tick label or axis title that leaves the figure
#: or overlaps a tick label of its own axis.
FIGURE_FACTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((plot, index) => {
    const box = plot.getBoundingClientRect();
    const rect = (el) => el.getBoundingClientRect();
    const outside = (r) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1);
    const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const problems = [];
    for (const axis of ['x', 'y']) {
        const ticks = Array.from(plot.querySelectorAll(`.${axis}tick text, .${axis}2tick text`));
        for (const tick of ticks) {
            if (outside(rect(tick))) problems.push(`${axis} tick '${tick.textContent}' is cut by the figure's edge`);
        }
        for (const title of plot.querySelectorAll(`.g-${axis}title text`)) {
            if (outside(rect(title))) problems.push(`${axis} title '${title.textContent}' is cut by the figure's edge`);
            for (const tick of ticks) {
                if (overlap(rect(title), rect(tick))) problems.push(`${axis} title '${title.textContent}' overlaps tick '${tick.textContent}'`);
            }
        }
    }
    const title = plot.querySelector('.gtitle');
    return {index, title: title ? title.textContent : '', legend: plot.querySelectorAll('.legend .traces').length, problems};
})"""


def hues(png: bytes) -> list[int]:
    """The hue buckets that hold at least :data:`MIN_HUE_SHARE` of a picture's chromatic pixels."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255
    hsv = rgb_to_hsv(pixels)
    chromatic = hsv[(hsv[:, 1] >= MIN_SATURATION) & (hsv[:, 2] >= MIN_VALUE), 0]
    counts = np.bincount((chromatic * HUE_BUCKETS).astype(int) % HUE_BUCKETS, minlength=HUE_BUCKETS)
    return [k for k, n in enumerate(counts) if counts.sum() and n / counts.sum() >= MIN_HUE_SHARE]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, warm_umap):
    cohort = load_cohort(sample_cohort_files())
    result = run_biotypes(cohort, RunConfig(seed=0, null_cohorts=0, replication_splits=0))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html(result, cohort), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [1400, 1920])
def test_every_report_figure_is_coloured_and_its_labels_whole(report_file, width):
    with browser_page(width=width, height=1100) as page:
        page.goto(report_file.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=60_000)
        page.wait_for_timeout(1500)
        facts = page.evaluate(FIGURE_FACTS)
        assert len(facts) >= 10, f"only {len(facts)} figures in the report"
        plots = page.locator(".js-plotly-plot")
        failures = []
        for fact in facts:
            found = hues(plots.nth(fact["index"]).screenshot())
            wanted = 2 if fact["legend"] >= 2 else 1
            if len(found) < wanted:
                failures.append(f"'{fact['title']}': {len(found)} colour(s) besides greys, {fact['legend']} legend entries")
            failures += [f"'{fact['title']}': {problem}" for problem in fact["problems"]]
        assert not failures, "\n".join(failures)
        assert "&lt;NA&gt;" not in page.content() and "<NA>" not in page.inner_text("body")
