"""Confound audits flag biotypes that track a covariate, and leave unrelated covariates alone."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from analysis.audits import covariate_audit


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
    expected = association(pd.crosstab(labels[clustered], site[clustered.to_numpy()]).to_numpy(), method="cramer")
    assert audit.loc["site", "value"] == pytest.approx(expected)
    assert not audit.loc["sex", "flagged"]
    assert audit.loc["age", "statistic"] == "epsilon_squared"
    assert not audit.loc["age", "flagged"]


def test_age_difference_is_flagged(labels):
    age = np.where(labels.to_numpy() == 3, 75.0, 40.0) + np.random.default_rng(1).normal(0, 3, 160)
    audit = covariate_audit(labels, pd.DataFrame({"age": age}, index=labels.index))
    assert audit.iloc[0]["flagged"]
    assert audit.iloc[0]["value"] > 0.5
