"""How long loading and validating a cohort takes, by cohort size.

    python bench/load_cohort.py [--sizes 10000 100000] [--repeats 3]

Generates each synthetic cohort once into a temporary folder, then times load_cohort +
validation_report (all four modalities) in fresh child processes and prints the median wall
time and the peak memory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import resource, sys, time
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.io.inputs import InputFile
from analysis.cohort.validation import validation_report
folder = sys.argv[1]
start = time.perf_counter()
files = CohortFiles(**{role: InputFile.from_path(f"{folder}/{name}") for role, name in
    [("participants", "participants.csv"), ("prs", "prs.sscore"), ("connectivity", "connectivity.npz"), ("wearables", "wearables.csv")]})
report = validation_report(load_cohort(files))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
"""


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from analysis.cohort.synthetic import generate_cohort
    from analysis.reporting.run_files import write_synthetic_cohort

    print(f"{'N':>9} {'files MB':>9} {'median s':>9} {'min s':>7} {'peak GB':>8}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            paths = write_synthetic_cohort(generate_cohort(n, seed=1), folder)
            size = sum(p.stat().st_size for p in paths[:4]) / 2**20
            times, peaks = [], []
            for _ in range(args.repeats):
                out = subprocess.run([sys.executable, "-c", CHILD, folder], cwd=ROOT, capture_output=True, text=True, check=True)
                inner, peak = (float(v) for v in out.stdout.split())
                times.append(inner)
                peaks.append(peak)
            print(f"{n:>9,} {size:>9.0f} {statistics.median(times):>9.1f} {min(times):>7.1f} {max(peaks):>8.2f}")


if __name__ == "__main__":
    main()
