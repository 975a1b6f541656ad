"""UMAP + HDBSCAN: recovery of planted clusters, reproducibility, data-driven min_cluster_size."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis.config import RunConfig
from analysis.engine import clustering, parallel
from analysis.engine.clustering import (
    agreed_labels,
    both_embeddings,
    candidate_fits,
    candidate_min_cluster_sizes,
    default_min_samples,
    find_biotypes,
    hdbscan_fit,
    neighbour_agreement,
    neighbour_graph,
    prediction_data_alongside,
    selected_clusters,
    shared_min_samples,
    size_ordered,
    with_prediction_data,
)


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=[150, 100, 50], n_features=8, cluster_std=1.0, random_state=3)
    return x, y


def test_planted_clusters_are_recovered(warm_umap, blobs):
    x, y = blobs
    result, models = find_biotypes(x, RunConfig(seed=1))
    clustered = result.labels >= 0
    assert result.n_biotypes == 3
    assert adjusted_rand_score(y[clustered], result.labels[clustered]) >= 0.98
    assert clustered.mean() >= 0.9
    assert (np.bincount(result.labels[clustered]) == sorted(np.bincount(result.labels[clustered]), reverse=True)).all()
    assert result.display.shape == (300, 2)
    assert result.embedding.shape == (300, 5)
    assert models.umap.embedding_.shape == (300, 5) and models.umap_2d.embedding_.shape == (300, 2)
    assert sorted(models.label_order.values()) == [0, 1, 2]
    assert models.neighbours.shape == (300, result.n_neighbors) and (models.neighbours[:, 0] == np.arange(300)).all()
    assert sum(row["chosen"] for row in result.selection) == 1
    assert ((0 <= result.probabilities) & (result.probabilities <= 1)).all()


def test_same_seed_same_result_and_fixed_parameters_are_used(warm_umap, blobs):
    x, _ = blobs
    config = RunConfig(seed=4, min_cluster_size=20, n_neighbors=10, min_samples=3)
    first, _ = find_biotypes(x, config)
    second, _ = find_biotypes(x, config)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.display, second.display)
    assert (first.min_cluster_size, first.n_neighbors, first.min_samples) == (20, 10, 3)
    assert len(first.selection) == 1


def test_prediction_data_is_built_alongside_the_block_and_waited_for(blobs):
    import hdbscan

    embedding = blobs[0][:, :3]
    fit, fresh = hdbscan_fit(embedding, 20, 6, "eom", 0.0), hdbscan_fit(embedding, 20, 6, "eom", 0.0)
    with prediction_data_alongside(fit):
        pass
    fresh.generate_prediction_data()
    new_points = embedding[:40] + 0.05
    placed, expected = hdbscan.approximate_predict(fit, new_points), hdbscan.approximate_predict(fresh, new_points)
    np.testing.assert_array_equal(placed[0], expected[0])
    np.testing.assert_array_equal(placed[1], expected[1])

    stopped = hdbscan_fit(embedding, 20, 6, "eom", 0.0)
    with pytest.raises(KeyboardInterrupt), prediction_data_alongside(stopped):
        raise KeyboardInterrupt  # a stopped run: the thread is still waited for, nothing left half-built
    assert stopped._prediction_data is not None


def test_helpers():
    assert size_ordered(np.array([5, 5, -1, 2, 2, 2])).tolist() == [1, 1, -1, 0, 0, 0]
    assert candidate_min_cluster_sizes(1000) == [10, 20, 30, 50, 80, 120]
    assert candidate_min_cluster_sizes(100) == [5, 8, 12]
    assert default_min_samples(80) == 20
    assert default_min_samples(10) == 5
    assert default_min_samples(12_000) == 100  # capped: core distances over 3,000 neighbours cost GBs


@pytest.mark.parametrize(("method", "epsilon"), [("eom", 0.0), ("leaf", 0.0), ("eom", 0.8)])
def test_candidates_cut_from_one_tree_equal_their_own_fits(blobs, method, epsilon):
    embedding = blobs[0][:, :3]
    fits = candidate_fits(embedding, [30, 8, 60], 6, method, epsilon)
    assert sorted(fits) == [8, 30, 60]
    for size, fit in fits.items():
        own = hdbscan_fit(embedding, size, 6, method, epsilon)
        assert np.array_equal(fit.labels_, own.labels_), size
        assert np.allclose(fit.probabilities_, own.probabilities_)
        assert fit.relative_validity_ == pytest.approx(own.relative_validity_)


def test_candidates_share_one_min_samples_and_the_resolved_configuration_reproduces_the_run(warm_umap, blobs):
    x, _ = blobs
    automatic, _ = find_biotypes(x, RunConfig(seed=1))
    sizes = candidate_min_cluster_sizes(len(x))
    assert (
        {row["min_samples"] for row in automatic.selection} == {shared_min_samples(sizes)} == {default_min_samples(sizes[len(sizes) // 2])}
    )
    resolved = RunConfig(seed=1, min_cluster_size=automatic.min_cluster_size, min_samples=automatic.min_samples)
    again, _ = find_biotypes(x, resolved)
    assert np.array_equal(again.labels, automatic.labels)
    assert np.array_equal(again.probabilities, automatic.probabilities)


@pytest.mark.slow
def test_embeddings_in_worker_processes_equal_those_fitted_here(warm_umap, monkeypatch):
    # 5,000 x 30: inputs over joblib's 1 MB memory-map threshold (read-only maps once broke
    # umap-learn in the workers)
    x, _ = make_blobs(n_samples=5000, n_features=30, centers=4, random_state=0)
    config = RunConfig(seed=3)
    knn = neighbour_graph(x, 15, config.seed)
    assert x.nbytes > 2**20
    monkeypatch.setattr(parallel, "PARALLEL_MIN_PARTICIPANTS", 10_000)
    here = both_embeddings(x, knn, config)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_PARTICIPANTS", 0)
    assert parallel.parallel_workers(len(x)) == 2
    workers = both_embeddings(x, knn, config)
    new_participants = x[:20] + 0.05
    for (mine, mine_model), (theirs, model) in zip(here, workers, strict=True):
        assert mine.tobytes() == theirs.tobytes()
        assert model.embedding_.shape == mine.shape
        # the workers fit without the search index; the run's one index is attached afterwards
        assert model._knn_search_index is knn[2]
        assert model.transform(new_participants).tobytes() == mine_model.transform(new_participants).tobytes()
    assert [e.shape[1] for e, _ in workers] == [config.n_components, 2]


def test_spectral_starts_computed_before_the_fits_leave_the_embeddings_unchanged(warm_umap, monkeypatch):
    # large cohorts compute both fits' spectral starts first (memory); the embeddings must not move
    x, _ = make_blobs(n_samples=2000, n_features=10, centers=5, random_state=2)
    config = RunConfig(seed=5)
    knn = neighbour_graph(x, 15, config.seed)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_PARTICIPANTS", 10_000)
    own_starts = both_embeddings(x, knn, config)
    monkeypatch.setattr(clustering, "SHARED_START_MIN_PARTICIPANTS", 0)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_PARTICIPANTS", 0)
    starts_first = both_embeddings(x, knn, config)
    for (mine, _), (theirs, _) in zip(own_starts, starts_first, strict=True):
        assert mine.tobytes() == theirs.tobytes()


def test_selected_clusters_are_the_clusters_the_labels_came_from():
    # Six points. The root (6) splits into 7 (points 0-3) and 8 (points 4, 5); 7 splits into 9 and 10
    # before any point leaves it. Labels 0 and 1 stand for 7 and 8; hdbscan 0.8.44's own
    # CondensedTree._select_clusters names 9 (the lowest segment of label 0's points), and
    # approximate_predict then mislabels even the fitted points.
    dtype = [("parent", np.intp), ("child", np.intp), ("lambda_val", float), ("child_size", np.intp)]
    rows = [(6, 7, 0.1, 4), (6, 8, 0.1, 2), (7, 9, 1.0, 2), (7, 10, 1.0, 2)]
    rows += [(9, 0, 2.0, 1), (9, 1, 2.0, 1), (10, 2, 2.0, 1), (10, 3, 2.0, 1), (8, 4, 2.0, 1), (8, 5, 2.0, 1)]
    tree = np.array(rows, dtype=dtype)
    assert selected_clusters(tree, np.array([0, 0, 0, 0, 1, 1])) == [7, 8]
    assert selected_clusters(tree, np.array([0, 0, 1, 1, -1, -1])) == [9, 10]
    assert selected_clusters(tree, np.full(6, -1)) == []


def test_fitted_points_are_predicted_into_their_own_biotype(warm_umap):
    import hdbscan

    x, _ = make_blobs(n_samples=[150, 100], n_features=6, cluster_std=1.0, random_state=3)
    embedding, _ = clustering.umap_embedding(x, neighbour_graph(x, 15, 2), 5, 0.0, 2)
    for min_samples in (2, 5):
        fit = with_prediction_data(hdbscan_fit(embedding, 10, min_samples, "eom", 0.0))
        predicted, _ = hdbscan.approximate_predict(fit, embedding)
        clustered = fit.labels_ >= 0
        assert (predicted[clustered] == fit.labels_[clustered]).mean() > 0.95


def test_neighbour_agreement_counts_other_points_only():
    labels = np.array([0, 0, 0, 1, -1])
    # each row: the point itself first, then its neighbours
    neighbours = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 4], [3, 2, 1], [4, 0, 1]])
    share = neighbour_agreement(labels, neighbours)
    np.testing.assert_allclose(share[:4], [1.0, 0.5, 0.0, 0.0])
    assert np.isnan(share[4])
    assert agreed_labels(labels, share, 0.5).tolist() == [0, 0, -1, -1, -1]
    assert agreed_labels(labels, share, 0.0).tolist() == labels.tolist()


def test_participants_mixing_biotypes_become_noise(warm_umap):
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, (4, 8))
    y = np.repeat(np.arange(4), 100)
    planted = centers[y] + rng.normal(0, 1, (400, 8))
    # each measure taken from a random biotype, as the synthetic cohort's unassigned participants
    mixed = centers[rng.integers(0, 4, (40, 8)), np.arange(8)] + rng.normal(0, 1, (40, 8))
    x = np.vstack([planted, mixed])
    result, _ = find_biotypes(x, RunConfig(seed=0))
    labels = result.labels[:400]
    assert adjusted_rand_score(y[labels >= 0], labels[labels >= 0]) == 1.0
    assert (result.labels[400:] == -1).mean() > (labels == -1).mean()
    assert (result.probabilities[result.labels < 0] == 0).all()
    assert np.isnan(result.agreement[result.labels < 0]).sum() <= (result.labels < 0).sum()
    off, _ = find_biotypes(x, RunConfig(seed=0, neighbour_agreement=0.0))
    assert (off.labels == -1).sum() < (result.labels == -1).sum()


def test_candidate_rows_report_what_the_run_reports_with_each_size(warm_umap):
    """The candidate table once showed HDBSCAN's counts, not the run's after the neighbour-agreement check."""
    from analysis.engine.clustering import recut_biotypes

    x, _ = make_blobs(n_samples=[150, 120, 90, 60], n_features=6, cluster_std=2.2, random_state=5)
    config = RunConfig(seed=2, neighbour_agreement=0.9)
    result, models = find_biotypes(x, config)
    chosen = [row for row in result.selection if row["chosen"]][0]
    assert chosen["n_biotypes"] == result.n_biotypes
    assert chosen["noise_fraction"] == pytest.approx((result.labels < 0).mean())
    assert any(row["noise_fraction"] > row["hdbscan_noise_fraction"] for row in result.selection)  # the check did move people
    for row in result.selection:
        cut, _ = recut_biotypes(result, models, config.with_(min_cluster_size=row["min_cluster_size"], min_samples=row["min_samples"]))
        assert (row["n_biotypes"], row["noise_fraction"]) == (cut.n_biotypes, pytest.approx((cut.labels < 0).mean()))
        assert row["hdbscan_clusters"] >= row["n_biotypes"]


def test_an_unstable_chosen_split_is_flagged_beside_the_count():
    from dataclasses import replace

    from analysis.engine.clustering import ClusterResult
    from analysis.engine.run import split_caution

    def clusters(stability):
        rows = ({"min_cluster_size": 5, "n_biotypes": 2, "chosen": True, "stability": stability},)
        labels = np.array([0, 0, 1, 1, -1])
        empty = np.zeros(5)
        return ClusterResult(labels, empty, empty, empty, np.zeros((5, 2)), np.zeros((5, 2)), 3, 5, 2, rows)

    unstable = clusters(0.37)
    assert unstable.chosen_split_stability == pytest.approx(0.37)
    (issue,) = split_caution(unstable)
    assert issue.severity == "warning" and "median ARI of 0.37" in issue.message and "2 biotype(s)" in issue.message
    assert split_caution(clusters(0.9)) == []
    assert split_caution(replace(unstable, selection=())) == []  # one size given: nothing measured, nothing claimed


def test_dbcv_is_the_exact_index_on_a_seeded_sample_with_noise_in_the_denominator(monkeypatch):
    """Candidates were once scored by HDBSCAN's approximate relative validity, which ranked merged digits first."""
    from hdbscan.validity import validity_index

    from analysis.engine.clustering import dbcv_of, dbcv_sample

    x, y = make_blobs(n_samples=[60, 60, 40], n_features=3, cluster_std=0.5, random_state=1)
    everyone = dbcv_sample(len(x), seed=0)
    assert (everyone == np.arange(len(x))).all()
    assert dbcv_of(x, y, everyone) == pytest.approx(validity_index(x, y))
    some_noise = y.copy()
    some_noise[:20] = -1
    assert dbcv_of(x, some_noise, everyone) < dbcv_of(x, y, everyone)  # the 20 count, unassigned
    merged = np.where(y == 2, 1, y)
    assert dbcv_of(x, merged, everyone) < dbcv_of(x, y, everyone)
    tiny = y.copy()
    tiny[:2] = 7  # a cluster of 2: counted as noise, no error
    assert np.isfinite(dbcv_of(x, tiny, everyone))
    assert np.isnan(dbcv_of(x, np.zeros(len(x), dtype=int), everyone))

    monkeypatch.setattr(clustering, "DBCV_MAX_POINTS", 100)
    sample = dbcv_sample(len(x), seed=3)
    assert len(sample) == 100 and (np.diff(sample) > 0).all()
    assert (sample == dbcv_sample(len(x), seed=3)).all() and not (sample == dbcv_sample(len(x), seed=4)).all()
    assert dbcv_of(x, y, sample) == pytest.approx(validity_index(x[sample], y[sample]))


def test_candidate_rows_carry_the_exact_dbcv_of_hdbscans_labels(warm_umap, blobs):
    from hdbscan.validity import validity_index

    x, _ = blobs
    result, models = find_biotypes(x, RunConfig(seed=0))
    chosen = [row for row in result.selection if row["chosen"]][0]
    own = np.asarray(models.hdbscan.labels_)
    assert chosen["dbcv"] == pytest.approx(validity_index(result.embedding.astype(np.float64), own))


def test_the_size_chosen_is_the_best_dbcv_among_firm_splits():
    from analysis.engine.clustering import _choose

    def row(size, k, dbcv, stability):
        return {"min_cluster_size": size, "n_biotypes": k, "dbcv": dbcv, "stability": stability}

    # DBCV decides among firm splits (stability is a gate, not added to the score)
    assert _choose([row(10, 4, 0.88, 1.0), row(20, 2, 0.94, 0.90)]) == 20
    # an infirm split loses to a firm one, whatever its DBCV
    assert _choose([row(10, 4, 0.70, 0.99), row(20, 2, 0.95, 0.40)]) == 10
    # none firm: the best DBCV of all; ties to the larger size
    assert _choose([row(10, 4, 0.70, 0.30), row(20, 2, 0.95, 0.40)]) == 20
    assert _choose([row(10, 3, 0.80, 1.0), row(20, 3, 0.80, 1.0)]) == 20
    # one biotype everywhere: the fit with the most biotypes
    assert _choose([row(10, 1, float("nan"), 1.0), row(20, 0, float("nan"), 1.0)]) == 10


def test_small_cohorts_get_umap_learns_own_exact_graph_and_build_no_search_index(warm_umap, monkeypatch):
    import umap

    from analysis.engine import library_internals

    def no_approximate_graph(*args, **kwargs):
        raise AssertionError("pynndescent's graph (compiled in every process) built below the exact-graph threshold")

    x, _ = make_blobs(n_samples=[200, 150], n_features=6, random_state=4)
    knn = neighbour_graph(x, 15, 0)
    own = umap.UMAP(n_neighbors=15, n_components=2, min_dist=0.0, random_state=0, n_jobs=1).fit(x)
    monkeypatch.setattr(library_internals, "nearest_neighbors", no_approximate_graph)
    _, models = find_biotypes(x, RunConfig(seed=0))
    _, model = clustering.umap_embedding(x, neighbour_graph(x, 15, 0), 2, 0.0, 0)
    assert isinstance(knn[2], library_internals.ExactSearchIndex)
    assert knn[0].dtype == np.int32 and knn[1].dtype == np.float32
    assert np.array_equal(knn[0][:, 0], np.arange(len(x)))
    # the same fuzzy graph, edge for edge, as umap-learn's fit builds from all pairwise distances
    assert ((model.graph_ > 0) != (own.graph_ > 0)).nnz == 0
    assert abs(model.graph_ - own.graph_).max() < 1e-4
    # new participants are placed by exact distances, next to the fitted participants they copy
    for fitted in (model, models.umap, models.umap_2d):
        placed = fitted.transform(x[:10])
        assert np.linalg.norm(placed - fitted.embedding_[:10], axis=1).max() < 0.5 * np.ptp(fitted.embedding_, axis=0).min()
    new = x[:25] + 0.3
    indices, distances = knn[2].query(new, 15, epsilon=0.12)
    exact = np.linalg.norm(new[:, None, :] - x[None, :, :], axis=2)
    assert np.array_equal(indices, np.argsort(exact, axis=1)[:, :15])
    assert np.allclose(distances, np.sort(exact, axis=1)[:, :15], atol=1e-4)


def test_cohorts_from_the_threshold_on_get_pynndescents_graph(warm_umap, monkeypatch):
    x, _ = make_blobs(n_samples=[60, 40], n_features=4, random_state=4)
    monkeypatch.setattr(clustering, "EXACT_GRAPH_MAX_POINTS", 100)
    knn = neighbour_graph(x, 10, 0)
    assert knn[2] is not None
    assert np.array_equal(knn[0][:, 0], np.arange(len(x)))


def test_the_methods_text_names_the_graph_each_cohort_size_gets():
    assert clustering.neighbour_graph_kind(clustering.EXACT_GRAPH_MAX_POINTS - 1) == "exact"
    assert clustering.neighbour_graph_kind(clustering.EXACT_GRAPH_MAX_POINTS).startswith("approximate (pynndescent")


def test_a_fit_without_display_takes_the_layout_epochs_it_is_given(blobs, warm_umap):
    x, _ = blobs
    config = RunConfig(n_neighbors=15, min_cluster_size=20, seed=0)
    default, default_models = find_biotypes(x, config, with_display=False)
    shorter, models = find_biotypes(x, config, with_display=False, layout_epochs=50)
    assert default_models.umap.n_epochs is None and models.umap.n_epochs == 50
    assert not np.array_equal(default.embedding, shorter.embedding)
    with pytest.raises(ValueError, match="layout_epochs"):
        find_biotypes(x, config, layout_epochs=50)
