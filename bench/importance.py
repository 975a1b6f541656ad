"""Permutation importance: scikit-learn's one-call-per-shuffle against the stacked shuffles of analysis.importance.

    python bench/importance.py [--n 300 2000] [--features 60] [--repeats 3]

Synthetic one-vs-rest problem (4 biotypes, the first three features informative), one random forest
of 200 trees per biotype as in the run. Prints the median seconds of each way, their ratio, and the
largest difference between the importances (they use different shuffles, so small differences are
expected; the top feature of each biotype is printed too). Asserts nothing.
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

from analysis.importance import biotype_importance  # noqa: E402


def sklearn_importance(features: pd.DataFrame, labels: pd.Series, seed: int = 0, n_repeats: int = 5) -> pd.DataFrame:
    """The previous implementation: scikit-learn's permutation_importance, one predict_proba per shuffle."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    rows = []
    for biotype in sorted(labels.unique()):
        y = (labels == biotype).to_numpy()
        x_train, x_test, y_train, y_test = train_test_split(features.to_numpy(), y, test_size=0.3, random_state=seed, stratify=y)
        model = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1).fit(x_train, y_train)
        result = permutation_importance(model, x_test, y_test, scoring="roc_auc", n_repeats=n_repeats, random_state=seed, n_jobs=1)
        rows += [
            {"biotype": biotype, "feature": f, "importance": m} for f, m in zip(features.columns, result.importances_mean, strict=True)
        ]
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--features", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'N':>6} {'sklearn s':>10} {'stacked s':>10} {'ratio':>6} {'max |diff|':>11}  top feature per biotype (stacked)")
    for n in args.n:
        rng = np.random.default_rng(n)
        labels = pd.Series(rng.integers(0, 4, n), index=[f"p{i}" for i in range(n)])
        x = rng.normal(size=(n, args.features))
        for b in range(3):
            x[labels.to_numpy() == b, b] += 1.5
        features = pd.DataFrame(x, index=labels.index, columns=[f"f{i}" for i in range(args.features)])
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
