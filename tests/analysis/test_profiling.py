"""Profiles: effect sizes, tests with FDR, automatic names."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.profiling import biotype_names, cohens_d, profile_table


def test_cohens_d_known_value():
    a = np.array([2.0, 4.0, 6.0])
    b = np.array([1.0, 2.0, 3.0])
    assert cohens_d(a, b) == pytest.approx((4 - 2) / np.sqrt((4 + 1) / 2))
    assert np.isnan(cohens_d(a[:1], b))


def test_profile_table_and_names():
    rng = np.random.default_rng(0)
    labels = pd.Series(np.repeat([0, 1, -1], [40, 40, 10]), index=[f"p{i}" for i in range(90)])
    features = pd.DataFrame(
        {"pain": np.r_[rng.normal(8, 1, 40), rng.normal(3, 1, 40), rng.normal(5, 1, 10)], "noise": rng.normal(size=90)}, index=labels.index
    )
    table = profile_table(features, {"pain": "clinical", "noise": "clinical"}, labels)
    assert len(table) == 4
    pain0 = table[(table["biotype"] == 0) & (table["feature"] == "pain")].iloc[0]
    assert pain0["n"] == 40
    assert pain0["mean"] == pytest.approx(features["pain"].iloc[:40].mean())
    assert pain0["mean_rest"] == pytest.approx(features["pain"].iloc[40:80].mean())
    assert pain0["kruskal_p"] == pytest.approx(stats.kruskal(features["pain"].iloc[:40], features["pain"].iloc[40:80]).pvalue)
    assert pain0["kruskal_q"] < 1e-6
    names = biotype_names(table)
    assert names == {0: "B1 · high pain", 1: "B2 · low pain"}


def test_pairwise_profile():
    from analysis.profiling import pairwise_profile

    rng = np.random.default_rng(2)
    labels = pd.Series(np.repeat([0, 1, 2], 30), index=[f"p{i}" for i in range(90)])
    features = pd.DataFrame({"pain": np.r_[rng.normal(8, 1, 30), rng.normal(3, 1, 30), rng.normal(3, 1, 30)]}, index=labels.index)
    table = pairwise_profile(features, {"pain": "clinical"}, labels).set_index(["biotype_a", "biotype_b"])
    assert list(table.index) == [(0, 1), (0, 2), (1, 2)]
    assert table.loc[(0, 1), "mannwhitney_p"] == pytest.approx(stats.mannwhitneyu(features["pain"][:30], features["pain"][30:60]).pvalue)
    assert table.loc[(0, 1), "mannwhitney_q"] < 1e-6
    assert table.loc[(1, 2), "mannwhitney_q"] > 0.05
