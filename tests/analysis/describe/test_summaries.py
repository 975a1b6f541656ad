"""Per-biotype modality summaries: connectivity contrasts, network matrices, trajectories, PRS association."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from analysis.cohort.atlas import Atlas
from analysis.cohort.connectivity import Connectivity
from analysis.describe.summaries import (
    BiotypeConnectivity,
    adherence_by_biotype,
    biotype_connectivity,
    bootstrap_auc,
    network_matrix,
    network_order,
    prs_association,
    prs_deciles,
    significant_edges,
    strongest_edges,
    wearable_trajectories,
)


def test_connectivity_contrast_finds_the_planted_edge():
    rng = np.random.default_rng(0)
    n, n_edges = 60, 6
    edges = rng.normal(0, 0.1, (n, n_edges)).astype(np.float32)
    labels = pd.Series(np.repeat([0, 1, -1], [25, 25, 10]), index=[f"s{i}" for i in range(n)])
    edges[:25, 2] += 0.5
    c = Connectivity(np.array(labels.index, dtype=object), edges, 4, None, "fc.npz")
    out = biotype_connectivity(c, labels)
    assert [s.biotype for s in out] == [0, 1]
    first = out[0]
    assert first.n == 25
    assert int(np.nanargmin(first.q)) == 2 and first.q[2] < 1e-6
    expected = stats.ttest_ind(edges[:25, 2], edges[25:50, 2], equal_var=False).statistic
    assert first.t[2] == pytest.approx(expected, rel=1e-5)
    assert first.difference[2] == pytest.approx(edges[:25, 2].mean() - edges[25:50, 2].mean(), rel=1e-5)


def test_network_matrix_averages_within_and_between():
    atlas = Atlas("toy", ("a", "b", "c"), np.zeros((3, 3)), ("X", "X", "Y"))
    m = np.array([[0, 0.2, 0.4], [0.2, 0, 0.6], [0.4, 0.6, 0]])
    table = network_matrix(m[np.tril_indices(3, k=-1)], atlas)
    assert table.loc["X", "X"] == pytest.approx(0.2)
    assert table.loc["X", "Y"] == table.loc["Y", "X"] == pytest.approx(0.5)
    assert np.isnan(table.loc["Y", "Y"])


def test_trajectories_mean_and_interval():
    days = pd.DataFrame({"participant": ["a", "b", "c", "a", "b"], "day": [1, 1, 1, 2, 2], "steps": [10.0, 20.0, 30.0, 5.0, np.nan]})
    labels = pd.Series({"a": 0, "b": 0, "c": 1})
    out = wearable_trajectories(days, "steps", labels).set_index(["biotype", "day"])
    assert out.loc[(0, 1), "mean"] == 15.0
    assert out.loc[(0, 1), "n"] == 2
    half = stats.t.ppf(0.975, 1) * np.std([10, 20], ddof=1) / np.sqrt(2)
    assert out.loc[(0, 1), "ci_high"] == pytest.approx(15 + half)
    assert np.isnan(out.loc[(0, 2), "ci_low"])
    assert out.loc[(1, 1), "mean"] == 30.0


def test_prs_association_recovers_a_known_odds_ratio():
    rng = np.random.default_rng(1)
    z = rng.normal(size=4000)
    y = rng.random(4000) < 1 / (1 + np.exp(-(-0.5 + np.log(1.5) * z)))
    ids = [f"p{i}" for i in range(4000)]
    out = prs_association(pd.DataFrame({"prs_mcp": z}, index=ids), pd.Series(y.astype(float), index=ids))
    row = out.iloc[0]
    assert row["or_ci_low"] < 1.5 < row["or_ci_high"]
    assert 0.55 < row["auc"] < 0.65
    assert row["auc_ci_low"] < row["auc"] < row["auc_ci_high"]
    assert row["cases"] == int(y.sum())


def test_bootstrap_auc_equals_sklearn_on_each_resample():
    rng = np.random.default_rng(4)
    y = (rng.random(80) < 0.4).astype(float)
    score = rng.normal(size=80) + y
    aucs = bootstrap_auc(y, score, np.random.default_rng(9), resamples=20)
    pick = np.random.default_rng(9).integers(0, 80, (20, 80))
    expected = [roc_auc_score(y[p], score[p]) for p in pick if 0 < y[p].sum() < 80]
    np.testing.assert_allclose(aucs, expected)


def test_prs_deciles_make_up_and_prevalence():
    ids = [f"p{i}" for i in range(100)]
    score = pd.Series(np.arange(100.0), index=ids)
    labels = pd.Series(np.where(np.arange(100) < 50, 0, 1), index=ids)
    outcome = pd.Series((np.arange(100) >= 80).astype(float), index=ids)
    make_up, prevalence = prs_deciles(score, labels, outcome)
    first = make_up[make_up["decile"] == 1]
    assert first[["biotype", "n", "share"]].values.tolist() == [[0, 10, 1.0]]
    assert make_up.groupby("decile")["share"].sum().round(12).eq(1).all()
    assert prevalence["prevalence"].tolist() == [0.0] * 8 + [1.0] * 2
    low, high = prevalence.loc[0, ["ci_low", "ci_high"]]
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-3)  # Wilson, 0 of 10
    assert prs_deciles(score, labels)[1].empty


def test_network_order_edge_masks():
    atlas = Atlas("toy", ("a", "b", "c", "d"), np.zeros((4, 3)), ("X", "Y", "X", "Y"))
    assert network_order(atlas).tolist() == [0, 2, 1, 3]
    summary = BiotypeConnectivity(0, 5, np.zeros(3, np.float32), np.array([0.3, -0.5, 0.1]), np.zeros(3), np.array([0.01, 0.04, 0.2]))
    assert significant_edges(summary, 0.05).tolist() == [0.3, -0.5, 0.0]
    assert strongest_edges(np.array([0.3, -0.5, 0.1, 0.0]), 2).tolist() == [0.3, -0.5, 0.0, 0.0]
    assert strongest_edges(np.array([0.3, -0.5]), 0).tolist() == [0.0, 0.0]


def test_adherence_per_biotype_and_its_test():
    adherence = pd.DataFrame({"valid_days": [10, 20, 5, 28, 14], "span_days": [20, 20, 10, 28, 28]}, index=["a", "b", "c", "d", "e"])
    labels = pd.Series({"a": 0, "b": 0, "c": 1, "d": 1, "e": -1, "z": 0})  # z has no wearables
    per, p = adherence_by_biotype(adherence, labels)
    assert per.loc["a", "adherence"] == 0.5 and per.loc["e", "biotype"] == -1
    assert "z" not in per.index
    assert p == pytest.approx(stats.kruskal([0.5, 1.0], [0.5, 1.0]).pvalue)


def test_binary_outcome_shares_per_biotype_with_wilson_intervals():
    from statsmodels.stats.proportion import proportion_confint

    from analysis.describe.summaries import binary_outcome_by_biotype, is_binary

    values = pd.Series([1, 0, 1, np.nan, 0, 1, 1, 0], dtype=float)
    biotypes = pd.Series([1, 1, 2, 2, -1, 2, pd.NA, 2], dtype="Int64")
    table = binary_outcome_by_biotype(values, biotypes)
    assert table["biotype"].tolist() == [1, 2]  # noise and not clustered left out
    assert table["n"].tolist() == [2, 3] and table["cases"].tolist() == [1, 2]
    low, high = proportion_confint(2, 3, method="wilson")
    assert table.loc[1, "proportion"] == pytest.approx(2 / 3)
    assert (table.loc[1, "ci_low"], table.loc[1, "ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert is_binary(values) and not is_binary(pd.Series([0.0, 1.0, 2.0])) and not is_binary(pd.Series([1.0, 1.0]))
