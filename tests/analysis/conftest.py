"""Fixtures shared by the analysis tests: one finished run, computed once per test session."""

import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.synthetic import generate_cohort
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import write_synthetic_cohort


@pytest.fixture(scope="session")
def clinical_cohort(tmp_path_factory, warm_umap):
    """300 synthetic participants (seed 5), clinical table only."""
    folder = tmp_path_factory.mktemp("clinical_cohort")
    write_synthetic_cohort(generate_cohort(300, seed=5), folder)
    return load_cohort(CohortFiles(participants=InputFile.from_path(folder / "participants.csv")))


@pytest.fixture(scope="session")
def clinical_run(clinical_cohort):
    """A clinical-only run of :func:`clinical_cohort` with the automatic defaults, seed 0, no stability."""
    return run_biotypes(clinical_cohort, RunConfig(modalities=("clinical",), seed=0))
