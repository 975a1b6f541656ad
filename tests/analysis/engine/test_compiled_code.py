"""numba's compiled code kept on disk: a private folder, code loaded instead of compiled, identical results."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.engine import compiled_code

ROOT = Path(__file__).resolve().parents[3]

# Fits UMAP on fixed points with pynndescent's neighbour graph (the two numba-heavy steps of a run
# from 4,096 participants) and reports the embedding and how many of umap-learn's and pynndescent's
# functions were loaded from disk.
FIT = """
import hashlib, json
import numpy as np
from analysis.engine.clustering import umap_embedding
from analysis.engine.compiled_code import library_functions
from analysis.engine.library_internals import nearest_neighbors
x = np.random.default_rng(3).normal(size=(300, 8))
embedding, _ = umap_embedding(x, nearest_neighbors(x, 15, 0), 2, 0.0, 0)
loaded = compiled = 0
for function in library_functions():
    loaded += sum(function.stats.cache_hits.values())
    compiled += sum(function.stats.cache_misses.values())
print(json.dumps({"sha": hashlib.sha256(embedding.tobytes()).hexdigest(), "loaded": loaded, "compiled": compiled}))
"""


def _fit_in_a_new_process(cache: Path) -> dict:
    env = {**os.environ, compiled_code.CACHE_VARIABLE: str(cache)}
    done = subprocess.run([sys.executable, "-c", FIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _files_in(folder: Path) -> dict:
    return {path: (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*") if path.is_file()}


@pytest.mark.slow
def test_a_new_process_loads_the_compiled_code_and_gets_the_same_embedding(tmp_path):
    cache = tmp_path / "numba"
    first = _fit_in_a_new_process(cache)
    files = _files_in(cache)
    second = _fit_in_a_new_process(cache)
    assert first["compiled"] > 20 and first["loaded"] == 0
    assert any(cache.rglob("*.nbi"))
    assert second["loaded"] > 20 and second["compiled"] < first["compiled"] / 4
    assert second["sha"] == first["sha"]
    # Nothing new is written: code numba cannot key the same way twice (functions taking the
    # distance function) must not be saved, or every process would add a copy to the folder.
    assert _files_in(cache) == files


def test_the_cache_folder_is_private_or_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_code.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.delenv(compiled_code.CACHE_VARIABLE, raising=False)
    folder = compiled_code.use_private_cache_folder()
    assert folder == compiled_code.private_cache_folder() and folder.parent == tmp_path
    assert folder.stat().st_mode & 0o777 == 0o700
    assert os.environ[compiled_code.CACHE_VARIABLE] == str(folder)

    folder.chmod(0o777)  # another user could plant a pickled cache index: not used
    monkeypatch.delenv(compiled_code.CACHE_VARIABLE)
    assert compiled_code.use_private_cache_folder() is None
    assert compiled_code.CACHE_VARIABLE not in os.environ


def test_a_cache_folder_the_user_chose_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled_code.CACHE_VARIABLE, str(tmp_path / "mine"))
    assert compiled_code.use_private_cache_folder() is None
    assert os.environ[compiled_code.CACHE_VARIABLE] == str(tmp_path / "mine")
