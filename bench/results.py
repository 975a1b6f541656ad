"""Bench results as data: every bench run appends one JSON line to ``bench/results/<bench>.jsonl``.

A line is ``{"bench", "commit", "dirty", "date", "machine", "cores", "arguments", "figures"}``:
the commit the figures were measured on (``dirty`` when the working tree differed from it), the
UTC date, the processor, the core count, the command-line arguments and the bench's own figures.
Nothing is overwritten: the history of a figure is the file. ``python bench/latest.py`` prints the
latest line of each bench as the tables of docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def git_state() -> tuple[str, bool]:
    """The checked-out commit (40 hex digits, or "unknown") and whether tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return commit, bool(status.stdout.strip())


def record(bench: str, figures: dict, arguments: dict | None = None, folder: Path = RESULTS) -> Path:
    """Append one result line for ``bench`` to ``folder/<bench>.jsonl`` and return that file's path.

    Parameters
    ----------
    bench : str
        The bench's name (its script's stem).
    figures : dict
        What the bench measured, JSON-serialisable (non-finite floats are written as null).
    arguments : dict, optional
        The options it ran with (seeds, sizes, ...).
    folder : Path
        Where the results files are kept.
    """
    sys.path.insert(0, str(ROOT))
    from analysis.reporting.run_files import machine_description

    commit, dirty = git_state()
    line = {
        "bench": bench,
        "commit": commit,
        "dirty": dirty,
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine_description()["processor"],
        "cores": os.cpu_count(),
        "arguments": arguments or {},
        "figures": figures,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{bench}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(_finite(line), sort_keys=True) + "\n")
    return path


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
