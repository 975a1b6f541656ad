"""Bench results are data (bench/results/*.jsonl); docs/performance.md and the README show the latest of them."""

import json
import subprocess
import sys
from pathlib import Path

from bench.latest import HEADLINE_TABLES, PAGE, PAGES, headline_block, page_with_blocks, quality_block
from bench.results import record

ROOT = Path(__file__).resolve().parents[1]


def test_the_performance_page_and_the_readme_show_the_latest_recorded_figures():
    assert "<!-- bench:quality -->" in PAGE.read_text(encoding="utf-8")
    assert "<!-- bench:headline -->" in (ROOT / "README.md").read_text(encoding="utf-8")
    for path in PAGES:
        page = path.read_text(encoding="utf-8")
        assert page_with_blocks(page) == page, f"{path.name} is stale: run python bench/latest.py --write"


def test_the_headline_comes_from_the_latest_run_that_measured_every_headline_table(tmp_path):
    def table(ours):
        median = {"ari": ours, "ari_clustered": ours, "noise": 0.0, "k": 3}
        return {"n": 100, "baseline": {"median": {**median, "ari": 0.5}}, "ours": {"median": median}, "paired": {}}

    assert headline_block(tmp_path) == ""
    record("quality", {t: table(0.7) for t in HEADLINE_TABLES}, {"seeds": [0, 1, 2]}, folder=tmp_path)
    record("quality", {"iris": table(0.9)}, {"seeds": [0]}, folder=tmp_path)  # one table only: not the headline
    lines = headline_block(tmp_path).splitlines()
    assert lines[0].startswith("Measured ") and "seeds 0-2" in lines[0]
    assert len(lines) == 4 + len(HEADLINE_TABLES)
    assert lines[4] == "| iris (100) | 0.500 | 0.700 |"


def test_a_recorded_line_carries_commit_machine_and_figures_and_the_latest_per_table_is_shown(tmp_path):
    def figures(ari_ours):
        median = {"ari": ari_ours, "ari_clustered": ari_ours, "noise": 0.01, "k": 3}
        return {
            "iris": {
                "n": 150,
                "baseline": {"median": {**median, "ari": 0.4}},
                "ours": {"median": median},
                "paired": {"median_difference": ari_ours - 0.4, "seeds_won": 3, "seeds_lost": 0},
            }
        }

    record("quality", figures(0.5), {"seeds": [0, 1, 2]}, folder=tmp_path)
    path = record("quality", figures(float("nan")) | {"wine": figures(0.8)["iris"] | {"n": 178}}, {"seeds": [0, 1]}, folder=tmp_path)
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert len(second["commit"]) == 40 and second["machine"] and second["cores"] >= 1 and second["date"].endswith("+00:00")
    assert first["figures"]["iris"]["ours"]["median"]["ari"] == 0.5
    assert second["figures"]["iris"]["ours"]["median"]["ari"] is None  # NaN written as null, not as invalid JSON
    table = quality_block(tmp_path).splitlines()
    assert table[2].startswith("| iris (150) | 0.400 |") and "| 0-1 |" in table[2]
    assert table[3].startswith("| wine (178) | 0.400 | 0.800 |")


def test_latest_prints_without_writing():
    done = subprocess.run([sys.executable, "bench/latest.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "## quality" in done.stdout and "| iris (150) |" in done.stdout
