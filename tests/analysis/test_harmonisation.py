"""ComBat removes site offsets, keeps protected effects, and refuses what it cannot do."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import CohortError
from analysis.harmonisation import combat


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    ids = pd.Index([f"p{i}" for i in range(90)])
    site = pd.Series(np.repeat(["A", "B", "C"], 30), index=ids)
    age = pd.Series(rng.normal(50, 10, 90), index=ids)
    offset = site.map({"A": 0.0, "B": 1.5, "C": -1.0}).to_numpy()
    features = pd.DataFrame(rng.normal(size=(90, 4)) + offset[:, None] + 0.08 * age.to_numpy()[:, None], index=ids, columns=list("abcd"))
    return features, site, age


def test_site_offsets_removed_and_age_effect_kept(data):
    features, site, age = data
    out = combat(features, site, pd.DataFrame({"age": age}))
    before = features.groupby(site).mean().std().mean()
    after = out.groupby(site).mean().std().mean()
    assert after < 0.2 * before
    assert np.corrcoef(out["a"], age)[0, 1] > 0.4
    assert out.shape == features.shape and (out.index == features.index).all()


def test_refusals(data):
    features, site, age = data
    with pytest.raises(CohortError, match="site is missing for 1 participant"):
        combat(features, site.where(site.index != "p0"), pd.DataFrame({"age": age}))
    lonely = site.copy()
    lonely["p0"] = "Z"
    with pytest.raises(CohortError, match="site\\(s\\) Z have a single participant"):
        combat(features, lonely, pd.DataFrame({"age": age}))
    with pytest.raises(CohortError, match="'age' is missing for 1 participant"):
        combat(features, site, pd.DataFrame({"age": age.where(age.index != "p3")}))
