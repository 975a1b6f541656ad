"""Split-half replication: planted biotypes are found again in other people; cuts of one Gaussian are not."""

import numpy as np
import pytest

from analysis.config import AUTOMATIC_PARAMETERS, RunConfig
from analysis.errors import CohortError
from analysis.validity.replication import (
    counterparts,
    half_split,
    in_group_proportions,
    prediction_strength,
    split_half_replication,
)


def automatic(splits: int = 3) -> RunConfig:
    return RunConfig(chosen_from_data=AUTOMATIC_PARAMETERS, seed=0, replication_splits=splits)


def test_halves_are_balanced_within_each_site_and_cover_everyone_once():
    sites = np.repeat(["a", "b", "c"], [41, 30, 9])
    first, second = half_split(len(sites), sites, np.random.default_rng(0))
    assert sorted(first.tolist() + second.tolist()) == list(range(80))
    assert abs(len(first) - len(second)) <= 1
    for site in "abc":
        in_first, in_second = (sites[first] == site).sum(), (sites[second] == site).sum()
        assert abs(in_first - in_second) <= 1


def test_prediction_strength_counts_pairs_placed_together():
    members = np.array([True] * 4 + [False] * 3)
    assert prediction_strength(members, np.array([2, 2, 2, 2, 0, 1, 1])) == 1.0
    assert prediction_strength(members, np.array([0, 0, 1, 1, 0, 1, 1])) == pytest.approx(4 / 12)  # 2 of 6 pairs
    assert prediction_strength(members, np.array([-1, -1, 0, 0, 0, 0, 0])) == pytest.approx(2 / 12)  # noise pairs with nobody
    assert prediction_strength(members & False, np.zeros(7, dtype=int)) == 0.0


def test_in_group_proportion_of_separate_blobs_is_one_and_of_a_cut_blob_lower():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 20])
    np.testing.assert_allclose(in_group_proportions(x, np.array([[0.0, 0.0], [20.0, 20.0]])), [1.0, 1.0])
    # Centroids that cut one blob in two: some neighbours straddle the cut, yet most do not, which is
    # why the p-value compares the in-group proportion with null halves and not with 0.
    cut = in_group_proportions(x[:50], np.array([[-0.1, 0.0], [0.1, 0.0]]))
    assert 0.5 < cut.min() < 1.0


def test_a_biotype_is_matched_only_to_a_cluster_that_overlaps_it_enough():
    reference = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1])
    labels = np.array([5, 5, 5, -1, 7, 2, 2, 9, 2])
    matched = counterparts(reference, labels)
    assert matched[0] == (5, pytest.approx(3 / 4))
    assert matched[1] == (None, pytest.approx(2 / 5))  # its best cluster also holds someone else: Jaccard below 0.5


def blobs(sizes: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = 7.0 * np.eye(len(sizes), 6)
    x = np.concatenate([c + rng.normal(size=(m, 6)) for c, m in zip(centres, sizes, strict=True)])
    return x, np.repeat(np.arange(len(sizes)), sizes)


def test_planted_biotypes_replicate_across_halves(warm_umap):
    from analysis.engine.clustering import find_biotypes

    x, _ = blobs((160, 120, 80), seed=2)
    clusters, _ = find_biotypes(x, automatic(), with_display=False)
    assert clusters.n_biotypes == 3
    sites = np.random.default_rng(3).choice(["north", "south"], len(x))
    result = split_half_replication(x, clusters.labels, automatic(), sites, "site")
    assert result.n_splits == 3 and len(result.ari) == 6 and result.stratified_by == "site"
    assert np.median(result.ari) > 0.9
    for b in result.biotypes:
        assert b.prediction_strength >= 0.8, b
        assert b.p_value <= 0.05 and b.found == 1.0 and b.profile_correlation > 0.9
        assert b.replicates
    assert "3 of 3 biotypes replicate" in result.headline()
    assert not result.subsampled and result.layout_epochs == 500  # the run's own
    record = result.to_dict()
    assert [b["biotype"] for b in record["biotypes"]] == [1, 2, 3]
    assert {"prediction_strength", "in_group_proportion", "p_value"} <= set(record["biotypes"][0])


def test_cuts_of_one_gaussian_do_not_replicate(warm_umap):
    from sklearn.cluster import KMeans

    x = np.random.default_rng(4).normal(size=(360, 6))
    labels = KMeans(3, n_init=10, random_state=0).fit_predict(x)
    result = split_half_replication(x, labels, automatic())
    assert len(result.biotypes) == 3
    assert not any(b.replicates for b in result.biotypes)
    assert all(b.prediction_strength < 0.8 for b in result.biotypes)
    assert "0 of 3 biotypes replicate" in result.headline()


def test_the_same_seed_gives_the_same_figures(warm_umap):
    x, labels = blobs((70, 60), seed=5)
    first = split_half_replication(x, labels, automatic(2))
    again = split_half_replication(x, labels, automatic(2), n_jobs=2)
    assert first.to_dict() | {"seconds": 0} == again.to_dict() | {"seconds": 0}


def test_too_small_or_switched_off_gives_no_replication():
    x, labels = blobs((40, 40), seed=6)
    assert split_half_replication(x, labels, automatic()) is None  # 80 < 100 participants
    x, labels = blobs((60, 60), seed=6)
    assert split_half_replication(x, labels, automatic(0)) is None
    assert split_half_replication(x, np.full(120, -1), automatic()) is None


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_replication_splits_must_be_a_count(bad):
    with pytest.raises(CohortError, match="replication_splits"):
        RunConfig(replication_splits=bad)


def test_a_run_records_replication_per_biotype_and_clinical_value_per_outcome(clinical_cohort, clinical_run):
    from analysis.reporting.run_files import run_record

    record = run_record(clinical_run, clinical_cohort)
    split_half = record["replication"]["split_half"]
    numbers = sorted(set(clinical_run.assignments["biotype"].dropna().astype(int)) - {-1})
    assert [b["biotype"] for b in split_half["biotypes"]] == numbers
    for b in split_half["biotypes"]:
        assert 0 <= b["prediction_strength"] <= 1 and 0 <= b["in_group_proportion"] <= 1 and 0 < b["p_value"] <= 1
        assert b["replicates"] == (b["prediction_strength"] >= 0.8 and b["p_value"] <= 0.05)
    assert split_half["stratified_by"] == "site" and split_half["n_per_half"] == clinical_run.fused.matrix.shape[0] // 2
    warned = {i.message.split()[1] for i in clinical_run.issues if i.where == "replication"}
    assert warned == {f"B{b['biotype']}" for b in split_half["biotypes"] if not b["replicates"]}
    outcomes = {o["outcome"]: o for o in record["clinical_value"]["outcomes"]}
    assert set(outcomes) == {"outcome_pain_12m", "outcome_opioid_use", "months_to_escalation"}
    assert outcomes["outcome_pain_12m"]["metric"] == "r2" and outcomes["outcome_opioid_use"]["metric"] == "auc"
    assert outcomes["months_to_escalation"]["metric"] == "c_index"
    for o in outcomes.values():
        assert np.isfinite(o["gain"]) and o["ci_low"] < o["ci_high"] and 0 < o["p_value"] <= 1
        assert "principal components" in o["baseline"] and "site" not in o["baseline"]
        assert o["folds"].endswith("grouped by site (no site in its own training folds)")


def test_an_unusable_severity_score_is_refused_before_clustering(clinical_cohort):
    from analysis.engine.run import run_biotypes

    with pytest.raises(CohortError, match="severity_score 'nope' is not a column"):
        run_biotypes(clinical_cohort, RunConfig(modalities=("clinical",), severity_score="nope"))
    with pytest.raises(CohortError, match="severity_score 'sex' is not numeric"):
        run_biotypes(clinical_cohort, RunConfig(modalities=("clinical",), severity_score="sex"))


def test_halves_of_a_large_cohort_are_subsampled_and_laid_out_with_fewer_epochs(monkeypatch, layout_epochs_calls, warm_umap):
    from analysis.validity import replication
    from analysis.validity.structure import SUBSAMPLE_LAYOUT_EPOCHS

    x, labels = blobs((160, 120, 80), seed=6)
    monkeypatch.setattr(replication, "MAX_HALF_PARTICIPANTS", 120)
    result = split_half_replication(x, labels, automatic(2))
    assert result.subsampled and result.n_per_half == 120
    assert layout_epochs_calls == [SUBSAMPLE_LAYOUT_EPOCHS] * 4  # two halves per split
    assert result.layout_epochs == result.to_dict()["layout_epochs"] == SUBSAMPLE_LAYOUT_EPOCHS
    assert all(b.replicates for b in result.biotypes), result.headline()
