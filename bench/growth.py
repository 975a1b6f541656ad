"""Growth curve: time and peak memory of every step of ``python -m analysis cluster`` as N grows.

    python bench/growth.py [--n 1000 10000 100000] [--features 50] [--stability 0] [--stability-subsample 0] [--no-checks]

For each N a planted 8-cluster mixture of N x F features (as bench/scale.py writes it) is clustered
by the command line in a fresh process. The parent reads the command's progress lines as they come
and splits the run into steps at them:

- start: interpreter and imports, up to "reading the files";
- load: reading and validating the CSV;
- preprocess: features, imputation, scaling, fusion;
- knn: the nearest-neighbour graph;
- embed: both UMAP fits (clustering and display);
- cluster: HDBSCAN over the min_cluster_size candidates, split stability, neighbour agreement;
- profile: profiles, audits, importance;
- structure, replication, leave-one-site-out: the validity checks (the structure test's null and
  planted cohorts, split-half replication, leave-one-site-out where the cohort has sites), each with
  the pipeline runs it makes;
- stability: ``--stability K`` resamples (re-embedding 80% subsamples, or ``--stability-subsample M``
  participants with the others placed by approximate_predict; 0 skips it);
- write: output files (from "writing the files") until the process ends.

Peak memory is the summed RSS of the process and its worker processes during the step (sampled
every 0.2 s from /proc). Then, per step, the exponent b of time ~ a * N**b fitted by least squares on
log-log over the N measured (steps under 0.5 s at every N are left out: their exponent is noise), and
the adjusted Rand index of each run against the planted clusters.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_memory import TreeMemory  # noqa: E402
from scale import ROOT, quality, write_cohort  # noqa: E402

#: Progress message prefix → the step it starts.
STEP_STARTS = (
    ("reading the files", "load"),
    ("building features", "preprocess"),
    ("nearest neighbours", "knn"),
    ("UMAP to", "embed"),
    ("HDBSCAN", "cluster"),
    ("profiling biotypes", "profile"),
    ("stability:", "stability"),
    ("structure:", "structure"),
    ("replication:", "replication"),
    ("leave-one-site-out:", "leave-one-site-out"),
    ("writing the files", "write"),
)
#: The validity checks: each runs the pipeline again, and its progress lines of those runs stay in it.
CHECK_STEPS = ("structure", "replication", "leave-one-site-out")
STEPS = ("start", "load", "preprocess", "knn", "embed", "cluster", "profile", "stability", *CHECK_STEPS, "write")


def step_of(line: str, current: str) -> str | None:
    """The step a progress line (``[ 50%] message``) starts when the run is in step ``current``, or None."""
    if not line.startswith("["):
        return None
    message = line.split("] ", 1)[-1]
    step = next((step for prefix, step in STEP_STARTS if message.startswith(prefix)), None)
    if current in CHECK_STEPS and step not in (*CHECK_STEPS, "write"):
        return None  # a line of a check's own pipeline run
    return step


def measure(
    n: int, features: int, resamples: int, subsample: int = 0, checks: bool = True
) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Step → (seconds, peak GB) of one fresh-process run of the command line on N participants, and its (ARI, noise share).

    The ARI is against the planted clusters, noise as its own group (:func:`scale.quality`).
    """
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        folder = Path(tmp)
        truth = write_cohort(n, features, folder)
        config = {"stability_resamples": resamples, "stability_subsample": subsample}
        if not checks:
            config.update(null_cohorts=0, replication_splits=0, site_replication=False)
        (folder / "config.json").write_text(json.dumps(config))
        command = [sys.executable, "-u", "-m", "analysis", "cluster", "--participants", str(folder / "participants.csv")]
        command += ["--config", str(folder / "config.json"), "--out", str(folder / "out")]
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds, current, last = {}, "start", started
        with TreeMemory(child.pid) as memory:
            memory.mark("start")
            tail = []
            for line in child.stdout:
                tail = (tail + [line])[-40:]
                step = step_of(line, current)
                if step is not None and step != current:
                    now = time.perf_counter()
                    seconds[current] = seconds.get(current, 0.0) + now - last
                    memory.mark(step)
                    current, last = step, now
            child.wait()
        seconds[current] = seconds.get(current, 0.0) + time.perf_counter() - last
        if child.returncode != 0:
            raise RuntimeError("".join(tail))
        agreement = quality(folder / "out" / "assignments.csv", truth)
    return {step: (seconds[step], memory.steps.get(step, float("nan"))) for step in seconds}, agreement


def exponent(ns: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(N)."""
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--stability", type=int, default=0, help="stability resamples (0: skip the step)")
    parser.add_argument("--stability-subsample", type=int, default=0, help="participants per resample (0: 80%% of N)")
    parser.add_argument(
        "--no-checks", action="store_true", help="without the structure test and replication (as before they were defaults)"
    )
    args = parser.parse_args()
    runs = {}
    for n in args.n:
        runs[n], (ari, noise) = measure(n, args.features, args.stability, args.stability_subsample, not args.no_checks)
        total = sum(s for s, _ in runs[n].values())
        peak = max(m for _, m in runs[n].values())
        print(f"N={n}: {total:.1f} s, peak {peak:.2f} GB, ARI vs planted {ari:.3f}, noise {noise:.1%}", flush=True)
    steps = [s for s in STEPS if any(s in r for r in runs.values())]
    print(f"\n{'step':<11}" + "".join(f"{f'N={n}':>22}" for n in args.n) + f"{'exponent':>10}")
    for step in steps:
        cells, times = [], []
        for n in args.n:
            seconds, gb = runs[n].get(step, (float("nan"), float("nan")))
            cells.append(f"{seconds:>10.1f} s {gb:>6.2f} GB")
            times.append(seconds)
        fit = exponent(args.n, times) if len(args.n) > 1 and max(times) >= 0.5 and min(times) > 0 else float("nan")
        print(f"{step:<11}" + "".join(f"{c:>22}" for c in cells) + f"{fit:>10.2f}")
    totals = [sum(s for s, _ in runs[n].values()) for n in args.n]
    print(
        f"{'total':<11}"
        + "".join(f"{t:>19.1f} s  " for t in totals)
        + f"{exponent(args.n, totals) if len(args.n) > 1 else float('nan'):>10.2f}"
    )


if __name__ == "__main__":
    main()
