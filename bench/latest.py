"""The latest recorded figures of the benches, as the Markdown tables of docs/performance.md and the README.

    python bench/latest.py            # print them
    python bench/latest.py --write    # replace the generated blocks of docs/performance.md and README.md

A generated block sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``;
tests/test_bench_results.py checks that both pages show what bench/results/ holds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import RESULTS, ROOT  # noqa: E402

PAGE = ROOT / "docs" / "performance.md"
#: Every page with generated blocks.
PAGES = (PAGE, ROOT / "README.md")
#: Row labels of the quality bench's tables, in the order the page lists them.
QUALITY_TABLES = {
    "iris": "iris",
    "wine": "wine",
    "breast_cancer": "breast cancer",
    "digits": "digits",
    "penguins_with_year": "Palmer penguins with a study-year column",
    "synthetic_clinical": "synthetic cohort, clinical",
    "synthetic_clinical_wearables": "synthetic cohort, clinical + wearables",
    "synthetic_all_harmonised": "synthetic cohort, all four modalities, harmonised",
}


def lines_of(bench: str, folder: Path = RESULTS) -> list[dict]:
    """Every recorded line of ``bench``, oldest first."""
    path = folder / f"{bench}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def quality_block(folder: Path = RESULTS) -> str:
    """The quality table: for each table its latest measurement (medians, the paired comparison, and where it was measured)."""
    latest = {}
    for line in lines_of("quality", folder):
        for table, figures in line["figures"].items():
            latest[table] = (line, figures)
    rows = [
        "| table (N) | hand-picked ARI | defaults ARI | defaults, clustered | noise | biotypes | paired difference (won/lost) | seeds | commit, machine, date |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for table, label in QUALITY_TABLES.items():
        if table not in latest:
            continue
        line, figures = latest[table]
        base, ours, paired = figures["baseline"]["median"], figures["ours"]["median"], figures["paired"]
        seeds = line["arguments"].get("seeds", [])
        rows.append(
            f"| {label} ({figures['n']:,}) | {_number(base['ari'], '.3f')} | {_number(ours['ari'], '.3f')} "
            f"| {_number(ours['ari_clustered'], '.3f')} | {_number(ours['noise'], '.1%')} | {_number(ours['k'], '.0f')} "
            f"| {_number(paired['median_difference'], '+.3f')} ({paired['seeds_won']}/{paired['seeds_lost']}) "
            f"| {min(seeds)}-{max(seeds)} | {line['commit'][:7]}{' (modified)' if line['dirty'] else ''}, {line['machine']}, {line['date'][:10]} |"
        )
    return "\n".join(rows)


#: The README's headline tables, in its order.
HEADLINE_TABLES = ("iris", "wine", "breast_cancer", "digits", "penguins_with_year", "synthetic_all_harmonised")


def headline_block(folder: Path = RESULTS) -> str:
    """The README's short quality table: the latest run that measured every headline table, with where and when.

    Returns an empty string when no recorded run measured them all.
    """
    complete = [line for line in lines_of("quality", folder) if all(t in line["figures"] for t in HEADLINE_TABLES)]
    if not complete:
        return ""
    line = complete[-1]
    seeds = line["arguments"].get("seeds", [])
    rows = [
        f"Measured {line['date'][:10]}, commit {line['commit'][:7]}{' (modified)' if line['dirty'] else ''}, on a "
        f"{line['cores']}-core {line['machine']} (`python bench/quality.py`, median adjusted Rand index over seeds "
        f"{min(seeds)}-{max(seeds)}, noise as its own group; the hand-picked baseline is UMAP + HDBSCAN with "
        "min_cluster_size 2% of N):",
        "",
        "| table (N) | hand-picked | defaults |",
        "|---|---|---|",
    ]
    for table in HEADLINE_TABLES:
        figures = line["figures"][table]
        base, ours = figures["baseline"]["median"], figures["ours"]["median"]
        rows.append(f"| {QUALITY_TABLES[table]} ({figures['n']:,}) | {_number(base['ari'], '.3f')} | {_number(ours['ari'], '.3f')} |")
    return "\n".join(rows)


def _number(value: float | None, spec: str) -> str:
    """``value`` formatted, or "n/a" where the bench recorded none (a NaN is written as null)."""
    return "n/a" if value is None else format(value, spec)


BLOCKS = {"quality": quality_block, "headline": headline_block}


def page_with_blocks(page: str, folder: Path = RESULTS) -> str:
    """``page`` with every generated block replaced by what ``folder`` holds now."""
    for name, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->).*?(<!-- /bench:{name} -->)", re.S)
        page = pattern.sub(lambda m, render=render: f"{m.group(1)}\n{render(folder)}\n{m.group(2)}", page)
    return page


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated blocks of " + ", ".join(p.name for p in PAGES))
    args = parser.parse_args()
    if args.write:
        for page in PAGES:
            page.write_text(page_with_blocks(page.read_text(encoding="utf-8")), encoding="utf-8")
            print(f"rewrote the generated blocks of {page.relative_to(ROOT)}")
    else:
        for name, render in BLOCKS.items():
            print(f"## {name}\n\n{render()}\n")


if __name__ == "__main__":
    main()
