"""Table 1 at scale: the time every run folder now spends on table1.csv, and the permutation tests' share.

    python bench/manuscript.py [--n 10000 100000] [--repeats 3]

A participants table of N rows with 30 numeric variables (half skewed), 5 categorical ones (4 levels)
and 2 yes/no ones, 5% missing, split into 6 biotypes and 5% noise, is tabulated by biotype twice:
with every biotype large (the closed-form tests) and with one biotype of 4 participants (every test
then by label permutations, stopped once 10 permuted statistics reach the observed one: the variables
are unrelated to the biotypes, so their p-values are large and known early). Prints the median seconds
of each. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.describe.table_one import TableGroup, table_one  # noqa: E402
from bench.results import record  # noqa: E402


def participants(n: int, seed: int = 0) -> pd.DataFrame:
    """The synthetic table of the module docstring."""
    rng = np.random.default_rng(seed)
    columns = {}
    for k in range(30):
        columns[f"x{k}"] = rng.lognormal(0, 1, n) if k % 2 else rng.normal(0, 1, n)
    for k in range(5):
        columns[f"c{k}"] = rng.choice(["a", "b", "c", "d"], n).astype(object)
    for k in range(2):
        columns[f"y{k}"] = rng.integers(0, 2, n).astype(float)
    frame = pd.DataFrame(columns, index=[f"p{i}" for i in range(n)])
    return frame.mask(rng.random(frame.shape) < 0.05)


def median_seconds(call, repeats: int) -> float:
    """Median wall time of ``call()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Run the measurements of the module docstring, print and record them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures = {}
    print(f"{'N':>8} {'closed-form s':>14} {'one tiny biotype s':>19}")
    for n in args.n:
        frame = participants(n)
        variables = [("Clinical", c) for c in frame.columns]
        rng = np.random.default_rng(1)
        labels = pd.Series(rng.integers(1, 7, n), index=frame.index).where(rng.random(n) > 0.05, -1)
        tiny = labels.copy()
        tiny.iloc[:4] = 7
        times = []
        for grouping in (labels, tiny):
            groups = [TableGroup(int(b), f"B{b}", int((grouping == b).sum()), b > 0) for b in sorted(grouping.unique())]
            groups.append(TableGroup(0, "All clustered", n, False))
            times.append(median_seconds(lambda f=frame, v=variables, g=grouping, gs=groups: table_one(f, v, g, gs), args.repeats))
        figures[str(n)] = {"closed_form_s": times[0], "tiny_biotype_s": times[1]}
        print(f"{n:>8} {times[0]:>14.2f} {times[1]:>19.2f}")
    record("manuscript", figures, vars(args))


if __name__ == "__main__":
    main()
