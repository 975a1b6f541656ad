"""numba's compiled code of umap-learn and pynndescent kept on disk, so a new process does not compile it again.

umap-learn and pynndescent compile about 250 numba functions on first use, in every new process: most
of a cold start (docs/performance.md measures it). numba can keep compiled machine code on disk, but
those libraries ask for it on few of their functions. :func:`umap_module` asks for it on all of them,
in a private folder of this user's temporary directory (mode 0700; compiled code only, never data).
A new process then loads the code instead of compiling it; the same machine code runs, so results
are unchanged (tested: tests/analysis/engine/test_compiled_code.py). Functions that take another compiled
function as an argument (pynndescent's distance) are left uncached: numba's cache key for them
changes in every process, so each process would add a copy to the folder and never load it.
pynndescent's graph building is made of such functions (its ``nn_descent`` also embeds the address of
the distance function's Python object, which numba refuses to cache): that part is compiled in
every new process (bench/cold_start_app.py measures what is left).
"""

from __future__ import annotations

import functools
import inspect
import os
import stat
import sys
import tempfile
from pathlib import Path

#: The environment variable numba reads its cache folder from (a user's own setting is kept).
CACHE_VARIABLE = "NUMBA_CACHE_DIR"
#: Packages whose numba functions are cached on disk.
CACHED_PACKAGES = ("umap", "pynndescent")
#: Parameter names that carry a compiled function in those packages (such functions are not cached).
FUNCTION_PARAMETERS = frozenset({"dist", "metric", "output_metric", "ground_metric", "deheap_sort_function"})


def private_cache_folder() -> Path:
    """``<temporary directory>/pain-biotype-explorer-numba-<uid>``: where compiled code is kept for this user."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"pain-biotype-explorer-numba-{uid}"


def use_private_cache_folder() -> Path | None:
    """Point numba's on-disk cache at :func:`private_cache_folder` (made if missing), before numba is imported.

    The folder must be this user's and closed to others: numba's cache index is a pickle, so a folder
    another user could write into would let them run code here. If it is not (made by someone else,
    or open to others), nothing is set and numba compiles in memory as usual.

    Returns
    -------
    Path or None
        The folder in use; None when the user set ``NUMBA_CACHE_DIR`` themselves or the folder is not safe.
    """
    if os.environ.get(CACHE_VARIABLE):
        return None
    folder = private_cache_folder()
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if not stat.S_ISDIR(info.st_mode) or not owned or info.st_mode & 0o077:
        return None
    os.environ[CACHE_VARIABLE] = str(folder)
    return folder


@functools.cache
def umap_module():
    """umap-learn, imported with the on-disk cache asked for on every numba function of umap-learn and pynndescent.

    Call it instead of ``import umap`` (and before unpickling a fitted UMAP) so that functions are
    cached before their first compilation. Idempotent.

    Returns
    -------
    module
        The ``umap`` package.
    """
    import umap
    import umap.umap_  # noqa: F401  (the submodules a fit and a transform use)

    if os.environ.get(CACHE_VARIABLE):
        for dispatcher in library_functions():
            if not FUNCTION_PARAMETERS.intersection(inspect.signature(dispatcher.py_func).parameters):
                dispatcher.enable_caching()
    return umap


def library_functions() -> list:
    """Every numba function defined in the imported modules of :data:`CACHED_PACKAGES`."""
    from numba.core.dispatcher import Dispatcher

    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in CACHED_PACKAGES:
            continue
        found.extend(value for value in list(vars(module).values()) if isinstance(value, Dispatcher))
    return found
