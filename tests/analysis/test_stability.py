"""Subsampling stability: clear clusters are stable, the Jaccard bookkeeping is right."""

import numpy as np
from sklearn.datasets import make_blobs

from analysis.clustering import find_biotypes
from analysis.config import RunConfig
from analysis.stability import subsample_stability


def test_well_separated_biotypes_are_stable(warm_umap):
    x, _ = make_blobs(n_samples=[120, 80], n_features=6, cluster_std=1.0, random_state=5)
    result, _ = find_biotypes(x, RunConfig(seed=2))
    config = RunConfig(seed=2, n_neighbors=result.n_neighbors, min_cluster_size=result.min_cluster_size, min_samples=result.min_samples)
    stability = subsample_stability(x, result.labels, config, n_resamples=3)
    assert stability.jaccard.shape == (3, 2)
    assert (stability.jaccard.to_numpy() > 0.95).all()
    assert (stability.ari > 0.95).all()
    summary = stability.summary()
    assert summary["verdict"].tolist() == ["stable", "stable"]
    seen = ~np.isnan(stability.participant)
    assert seen.mean() > 0.9
    assert np.nanmean(stability.participant) > 0.95


def test_measuring_a_finished_run_equals_configuring_it(clinical_cohort, clinical_run):
    from analysis.biotypes import participant_stability, run_biotypes, with_stability

    calls = []
    measured = with_stability(clinical_run, 3, lambda fraction, message: calls.append(fraction))
    assert calls == [1 / 3, 2 / 3, 1.0]
    assert np.array_equal(measured.clusters.labels, clinical_run.clusters.labels)  # biotypes untouched
    assert measured.config.stability_resamples == 3 and clinical_run.stability is None
    configured = run_biotypes(clinical_cohort, measured.config.with_(min_cluster_size=None, min_samples=None, n_neighbors=None))
    assert configured.config == measured.config
    assert configured.stability.jaccard.equals(measured.stability.jaccard)
    assert np.array_equal(configured.stability.participant, measured.stability.participant, equal_nan=True)
    per = participant_stability(measured)
    assert per.index.equals(clinical_run.fused.included)
    assert np.array_equal(per.to_numpy(), measured.stability.participant, equal_nan=True)
    assert participant_stability(clinical_run).isna().all()


def test_resamples_in_two_worker_processes_equal_those_run_here(warm_umap):
    x, _ = make_blobs(n_samples=[90, 60], n_features=5, cluster_std=1.0, random_state=1)
    result, _ = find_biotypes(x, RunConfig(seed=0))
    config = RunConfig(seed=0, n_neighbors=result.n_neighbors, min_cluster_size=result.min_cluster_size, min_samples=result.min_samples)
    here = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=1)
    workers = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=2)
    assert here.jaccard.equals(workers.jaccard)
    assert np.array_equal(here.participant, workers.participant, equal_nan=True)
