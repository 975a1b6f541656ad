"""ComBat removes site offsets, keeps protected effects, applies to new participants, and refuses what it cannot do."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import CohortError
from analysis.features.harmonisation import apply_combat, combat


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
    out, _ = combat(features, site, pd.DataFrame({"age": age}))
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


def test_fitted_estimates_reproduce_combat_on_the_reference(data):
    features, site, age = data
    sex = pd.Series(np.where(np.arange(90) % 3 == 0, "F", "M"), index=features.index)
    protect = pd.DataFrame({"sex": sex, "age": age})
    out, model = combat(features, site, protect)
    again = apply_combat(model, features, site, protect)
    np.testing.assert_allclose(again.to_numpy(), out.to_numpy(), atol=1e-8)


def test_new_participants_keep_their_own_covariate_effect(data):
    features, site, age = data
    _, model = combat(features, site, pd.DataFrame({"age": age}))
    # Noise-free new participants of site B (offset +1.5), aged 20 and 80: harmonised, each should sit
    # at the grand mean (site offsets averaged, +0.17) plus their own age effect (0.08 per year).
    ages = pd.Series([20.0, 80.0], index=["n1", "n2"])
    new = pd.DataFrame(np.repeat((1.5 + 0.08 * ages.to_numpy())[:, None], 4, axis=1), index=ages.index, columns=list("abcd"))
    out = apply_combat(model, new, pd.Series("B", index=ages.index), pd.DataFrame({"age": ages}))
    expected = (0.0 + 1.5 - 1.0) / 3 + 0.08 * ages.to_numpy()
    np.testing.assert_allclose(out.to_numpy(), np.repeat(expected[:, None], 4, axis=1), atol=0.35)


def test_new_participants_from_an_unseen_site_or_level_are_refused(data):
    features, site, age = data
    sex = pd.Series(np.where(np.arange(90) % 2 == 0, "F", "M"), index=features.index)
    _, model = combat(features, site, pd.DataFrame({"sex": sex}))
    with pytest.raises(CohortError, match="site\\(s\\) D were not in the reference run"):
        apply_combat(model, features.iloc[:3], pd.Series("D", index=features.index[:3]), pd.DataFrame({"sex": sex.iloc[:3]}))
    with pytest.raises(CohortError, match="'sex' value\\(s\\) X were not in the reference run"):
        apply_combat(model, features.iloc[:3], site.iloc[:3], pd.DataFrame({"sex": pd.Series("X", index=features.index[:3])}))


def test_brain_views_of_a_harmonised_run_show_harmonised_edges():
    """Brain views once tested the raw matrices of a harmonised run: a one-site biotype showed the scanner offset."""
    from analysis.cohort.cohort import load_cohort, sample_cohort_files
    from analysis.config import RunConfig
    from analysis.features.blocks import shown_connectivity

    cohort = load_cohort(sample_cohort_files())
    raw = cohort.connectivity
    site = cohort.participants["site"].reindex(raw.ids).to_numpy()

    def site_gap(edges):
        means = [np.asarray(edges)[site == s].mean() for s in np.unique(site)]
        return max(means) - min(means)

    view = shown_connectivity(cohort, RunConfig(harmonise_sites=True, harmonise_protect=()))
    assert view.harmonised and "harmonised across" in view.description and "ComBat on the edges" in view.description
    assert view.connectivity.edges.shape == raw.edges.shape and view.connectivity.ids.tolist() == raw.ids.tolist()
    assert site_gap(raw.edges) > 0.01 and site_gap(view.connectivity.edges) < 0.1 * site_gap(raw.edges)
    off = shown_connectivity(cohort, RunConfig(harmonise_sites=True, harmonise_protect=()), harmonise=False)
    assert off.connectivity is raw and not off.harmonised and "raw" in off.description
    assert shown_connectivity(cohort, RunConfig(harmonise_sites=False)).connectivity is raw
