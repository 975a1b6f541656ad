"""Reproducibility: the same input, configuration and seed give byte-identical assignments.csv.

The input's row order changes biotypes only as far as UMAP's approximate graph allows (measured).
"""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from analysis.io.inputs import InputFile
from analysis.io.spreadsheet import csv_bytes
from analysis.reporting.run_files import run_record, structure_record

#: Smallest ARI accepted between a run and the same run on shuffled rows (docs/cli.md, "Reproducibility").
MIN_SHUFFLED_ARI = 0.9


def test_a_rerun_in_this_process_after_the_other_tests_is_byte_identical(clinical_cohort, clinical_run):
    # clinical_run was computed when first needed; this run comes after every test before it in the
    # session (Dask and joblib workers, threads, other runs): it must not depend on any of that.
    again = run_biotypes(clinical_cohort, clinical_run.config, structure=False, replication=False)
    assert csv_bytes(again.assignments) == csv_bytes(clinical_run.assignments)


@pytest.mark.slow
def test_run_json_reproduces_the_structure_verdict_and_replication_byte_for_byte(clinical_cohort, clinical_run):
    record = json.dumps(run_record(clinical_run, clinical_cohort))
    assert clinical_run.structure is not None and clinical_run.structure.n_null == 19  # tested by default
    assert clinical_run.split_half is not None and clinical_run.split_half.n_splits == 5  # replicated by default
    assert clinical_run.clinical_value is not None
    again = run_biotypes(clinical_cohort, RunConfig.from_json(record))
    assert json.dumps(structure_record(again.structure)) == json.dumps(structure_record(clinical_run.structure))
    replayed, original = run_record(again, clinical_cohort), json.loads(record)
    for key in ("replication", "clinical_value"):
        for part in (replayed[key], original[key]):
            (part.get("split_half") or part).pop("seconds", None)
        assert json.dumps(replayed[key]) == json.dumps(original[key]), key
    assert again.config == clinical_run.config


@pytest.mark.slow
def test_row_order_changes_no_biotype_beyond_what_umap_allows(clinical_cohort, clinical_run):
    raw = clinical_cohort.participants  # holds the ids as given in its participant_id column
    scores = []
    for seed in (1, 2):
        shuffled = raw.sample(frac=1.0, random_state=seed)
        cohort = load_cohort(CohortFiles(InputFile("participants.csv", shuffled.to_csv(index=False).encode())))
        run = run_biotypes(cohort, clinical_run.config, structure=False, replication=False)
        mine = pd.Series(run.clusters.labels, index=run.fused.included)
        reference = pd.Series(clinical_run.clusters.labels, index=clinical_run.fused.included)
        assert set(mine.index) == set(reference.index)  # nobody lost or added by the order
        scores.append(adjusted_rand_score(reference.sort_index(), mine.reindex(reference.sort_index().index)))
    print(f"ARI after shuffling the rows: {', '.join(f'{s:.3f}' for s in scores)}")
    assert min(scores) >= MIN_SHUFFLED_ARI, scores
    assert np.isfinite(scores).all()
