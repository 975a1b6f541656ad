"""Profiles: effect sizes, tests with FDR, automatic names."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.describe.profiling import biotype_names, categorical_columns, categorical_profile, cohens_d, pairwise_profile, profile_table


def test_cohens_d_known_value():
    a = np.array([2.0, 4.0, 6.0])
    b = np.array([1.0, 2.0, 3.0])
    assert cohens_d(a, b) == pytest.approx((4 - 2) / np.sqrt((4 + 1) / 2))
    assert np.isnan(cohens_d(a[:1], b))


def test_profile_table_and_names():
    rng = np.random.default_rng(0)
    labels = pd.Series(np.repeat([1, 2, -1], [40, 40, 10]), index=[f"p{i}" for i in range(90)])
    features = pd.DataFrame(
        {"pain": np.r_[rng.normal(8, 1, 40), rng.normal(3, 1, 40), rng.normal(5, 1, 10)], "noise": rng.normal(size=90)}, index=labels.index
    )
    table = profile_table(features, {"pain": "clinical", "noise": "clinical"}, labels)
    assert len(table) == 4
    pain0 = table[(table["biotype"] == 1) & (table["feature"] == "pain")].iloc[0]
    assert pain0["n"] == 40
    assert pain0["mean"] == pytest.approx(features["pain"].iloc[:40].mean())
    assert pain0["mean_rest"] == pytest.approx(features["pain"].iloc[40:80].mean())
    assert pain0["kruskal_p"] == pytest.approx(stats.kruskal(features["pain"].iloc[:40], features["pain"].iloc[40:80]).pvalue)
    assert pain0["kruskal_q"] < 1e-6
    names = biotype_names(table)
    assert names == {1: "B1 · high pain", 2: "B2 · low pain"}


def test_pairwise_profile():
    rng = np.random.default_rng(2)
    labels = pd.Series(np.repeat([0, 1, 2], 30), index=[f"p{i}" for i in range(90)])
    features = pd.DataFrame({"pain": np.r_[rng.normal(8, 1, 30), rng.normal(3, 1, 30), rng.normal(3, 1, 30)]}, index=labels.index)
    sex = pd.DataFrame({"sex": np.r_[["F"] * 30, ["M"] * 30, ["F", "M"] * 15]}, index=labels.index)
    table = pairwise_profile(features, {"pain": "clinical", "sex": "covariate"}, labels, sex).set_index(
        ["biotype_a", "biotype_b", "feature"]
    )
    assert list(table.index.droplevel(2).unique()) == [(0, 1), (0, 2), (1, 2)]
    pain = table.xs("pain", level="feature")
    assert pain.loc[(0, 1), "p_value"] == pytest.approx(stats.mannwhitneyu(features["pain"][:30], features["pain"][30:60]).pvalue)
    assert pain.loc[(0, 1), "q_value"] < 1e-6
    assert pain.loc[(1, 2), "q_value"] > 0.05
    by_sex = table.xs("sex", level="feature")
    assert (by_sex["test"] == "chi-square").all() and by_sex["cohens_d"].isna().all()
    assert by_sex.loc[(0, 1), "cramers_v"] == pytest.approx(1.0)  # all F against all M
    crosstab = pd.crosstab(labels[labels != 1], sex["sex"][labels != 1]).to_numpy()
    assert by_sex.loc[(0, 2), "p_value"] == pytest.approx(stats.chi2_contingency(crosstab).pvalue)


def test_categorical_profile_counts_shares_and_tests():
    labels = pd.Series(np.repeat([1, 2, -1], [40, 40, 10]), index=[f"p{i}" for i in range(90)])
    sex = np.r_[["F"] * 32 + ["M"] * 8, ["F"] * 12 + ["M"] * 28, ["F"] * 10]
    site = np.r_[["A", "B"] * 20, ["A", "B"] * 20, ["A"] * 10].astype(object)
    site[0] = None  # missing for one participant: left out of that column only
    frame = pd.DataFrame({"sex": sex, "site": site}, index=labels.index)
    table = categorical_profile(frame, {"sex": "covariate", "site": "covariate"}, labels)
    assert set(table.columns) >= {
        "biotype",
        "feature",
        "level",
        "n",
        "count",
        "proportion",
        "proportion_rest",
        "cramers_v",
        "chi2_p",
        "chi2_q",
    }
    assert len(table) == 2 * 2 * 2  # biotypes × features × levels
    female0 = table.set_index(["biotype", "feature", "level"]).loc[(1, "sex", "F")]
    assert (female0["n"], female0["count"]) == (40, 32)
    assert female0["proportion"] == pytest.approx(0.8) and female0["proportion_rest"] == pytest.approx(0.3)
    expected = stats.chi2_contingency(pd.crosstab(labels.iloc[:80], frame["sex"].iloc[:80]).to_numpy())
    assert female0["chi2_p"] == pytest.approx(expected.pvalue)
    assert female0["cramers_v"] == pytest.approx(
        stats.contingency.association(pd.crosstab(labels.iloc[:80], frame["sex"].iloc[:80]).to_numpy())
    )
    site0 = table.set_index(["biotype", "feature", "level"]).loc[(1, "site", "B")]
    assert site0["n"] == 39 and site0["chi2_q"] > 0.5
    assert female0["chi2_q"] < 0.01


def test_categorical_columns_skip_identifiers_and_single_levels():
    frame = pd.DataFrame({"sex": ["F", "M"] * 15, "code": [f"x{i}" for i in range(30)], "one": ["a"] * 30, "age": np.arange(30.0)})
    assert categorical_columns(frame, list(frame.columns)) == ["sex"]


def test_survey_like_columns_give_nan_not_warnings(recwarn):
    """cluster on a real survey printed scipy RuntimeWarnings (Kruskal-Wallis of constant columns)."""
    import warnings

    rng = np.random.default_rng(5)
    labels = pd.Series(np.repeat([1, 2, 3, -1], [30, 30, 30, 10]), index=[f"p{i}" for i in range(100)])
    features = pd.DataFrame(
        {
            "zeros": np.zeros(100),
            "rare": np.r_[np.zeros(90), np.ones(10)],  # the 1s are all noise: constant among the biotypes
            "likert": rng.integers(1, 6, 100).astype(float),
        },
        index=labels.index,
    )
    modality = dict.fromkeys(features.columns, "clinical")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = profile_table(features, modality, labels)
        pairwise_profile(features, modality, labels)
    by_feature = table.groupby("feature")["kruskal_p"].first()
    assert np.isnan(by_feature["zeros"]) and np.isnan(by_feature["rare"]) and np.isfinite(by_feature["likert"])


@pytest.mark.parametrize(("n_a", "n_b"), [(30, 40), (5, 7), (9, 12), (3, 50)])
def test_pairwise_p_values_equal_scipy_column_by_column(n_a, n_b):
    from analysis.describe.profiling import _mann_whitney_columns

    rng = np.random.default_rng(n_a)
    x, y = rng.normal(size=(n_a, 20)), rng.normal(size=(n_b, 20)) + 0.3
    x[:, 3] = y[:, 3] = 1.0  # constant: no test
    x[1, 5] = np.nan  # one missing value: left out of that column only
    x[:, 7], y[:, 7] = np.round(x[:, 7]), np.round(y[:, 7])  # ties
    y[:, 9] = np.nan  # an empty group
    expected = []
    for k in range(20):
        a, b = x[:, k][np.isfinite(x[:, k])], y[:, k][np.isfinite(y[:, k])]
        expected.append(stats.mannwhitneyu(a, b).pvalue if len(a) and len(b) and np.ptp(np.r_[a, b]) > 0 else np.nan)
    np.testing.assert_array_equal(_mann_whitney_columns(x, y), np.array(expected, dtype=float))


def test_clustered_features_are_described_never_tested_and_the_others_are_tested_with_fdr_among_themselves():
    rng = np.random.default_rng(3)
    labels = pd.Series(np.repeat([1, 2, -1], [50, 50, 10]), index=[f"p{i}" for i in range(110)])
    shift = np.r_[np.full(50, 2.0), np.zeros(50), np.ones(10)]
    features = pd.DataFrame(
        {"pain": shift + rng.normal(size=110), "sleep": -shift + rng.normal(size=110), "crp": 3 * shift + rng.normal(size=110)},
        index=labels.index,
    )
    modality = {"pain": "clinical", "sleep": "clinical", "crp": "validator"}
    table = profile_table(features, modality, labels, clustered=("pain", "sleep"))
    described = table[table["feature"].isin(["pain", "sleep"])]
    assert (described["evidence"] == "descriptive").all()
    assert described[["kruskal_p", "kruskal_q", "cohens_d_low", "cohens_d_high"]].isna().all().all()
    assert described["cohens_d"].abs().min() > 1  # the effect size is still shown
    crp = table[table["feature"] == "crp"].set_index("biotype")
    assert (crp["evidence"] == "tested").all()
    p = stats.kruskal(features["crp"].iloc[:50], features["crp"].iloc[50:100]).pvalue
    assert crp.loc[1, "kruskal_p"] == pytest.approx(p) and crp.loc[1, "kruskal_q"] == pytest.approx(p)  # the only tested feature
    d, n = crp.loc[1, "cohens_d"], 50
    half = 1.959964 * np.sqrt(2 / n + d**2 / (4 * n))
    assert crp.loc[1, "cohens_d_low"] == pytest.approx(d - half, rel=1e-4) and crp.loc[1, "cohens_d_high"] == pytest.approx(
        d + half, rel=1e-4
    )
    names = biotype_names(table)  # from d on clustered features only: crp, larger, is not in them
    assert set(names[1].split(" · ")) == {"B1", "high pain", "low sleep"} and set(names[2].split(" · ")) == {"B2", "low pain", "high sleep"}

    pairs = pairwise_profile(features, modality, labels, clustered=("pain", "sleep"))
    assert pairs.loc[pairs["feature"] != "crp", ["p_value", "q_value"]].isna().all().all()
    assert (pairs.loc[pairs["feature"] != "crp", "test"] == "none").all()
    assert pairs.loc[pairs["feature"] == "crp", "q_value"].notna().all()

    sex = pd.DataFrame({"sex": np.r_[["F"] * 50, ["M"] * 50, ["F"] * 10]}, index=labels.index)
    shares = categorical_profile(sex, {"sex": "clinical"}, labels, clustered=("sex",))
    assert (shares["evidence"] == "descriptive").all() and shares[["chi2_p", "chi2_q"]].isna().all().all()
    assert shares["cramers_v"].notna().all()
