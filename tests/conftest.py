"""Shared fixtures: small cohorts made in code, seeded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from analysis.engine.compiled_code import use_private_cache_folder
from analysis.io.inputs import InputFile

# As the entry points do, before anything imports numba.
use_private_cache_folder()

# CI runs the same examples every time (a red CI must be reproducible); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


#: The validity checks off (null cohorts, split halves, left-out sites), for tests about something else;
#: each check has tests of its own under tests/analysis/validity.
WITHOUT_CHECKS = {"null_cohorts": 0, "replication_splits": 0, "site_replication": False}
#: The bundled sample cohort's files, by the option of `python -m analysis cluster` that takes each.
SAMPLE_CLI_INPUTS = {
    "--participants": "participants.csv",
    "--prs": "prs.sscore",
    "--connectivity": "connectivity.npz",
    "--wearables": "wearables.csv",
    "--dictionary": "data_dictionary.csv",
}


def sample_input_arguments() -> list[str]:
    """The command line's input options for the sample cohort (``--participants sample_data/participants.csv ...``)."""
    from analysis.cohort.cohort import SAMPLE_DATA

    return [a for flag, name in SAMPLE_CLI_INPUTS.items() for a in (flag, str(Path(SAMPLE_DATA) / name))]


def text_file(name: str, text: str, encoding: str = "utf-8") -> InputFile:
    """An InputFile holding ``text`` encoded as ``encoding``."""
    return InputFile(name, text.encode(encoding))


def frame_file(name: str, frame: pd.DataFrame, sep: str = ",") -> InputFile:
    """An InputFile holding a frame written as delimited text."""
    return InputFile(name, frame.to_csv(index=False, sep=sep).encode())


def biotypes_on_a_line(per: int, seed: int, n_features: int) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    """Three biotypes of ``per`` participants along the first of ``n_features`` features (centres 0, 6, 12).

    Returns
    -------
    x : ndarray of shape (3 * per, n_features)
    numbers : ndarray of int, shape (3 * per,)
        Biotype numbers 1, 2, 3.
    rng : numpy.random.Generator
        The generator that drew ``x``, for the test's further draws.
    """
    rng = np.random.default_rng(seed)
    numbers = np.repeat([1, 2, 3], per)
    x = rng.normal(size=(3 * per, n_features))
    x[:, 0] += 6.0 * (numbers - 1)
    return x, numbers, rng


def participants_frame(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """A valid participants table: ids sub-01.., covariates, three clinical scores, a PRS and an outcome."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "participant_id": [f"sub-{i:02d}" for i in range(1, n + 1)],
            "site": rng.choice(["A", "B"], n),
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(20, 70, n).astype(float),
            "pain_intensity": rng.integers(0, 11, n).astype(float),
            "phq9": rng.integers(0, 28, n).astype(float),
            "pcs_total": rng.integers(0, 53, n).astype(float),
            "prs_mcp": rng.normal(0, 1, n).round(4),
            "outcome_pain_12m": rng.integers(0, 11, n).astype(float),
        }
    )


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(0)


@pytest.fixture
def participants() -> pd.DataFrame:
    """A fresh valid participants table of 12 rows."""
    return participants_frame()


@pytest.fixture
def participants_file(participants: pd.DataFrame) -> InputFile:
    """The valid participants table as a CSV InputFile."""
    return frame_file("participants.csv", participants)


@pytest.fixture(scope="session")
def warm_umap():
    """Compile umap-learn's numba code once per test session (the first fit in a process takes ~40 s)."""
    from analysis.engine.clustering import neighbour_graph, umap_embedding

    x = np.random.default_rng(0).normal(size=(60, 4))
    umap_embedding(x, neighbour_graph(x, 10, 0), 2, 0.1, 0)
    return True


def pytest_collection_modifyitems(items):
    """Every test under tests/e2e carries the ``e2e`` marker, and every test of a computed AppTest session ``slow``.

    A computed session (the ``computed`` fixtures of tests/pages) clusters the 1,000-participant sample
    in the app before the test starts: about 20 s of setup on 2 cores. pyproject.toml registers both markers.
    """
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
        if "computed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
