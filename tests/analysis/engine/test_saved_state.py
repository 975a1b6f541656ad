"""A run opened from its saved state equals the run that was saved, file for file, and refits the same model."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort, sample_cohort_files
from analysis.config import RunConfig
from analysis.engine.model import assign_participants, biotype_model
from analysis.engine.run import run_biotypes, with_fitted_models
from analysis.engine.saved_state import opened_run, run_state_files
from analysis.engine.splits import split_levels
from analysis.errors import CohortError
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import run_files, synthetic_cohort_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saved(warm_umap):
    """The sample cohort's run with every check, a name given by hand, a custom group and stability measured."""
    cohort = load_cohort(sample_cohort_files())
    ids = tuple(cohort.participants["participant_id"].iloc[:40])
    config = RunConfig(
        seed=4,
        null_cohorts=19,
        replication_splits=2,
        stability_resamples=2,
        biotype_names=((1, "named by hand"),),
        custom_groups=(("first forty", ids),),
    )
    result = run_biotypes(cohort, config)
    return cohort, result, run_state_files(result)


def record_of(result, cohort) -> dict:
    """The run's run.json as read back from its file."""
    return json.loads(run_files(result, cohort)["run.json"])


def test_an_opened_run_writes_the_same_files_as_the_saved_run(saved):
    cohort, result, files = saved
    assert result.structure is not None and result.split_half is not None and result.sites and result.stability is not None
    assert result.clinical_value is not None and result.clinical_value.survival and result.clinical_value.interactions
    opened = opened_run(files, cohort, record_of(result, cohort), "run.zip")

    assert not opened.models.fitted
    assert run_files(opened, cohort) == run_files(result, cohort)  # every CSV, run.json, table1.csv and flow.svg, byte for byte
    assert run_state_files(opened) == files
    for name in ("labels", "probabilities", "outlier_scores", "agreement", "embedding", "display"):
        a, b = getattr(opened.clusters, name), getattr(result.clusters, name)
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
    assert opened.structure.headline == result.structure.headline and opened.structure.verdict != "untested"
    assert opened.names == result.names and opened.names[1].endswith("named by hand")
    pd.testing.assert_frame_equal(opened.groups, result.groups)
    pd.testing.assert_frame_equal(opened.stability.jaccard, result.stability.jaccard)
    # The split view reads the saved single-linkage tree as it read the fit's.
    pd.testing.assert_frame_equal(split_levels(opened), split_levels(result))


def test_the_refitted_model_is_the_saved_run_s(saved):
    cohort, result, files = saved
    opened = opened_run(files, cohort, record_of(result, cohort), "run.zip")
    refitted = with_fitted_models(opened)
    assert refitted.models.fitted and refitted.models.label_order == result.models.label_order
    assert np.array_equal(refitted.clusters.labels, result.clusters.labels)
    new = load_cohort(synthetic_cohort_files(120, seed=7, id_prefix="sub-new", complete=True))
    placed_by_refit, _ = assign_participants(biotype_model(refitted, cohort), new)
    placed_by_original, _ = assign_participants(biotype_model(result, cohort), new)
    pd.testing.assert_frame_equal(placed_by_refit, placed_by_original)


def test_a_state_of_another_run_or_of_other_participants_is_refused(saved):
    cohort, result, files = saved
    record = record_of(result, cohort)
    other = {**record, "config": result.config.with_(seed=5).to_dict()}
    with pytest.raises(CohortError, match="state/ is of another run than run.json"):
        opened_run(files, cohort, other, "run.zip")
    with pytest.raises(CohortError, match="state/ is of another run"):
        opened_run(files, cohort, {**record, "created_utc": "2020-01-01T00:00:00+00:00"}, "run.zip")

    sample = sample_cohort_files()
    table = pd.read_csv(pd.io.common.BytesIO(sample.participants.data), dtype=str, keep_default_na=False)
    clustered = set(result.assignments.loc[result.assignments["included"], "participant_id"])
    fewer = table[table["participant_id"] != sorted(clustered)[0]]
    smaller = load_cohort(dataclasses.replace(sample, participants=InputFile("participants.csv", fewer.to_csv(index=False).encode())))
    with pytest.raises(CohortError, match=f"the saved run clustered {len(clustered):,} participants"):
        opened_run(files, smaller, record, "run.zip")


def test_a_cohort_without_the_run_s_modalities_is_one_error_not_a_crash(saved):
    cohort, result, files = saved
    participants_only = load_cohort(CohortFiles(participants=sample_cohort_files().participants))
    with pytest.raises(CohortError, match="the saved run clustered .* participants and these files give"):
        opened_run(files, participants_only, record_of(result, cohort), "run.zip")
