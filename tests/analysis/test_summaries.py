"""Per-biotype modality summaries: connectivity contrasts, network matrices, trajectories, PRS association."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.atlas import Atlas
from analysis.connectivity import Connectivity
from analysis.summaries import biotype_connectivity, network_matrix, prs_association, wearable_trajectories


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
