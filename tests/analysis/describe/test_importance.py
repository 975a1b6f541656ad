"""Permutation importance puts the defining feature of each biotype first."""

import numpy as np
import pandas as pd
import pytest

from analysis.describe.importance import biotype_importance


def test_defining_feature_ranks_first():
    rng = np.random.default_rng(0)
    n = 240
    labels = pd.Series(np.repeat([0, 1, 2], 80), index=[f"p{i}" for i in range(n)])
    features = pd.DataFrame(
        rng.normal(size=(n, 4)), index=labels.index, columns=["clinical:pain", "clinical:sleep", "prs:mcp", "wearables:steps"]
    )
    features.loc[labels == 0, "clinical:pain"] += 3
    features.loc[labels == 1, "wearables:steps"] -= 3
    table = biotype_importance(features, labels, seed=1)
    top = table.groupby("biotype").first()["feature"]
    assert top[0] == "clinical:pain"
    assert top[1] == "wearables:steps"
    assert (table.groupby("biotype")["held_out_auc"].first()[[0, 1]] > 0.9).all()
    assert len(table) == 12


def test_stacked_shuffles_score_like_one_call_per_shuffle():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    from analysis.describe import importance

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    y = x[:, 0] + 0.5 * rng.normal(size=60) > 0
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, y)
    aucs = importance.shuffled_aucs(model, x, y, 4, np.random.default_rng(7))
    permutations = np.argsort(np.random.default_rng(7).random((3, 4, 60)), axis=2)
    for feature in range(3):
        for repeat in range(4):
            shuffled = x.copy()
            shuffled[:, feature] = x[permutations[feature, repeat], feature]
            assert aucs[feature, repeat] == pytest.approx(roc_auc_score(y, model.predict_proba(shuffled)[:, 1]), abs=1e-12)
    # Batches smaller than all features at once give the same numbers.
    importance.ROWS_PER_BATCH, saved = 100, importance.ROWS_PER_BATCH
    try:
        assert np.array_equal(importance.shuffled_aucs(model, x, y, 4, np.random.default_rng(7)), aucs)
    finally:
        importance.ROWS_PER_BATCH = saved


def test_the_number_of_jobs_changes_nothing_but_the_time(monkeypatch):
    import analysis.describe.importance as importance

    rng = np.random.default_rng(3)
    labels = pd.Series(rng.integers(0, 3, 240))
    features = pd.DataFrame(rng.normal(size=(240, 4)) + labels.to_numpy()[:, None] * [1.0, 0, 0, 0.5], columns=list("abcd"))
    tables = []
    for jobs in (1, 2):
        monkeypatch.setattr(importance, "N_JOBS", jobs)
        tables.append(importance.biotype_importance(features, labels, seed=0))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_only_drops_beyond_the_shuffles_spread_are_distinguishable():
    """Importance once ranked exact zeros (features the forest never used) as if they were findings."""
    from scipy import stats

    rng = np.random.default_rng(3)
    n = 240
    labels = pd.Series(np.repeat([1, 2], [90, 150]), index=[f"p{i}" for i in range(n)])
    features = pd.DataFrame(rng.normal(size=(n, 6)), index=labels.index, columns=[f"clinical:f{k}" for k in range(6)])
    features.loc[labels == 1, "clinical:f0"] += 1.5
    table = biotype_importance(features, labels, seed=0, n_repeats=5)
    assert {"ci_low", "ci_high", "distinguishable"} <= set(table.columns)
    half = stats.t.ppf(0.975, 4) * table["importance_sd"] / np.sqrt(5)
    assert np.allclose(table["ci_low"], table["importance"] - half) and np.allclose(table["ci_high"], table["importance"] + half)
    assert (table["distinguishable"] == (table["ci_low"] > 0)).all()
    first = table[table["biotype"] == 1]
    assert first.iloc[0]["feature"] == "clinical:f0" and first.iloc[0]["distinguishable"]
    assert first["distinguishable"].sum() < len(first)  # pure-noise features are not findings
    exact_zero = table[(table["importance"] == 0) & (table["importance_sd"] == 0)]
    assert not exact_zero["distinguishable"].any()


def test_perfectly_separable_biotypes_leave_no_single_feature_distinguishable():
    """Two biotypes apart on six redundant features: shuffling any one costs the forest nothing."""
    rng = np.random.default_rng(4)
    n = 200
    labels = pd.Series(np.repeat([1, 2], 100), index=[f"p{i}" for i in range(n)])
    shift = np.where(labels.to_numpy() == 1, 6.0, 0.0)[:, None]
    features = pd.DataFrame(rng.normal(size=(n, 6)) + shift, index=labels.index, columns=[f"clinical:f{k}" for k in range(6)])
    table = biotype_importance(features, labels, seed=0)
    assert (table["held_out_auc"] == 1.0).all()
    assert not table["distinguishable"].any()


def test_a_wide_table_keeps_memory_bounded_and_unused_features_score_exactly_zero():
    import tracemalloc

    rng = np.random.default_rng(3)
    n, width = 120, 2000
    labels = pd.Series(np.repeat([1, 2, 3], n // 3), index=[f"p{i}" for i in range(n)])
    features = pd.DataFrame(rng.normal(size=(n, width)), index=labels.index, columns=[f"clinical:c{k}" for k in range(width)])
    features.loc[labels == 1, "clinical:c7"] += 4
    tracemalloc.start()
    try:
        table = biotype_importance(features, labels, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Shuffled copies of every feature at once would be 1,111 features x 5 x 36 rows x 2,000 x 8 bytes = 3.2 GB.
    assert peak < 600 * 2**20, f"{peak / 2**20:.0f} MB"
    assert table.groupby("biotype").first().loc[1, "feature"] == "clinical:c7"
    unused = table[(table["importance"] == 0) & (table["importance_sd"] == 0)]
    assert len(unused) > width  # most features of a wide table are never split on: exactly 0, not shuffled
    assert len(table) == 3 * width
