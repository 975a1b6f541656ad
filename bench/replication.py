"""Split-half replication and clinical value on a panel of cohorts: per-biotype prediction strength, in-group proportion, cost.

Every cohort goes through the tool as a researcher's tables would (loaded and checked, clustered with
the defaults, 5 split-half replications), in one process. Planted biotypes should replicate; cuts of a
cohort without subgroups should not, except that a consistent cut of a continuum can (which is why
replication is read beside the structure verdict). On the synthetic cohort the clinical value of each
outcome is printed too, with an outcome added that is unrelated to anything (its gain must not be
called real), the Kaplan-Meier medians and log-rank test of the time to escalation, and the trial
arm's effect per biotype with the biotype × treatment test. Figures go in docs/methods.md, not in asserts.

    python bench/replication.py               # the whole panel (about 10 minutes on 2 cores)
    python bench/replication.py --quick       # the synthetic cohort and a Gaussian, N = 300
    python bench/replication.py --large 100000   # split-half replication and clinical value alone at N = 100,000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from structure import (  # noqa: E402
    cohort_of,
    correlated_gaussian,
    large_planted_clusters,
    one_factor_continuum,
    planted_clusters,
    public_table,
)

from analysis.cohort.cohort import CohortFiles, load_cohort  # noqa: E402
from analysis.config import RunConfig  # noqa: E402
from analysis.engine.run import run_biotypes  # noqa: E402
from analysis.io.inputs import InputFile  # noqa: E402


def synthetic_cohort(n: int, modalities: str):
    """The synthetic generator's cohort (seed 0, as sample_data/ holds at N = 1,000), with an outcome unrelated to anything added."""
    from analysis.cohort.synthetic import generate_cohort
    from analysis.reporting.run_files import write_synthetic_cohort

    cohort = generate_cohort(n, seed=0)
    rng = np.random.default_rng(99)
    cohort.participants["outcome_unrelated"] = rng.normal(size=n).round(3)
    folder = Path(tempfile.mkdtemp(prefix="replication_bench_"))
    write_synthetic_cohort(cohort, folder)
    files = {"participants": InputFile.from_path(folder / "participants.csv")}
    if modalities == "all":
        files |= {
            "prs": InputFile.from_path(folder / "prs.sscore"),
            "connectivity": InputFile.from_path(folder / "connectivity.npz"),
            "wearables": InputFile.from_path(folder / "wearables.csv"),
        }
    return load_cohort(CohortFiles(**files))


def panel(quick: bool) -> list[tuple[str, bool, object, tuple[str, ...]]]:
    """(name, has subgroups, cohort, modalities) of every cohort of the panel."""
    rng = np.random.default_rng(2026)
    clinical = ("clinical",)
    if quick:
        return [
            ("synthetic cohort, clinical, N=300", True, synthetic_cohort(300, "clinical"), clinical),
            ("correlated Gaussian, 12 scores, N=300", False, cohort_of(correlated_gaussian(300, rng)), clinical),
        ]
    rows = [
        ("synthetic cohort (sample_data), every modality, N=1,000", True, synthetic_cohort(1000, "all"), RunConfig().modalities),
        ("synthetic cohort, clinical, N=1,000", True, synthetic_cohort(1000, "clinical"), clinical),
        ("synthetic cohort, clinical, N=3,000", True, synthetic_cohort(3000, "clinical"), clinical),
        ("correlated Gaussian, 12 scores, N=1,000", False, cohort_of(correlated_gaussian(1000, rng)), clinical),
        ("one-factor continuum, 10 skewed items, N=1,000", False, cohort_of(one_factor_continuum(1000, rng)), clinical),
        ("planted Gaussian clusters, N=1,000", True, cohort_of(planted_clusters(1000, rng)), clinical),
    ]
    for name in ("iris", "wine", "breast_cancer", "digits"):
        table = public_table(name)
        rows.append((f"{name} (scikit-learn), N={len(table):,}", True, cohort_of(table), clinical))
    return rows


def large(n: int) -> None:
    """Time split-half replication and clinical value alone on ``n`` participants of planted clusters (true labels as the run's)."""
    from analysis.config import AUTOMATIC_PARAMETERS
    from analysis.outcomes.clinical_value import clinical_value
    from analysis.outcomes.survival import TimeToEvent
    from analysis.validity.replication import split_half_replication

    x, truth = large_planted_clusters(n)
    rng = np.random.default_rng(8)
    config = RunConfig(chosen_from_data=AUTOMATIC_PARAMETERS)
    started = time.perf_counter()
    split_half = split_half_replication(x, truth, config, np.array(["a", "b"])[rng.integers(0, 2, n)], "site", n_jobs=2)
    print(f"N={n:,}: split-half replication on halves of {split_half.n_per_half:,} (subsampled: {split_half.subsampled}): "
          f"{time.perf_counter() - started:.0f} s; {split_half.headline()}")  # fmt: skip
    frame = pd.DataFrame(
        {
            "outcome_binary": (rng.random(n) < np.where(truth == 2, 0.6, 0.3)).astype(float),
            "outcome_numeric": (truth == 1) + rng.normal(size=n),
            "age": rng.normal(50, 10, n),
        }
    )
    times = rng.exponential(1.0 / np.where(truth == 2, 0.08, 0.03))
    frame["months"], frame["event"] = np.minimum(times, 24.0), (times <= 24.0).astype(float)
    started = time.perf_counter()
    value = clinical_value(frame, ["outcome_binary", "outcome_numeric"], ["age"], x, truth + 1, None, 0)
    print(f"N={n:,}: clinical value of 2 outcomes (200 refits each): {time.perf_counter() - started:.0f} s")
    for o in value.outcomes:
        print(f"  {o.outcome}: {o.reading()}")
    started = time.perf_counter()
    value = clinical_value(frame, [], ["age"], x, truth + 1, None, 0, time_to_event=(TimeToEvent("months", "event"),))
    (o,) = value.outcomes
    print(
        f"N={n:,}: Kaplan-Meier, log-rank and C-index ({o.resamples} refits of {o.resample_size:,}): {time.perf_counter() - started:.0f} s"
    )
    print(f"  {o.outcome}: {o.reading()}\n  {value.survival[0].reading()}")


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two cohorts at N = 300")
    parser.add_argument("--large", type=int, help="only time replication and clinical value on this many participants")
    args = parser.parse_args()
    if args.large:
        large(args.large)
        return
    print(
        "cohort | subgroups | clustered | biotypes | replicate | per biotype: prediction strength (range), in-group proportion p | "
        "median ARI | replication s | run s"
    )
    clinical = []
    for name, has_subgroups, cohort, modalities in panel(args.quick):
        started = time.perf_counter()
        result = run_biotypes(cohort, RunConfig(modalities=modalities), structure=False)
        total = time.perf_counter() - started
        s = result.split_half
        if s is None:
            print(f"{name} | {'yes' if has_subgroups else 'no'} | {len(result.clusters.labels)} | {result.clusters.n_biotypes} | - | "
                  f"{result.replication_note} | - | - | {total:.0f}", flush=True)  # fmt: skip
            continue
        per = "; ".join(
            f"B{b.biotype} {b.prediction_strength:.2f} ({b.prediction_strength_range[0]:.2f}-{b.prediction_strength_range[1]:.2f}), p {b.p_value:.2g}"
            for b in s.biotypes
        )
        replicated = sum(b.replicates for b in s.biotypes)
        flag = "  <-- replicates without subgroups" if replicated and not has_subgroups else ""
        print(
            f"{name} | {'yes' if has_subgroups else 'no'} | {len(result.clusters.labels)} | {result.clusters.n_biotypes} | {replicated} | {per} | "
            f"{np.median(s.ari):.2f} | {result.timings['replication']:.0f} | {total:.0f}{flag}",
            flush=True,
        )
        if result.sites:
            from analysis.reporting.run_files import site_reading

            assessed = [site for site in result.sites if not site.note]
            readings = "; ".join(f"B{b} {site_reading(assessed, b)}" for b in sorted({b for site in assessed for b in site.found}))
            aris = ", ".join(f"{site.site} {site.ari:.2f}" if not site.note else f"{site.site}: {site.note}" for site in result.sites)
            print(f"  leave-one-site-out: {readings}; ARI {aris}", flush=True)
        if result.clinical_value is not None:
            clinical.append((name, result.clinical_value))
    for name, value in clinical:
        print(f"\nclinical value, {name} ({value.seconds:.1f} s):")
        for o in value.outcomes:
            print(f"  {o.outcome}: {o.reading()}")
        for survival in value.survival:
            print(f"  survival by biotype: {survival.reading()}")
            for row in survival.medians.itertuples():
                print(
                    f"    B{row.biotype}: {row.events} events among {row.n}, median {row.median:.1f} ({row.median_low:.1f} to {row.median_high:.1f})"
                )
        for interaction in value.interactions:
            print(f"  treatment: {interaction.reading()}")
            for row in interaction.effects.itertuples():
                print(f"    B{row.biotype}: {interaction.effect} {row.effect:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f}), n = {row.n}")
    if not args.quick:
        external()


def external() -> None:
    """A reference run of the synthetic cohort (clinical, N = 1,000) replicated in another seed's cohort, and in one lacking a biotype."""
    from analysis.engine.model import biotype_model
    from analysis.validity.external import replicate_in_cohort

    reference = synthetic_cohort(1000, "clinical")
    result = run_biotypes(
        reference, RunConfig(modalities=("clinical",), null_cohorts=0, replication_splits=0, site_replication=False), for_saving=True
    )
    model = biotype_model(result, reference)
    for label, seed, without in (
        ("another seed (1), N=1,000", 1, None),
        ("seed 2 without planted biotype 'Neuropathic-like', N=1,000", 2, 2),
    ):
        cohort = external_cohort(1000, seed, without)
        started = time.perf_counter()
        replication = replicate_in_cohort(model, cohort)
        print(f"\nexternal cohort, {label} ({time.perf_counter() - started:.0f} s): {replication.headline()}")
        for b in replication.biotypes:
            print(f"  B{b.biotype}: {b.reading}, {b.n_placed} placed (expected {b.expected:.0f}), prediction strength {b.prediction_strength:.2f}, "
                  f"in-group proportion {b.in_group_proportion:.2f} (p {b.p_value:.2g})")  # fmt: skip


def external_cohort(n: int, seed: int, without: int | None):
    """The generator's clinical table of another seed, with one planted biotype's participants removed."""
    from analysis.cohort.synthetic import generate_cohort

    cohort = generate_cohort(n, seed=seed)
    keep = (cohort.truth["true_biotype"] != without).to_numpy() if without is not None else np.ones(n, dtype=bool)
    data = cohort.participants[keep].to_csv(index=False).encode()
    return load_cohort(CohortFiles(participants=InputFile("participants.csv", data)))


if __name__ == "__main__":
    main()
