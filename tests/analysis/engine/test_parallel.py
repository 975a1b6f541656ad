"""Where independent fits run changes nothing: this process, two local workers, a two-worker Dask cluster."""

import pytest
from sklearn.datasets import make_blobs

from analysis.config import RunConfig
from analysis.engine.clustering import both_embeddings, find_biotypes, neighbour_graph
from analysis.engine.parallel import compute_on, on_dask, parallel_workers
from analysis.engine.stability import subsample_stability
from analysis.engine.sweep import parameter_sweep
from analysis.errors import CohortError
from analysis.validity.replication import split_half_replication
from analysis.validity.structure import structure_test


def test_small_cohorts_stay_in_this_process_large_ones_use_two_workers():
    assert not on_dask()
    assert parallel_workers(300) == 1
    assert parallel_workers(50_000) in (1, 2)  # 1 only on a one-core machine


def test_an_unreachable_scheduler_is_a_user_error(monkeypatch):
    from analysis.engine import parallel

    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT_S", 2)
    with pytest.raises(CohortError, match="no Dask scheduler answers at tcp://127.0.0.1:9"), compute_on("tcp://127.0.0.1:9"):
        pass


@pytest.mark.slow
def test_a_local_dask_cluster_gives_identical_embeddings_resamples_and_sweep(warm_umap):
    from dask.distributed import LocalCluster

    x, _ = make_blobs(n_samples=[90, 60], n_features=5, cluster_std=1.0, random_state=1)
    result, _ = find_biotypes(x, RunConfig(seed=0))
    config = RunConfig(seed=0, n_neighbors=result.n_neighbors, min_cluster_size=result.min_cluster_size, min_samples=result.min_samples)
    knn = neighbour_graph(x, 15, 0)
    here = both_embeddings(x, knn, config)
    stability_here = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=1)
    sweep_here = parameter_sweep(x, config, [10, 15], [8, 15])
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster,
        compute_on(cluster.scheduler_address),
    ):
        assert on_dask() and parallel_workers(len(x)) == -1
        remote = both_embeddings(x, knn, config)
        stability = subsample_stability(x, result.labels, config, n_resamples=2, n_jobs=parallel_workers(len(x)))
        sweep = parameter_sweep(x, config, [10, 15], [8, 15])
    assert not on_dask()
    for (mine, _), (theirs, _) in zip(here, remote, strict=True):
        assert mine.tobytes() == theirs.tobytes()
    assert stability.jaccard.equals(stability_here.jaccard)
    assert sweep.equals(sweep_here)


@pytest.mark.slow
@pytest.mark.parametrize("subsampled", [False, True])
def test_the_structure_test_and_split_half_replication_are_identical_on_a_dask_cluster(subsampled, monkeypatch, warm_umap):
    from dask.distributed import LocalCluster

    from analysis.validity import replication as replication_module
    from analysis.validity import structure as structure_module

    if subsampled:  # as a large cohort is checked: subsamples re-clustered with fewer layout epochs
        monkeypatch.setattr(structure_module, "MAX_TESTED_PARTICIPANTS", 100)
        monkeypatch.setattr(replication_module, "MAX_HALF_PARTICIPANTS", 60)
    x, _ = make_blobs(n_samples=[80, 70], n_features=4, cluster_std=1.0, random_state=2)
    result, _ = find_biotypes(x, RunConfig(seed=1))
    config = RunConfig(
        seed=1,
        n_neighbors=result.n_neighbors,
        min_cluster_size=result.min_cluster_size,
        min_samples=result.min_samples,
        null_cohorts=19,
        replication_splits=2,
    )
    structure_here = structure_test(x, result.numbers, config, n_jobs=1)
    replication_here = split_half_replication(x, result.labels, config, n_jobs=1)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster,
        compute_on(cluster.scheduler_address),
    ):
        structure = structure_test(x, result.numbers, config, n_jobs=parallel_workers(len(x)))
        replication = split_half_replication(x, result.labels, config, n_jobs=parallel_workers(len(x)))
    assert structure_here.verdict != "untested" and len(structure_here.gap_null.null) == 19
    assert structure.subsampled == replication.subsampled == subsampled
    assert structure.layout_epochs == replication.layout_epochs == (200 if subsampled else 500)
    assert structure.to_dict() == structure_here.to_dict()
    timeless = [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in (replication, replication_here)]
    assert timeless[0] == timeless[1] and len(replication.ari) == 4
