"""A wide participants table (few participants, thousands of columns): peak memory and time of a whole run.

    python bench/wide_table.py [--n 120] [--features 5000] [--repeats 1]

A Gaussian mixture (8 planted clusters) of N participants x F numeric columns is written as
participants.csv and ``python -m analysis cluster`` runs on it in a fresh process, ``--repeats``
times. Prints the median wall time, the peak memory (the process and its worker processes together,
sampled from /proc) and the run's own step timings from run.json, so that the step that needs the
memory can be found ("importance" is what defines each biotype). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import PROJECT, run_child, write_cohort  # noqa: E402


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wide-") as tmp:
        folder = Path(tmp)
        write_cohort(args.n, args.features, folder)
        size = (folder / "participants.csv").stat().st_size / 2**20
        runs = [run_child(PROJECT, folder / "participants.csv", folder / "out") for _ in range(args.repeats)]
        timings = json.loads((folder / "out" / "run.json").read_text()).get("timings_s", {})
    print(f"{args.n} participants x {args.features} columns ({size:.1f} MB CSV), {args.repeats} run(s)")
    print(f"median wall time {statistics.median(r[0] for r in runs):.1f} s; peak memory {max(r[1] for r in runs):.2f} GB")
    print("steps (s): " + " ".join(f"{k}={v:.1f}" for k, v in timings.items()))


if __name__ == "__main__":
    main()
