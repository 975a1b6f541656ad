"""Each modality's features: learned from the reference cohort by fit_transform, applied unchanged by transform."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.config import RunConfig
from analysis.features.extractors import ClinicalFeatures, PrsAsGiven, PrsFeatures, network_means, prs_features
from tests.conftest import frame_file, participants_frame


def cohort_of(frame):
    return load_cohort(CohortFiles(participants=frame_file("p.csv", frame)))


def test_yes_no_text_becomes_zero_one_and_free_text_is_not_a_feature():
    frame = participants_frame(12)
    frame["smoker"] = ["yes", "no", "Yes", "NO"] * 3
    frame["notes"] = "free text"
    fitted, raw, notes = ClinicalFeatures.fit_transform(cohort_of(frame), RunConfig())
    assert fitted == ClinicalFeatures(yes_no=("smoker",), one_hot=())
    assert raw["smoker"].tolist() == [1.0, 0.0, 1.0, 0.0] * 3
    assert "notes" not in raw.columns
    assert any("'smoker' read as 0/1" in n.message for n in notes)


def test_prs_standardised_within_ancestry():
    rng = np.random.default_rng(0)
    frame = participants_frame(60)
    frame["ancestry"] = ["EUR"] * 40 + ["AFR"] * 20
    frame["prs_mcp"] = np.r_[rng.normal(5, 2, 40), rng.normal(-3, 1, 20)]
    adjusted, notes, _ = prs_features(cohort_of(frame), RunConfig())
    by_group = adjusted["prs_mcp"].groupby(frame["ancestry"].to_numpy()).agg(["mean", lambda s: s.std(ddof=0)])
    np.testing.assert_allclose(by_group["mean"], 0, atol=1e-12)
    np.testing.assert_allclose(by_group.iloc[:, 1], 1)
    assert any("standardised within ancestry group (EUR 40, AFR 20)" in n.message for n in notes)


def test_prs_residualised_on_pcs_is_uncorrelated_with_them():
    rng = np.random.default_rng(1)
    frame = participants_frame(80)
    frame["pc1"] = rng.normal(size=80)
    frame["prs_mcp"] = 3 * frame["pc1"] + rng.normal(size=80)
    adjusted, _, fitted = prs_features(cohort_of(frame), RunConfig(prs_adjustment="residualise_pcs"))
    assert fitted.adjustment.pcs == ("pc1",)
    assert abs(np.corrcoef(adjusted["prs_mcp"], frame["pc1"])[0, 1]) < 1e-10


def test_network_means_match_a_hand_computation():
    networks = ("A", "A", "B")
    m = np.array([[1, 0.2, 0.4], [0.2, 1, 0.6], [0.4, 0.6, 1]])
    edges = m[np.tril_indices(3, k=-1)][None, :]
    means = network_means(edges, networks, np.array(["x"]))
    assert list(means.columns) == ["fc_A__A", "fc_A__B"]
    np.testing.assert_allclose(means.to_numpy(), [[0.2, 0.5]])


def test_one_hot_on_request_with_level_limit():
    from analysis.errors import CohortError

    frame = participants_frame(12)
    frame["diagnosis"] = ["back", "neck", "widespread"] * 4
    frame.loc[0, "diagnosis"] = None
    fitted, raw, notes = ClinicalFeatures.fit_transform(cohort_of(frame), RunConfig(one_hot_columns=("diagnosis",)))
    assert fitted.one_hot == (("diagnosis", ("back", "neck", "widespread")),)
    assert np.isnan(raw["diagnosis=neck"].iloc[0])
    assert raw["diagnosis=neck"].iloc[1:4].tolist() == [1.0, 0.0, 0.0]
    assert raw.loc[raw.index[1:], ["diagnosis=back", "diagnosis=neck", "diagnosis=widespread"]].sum(axis=1).eq(1).all()
    frame["diagnosis"] = [f"d{i}" for i in range(12)]
    with pytest.raises(CohortError, match="'diagnosis' has 12 levels; one-hot encoding takes at most 10"):
        ClinicalFeatures.fit_transform(cohort_of(frame), RunConfig(one_hot_columns=("diagnosis",)))
    with pytest.raises(CohortError, match="'age' is not a text column"):
        ClinicalFeatures.fit_transform(cohort_of(frame), RunConfig(one_hot_columns=("age",)))


def test_new_participants_are_encoded_with_the_reference_levels_not_their_own():
    reference = participants_frame(12)
    reference["diagnosis"] = ["back", "neck", "widespread"] * 4
    reference["smoker"] = ["yes", "no"] * 6
    fitted, raw, _ = ClinicalFeatures.fit_transform(cohort_of(reference), RunConfig(one_hot_columns=("diagnosis",)))
    new = participants_frame(12)
    new["diagnosis"] = ["neck", "migraine"] * 6  # a level the reference never had, and two it had are absent
    new["smoker"] = ["no"] * 12  # one level: alone it would not be read as yes/no
    placed, notes = fitted.transform(cohort_of(new), RunConfig())
    assert [c for c in placed.columns if c.startswith("diagnosis=")] == ["diagnosis=back", "diagnosis=neck", "diagnosis=widespread"]
    assert placed["diagnosis=neck"].tolist() == [1.0, 0.0] * 6 and placed["diagnosis=back"].eq(0).all()
    assert placed["smoker"].eq(0).all()
    assert list(placed.columns) == list(raw.columns)


def test_new_participants_are_standardised_with_the_reference_groups_means():
    rng = np.random.default_rng(4)
    reference = participants_frame(60)
    reference["ancestry"] = ["EUR"] * 40 + ["AFR"] * 20
    reference["prs_mcp"] = np.r_[rng.normal(5, 2, 40), rng.normal(-3, 1, 20)]
    fitted, _, _ = PrsFeatures.fit_transform(cohort_of(reference), RunConfig())
    new = participants_frame(30)
    new["ancestry"] = ["EUR"] * 20 + ["SAS"] * 10
    new["prs_mcp"] = 5.0
    adjusted, notes = fitted.transform(cohort_of(new), RunConfig(prs_adjustment="none"))  # the run's config does not refit it
    eur = reference.loc[reference["ancestry"] == "EUR", "prs_mcp"]
    np.testing.assert_allclose(adjusted["prs_mcp"][:20], (5.0 - eur.mean()) / eur.std(ddof=0))
    pooled = reference["prs_mcp"]
    np.testing.assert_allclose(adjusted["prs_mcp"][20:], (5.0 - pooled.mean()) / pooled.std(ddof=0))
    assert any("SAS are not in the reference cohort; pooled mean and SD used" in n.message for n in notes)


def test_an_adjustment_asked_for_without_its_columns_is_said_once_and_the_scores_used_as_given():
    frame = participants_frame(20)
    frame["prs_mcp"] = np.linspace(-1, 1, 20)
    fitted, adjusted, notes = PrsFeatures.fit_transform(cohort_of(frame), RunConfig(prs_adjustment="residualise_pcs"))
    assert fitted.adjustment == PrsAsGiven()
    pd.testing.assert_series_equal(adjusted["prs_mcp"], frame.set_index(adjusted.index)["prs_mcp"].astype(float), check_names=False)
    assert [n.what for n in notes] == ["PRS residualisation on genetic PCs asked for, but there are no pc columns"]


def test_the_untyped_state_of_an_earlier_model_becomes_the_fitted_features():
    from analysis.features.extractors import ConnectivityFeatures, PrsOnPcs, PrsWithinAncestry, WearableFeatures, features_from_saved_params

    rng = np.random.default_rng(5)
    frame = participants_frame(40)
    frame["ancestry"] = ["EUR", "AFR"] * 20
    frame["pc1"] = rng.normal(size=40)
    cohort = cohort_of(frame)
    within, _, _ = PrsFeatures.fit_transform(cohort, RunConfig(prs_adjustment="within_ancestry"))
    on_pcs, _, _ = PrsFeatures.fit_transform(cohort, RunConfig(prs_adjustment="residualise_pcs"))
    assert isinstance(within.adjustment, PrsWithinAncestry) and isinstance(on_pcs.adjustment, PrsOnPcs)
    saved = {"method": "within_ancestry", "stats": within.adjustment.stats, "pooled": within.adjustment.pooled}
    assert features_from_saved_params("prs", saved) == within
    restored = features_from_saved_params("prs", {"method": "residualise_pcs", "pcs": ["pc1"], "betas": on_pcs.adjustment.betas})
    pd.testing.assert_frame_equal(restored.transform(cohort, RunConfig())[0], on_pcs.transform(cohort, RunConfig())[0])
    assert features_from_saved_params("prs", {"method": "none"}) == PrsFeatures(PrsAsGiven())
    clinical = features_from_saved_params("clinical", {"yes_no": ["smoker"], "one_hot": {"diagnosis": ["back", "neck"]}})
    assert clinical == ClinicalFeatures(("smoker",), (("diagnosis", ("back", "neck")),))
    assert features_from_saved_params("connectivity", {}) == ConnectivityFeatures(None, None, None)
    assert features_from_saved_params("wearables", {}) == WearableFeatures()
