"""Memory of loading and reducing connectivity: N participants x a bundled atlas (power_2011: 264 ROIs).

    python bench/connectivity_memory.py [--n 5000] [--atlas power_2011] [--compressed]

Writes, in a temporary folder, a participants table and an .npz of vectorised float32 lower
triangles (34,716 edges per participant for 264 ROIs; ``numpy.savez``, or ``savez_compressed`` with
``--compressed``), then in a fresh process reads the files, loads the cohort and builds the
connectivity features (network means, which fall back to PCA for an atlas without networks such
as power_2011, then 10 PCA components) and the per-biotype edge comparison of four made-up
groups, sampling the process's resident memory every 0.1 s. Prints the peak above the interpreter's baseline per step, in GB and in
multiples of one float32 copy of the edges (the file's bytes are themselves about one copy).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from process_memory import TreeMemory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def write_files(n: int, folder: Path, compressed: bool, n_rois: int, atlas: str) -> int:
    """participants.csv and connectivity.npz for ``n`` participants; returns the bytes of one float32 copy of the edges."""
    rng = np.random.default_rng(0)
    ids = np.array([f"sub-{i:05d}" for i in range(n)])
    pd.DataFrame({"participant_id": ids, "pain_intensity": rng.normal(5, 2, n).round(2), "age": rng.integers(18, 80, n)}).to_csv(
        folder / "participants.csv", index=False
    )
    n_edges = n_rois * (n_rois - 1) // 2
    edges = np.empty((n, n_edges), dtype=np.float32)
    for start in range(0, n, 500):
        block = rng.normal(0.2, 0.15, size=(min(500, n - start), n_edges))
        edges[start : start + len(block)] = np.tanh(block)
    save = np.savez_compressed if compressed else np.savez
    save(folder / "connectivity.npz", matrices=edges, participant_id=ids, atlas=np.array(atlas))
    return edges.nbytes


def child(folder: Path, atlas: str) -> None:
    """Run the steps here, printing ``step peak_gb`` lines (peak above the baseline)."""
    from analysis.cohort.cohort import CohortFiles, load_cohort
    from analysis.config import RunConfig
    from analysis.describe.summaries import biotype_connectivity
    from analysis.features.extractors import ConnectivityFeatures
    from analysis.io.inputs import InputFile

    with TreeMemory(interval=0.1) as memory:
        time.sleep(0.3)
        memory.mark("baseline")
        time.sleep(0.3)
        memory.mark("read the files")
        files = CohortFiles(
            participants=InputFile.from_path(folder / "participants.csv"),
            connectivity=InputFile.from_path(folder / "connectivity.npz"),
            atlas=atlas,
        )
        time.sleep(0.3)
        memory.mark("load and check")
        cohort = load_cohort(files)
        time.sleep(0.3)
        memory.mark("network means")
        _, features, _ = ConnectivityFeatures.fit_transform(cohort, RunConfig(connectivity_features="networks"))
        time.sleep(0.3)
        memory.mark("10 PCA components")
        _, pca, _ = ConnectivityFeatures.fit_transform(cohort, RunConfig(connectivity_features="pca"))
        time.sleep(0.3)
        memory.mark("biotype comparison")
        groups = pd.Series(np.arange(len(cohort.connectivity.ids)) % 4, index=cohort.connectivity.ids)
        compared = biotype_connectivity(cohort.connectivity, groups)
        time.sleep(0.3)
        memory.mark("end")
    assert len(features) == len(pca) == cohort.connectivity.edges.shape[0] and len(compared) == 4
    for step, peak in memory.steps.items():
        print(f"{step}\t{peak:.3f}", flush=True)


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--atlas", default="power_2011", help="a bundled atlas: power_2011, dosenbach_2010, seitzman_2018")
    parser.add_argument("--compressed", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.atlas)
        return
    from analysis.cohort.atlas import bundled_atlas

    n_rois = bundled_atlas(args.atlas).n_rois
    with tempfile.TemporaryDirectory(prefix="bench-connectivity-") as tmp:
        folder = Path(tmp)
        copy_bytes = write_files(args.n, folder, args.compressed, n_rois, args.atlas)
        file_gb = (folder / "connectivity.npz").stat().st_size / 1024**3
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), "--atlas", args.atlas], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-2000:] + done.stderr[-4000:])
        out = done.stdout
    seconds = time.perf_counter() - started
    peaks = dict(line.split("\t") for line in out.strip().splitlines())
    baseline = float(peaks.pop("baseline"))
    copy_gb = copy_bytes / 1024**3
    print(f"{args.n} participants x {n_rois} ROIs ({args.atlas}): one float32 copy of the edges {copy_gb:.2f} GB; file {file_gb:.2f} GB")
    print(f"fresh process {seconds:.0f} s; interpreter and imports baseline {baseline:.2f} GB")
    print(f"{'step':<20}{'peak above baseline':>22}{'float32 copies':>16}")
    for step, peak in peaks.items():
        if step == "end":
            continue
        above = float(peak) - baseline
        print(f"{step:<20}{above:>19.2f} GB{above / copy_gb:>16.2f}")


if __name__ == "__main__":
    main()
