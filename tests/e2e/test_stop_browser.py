"""Real browser: long work shows a Stop button beside its progress; stopping keeps the session and says so."""

from tests.e2e.server import browser_page, served_app


def test_stopping_a_run_keeps_the_cohort_and_says_what_was_stopped(tmp_path, warm_umap):
    with served_app() as url, browser_page(width=1440, height=1400) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").click(timeout=180_000)
        page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_role("button", name="Compute biotypes").click()
        stop = page.get_by_test_id("stButton").get_by_role("button", name="Stop", exact=True)  # the page's own, beside the bar
        stop.wait_for(timeout=120_000)
        page.locator('[data-testid="stProgress"]').first.wait_for(timeout=60_000)  # the bar says what the run is doing
        page.screenshot(path=str(tmp_path / "running.png"))
        stop.click()
        page.get_by_text("Stopped: the run did not finish").wait_for(timeout=180_000)
        page.get_by_text("Set the run up above and click").wait_for(timeout=60_000)  # no run was stored
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Cohort: 1,000 participants").count() == 1  # the cohort is still loaded
        page.screenshot(path=str(tmp_path / "stopped.png"))
