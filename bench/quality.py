"""Clustering quality of the automatic defaults against hand-picked UMAP + HDBSCAN, in one process.

    python bench/quality.py [--seeds 0 1 2]

Tables: four labelled tables that scikit-learn ships (iris, wine, breast cancer, digits), the
Palmer penguins (palmerpenguins package: four body measurements beside a study-year column with
three values, species as the truth) and the synthetic cohort (clinical measures; clinical +
wearables; all four modalities with ComBat site harmonisation, i.e. the participants with imaging),
all standardised. Baseline: UMAP (n_neighbors 15, min_dist 0, 5 dimensions) then HDBSCAN
(min_cluster_size = 2% of N, at least 5, library defaults otherwise). Ours:
analysis.engine.clustering.find_biotypes with RunConfig() defaults. For the penguins, ours reads the whole
table through the cohort loader (the column roles decide what is clustered: the year is a batch or
time covariate by default) while the baseline gets the four measurements a researcher would pick by
hand, rows with a missing measurement dropped.
Prints ARI over all points (noise as its own group), ARI over clustered points, AMI, noise share
and number of clusters, as medians over seeds; then, per table, the paired comparison over seeds
(ours minus baseline on the same seed: median difference, seeds won and lost). Each run appends its
figures, per seed and with a digest of every labelling (to check that a change leaves the
biotypes byte-identical), to bench/results/quality.jsonl (bench/results.py). Asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.config import RunConfig  # noqa: E402
from analysis.engine.clustering import find_biotypes  # noqa: E402
from bench.results import record  # noqa: E402


def tables() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Name → (features ours clusters, its labels, features the baseline clusters, its labels)."""
    out = {}
    for name, loader in (("iris", load_iris), ("wine", load_wine), ("breast_cancer", load_breast_cancer), ("digits", load_digits)):
        data = loader()
        x = StandardScaler().fit_transform(data.data)
        out[name] = (x, data.target, x, data.target)
    out["penguins_with_year"] = penguin_tables()
    out.update({name: (x, truth, x, truth) for name, (x, truth) in synthetic_tables().items()})
    return out


def penguin_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The penguins table through the cohort loader with default roles, and the hand-picked four measurements."""
    from palmerpenguins import load_penguins

    from analysis.cohort.cohort import CohortFiles, load_cohort
    from analysis.features.blocks import build_blocks
    from analysis.features.fusion import fuse_blocks
    from analysis.io.inputs import InputFile

    penguins = load_penguins()
    penguins.insert(0, "participant_id", [f"p{i:03d}" for i in range(len(penguins))])
    species = penguins.set_index("participant_id")["species"]
    table = penguins.drop(columns="species").to_csv(index=False).encode()
    cohort = load_cohort(CohortFiles(participants=InputFile("penguins.csv", table)))
    fused = fuse_blocks(build_blocks(cohort, RunConfig())[0], cohort.participants.index, RunConfig())
    ours_truth = species.reindex(cohort.participants.loc[fused.included, "participant_id"]).to_numpy()
    measurements = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    picked = penguins.dropna(subset=measurements)
    return fused.matrix.to_numpy(), ours_truth, StandardScaler().fit_transform(picked[measurements]), picked["species"].to_numpy()


def synthetic_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The synthetic cohort through the project's own feature pipeline (clinical; clinical + wearables)."""
    import tempfile

    from analysis.cohort.cohort import CohortFiles, load_cohort
    from analysis.cohort.synthetic import generate_cohort
    from analysis.features.blocks import build_blocks
    from analysis.features.fusion import fuse_blocks
    from analysis.io.inputs import InputFile
    from analysis.reporting.run_files import write_synthetic_cohort

    synthetic = generate_cohort(1000, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_synthetic_cohort(synthetic, folder)
        files = [InputFile.from_path(p) for p in paths[:4]]
        cohort = load_cohort(CohortFiles(participants=files[0], prs=files[1], connectivity=files[2], wearables=files[3]))
    truth = synthetic.truth.assign(key=synthetic.truth["participant_id"].str.removeprefix("sub-")).set_index("key")["true_biotype"]
    out = {}
    runs = (
        ("synthetic_clinical", RunConfig(modalities=("clinical",))),
        ("synthetic_clinical_wearables", RunConfig(modalities=("clinical", "wearables"))),
        ("synthetic_all_harmonised", RunConfig(harmonise_sites=True)),
    )
    for name, config in runs:
        blocks, _, _ = build_blocks(cohort, config)
        fused = fuse_blocks(blocks, cohort.participants.index, config)
        out[name] = (fused.matrix.to_numpy(), truth.loc[fused.included].to_numpy())
    return out


def baseline(x: np.ndarray, seed: int) -> np.ndarray:
    """The hand-written UMAP + HDBSCAN a researcher would run."""
    import hdbscan
    import umap

    embedding = umap.UMAP(n_neighbors=15, min_dist=0.0, n_components=5, random_state=seed).fit_transform(x)
    return hdbscan.HDBSCAN(min_cluster_size=max(5, round(0.02 * len(x)))).fit_predict(embedding)


def scores(labels: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """ARI (noise as its own group), ARI over clustered points, AMI, noise share, clusters and a digest of the labels."""
    clustered = labels >= 0
    return {
        "ari": adjusted_rand_score(truth, labels),
        "ari_clustered": adjusted_rand_score(truth[clustered], labels[clustered]) if clustered.any() else float("nan"),
        "ami": adjusted_mutual_info_score(truth, labels),
        "noise": float((~clustered).mean()),
        "k": float(labels.max() + 1),
        "labels_sha256": hashlib.sha256(np.asarray(labels, dtype=np.int64).tobytes()).hexdigest()[:16],
    }


def paired(ours: list[float], baseline: list[float]) -> dict[str, float]:
    """Ours minus baseline seed by seed: the median difference, and how many seeds each side won."""
    differences = [a - b for a, b in zip(ours, baseline, strict=True)]
    return {
        "median_difference": statistics.median(differences),
        "seeds_won": sum(d > 0 for d in differences),
        "seeds_lost": sum(d < 0 for d in differences),
    }


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tables", nargs="+", help="only these tables (default: all)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    figures = {}
    for name, (x_ours, truth_ours, x_baseline, truth_baseline) in tables().items():
        if args.tables and name not in args.tables:
            continue
        figures[name] = {"n": len(x_ours)}
        for method in ("baseline", "ours"):
            runs = []
            for seed in args.seeds:
                if method == "baseline":
                    runs.append(scores(baseline(x_baseline, seed), truth_baseline))
                else:
                    runs.append(scores(find_biotypes(x_ours, RunConfig(seed=seed))[0].labels, truth_ours))
            medians = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "labels_sha256"}
            figures[name][method] = {"median": medians, "per_seed": runs}
            print(
                f"{name:>30} {method:>8}  ARI {medians['ari']:.3f}  ARI(clustered) {medians['ari_clustered']:.3f}  AMI {medians['ami']:.3f}  noise {medians['noise']:.1%}  k {medians['k']:.0f}",
                flush=True,
            )
        figures[name]["paired"] = paired(
            [r["ari"] for r in figures[name]["ours"]["per_seed"]], [r["ari"] for r in figures[name]["baseline"]["per_seed"]]
        )
    print()
    print(f"ARI, ours minus baseline, paired over seeds {' '.join(map(str, args.seeds))}:")
    for name, table in figures.items():
        p = table["paired"]
        print(f"{name:>30}  median difference {p['median_difference']:+.3f}  won {p['seeds_won']}  lost {p['seeds_lost']}")
    path = record("quality", figures, {"seeds": args.seeds, "tables": args.tables or "all"})
    print(f"\nrecorded in {path.relative_to(Path(__file__).resolve().parents[1])}")


if __name__ == "__main__":
    main()
