"""Opening a saved run: from its saved state against computing it again from run.json.

    python bench/open_run.py [--n 10000 100000] [--features 50] [--repeats 3]

For each N a planted 8-cluster mixture of N x F features (bench/scale.py's participants.csv) is
clustered once (the run's own cost, which opening without a saved state repeats: the same
configuration gives the same run) and written as a run folder, then zipped as the Export page
zips it. Then, ``--repeats`` times: the zip read (:func:`analysis.io.run_archive.read_run_archive`),
the cohort's files checked against run.json and the run rebuilt from its state
(:func:`analysis.engine.saved_state.opened_run`: features built again, no embedding or clustering).
Loading the cohort's files, which both ways need first, is timed apart. The structure test and
replication are off (they cost the run, not the opening: their results are a few kilobytes of the
state). Prints median seconds and the zip's size; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import write_cohort  # noqa: E402

from analysis.cohort.cohort import CohortFiles, load_cohort  # noqa: E402
from analysis.config import RunConfig  # noqa: E402
from analysis.engine.run import run_biotypes  # noqa: E402
from analysis.engine.saved_state import opened_run  # noqa: E402
from analysis.io.inputs import InputFile  # noqa: E402
from analysis.io.run_archive import input_mismatch, read_run_archive  # noqa: E402
from analysis.reporting.run_files import write_run  # noqa: E402
from bench.results import record  # noqa: E402

CONFIG = RunConfig(modalities=("clinical",), null_cohorts=0, replication_splits=0, site_replication=False, seed=0)


def zipped(folder: Path) -> bytes:
    """The run folder as the Export page's zip (deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def timed(call):
    """(seconds, value) of one call."""
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def measure(n: int, features: int, repeats: int) -> dict:
    """The figures of the module docstring for one N."""
    with tempfile.TemporaryDirectory(prefix="bench-open-") as folder:
        root = Path(folder)
        write_cohort(n, features, root)
        files = CohortFiles(participants=InputFile.from_path(root / "participants.csv"))
        load_s, cohort = timed(lambda: load_cohort(files))
        run_s, result = timed(lambda: run_biotypes(cohort, CONFIG, structure=False, replication=False))
        write_s, _ = timed(lambda: write_run(result, cohort, root / "run"))
        data = zipped(root / "run")
        state_bytes = sum(p.stat().st_size for p in (root / "run" / "state").rglob("*") if p.is_file())
        opening = []
        for _ in range(repeats):
            seconds, opened = timed(lambda: _open(data, cohort))
            opening.append(seconds)
        same = bool((opened.clusters.labels == result.clusters.labels).all())
    return {
        "load_s": load_s,
        "run_s": run_s,
        "write_s": write_s,
        "open_s": statistics.median(opening),
        "zip_mb": len(data) / 2**20,
        "state_mb": state_bytes / 2**20,
        "clustered": int(len(result.clusters.labels)),
        "biotypes": result.clusters.n_biotypes,
        "same_biotypes": same,
    }


def _open(data: bytes, cohort):
    saved = read_run_archive(data, "biotype_run.zip")
    assert input_mismatch(saved, cohort.provenance) is None
    return opened_run(saved.state, cohort, saved.record, saved.name)


def main() -> None:
    """Run the measurements of the module docstring, print and record them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures = {}
    print(f"{'N':>8} {'load':>7} {'run':>8} {'open':>7} {'ratio':>7} {'zip MB':>7} {'state MB':>8} biotypes same")
    for n in args.n:
        f = measure(n, args.features, args.repeats)
        figures[str(n)] = f
        print(
            f"{n:>8} {f['load_s']:>6.1f}s {f['run_s']:>7.1f}s {f['open_s']:>6.2f}s {f['run_s'] / f['open_s']:>6.0f}x "
            f"{f['zip_mb']:>7.1f} {f['state_mb']:>8.1f} {f['biotypes']:>8} {f['same_biotypes']}",
            flush=True,
        )
    record("open_run", figures, vars(args))


if __name__ == "__main__":
    main()
