"""Real browser: a command-line run's zip opened with its cohort's files shows the same biotypes, names and verdict."""

import html
import json
import zipfile
from pathlib import Path

from analysis.cli import main as cli_main
from tests.conftest import sample_input_arguments
from tests.e2e.server import browser_page, served_app
from tests.e2e.test_data_page_browser import upload


def command_line_run(folder: Path) -> Path:
    """The sample cohort clustered on its clinical measures by the command line (19 null cohorts), zipped as `zip -r`."""
    config = folder / "config.json"
    settings = {"modalities": ["clinical"], "null_cohorts": 19, "replication_splits": 0, "site_replication": False}
    config.write_text(json.dumps({**settings, "biotype_names": [[1, "first found"]]}))
    assert cli_main(["cluster", *sample_input_arguments(), "--config", str(config), "--out", str(folder / "cli_run")]) == 0
    archive = folder / "cli_run.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((folder / "cli_run").rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(folder).as_posix())
    return archive


def test_a_command_line_run_opens_with_its_biotypes_names_and_verdict(tmp_path, warm_umap):
    archive = command_line_run(tmp_path)
    record = json.loads((tmp_path / "cli_run" / "run.json").read_text())
    explanation = record["structure"]["explanation"]
    n_biotypes = record["n_biotypes"]
    with served_app() as url, browser_page(width=1440, height=1600) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").click(timeout=180_000)
        page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
        page.get_by_text("Open a saved run of this cohort").click()
        upload(page.locator('[data-testid="stFileUploader"]').filter(has_text="The run's zip"), archive)
        page.get_by_role("button", name="Open this run").click()
        page.get_by_text("every participant's biotype as in the zip's assignments.csv").wait_for(timeout=300_000)
        page.get_by_text("from the saved state (nothing computed again)").wait_for(timeout=10_000)
        page.screenshot(path=str(tmp_path / "opened.png"))
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_text("Are there biotypes at all?", exact=True).wait_for(timeout=600_000)
        page.locator('[data-testid="stAlert"]').filter(has_text=explanation).first.wait_for(timeout=600_000)  # the same verdict
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text(f"Run: {n_biotypes} biotypes").wait_for(timeout=60_000)
        assert page.locator(".js-plotly-plot").filter(has_text="B1 · first found").count() >= 1  # the name given by hand
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(tmp_path / "biotypes.png"))
        page.get_by_role("link", name="Export", exact=True).click()
        page.get_by_role("button", name="report.html", exact=True).wait_for(timeout=120_000)
        with page.expect_download(timeout=300_000) as download:
            page.get_by_role("button", name="report.html", exact=True).click()
        report = download.value.path().read_text()
    assert explanation in html.unescape(report) and "B1 · first found" in report
