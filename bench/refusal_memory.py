"""Peak memory of refusing large bad files: what can be known early is checked before everything is read.

    python bench/refusal_memory.py [--mb 200 600]

Writes, in a temporary folder, a participants "table" that is one line of the first size (no line
break), and a float32 .npy stack of the second size given without its ids file, and runs
``python -m analysis validate`` on each in a fresh process. Prints each refusal's message (first 100
characters), wall time and peak memory (the process tree, sampled from /proc), and the peak as a
multiple of the file's size. Asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_memory import TreeMemory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def refusal(args: list[str]) -> tuple[str, float, float]:
    """The error line, wall seconds and peak GB of ``python -m analysis validate ARGS``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "analysis", "validate", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with TreeMemory(child.pid, interval=0.05) as memory:
        _, err = child.communicate()
    return err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}", time.perf_counter() - started, memory.peak_gb


def main() -> None:
    """Run the measurements of the module docstring and print them (the command line above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs=2, default=[200, 600], metavar=("LINE_MB", "NPY_MB"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-refusal-") as tmp:
        folder = Path(tmp)
        line = folder / "one_line.csv"
        with line.open("wb") as out:
            out.write(b"participant_id,")
            for _ in range(args.mb[0]):
                out.write(b"x," * (2**19))
            out.write(b"\n")
        stack = folder / "stack.npy"
        n_edges = 125_000
        rows = args.mb[1] * 2**20 // (4 * n_edges)
        array = np.lib.format.open_memmap(stack, mode="w+", dtype=np.float32, shape=(rows, n_edges))
        array[:] = 0.1
        array.flush()
        del array
        cases = [
            ("one-line participants file", line, ["--participants", str(line)]),
            (
                ".npy stack without ids",
                stack,
                ["--participants", str(ROOT / "sample_data" / "participants.csv"), "--connectivity", str(stack)],
            ),
        ]
        for name, path, argv in cases:
            message, seconds, peak = refusal(argv)
            size = path.stat().st_size / 2**30
            print(f"{name}: {size * 1024:.0f} MB, refused in {seconds:.1f} s, peak {peak:.2f} GB ({peak / size:.1f}x the file)")
            print(f"    {message[:100]}")


if __name__ == "__main__":
    main()
