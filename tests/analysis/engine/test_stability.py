"""Subsampling stability: clear clusters are stable, the Jaccard bookkeeping is right."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis.config import RunConfig
from analysis.engine.clustering import find_biotypes
from analysis.engine.stability import subsample_stability


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
    from analysis.engine.run import participant_stability, run_biotypes, with_stability

    calls = []
    measured = with_stability(clinical_run, 3, lambda fraction, message: calls.append(fraction))
    assert calls == [0.0, 1 / 3, 2 / 3, 1.0]
    assert np.array_equal(measured.clusters.labels, clinical_run.clusters.labels)  # biotypes untouched
    assert measured.config.stability_resamples == 3 and clinical_run.stability is None
    configured = run_biotypes(
        clinical_cohort,
        measured.config.with_(min_cluster_size=None, min_samples=None, n_neighbors=None),
        structure=False,
        replication=False,
    )
    assert configured.config == measured.config
    assert configured.stability.jaccard.equals(measured.stability.jaccard)
    assert np.array_equal(configured.stability.participant, measured.stability.participant, equal_nan=True)
    per = participant_stability(measured)
    assert per.index.equals(clinical_run.fused.included)
    assert np.array_equal(per.to_numpy(), measured.stability.participant, equal_nan=True)
    assert participant_stability(clinical_run).isna().all()


@pytest.mark.slow
def test_resamples_in_two_worker_processes_equal_those_run_here(warm_umap):
    x, _ = make_blobs(n_samples=[90, 60], n_features=5, cluster_std=1.0, random_state=1)
    result, _ = find_biotypes(x, RunConfig(seed=0))
    config = RunConfig(seed=0, n_neighbors=result.n_neighbors, min_cluster_size=result.min_cluster_size, min_samples=result.min_samples)
    here = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=1)
    workers = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=2)
    assert here.jaccard.equals(workers.jaccard)
    assert np.array_equal(here.participant, workers.participant, equal_nan=True)


def test_a_smaller_subsample_places_the_others_and_compares_everyone(warm_umap):
    x, truth = make_blobs(n_samples=[150, 100], n_features=6, cluster_std=1.0, random_state=3)
    result, _ = find_biotypes(x, RunConfig(seed=1))
    assert result.n_biotypes == 2
    config = RunConfig(
        seed=1,
        n_neighbors=result.n_neighbors,
        min_cluster_size=result.min_cluster_size,
        min_samples=result.min_samples,
        stability_subsample=80,
    )
    calls = []
    stability = subsample_stability(x, result.labels, config, n_resamples=2, progress=lambda f, m: calls.append(m))
    assert stability.subsample_size == 80 and stability.predicted
    # Every clustered participant is compared in every resample: 80 re-clustered + 170 placed.
    clustered = result.labels >= 0
    assert not np.isnan(stability.participant[clustered]).any()
    assert (stability.jaccard.to_numpy() > 0.9).all()
    assert np.nanmean(stability.participant[clustered]) > 0.9
    assert calls[0] == "stability: re-clustering 2 subsamples of 80 participants, the other 170 placed by approximate_predict"
    assert "2 of 2 subsamples re-clustered" in calls[-1] and "s each" in calls[-1]
    assert "2 resamples of 80 participants, the others placed by approximate_predict" in stability.cost()


def test_a_resample_places_participants_it_did_not_cluster_into_its_own_biotypes(warm_umap):
    from analysis.engine.stability import _recluster

    x, truth = make_blobs(n_samples=[150, 100], n_features=6, cluster_std=1.0, random_state=3)
    rows = np.sort(np.random.default_rng(0).choice(250, 90, replace=False))
    config = RunConfig(seed=4, n_neighbors=15, min_cluster_size=20, min_samples=5)
    labels = _recluster(x, rows, True, config, 0)
    alone = _recluster(x, rows, False, config, 0)
    assert labels.shape == (250,)
    assert np.array_equal(labels[rows], alone)  # placing the rest does not touch the re-clustered participants
    rest = np.setdiff1d(np.arange(250), rows)
    assert adjusted_rand_score(truth[rest], labels[rest]) > 0.95


def test_a_subsample_as_large_as_the_cohort_is_refused():
    import pytest

    from analysis.errors import CohortError

    x = np.random.default_rng(0).normal(size=(60, 3))
    config = RunConfig(n_neighbors=10, min_cluster_size=10, min_samples=5, stability_subsample=60)
    with pytest.raises(CohortError, match="stability_subsample is 60, but only 60 participants"):
        subsample_stability(x, np.zeros(60, dtype=int), config, n_resamples=1)
    with pytest.raises(CohortError, match="stability_subsample"):
        RunConfig(stability_subsample=10)
