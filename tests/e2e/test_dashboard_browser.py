"""Real browser, the whole flow: sample cohort → Compute biotypes → every page → the run's download equals the CLI's."""

import json
import subprocess
import sys

import pandas as pd

from analysis.cohort.cohort import SAMPLE_DATA
from tests.e2e.server import ROOT, browser_page, no_network_env, served_app

#: Page link, a text the page shows once drawn, and the screenshot name.
PAGES = (
    ("Biotype profiles", "What defines each biotype", "profiles"),
    ("Brain connectivity", "Glass brain", "brain"),
    ("Genetics (PRS)", "Deciles", "genetics"),
    ("Wearables", "Adherence", "wearables"),
    ("Compare side by side", "What distinguishes them", "compare"),
    ("Table 1 and flow", "Participant flow", "table_one"),
    ("Assign new participants", "Upload the new cohort", "assign"),
    ("Export", "Report", "export"),
)


def select_upper_left_of_the_map(page) -> None:
    """Draw a lasso around the upper-left quarter of the participants' map."""
    area = page.locator(".js-plotly-plot").filter(has_text="UMAP 1").first.locator(".nsewdrag").first.bounding_box()
    x, y, w, h = area["x"], area["y"], area["width"], area["height"]
    corners = [(0.05, 0.05), (0.5, 0.05), (0.5, 0.45), (0.05, 0.45), (0.05, 0.06)]
    page.mouse.move(x + w * corners[0][0], y + h * corners[0][1])
    page.mouse.down()
    for cx, cy in corners[1:]:
        page.mouse.move(x + w * cx, y + h * cy, steps=10)
    page.mouse.up()


def plot_titled(page, title: str):
    """The plotly chart whose text contains ``title``, scrolled into view (clicks land only inside the viewport)."""
    plot = page.locator(".js-plotly-plot").filter(has_text=title).first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    return plot


def click_sweep_cell(page, cell: int) -> None:
    """Click a cell (an SVG point) of the parameter-sweep grid."""
    point = plot_titled(page, "Parameter sweep").locator(".scatterlayer .trace").first.locator(".point").nth(cell)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)  # beside the number written in it


def click_map_participant(page, title: str, wanted: list[str]) -> str:
    """Click the first participant of a WebGL map whose id is in ``wanted``; return that id.

    Scattergl draws no DOM node per point: the point's pixel position comes from the plot's own axes.
    """
    plot = plot_titled(page, title)
    found = plot.evaluate(
        """(el, wanted) => {
            const layout = el._fullLayout, ids = new Set(wanted);
            for (const trace of el._fullData) {
                for (let i = 0; i < trace.x.length; i++) {
                    if (trace.customdata && ids.has(String(trace.customdata[i][0]))) {
                        return [layout.xaxis.l2p(trace.x[i]) + layout._size.l, layout.yaxis.l2p(trace.y[i]) + layout._size.t,
                                String(trace.customdata[i][0])];
                    }
                }
            }
            return null;
        }""",
        wanted,
    )
    assert found is not None, "no wanted participant on the map"
    box = plot.bounding_box()
    page.mouse.click(box["x"] + found[0], box["y"] + found[1])
    return found[2]


def test_compute_open_every_page_and_download(tmp_path, warm_umap):
    # The server and the command line below run where any attempt to reach another machine is
    # refused and written down: the app makes no network request of its own.
    network_log = tmp_path / "network_attempts.log"
    with served_app(env=no_network_env(network_log)) as url, browser_page(width=1440, height=1600) as page:
        page.goto(url)
        page.get_by_role("button", name="Load sample cohort").click(timeout=180_000)
        page.get_by_text("Problems found", exact=True).wait_for(timeout=180_000)
        page.screenshot(path=str(tmp_path / "data.png"))
        page.get_by_role("link", name="Biotypes", exact=True).click()
        page.get_by_role("button", name="Compute biotypes").click()
        page.get_by_text("min_cluster_size candidates").wait_for(timeout=480_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_text("Are there biotypes at all?", exact=True).wait_for(timeout=60_000)
        verdict = page.locator('[data-testid="stAlert"]').filter(has_text="Biotypes: ").first.inner_text()  # the verdict box
        assert "null cohorts" in verdict
        page.get_by_text("Do they replicate?", exact=True).wait_for(timeout=60_000)
        page.get_by_text("biotypes replicate across halves").first.wait_for(timeout=300_000)
        page.screenshot(path=str(tmp_path / "biotypes.png"))
        select_upper_left_of_the_map(page)
        page.get_by_text("participants selected").wait_for(timeout=60_000)
        page.get_by_label("Group name").fill("upper left")
        page.get_by_role("button", name="Save as group").click()
        page.get_by_text("Custom groups: upper left").wait_for(timeout=60_000)
        # A click on a sweep cell picks it (the button under the grid then names the cell's parameters).
        page.get_by_role("button", name="Run the sweep").click()
        page.get_by_text("Colour cells by").wait_for(timeout=300_000)
        adopt = page.get_by_role("button", name="Use n_neighbors")
        first = adopt.inner_text()
        click_sweep_cell(page, 3)
        page.wait_for_function("(old) => !document.body.innerText.includes(old)", arg=first.split("\n")[-1], timeout=60_000)
        assert adopt.inner_text() != first
        assert page.locator('[data-testid="stException"]').count() == 0
        for link, marker, name in PAGES:
            page.get_by_role("link", name=link, exact=True).click()
            page.get_by_text(marker, exact=True).wait_for(timeout=180_000)
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            if name == "wearables":
                # A click on the map picks that participant for the drill-down.
                with_days = pd.read_csv(SAMPLE_DATA / "wearables.csv", dtype={"participant_id": str})["participant_id"].unique()
                shown = page.locator(".js-plotly-plot").filter(has_text="study day").first.locator(".gtitle").text_content()
                wanted = [pid for pid in with_days if not shown.startswith(f"{pid}:")][::-1]
                clicked = click_map_participant(page, "UMAP 1", wanted)
                page.locator(".gtitle").filter(has_text=f"{clicked}:").wait_for(timeout=60_000)
                assert page.locator('[data-testid="stException"]').count() == 0
            if name == "export":
                downloaded = {}
                for button in ("assignments.csv", "run.json", "groups.csv", "report.html"):
                    with page.expect_download(timeout=180_000) as download:
                        page.get_by_role("button", name=button, exact=True).click()
                    downloaded[button] = download.value.path().read_bytes()
    assert all((tmp_path / f"{name}.png").stat().st_size > 10_000 for *_, name in PAGES)
    assert downloaded["report.html"].startswith(b"<!DOCTYPE html>") and b"plotly-graph-div" in downloaded["report.html"]

    # The downloaded run.json, passed back to the command line with the sample files, gives the same assignments.
    (tmp_path / "run.json").write_bytes(downloaded["run.json"])
    inputs = {
        "--participants": "participants.csv",
        "--prs": "prs.sscore",
        "--connectivity": "connectivity.npz",
        "--wearables": "wearables.csv",
        "--dictionary": "data_dictionary.csv",
    }
    argv = [a for flag, name in inputs.items() for a in (flag, str(SAMPLE_DATA / name))]
    # In a fresh process, as a user runs it: a run in this test process, after the other tests, drew a
    # different 2-D display map from the same run.json (same biotypes); see issue 6, reproducibility.
    command = [sys.executable, "-m", "analysis", "cluster", *argv, "--config", str(tmp_path / "run.json"), "--out", str(tmp_path / "cli")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=900, env=no_network_env(network_log))
    assert done.returncode == 0, done.stderr[-2000:]
    assert network_log.read_text() == ""  # neither the server (a whole session) nor the command line asked for the network
    assert (tmp_path / "cli" / "assignments.csv").read_bytes() == downloaded["assignments.csv"]
    # the structure verdict the page showed is the one in run.json, and the command line reproduces it
    structure = json.loads(downloaded["run.json"])["structure"]
    assert structure["n_null"] == 19 and structure["explanation"].split(":")[0] in verdict
    assert json.loads((tmp_path / "cli" / "run.json").read_text())["structure"] == structure
    # so are the split-half replication and the clinical value
    shown, again = json.loads(downloaded["run.json"]), json.loads((tmp_path / "cli" / "run.json").read_text())
    for record in (shown, again):
        record["replication"]["split_half"].pop("seconds")
        record["clinical_value"].pop("seconds")
    assert shown["replication"]["split_half"]["n_splits"] == 5
    assert again["replication"] == shown["replication"] and again["clinical_value"] == shown["clinical_value"]
    config = json.loads(downloaded["run.json"])["config"]
    assert config["harmonise_sites"] is True  # automatic: imaging from four sites
    # The lasso group travels into run.json and groups.csv, and the command line writes the same groups.csv.
    assert len(config["custom_groups"]["upper left"]) == downloaded["groups.csv"].count(b"upper left") > 0
    assert (tmp_path / "cli" / "groups.csv").read_bytes() == downloaded["groups.csv"]
