"""Real browser: `streamlit run app.py` served on localhost, driven in Debian's chromium by Playwright."""

import pytest

from tests.conftest import participants_frame
from tests.e2e.server import browser_page, served_app


@pytest.fixture(scope="module")
def url():
    with served_app() as address:
        yield address


@pytest.fixture
def page(url):
    with browser_page() as p:
        p.goto(url)
        p.get_by_role("button", name="Load sample cohort").wait_for(timeout=180_000)
        yield p


def metric_value(page, label: str) -> str:
    block = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return block.locator('[data-testid="stMetricValue"]').inner_text()


def test_load_sample_cohort_in_the_browser(page):
    page.get_by_role("button", name="Load sample cohort").click()
    page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
    assert metric_value(page, "Participants") == "1,000"
    assert metric_value(page, "Modalities") == "5"
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("1,000 participants from the sample cohort").wait_for(timeout=10_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def upload(uploader, path) -> None:
    """Give the file uploader a file and wait until it lists the file (set again once if the first set went unseen)."""
    for attempt in range(2):
        uploader.locator('input[type="file"]').set_input_files(str(path))
        try:
            uploader.get_by_text(path.name).wait_for(timeout=30_000)
            return
        except Exception:
            if attempt:
                raise


def test_upload_and_bad_upload_in_the_browser(page, tmp_path):
    good = tmp_path / "clinic.csv"
    participants_frame(14).to_csv(good, index=False)
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.wait_for(timeout=60_000)
    upload(uploader, good)
    page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === '14')", timeout=30_000
    )
    bad = tmp_path / "broken.csv"
    bad.write_text("participant_id,pain\n01,3,4\n")
    upload(uploader, bad)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="row has 3 fields but the header has 2")
    alert.wait_for(timeout=30_000)
    assert "broken.csv line 2" in alert.inner_text()
    assert metric_value(page, "Participants") == "14"
    assert page.locator('[data-testid="stException"]').count() == 0
