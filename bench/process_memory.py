"""Peak resident memory of a process and every process it starts (joblib workers included).

``resource.getrusage`` reports one process; a run whose UMAP fits go to worker processes would look
smaller than it is. :class:`TreeMemory` samples the summed RSS of a process tree from /proc (Linux)
in a background thread, and can split the peak into steps.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss_bytes(root: int) -> int:
    """Summed resident memory of ``root`` and all its descendants, in bytes (0 if it has gone)."""
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


class TreeMemory:
    """Sample a process tree's RSS every ``interval`` seconds while in a ``with`` block.

    Attributes
    ----------
    peak_gb : float
        The highest summed RSS seen, in GB (1024**3 bytes).
    steps : dict of str to float
        Peak in GB between consecutive :meth:`mark` calls, keyed by the step name given to ``mark``.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.2):
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak_gb = 0.0
        self.steps: dict[str, float] = {}
        self._step, self._step_peak = None, 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def mark(self, step: str) -> None:
        """Start a new step called ``step`` (the previous one's peak is kept in :attr:`steps`)."""
        now = tree_rss_bytes(self.pid) / 1024**3
        with self._lock:
            if self._step is not None:
                self.steps[self._step] = max(self.steps.get(self._step, 0.0), self._step_peak)
            self._step, self._step_peak = step, now

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            gb = tree_rss_bytes(self.pid) / 1024**3
            with self._lock:
                self.peak_gb = max(self.peak_gb, gb)
                self._step_peak = max(self._step_peak, gb)

    def __enter__(self) -> TreeMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.mark("")
        self.steps.pop("", None)
