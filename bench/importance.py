"""Permutation importance: scikit-learn's one-call-per-shuffle against the stacked shuffles of analysis.describe.importance.

    python bench/importance.py [--n 300 2000] [--features 60] [--repeats 3] [--trees 200]

Synthetic one-vs-rest problem (4 biotypes, the first three features informative), one random forest
of ``analysis.describe.importance.N_TREES`` trees per biotype as in the run. Prints the median seconds of each
way, their ratio, and the largest difference between the importances (they use different shuffles,
so small differences are expected; the top feature of each biotype is printed too).

``--trees T`` instead compares the run's forests with forests of T trees (both the stacked way, same
shuffles): seconds, ratio, largest difference of the importances. Asserts nothing.
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

import analysis.describe.importance as importance  # noqa: E402
from analysis.describe.importance import biotype_importance  # noqa: E402


def sklearn_importance(features: pd.DataFrame, labels: pd.Series, seed: int = 0, n_repeats: int = 5) -> pd.DataFrame:
    """The previous implementation: scikit-learn's permutation_importance, one predict_proba per shuffle."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    rows = []
    for biotype in sorted(labels.unique()):
        y = (labels == biotype).to_numpy()
        x_train, x_test, y_train, y_test = train_test_split(features.to_numpy(), y, test_size=0.3, random_state=seed, stratify=y)
        model = RandomForestClassifier(n_estimators=importance.N_TREES, random_state=seed, n_jobs=1).fit(x_train, y_train)
        result = permutation_importance(model, x_test, y_test, scoring="roc_auc", n_repeats=n_repeats, random_state=seed, n_jobs=1)
        rows += [
            {"biotype": biotype, "feature": f, "importance": m} for f, m in zip(features.columns, result.importances_mean, strict=True)
        ]
    return pd.DataFrame(rows)


def planted_problem(n: int, n_features: int) -> tuple[pd.DataFrame, pd.Series]:
    """4 biotypes at random; features 0, 1, 2 shifted by 1.5 SD in biotypes 0, 1, 2."""
    rng = np.random.default_rng(n)
    labels = pd.Series(rng.integers(0, 4, n), index=[f"p{i}" for i in range(n)])
    x = rng.normal(size=(n, n_features))
    for b in range(3):
        x[labels.to_numpy() == b, b] += 1.5
    return pd.DataFrame(x, index=labels.index, columns=[f"f{i}" for i in range(n_features)]), labels


def compare_tree_counts(args: argparse.Namespace) -> None:
    """Print seconds and the largest importance difference: the run's N_TREES against ``args.trees``."""
    run_trees = importance.N_TREES
    print(f"{'N':>6} {f'{run_trees} trees s':>12} {f'{args.trees} trees s':>12} {'ratio':>6} {'max |diff|':>11}  top feature per biotype")
    for n in args.n:
        features, labels = planted_problem(n, args.features)
        timings, tables = {}, {}
        for trees in (run_trees, args.trees):
            importance.N_TREES = trees
            seconds = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                tables[trees] = biotype_importance(features, labels)
                seconds.append(time.perf_counter() - started)
            timings[trees] = statistics.median(seconds)
        importance.N_TREES = run_trees
        merged = tables[run_trees].merge(tables[args.trees], on=["biotype", "feature"], suffixes=("", "_other"))
        diff = float((merged["importance"] - merged["importance_other"]).abs().max())
        top = {t: tables[t].groupby("biotype").head(1).set_index("biotype")["feature"].to_dict() for t in tables}
        same = "same" if top[run_trees] == top[args.trees] else f"differ: {top}"
        a, b = timings[run_trees], timings[args.trees]
        print(f"{n:>6} {a:>12.2f} {b:>12.2f} {b / a:>6.1f} {diff:>11.4f}  {same}")


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--features", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, help="compare the run's forests with forests of this many trees")
    args = parser.parse_args()
    if args.trees:
        compare_tree_counts(args)
        return
    print(f"{'N':>6} {'sklearn s':>10} {'stacked s':>10} {'ratio':>6} {'max |diff|':>11}  top feature per biotype (stacked)")
    for n in args.n:
        features, labels = planted_problem(n, args.features)
        timings = {"sklearn": [], "stacked": []}
        for _ in range(args.repeats):
            started = time.perf_counter()
            theirs = sklearn_importance(features, labels)
            timings["sklearn"].append(time.perf_counter() - started)
            started = time.perf_counter()
            ours = biotype_importance(features, labels)
            timings["stacked"].append(time.perf_counter() - started)
        a, b = statistics.median(timings["sklearn"]), statistics.median(timings["stacked"])
        merged = ours.merge(theirs, on=["biotype", "feature"], suffixes=("", "_sklearn"))
        diff = float((merged["importance"] - merged["importance_sklearn"]).abs().max())
        top = ours.groupby("biotype").head(1).set_index("biotype")["feature"].to_dict()
        print(f"{n:>6} {a:>10.2f} {b:>10.2f} {a / b:>6.1f} {diff:>11.3f}  {top}")


if __name__ == "__main__":
    main()
