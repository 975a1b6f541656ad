"""End to end against the hand-written script: ``python -m analysis cluster`` versus what a researcher writes by hand.

    python bench/scale.py [--n 10000] [--features 50] [--repeats 1] [--with-checks]

A Gaussian mixture of 8 clusters (planted labels kept) of N participants x F numeric features is
written as participants.csv. Each way runs in a fresh Python process (so numba compilation is paid as
a user pays it), one after the other, ``--repeats`` times:

- **by hand**: pandas.read_csv, StandardScaler, umap-learn to 5 dimensions (n_neighbors 15,
  random_state 0), hdbscan with min_cluster_size 1% of N, umap-learn to 2 dimensions for display;
- **project**: ``analysis.cli.main(["cluster", ...])``: validation, automatic min_cluster_size (DBCV and
  split stability over six candidates), neighbour-agreement check, profiles, audits, importance and
  every output file; without the validity checks (``--null-cohorts 0 --replication-splits 0``: the
  script has none), unless ``--with-checks`` runs the command's defaults.

Prints per way the median wall time of the whole process, its peak memory (summed over the process
and the worker processes it starts, sampled from /proc), the adjusted Rand index
against the planted clusters (noise as its own group) and the noise share; then the ratio of the medians.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_memory import TreeMemory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

BY_HAND = """
import sys
import hdbscan, numpy as np, pandas as pd, umap
from sklearn.preprocessing import StandardScaler
frame = pd.read_csv(sys.argv[1])
x = StandardScaler().fit_transform(frame.drop(columns="participant_id").to_numpy())
embedding = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, random_state=0).fit_transform(x)
labels = hdbscan.HDBSCAN(min_cluster_size=max(5, len(x) // 100)).fit_predict(embedding)
display = umap.UMAP(n_neighbors=15, n_components=2, random_state=0).fit_transform(x)
pd.DataFrame({"participant_id": frame["participant_id"], "biotype": labels}).to_csv(sys.argv[2], index=False)
"""

PROJECT = """
import sys
from analysis.cli import main
code = main(["cluster", "--participants", sys.argv[1], "--out", sys.argv[2], *sys.argv[3:]])
sys.exit(code)
"""
#: The command line's options that leave the validity checks out (the structure test and split-half replication).
WITHOUT_CHECKS = ("--null-cohorts", "0", "--replication-splits", "0")


def write_cohort(n: int, features: int, folder: Path, seed: int = 0) -> pd.Series:
    """participants.csv of a planted mixture; returns the planted label per participant id."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.2, size=(8, features))
    truth = rng.integers(0, 8, n)
    x = centres[truth] + rng.normal(0, 1, size=(n, features))
    ids = [f"sub-{i:06d}" for i in range(n)]
    frame = pd.DataFrame(x.round(4), columns=[f"score_{j:02d}" for j in range(features)])
    frame.insert(0, "participant_id", ids)
    frame.to_csv(folder / "participants.csv", index=False)
    return pd.Series(truth, index=ids)


def run_child(code: str, participants: Path, out: Path, options: tuple[str, ...] = ()) -> tuple[float, float]:
    """Wall seconds and peak memory (GB, the process and its worker processes together) of a fresh process running ``code``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(participants), str(out), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeMemory(child.pid) as memory:
        stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(stdout[-2000:] + stderr[-4000:])
    return seconds, memory.peak_gb


def quality(assignments: Path, truth: pd.Series) -> tuple[float, float]:
    """ARI against the planted labels (noise its own group) and the noise share."""
    from sklearn.metrics import adjusted_rand_score

    table = pd.read_csv(assignments, dtype={"participant_id": str}).set_index("participant_id")
    labels = table["biotype"].reindex(truth.index).fillna(-1).to_numpy()
    return adjusted_rand_score(truth.to_numpy(), labels), float((labels == -1).mean())


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--with-checks", action="store_true", help="run the project with its default validity checks")
    args = parser.parse_args()
    options = {"by hand": (), "project": () if args.with_checks else WITHOUT_CHECKS}
    rows = []
    for n in args.n:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            folder = Path(tmp)
            truth = write_cohort(n, args.features, folder)
            for name, code, output in (("by hand", BY_HAND, "by_hand.csv"), ("project", PROJECT, "project")):
                runs = [run_child(code, folder / "participants.csv", folder / output, options[name]) for _ in range(args.repeats)]
                assignments = folder / output if output.endswith(".csv") else folder / output / "assignments.csv"
                ari, noise = quality(assignments, truth)
                extra = ""
                if name == "project":
                    timings = json.loads((folder / output / "run.json").read_text()).get("timings_s", {})
                    extra = " ".join(f"{k}={v:.0f}s" for k, v in timings.items())
                rows.append((n, name, statistics.median(r[0] for r in runs), max(r[1] for r in runs), ari, noise, extra))
    print(f"{'N':>8} {'way':<8} {'seconds':>8} {'peak GB':>8} {'ARI':>6} {'noise':>6}  steps")
    for n, name, seconds, peak, ari, noise, extra in rows:
        print(f"{n:>8} {name:<8} {seconds:>8.1f} {peak:>8.2f} {ari:>6.3f} {noise:>6.1%}  {extra}")
    for n in args.n:
        hand, ours = (r[2] for r in rows if r[0] == n)
        print(f"N={n}: project / by hand = {ours / hand:.2f}")


if __name__ == "__main__":
    main()
