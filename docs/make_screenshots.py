"""Take the README's screenshots in a real headless browser: ``python docs/make_screenshots.py``.

Starts ``streamlit run app.py`` on a free localhost port, drives Debian's chromium with Playwright
and writes PNG files to docs/img/. ``--only opened-run`` takes only those of a saved run opened on
the Data page and its Export page, ``--only progress`` the progress bar of a run with its Stop button,
``--only brain`` the Brain connectivity page and its glass brain
(a few minutes instead of most of an hour).
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import browser_page, served_app  # noqa: E402


def main() -> None:
    """Serve the app, drive it through every page in chromium and write the screenshots to docs/img."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["opened-run", "progress", "brain"], help="take only these screenshots")
    args = parser.parse_args()
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    if args.only:
        with served_app() as url, browser_page(width=1440, height=1900) as page:
            page.goto(url)
            page.get_by_role("button", name="Load sample cohort").click()
            page.get_by_text("Problems found", exact=True).wait_for(timeout=60_000)
            if args.only == "opened-run":
                open_saved_run(page, out)
            elif args.only == "brain":
                page.get_by_role("link", name="Biotypes", exact=True).click()
                page.get_by_role("button", name="Compute biotypes").click()
                page.get_by_text("biotypes replicate across halves").first.wait_for(timeout=900_000)
                page.get_by_role("link", name="Brain connectivity", exact=True).click()
                page.get_by_text("Glass brain", exact=True).wait_for(timeout=120_000)
                brain_screenshots(page, out)
            else:
                page.get_by_role("link", name="Biotypes", exact=True).click()
                page.get_by_role("button", name="Compute biotypes").click()
                run_progress(page, out)
        print(f"wrote the {args.only} screenshots to {out}")
        return
    with served_app() as url, browser_page(width=1440, height=1900) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").click()
        page.get_by_text("Problems found", exact=True).wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "data_page.png"))
        page.get_by_text("Column roles: which modality each column feeds").click()
        page.get_by_role("button", name="Apply 0 change(s)").wait_for(timeout=60_000)
        page.get_by_text("Column roles: which modality each column feeds").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "data_roles.png"))
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_text("Who has which modality, and what each choice would cluster").wait_for(timeout=120_000)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "biotypes_availability.png"))
        page.get_by_role("button", name="Compute biotypes").click()
        run_progress(page, out)
        page.get_by_text("min_cluster_size candidates").wait_for(timeout=600_000)
        page.get_by_text("Are there biotypes at all?", exact=True).wait_for(timeout=600_000)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=60_000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(out / "biotypes_page.png"))
        page.get_by_text("Are there biotypes at all?", exact=True).scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "biotypes_structure.png"))
        page.get_by_text("biotypes replicate across halves").first.wait_for(timeout=900_000)
        page.get_by_text("Do they replicate?", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(2500)
        page.screenshot(path=str(out / "biotypes_replication.png"))
        page.get_by_role("link", name="Biotype profiles", exact=True).click()
        page.get_by_text("What defines each biotype").wait_for(timeout=60_000)
        page.wait_for_timeout(4000)
        page.screenshot(path=str(out / "profiles_page.png"))
        page.get_by_text("Do the biotypes matter beyond severity?", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(2500)
        page.screenshot(path=str(out / "profiles_clinical_value.png"))
        page.get_by_text("Time to an event, by biotype", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(2500)
        page.screenshot(path=str(out / "profiles_survival.png"))
        for link, marker, name in (
            ("Brain connectivity", "Glass brain", "brain_page"),
            ("Genetics (PRS)", "Deciles", "genetics_page"),
            ("Wearables", "Adherence", "wearables_page"),
            ("Compare side by side", "What distinguishes them", "compare_page"),
            ("Table 1 and flow", "Participant flow", "table_one_page"),
            ("Export", "Report", "export_page"),
        ):
            page.get_by_role("link", name=link, exact=True).click()
            page.get_by_text(marker, exact=True).wait_for(timeout=120_000)
            if name == "brain_page":
                brain_screenshots(page, out)
                continue
            page.wait_for_timeout(4000)
            page.screenshot(path=str(out / f"{name}.png"))
            if name == "table_one_page":
                flow_diagram(page, out)
        page.get_by_role("link", name="Assign new participants", exact=True).click()
        page.get_by_role("button", name="Try it with 200 new synthetic participants").click()
        page.get_by_role("button", name="assignments.csv of the new participants").wait_for(timeout=300_000)
        page.wait_for_timeout(4000)
        page.screenshot(path=str(out / "assign_page.png"))
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_role("button", name="Measure stability").click()
        page.get_by_text("Median ARI with the run").wait_for(timeout=600_000)
        page.get_by_text("How the biotypes split", exact=True).scroll_into_view_if_needed()
        page.wait_for_timeout(3000)
        page.screenshot(path=str(out / "biotypes_stability.png"))
        compare_runs(page, out)
        open_saved_run(page, out)
    roles_review(out)
    print(f"wrote the page screenshots to {out}")


def brain_screenshots(page, out: Path) -> None:
    """The Brain connectivity page's Region by region view, then its glass brain."""
    page.get_by_role("tab", name="Region by region").click()
    page.locator(".js-plotly-plot").filter(has_text="Mean connectivity").first.wait_for(timeout=120_000)
    page.wait_for_timeout(4000)
    page.screenshot(path=str(out / "brain_page.png"))
    glass_brain(page, out)


def glass_brain(page, out: Path) -> None:
    """The Brain connectivity page's glass brain (its first tab), with the hover of one edge."""
    page.get_by_role("tab", name="Glass brain").click()
    page.get_by_text("Strongest significant edges drawn").wait_for(timeout=120_000)
    page.get_by_text("Glass brain", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(2000)
    plot = page.locator(".js-plotly-plot").filter(has_text="minus rest").first
    point = plot.locator(".scatterlayer .trace .point").first
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(800)
    page.screenshot(path=str(out / "brain_glass.png"))


def run_progress(page, out: Path) -> None:
    """A run under way on the Biotypes page: its progress bar, saying what it does, and the Stop button beside it."""
    page.get_by_test_id("stButton").get_by_role("button", name="Stop", exact=True).wait_for(timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stProgress]')].some(e => /nearest neighbours|UMAP to|HDBSCAN/.test(e.innerText))",
        timeout=300_000,
    )
    page.locator('[data-testid="stProgress"]').first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(out / "biotypes_progress.png"))


def compare_runs(page, out: Path) -> None:
    """Keep the shown run by name, compute it again with a smaller min_cluster_size, and compare the two runs."""
    page.get_by_role("link", name="Compare runs", exact=True).click()
    page.get_by_label("Keep the shown run").fill("all four modalities, automatic size")
    page.get_by_role("button", name="Keep", exact=True).click()
    page.get_by_text("Compute another configuration").wait_for(timeout=60_000)
    page.get_by_role("link", name="Biotypes", exact=True).click()
    page.get_by_text("Block weights, UMAP and HDBSCAN").click()
    page.get_by_label("min_cluster_size (0 = choose from the data)").fill("20")
    page.get_by_role("button", name="Compute biotypes").click()
    # The sidebar is drawn once the page is done: the new run, tested and checked for replication.
    page.get_by_text(re.compile(r"\((distinct|graded|not distinct)\), seed 0, min_cluster_size 20")).wait_for(timeout=1_500_000)
    page.get_by_role("link", name="Compare runs", exact=True).click()
    page.get_by_text("Two runs side by side", exact=True).wait_for(timeout=120_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=60_000)
    page.wait_for_timeout(4000)
    page.screenshot(path=str(out / "runs_page.png"))


def open_saved_run(page, out: Path) -> None:
    """Open a command-line run's zip on the Data page (the sample cohort is loaded)."""
    import tempfile

    from tests.e2e.test_data_page_browser import upload
    from tests.e2e.test_open_run_browser import command_line_run

    with tempfile.TemporaryDirectory() as folder:
        archive = command_line_run(Path(folder))
        page.get_by_role("link", name="Data", exact=True).click()
        page.get_by_text("Open a saved run of this cohort").click()
        upload(page.locator('[data-testid="stFileUploader"]').filter(has_text="The run's zip"), archive)
        page.get_by_role("button", name="Open this run").click()
        page.get_by_text("every participant's biotype as in the zip's assignments.csv").wait_for(timeout=600_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "data_open_run.png"))
        page.get_by_role("link", name="Export", exact=True).click()
        page.get_by_role("button", name="Refit the model").wait_for(timeout=120_000)
        page.get_by_text("Everything, with the model for assigning new participants").scroll_into_view_if_needed()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "export_opened_run.png"))


def flow_diagram(page, out: Path) -> None:
    """The Table 1 page scrolled to its participant flow diagram."""
    page.get_by_text("Participant flow", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(2000)
    page.screenshot(path=str(out / "table_one_flow.png"))


def roles_review(out: Path) -> None:
    """The Data page with a wide clinical-study export made here (tests/analysis/cohort/test_roles.py) and 400 more columns."""
    import tempfile

    import numpy as np
    import pandas as pd

    from tests.analysis.cohort.test_roles import wide_export

    rng = np.random.default_rng(3)
    export = wide_export(470)
    extra = {f"item{j}_empty": np.full(470, np.nan) for j in range(140)}
    extra |= {f"lab{j}": np.where(rng.random(470) < 0.6, np.nan, rng.normal(size=470)) for j in range(120)}
    extra |= {f"flag{j}": np.ones(470) for j in range(6)}
    export = pd.concat([export, pd.DataFrame(extra)], axis=1)
    with tempfile.TemporaryDirectory() as folder, served_app() as url, browser_page(width=1440, height=1500) as page:
        path = Path(folder) / "export.csv"
        export.to_csv(path, index=False)
        page.goto(url)
        page.locator("input[type=file]").first.set_input_files(str(path))
        page.get_by_text("Problems found", exact=True).wait_for(timeout=120_000)
        page.wait_for_timeout(3000)
        page.get_by_text("Summary", exact=True).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "data_roles_review.png"))


if __name__ == "__main__":
    main()
