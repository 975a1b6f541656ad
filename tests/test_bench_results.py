"""Bench results are data (bench/results/*.jsonl) and docs/performance.md shows the latest of them."""

import json
import subprocess
import sys
from pathlib import Path

from bench.latest import PAGE, page_with_blocks, quality_block
from bench.results import record

ROOT = Path(__file__).resolve().parents[1]


def test_the_performance_page_shows_the_latest_recorded_figures():
    page = PAGE.read_text(encoding="utf-8")
    assert "<!-- bench:quality -->" in page
    assert page_with_blocks(page) == page, "docs/performance.md is stale: run python bench/latest.py --write"


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
