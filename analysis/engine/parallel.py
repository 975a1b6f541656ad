"""Where a run's independent fits go: this process, local worker processes, or a Dask cluster.

Independent work in a run: the clustering and the display UMAP fits, the stability resamples and the
columns of the parameter sweep. Each is seeded and single-threaded, so where it runs changes no
result (tested: here, two local processes and a two-worker Dask cluster give byte-identical output).
Everything goes through joblib: inside :func:`compute_on` with a Dask scheduler address (the
command line's ``--scheduler``), joblib's ``dask`` backend sends it to that cluster's workers.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from analysis.errors import CohortError

#: From this many participants, independent fits run side by side in worker processes; below it a
#: fit is short and a fresh worker's numba compilation would cost more than it saves.
PARALLEL_MIN_PARTICIPANTS = 5000
#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 20


def on_dask() -> bool:
    """True inside :func:`compute_on` with a scheduler (joblib's active backend is Dask's)."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    return type(backend).__name__ == "DaskDistributedBackend"


def parallel_workers(n: int) -> int:
    """joblib ``n_jobs`` for independent fits on ``n`` participants.

    Returns
    -------
    int
        -1 (every worker of the cluster) on Dask; otherwise 1 (this process) below
        :data:`PARALLEL_MIN_PARTICIPANTS` participants or on one core, else 2.
    """
    if on_dask():
        return -1
    return 1 if n < PARALLEL_MIN_PARTICIPANTS else min(2, os.cpu_count() or 1)


@contextmanager
def compute_on(scheduler: str | None):
    """Send the independent fits started inside the block to a Dask cluster.

    Parameters
    ----------
    scheduler : str or None
        The scheduler's address, e.g. ``"tcp://10.0.0.5:8786"``; None or "" keeps the work on this
        machine. The cluster's workers need this project's requirements and the ``analysis``
        package importable (same versions: results are identical only with identical libraries).

    Raises
    ------
    CohortError
        When dask.distributed is not installed or the scheduler cannot be reached.
    """
    if not scheduler:
        yield
        return
    try:
        from dask.distributed import Client
        from joblib import parallel_config
    except ImportError as error:
        raise CohortError("dask.distributed is not installed", "--scheduler", "pip install -r requirements.txt") from error
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False)
    except OSError as error:
        raise CohortError(f"no Dask scheduler answers at {scheduler}", "--scheduler", "start the cluster or fix the address") from error
    with client, parallel_config(backend="dask", client=client, wait_for_workers_timeout=60):
        yield
