"""Confound audits flag biotypes that track a covariate, and leave unrelated covariates alone."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from analysis.describe.audits import covariate_audit


@pytest.fixture
def labels():
    """Biotype numbers, as the run passes them (1-based, -1 noise)."""
    return pd.Series(np.repeat([1, 2, 3, -1], [50, 50, 50, 10]), index=[f"p{i}" for i in range(160)])


def test_site_confounded_biotype_is_flagged_and_named(labels):
    rng = np.random.default_rng(0)
    site = np.where(labels.to_numpy() == 2, "site-B", rng.choice(["site-A", "site-C"], 160))
    sex = rng.choice(["F", "M"], 160)
    age = rng.normal(50, 10, 160)
    covariates = pd.DataFrame({"site": site, "sex": sex, "age": age}, index=labels.index).astype({"site": "string", "sex": "string"})
    audit = covariate_audit(labels, covariates).set_index("covariate")
    assert audit.loc["site", "flagged"]
    assert audit.loc["site", "detail"].startswith("B2 is 100% site-B")
    clustered = labels >= 0
    plain = association(pd.crosstab(labels[clustered], site[clustered.to_numpy()]).to_numpy(), method="cramer")
    assert 0.9 * plain < audit.loc["site", "value"] < plain  # bias-corrected: a little under the plain V
    assert audit.loc["site", "test"] == "chi-square" and audit.loc["site", "q_value"] < 0.05
    assert not audit.loc["sex", "flagged"]
    assert audit.loc["age", "statistic"] == "eta_squared_h"
    assert not audit.loc["age", "flagged"]


def test_age_difference_is_flagged(labels):
    age = np.where(labels.to_numpy() == 3, 75.0, 40.0) + np.random.default_rng(1).normal(0, 3, 160)
    audit = covariate_audit(labels, pd.DataFrame({"age": age}, index=labels.index))
    assert audit.iloc[0]["flagged"]
    assert audit.iloc[0]["value"] > 0.5


def test_nesting_is_theils_uncertainty_coefficient_of_the_code_given_the_biotype():
    import numpy as np
    import pandas as pd

    from analysis.describe.audits import codes_the_biotypes_nest_in

    index = pd.Index([f"p{i}" for i in range(120)])
    labels = pd.Series(np.repeat([1, 2, 3, 4], 30), index=index)
    nested = np.repeat([2007.0, 2007.0, 2008.0, 2009.0], 30)  # B1 and B2 inside 2007, B3 2008, B4 2009
    half = np.tile([1.0, 2.0], 60)  # unrelated to the biotypes
    rare = np.r_[np.ones(115), np.full(5, 2.0)]  # one level holds 96%: not tested
    features = pd.DataFrame({"year": nested, "item": half, "rare": rare, "score": np.linspace(0, 1, 120)}, index=index)
    found = codes_the_biotypes_nest_in(labels, features)
    assert [c.feature for c in found] == ["year"]
    assert found[0].uncertainty == pytest.approx(1.0) and found[0].n_levels == 3
    assert found[0].detail == "B1: 2007 (100%); B2: 2007 (100%); B3: 2008 (100%); B4: 2009 (100%)"
    # B1 all 2007, B2 all 2008, B3 and B4 half 2009 half 2010: H(L | B) = log(2) / 2 of H(L) = log(4), so U = 0.75
    partly = np.r_[np.full(30, 2007.0), np.full(30, 2008.0), np.tile([2009.0, 2010.0], 30)]
    found = codes_the_biotypes_nest_in(labels, pd.DataFrame({"year": partly}, index=index))
    assert found[0].uncertainty == pytest.approx(0.75)


def test_corrected_cramers_v_takes_out_the_small_sample_expectation():
    from analysis.describe.audits import corrected_cramers_v

    assert corrected_cramers_v(np.array([[20, 0], [0, 20]])) == pytest.approx(1.0)
    assert corrected_cramers_v(np.array([[10, 10], [10, 10]])) == 0.0
    # chi-square 10 on 40: phi^2 0.25 less 1/39, over 1 - 1/39 (Bergsma 2013); the plain V is 0.5
    assert corrected_cramers_v(np.array([[15, 5], [5, 15]])) == pytest.approx(np.sqrt((0.25 - 1 / 39) / (1 - 1 / 39)))


def test_unrelated_covariates_are_seldom_flagged_in_small_fragmented_runs():
    """A 60-participant run of 8 biotypes once flagged a random 3-level year (V 0.39) and a random date (0.26)."""
    rng = np.random.default_rng(0)
    index = [f"p{i}" for i in range(60)]
    flagged, values, tests = [], [], set()
    for draw in range(60):
        labels = pd.Series(rng.integers(1, 9, 60), index=index)
        covariates = pd.DataFrame(
            {"year": rng.choice(["2019", "2020", "2021"], 60), "visit_date": rng.uniform(2019, 2022, 60)}, index=index
        )
        audit = covariate_audit(labels, covariates, seed=draw).set_index("covariate")
        flagged.append(audit["flagged"].any())
        values.append(audit["value"].to_numpy())
        tests |= set(audit["test"])
    assert np.mean(flagged) <= 0.1
    assert np.median(np.concatenate(values)) < 0.1  # the plain V and epsilon-squared sit near 0.3 and 0.12 here
    assert any("permutation" in t for t in tests)  # expected counts under 5: no chi-square approximation


def test_a_real_association_in_a_small_run_is_still_flagged():
    rng = np.random.default_rng(1)
    index = [f"p{i}" for i in range(60)]
    labels = pd.Series(np.repeat([1, 2, 3], 20), index=index)
    year = np.repeat(["2019", "2020", "2021"], 20)
    year[rng.choice(60, 6, replace=False)] = "2020"
    age = np.repeat([30.0, 50.0, 70.0], 20) + rng.normal(0, 5, 60)
    audit = covariate_audit(labels, pd.DataFrame({"year": year, "age": age}, index=index)).set_index("covariate")
    assert audit["flagged"].all()
    assert (audit["q_value"] < 0.001).all()


def test_permutation_p_values_are_valid_under_the_null():
    """Where the approximations do not hold, the permutation p-values are uniform: about 5% fall under 0.05."""
    rng = np.random.default_rng(2)
    index = [f"p{i}" for i in range(30)]
    p_values = []
    for draw in range(150):
        labels = pd.Series(np.repeat([1, 2, 3, 4, 5, 6], [4, 4, 4, 4, 4, 10])[rng.permutation(30)], index=index)
        covariates = pd.DataFrame({"group": rng.choice(list("abc"), 30), "score": rng.normal(size=30)}, index=index)
        audit = covariate_audit(labels, covariates, seed=draw)
        assert audit["test"].str.endswith(", permutation").all()
        p_values.extend(audit["p_value"])
    assert 0.01 <= np.mean(np.array(p_values) < 0.05) <= 0.1
