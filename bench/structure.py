"""The structure test on a panel of cohorts with and without subgroups: verdict, p-value, graded measure, power, cost.

Every cohort goes through the tool as a researcher's table would: a participants CSV of numeric
columns, loaded and checked, clustered on its clinical block with the defaults (UMAP + HDBSCAN with
automatic choices, 19 null cohorts), in one process. Cohorts without subgroups must never be called
distinct; cohorts whose subgroups separate should be. Figures go in docs/methods.md, not in asserts.

    python bench/structure.py            # the whole panel (about 20 minutes on 2 cores)
    python bench/structure.py --quick    # one cohort of each kind at N = 300
    python bench/structure.py --large 100000   # the test alone on 100,000 participants (subsampled)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.cohort.cohort import CohortFiles, load_cohort  # noqa: E402
from analysis.config import RunConfig  # noqa: E402
from analysis.engine.run import run_biotypes  # noqa: E402
from analysis.io.inputs import InputFile  # noqa: E402


def correlated_gaussian(n: int, rng: np.random.Generator) -> np.ndarray:
    """12 scores from one correlated Gaussian."""
    mixing = rng.normal(size=(12, 12)) / np.sqrt(12)
    return rng.normal(size=(n, 12)) @ (mixing + 0.5 * np.eye(12))


def one_factor_continuum(n: int, rng: np.random.Generator) -> np.ndarray:
    """10 questionnaire items driven by one right-skewed severity factor, rounded to 0-10 scales."""
    severity = rng.gamma(2.0, 1.0, size=(n, 1))
    return np.clip(np.round(severity * rng.uniform(1.0, 2.0, 10) + rng.normal(size=(n, 10))), 0, 10)


def uniform_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """8 features drawn uniformly (a hypercube: not Gaussian, no subgroups)."""
    return rng.uniform(size=(n, 8))


def two_factor_lognormal(n: int, rng: np.random.Generator) -> np.ndarray:
    """Our own: 14 items on two correlated log-normal factors (pain intensity and interference), heavy right tails."""
    factors = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)
    loadings = np.zeros((2, 14))
    loadings[0, :7], loadings[1, 7:] = rng.uniform(0.6, 1.2, 7), rng.uniform(0.6, 1.2, 7)
    return np.exp(0.5 * factors) @ loadings + 0.5 * rng.normal(size=(n, 14))


def planted_clusters(n: int, rng: np.random.Generator) -> np.ndarray:
    """Four Gaussian clusters, centres 3 SD apart on average, in 10 features."""
    centres = rng.normal(size=(4, 10)) * 1.6
    return centres[rng.integers(0, 4, n)] + rng.normal(size=(n, 10))


def sample_generator_biotypes(n: int, seed: int) -> pd.DataFrame:
    """The clinical table of the synthetic cohort generator (planted biotypes), as the tool writes it."""
    from analysis.cohort.synthetic import generate_cohort

    return generate_cohort(n, seed=seed).participants


def public_table(name: str) -> np.ndarray:
    """A labelled table bundled with scikit-learn (no download)."""
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")().data


def cohort_of(table: pd.DataFrame | np.ndarray):
    """A cohort from a table of numeric columns (participant ids added), loaded as an uploaded CSV would be."""
    if not isinstance(table, pd.DataFrame):
        table = pd.DataFrame(table, columns=[f"f{j}" for j in range(table.shape[1])])
        table.insert(0, "participant_id", [f"p{i:05d}" for i in range(len(table))])
    data = table.to_csv(index=False).encode()
    return load_cohort(CohortFiles(participants=InputFile("participants.csv", data)))


def panel(quick: bool) -> list[tuple[str, bool, object]]:
    """(name, has subgroups, table) of every cohort of the panel."""
    rng = np.random.default_rng(2026)
    sizes = (300,) if quick else (150, 1000, 5000)
    rows = []
    for n in sizes:
        rows.append((f"correlated Gaussian, 12 scores, N={n}", False, correlated_gaussian(n, rng)))
    for n in (300,) if quick else (1000,):
        rows += [
            (f"one-factor continuum, 10 skewed items, N={n}", False, one_factor_continuum(n, rng)),
            (f"uniform noise, 8 features, N={n}", False, uniform_noise(n, rng)),
            (f"two log-normal factors, 14 items, N={n}", False, two_factor_lognormal(n, rng)),
        ]
    for n in (300,) if quick else (150, 1000, 5000):
        rows.append((f"planted Gaussian clusters, N={n}", True, planted_clusters(n, rng)))
    for n in (300,) if quick else (300, 1000, 5000):
        rows.append((f"synthetic cohort's planted biotypes (clinical), N={n}", True, sample_generator_biotypes(n, seed=n)))
    if not quick:
        for name in ("iris", "wine", "breast_cancer", "digits"):
            rows.append((f"{name} (scikit-learn), N={len(public_table(name))}", True, public_table(name)))
    return rows


def large_planted_clusters(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` participants of four Gaussian clusters in 10 features (seed 7), and their 0-based clusters."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 10)) * 1.6
    truth = rng.integers(0, 4, n)
    return centres[truth] + rng.normal(size=(n, 10)), truth


def large(n: int) -> None:
    """Time the structure test alone on ``n`` participants of planted clusters (their true labels as the run's)."""
    from analysis.config import AUTOMATIC_PARAMETERS
    from analysis.validity.structure import structure_test

    x, truth = large_planted_clusters(n)
    started = time.perf_counter()
    s = structure_test(x, truth + 1, RunConfig(chosen_from_data=AUTOMATIC_PARAMETERS))
    print(
        f"N={n:,}: {s.verdict}, p = {s.p_value}, tested on {s.n_tested:,} (subsampled: {s.subsampled}): {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one cohort of each kind at N = 300")
    parser.add_argument("--large", type=int, help="only time the test on this many participants")
    args = parser.parse_args()
    if args.large:
        large(args.large)
        return
    print(
        "cohort | subgroups | biotypes | verdict | p | largest dip (null median) | graded share | power: % called distinct at 3/4/5/6 SD | structure s | run s"
    )
    for name, has_subgroups, table in panel(args.quick):
        cohort = cohort_of(table)
        started = time.perf_counter()
        result = run_biotypes(cohort, RunConfig(modalities=("clinical",)))
        total = time.perf_counter() - started
        s = result.structure
        dips = f"{s.gap_null.observed:.3f} ({s.gap_null.summary()['median']:.3f})" if s.gap_null else "-"
        share = f"{s.graded.axis_share:.2f}" if s.graded is not None and np.isfinite(s.graded.axis_share) else "-"
        power = "/".join(f"{100 * v:.0f}" for v in s.power.distinct) if s.power else "-"
        p = f"{s.p_value:.2g}" if s.p_value is not None else "-"
        flag = "  <-- distinct without subgroups" if s.verdict == "distinct" and not has_subgroups else ""
        print(
            f"{name} | {'yes' if has_subgroups else 'no'} | {result.clusters.n_biotypes} | {s.verdict} | {p} | {dips} | {share} | {power} | "
            f"{result.timings.get('structure', 0):.0f} | {total:.0f}{flag}",
            flush=True,
        )


if __name__ == "__main__":
    main()
