"""Re-clustering an existing embedding: a new HDBSCAN fit against re-cutting the run's tree.

    python bench/recut.py [--n 10000 100000] [--dims 5] [--repeats 3]

A 5-D Gaussian mixture of 8 clusters stands in for a run's clustering embedding. HDBSCAN is fitted
once (min_cluster_size 1% of N, min_samples 25% of it, the run's default before its ceiling of 100); then min_cluster_size
is changed to 2% of N, the selection method to "leaf" and epsilon to 0.5, each done two ways:

- a new ``hdbscan.HDBSCAN`` fit (what changing a parameter costs without the tree), and
- :func:`analysis.engine.clustering.labels_from_tree` (labels and membership: what the split view needs) and
  :func:`analysis.engine.clustering.refit_from_tree` with its outlier scores (what a re-cut run needs; the
  prediction data for placing new participants is built only when a model is saved).

Prints the median seconds of each, the ratio, and whether the labels agree exactly. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.engine.clustering import hdbscan_fit, labels_from_tree, refit_from_tree  # noqa: E402


def median_seconds(call, repeats: int) -> tuple[float, object]:
    """Median wall time of ``call()`` over ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'N':>8} {'change':<24} {'new fit s':>10} {'labels s':>9} {'model s':>8} {'ratio':>7} same")
    for n in args.n:
        rng = np.random.default_rng(0)
        centres = rng.normal(0, 6, size=(8, args.dims))
        x = (centres[rng.integers(0, 8, n)] + rng.normal(0, 1, size=(n, args.dims))).astype(np.float32)
        size = max(5, n // 100)
        min_samples = max(5, size // 4)
        fit = hdbscan_fit(x, size, min_samples, "eom", 0.0)
        tree = fit.single_linkage_tree_.to_numpy()
        for change, (new_size, method, epsilon) in {
            f"min_cluster_size {2 * size}": (2 * size, "eom", 0.0),
            "method leaf": (size, "leaf", 0.0),
            "epsilon 0.5": (size, "eom", 0.5),
        }.items():
            fitted, new = median_seconds(lambda: hdbscan_fit(x, new_size, min_samples, method, epsilon), args.repeats)  # noqa: B023
            labelled, (labels, _) = median_seconds(lambda: labels_from_tree(tree, new_size, method, epsilon), args.repeats)  # noqa: B023
            modelled, _ = median_seconds(lambda: refit_from_tree(fit, new_size, method, epsilon).outlier_scores_, args.repeats)  # noqa: B023
            same = bool(np.array_equal(labels, new.labels_))
            print(f"{n:>8} {change:<24} {fitted:>10.2f} {labelled:>9.3f} {modelled:>8.2f} {fitted / labelled:>6.0f}x {same}")


if __name__ == "__main__":
    main()
