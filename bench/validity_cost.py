"""What the validity checks add to a run: the structure test and split-half replication against the run itself.

    python bench/validity_cost.py [--n 10000 100000] [--features 50]

For each N, bench/scale.py's planted 8-cluster mixture of N x F features is clustered with the
defaults and the checks off (the base run), then the structure test (19 null cohorts and 8 planted
ones, the default) and split-half replication (5 splits, the default) are run on that result, as the
dashboard runs them after drawing the map. All in one process, after a warm-up run of 5,000
participants (whose two UMAP fits start the worker processes), so that numba's compilation, here and
in the workers, is in no figure (the base is the smaller for it, the ratio the stricter).
Issue 24's targets: the two checks together at most 1.0x the base run at 10,000 and at most
10 minutes at 100,000 on this 2-core machine. Prints seconds and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import write_cohort  # noqa: E402

from analysis.cohort.cohort import CohortFiles, load_cohort  # noqa: E402
from analysis.config import RunConfig  # noqa: E402
from analysis.engine.run import run_biotypes, with_replication, with_structure  # noqa: E402
from analysis.io.inputs import InputFile  # noqa: E402
from bench.results import record  # noqa: E402


def cohort_of(n: int, features: int, folder: Path):
    """The planted mixture as a loaded cohort."""
    write_cohort(n, features, folder)
    return load_cohort(CohortFiles(participants=InputFile.from_path(folder / "participants.csv")))


def measure(n: int, features: int) -> dict:
    """Base run, structure test and split-half replication seconds for one N."""
    with tempfile.TemporaryDirectory(prefix="bench-validity-") as folder:
        cohort = cohort_of(n, features, Path(folder))
    config = RunConfig(modalities=("clinical",), seed=0)
    started = time.perf_counter()
    base = run_biotypes(cohort, config, structure=False, replication=False)
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    tested = with_structure(base)
    structure_s = time.perf_counter() - started
    started = time.perf_counter()
    replicated = with_replication(tested, cohort)
    replication_s = time.perf_counter() - started
    split_half = replicated.split_half
    return {
        "base_s": base_s,
        "structure_s": structure_s,
        "replication_s": replication_s,
        "checks_over_base": (structure_s + replication_s) / base_s,
        "verdict": tested.structure.verdict,
        "n_tested": tested.structure.n_tested,
        "biotypes": base.clusters.n_biotypes,
        "replicated": None if split_half is None else sum(b.replicates for b in split_half.biotypes),
    }


def main() -> None:
    """Run the measurements of the module docstring, print and record them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--features", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-validity-") as folder:
        warm = cohort_of(5000, args.features, Path(folder))
    warmed = run_biotypes(warm, RunConfig(modalities=("clinical",), replication_splits=2), structure=False, replication=False)
    with_replication(with_structure(warmed), warm)
    figures = {}
    print(f"{'N':>8} {'base':>8} {'structure':>10} {'replication':>12} {'checks/base':>12} verdict   biotypes replicated")
    for n in args.n:
        f = measure(n, args.features)
        figures[str(n)] = f
        print(
            f"{n:>8} {f['base_s']:>7.1f}s {f['structure_s']:>9.1f}s {f['replication_s']:>11.1f}s {f['checks_over_base']:>11.2f}x "
            f"{f['verdict']:<9} {f['biotypes']:>8} {f['replicated']}",
            flush=True,
        )
    record("validity_cost", figures, vars(args))


if __name__ == "__main__":
    main()
