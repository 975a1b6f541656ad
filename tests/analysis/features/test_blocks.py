"""Feature blocks: selection, screening, modality reductions, imputation and scaling."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.atlas import Atlas
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.wearables import Wearables, wearable_summaries
from analysis.config import RunConfig
from analysis.features.blocks import (
    build_blocks,
    clinical_features,
    harmonisation_choice,
    impute_and_scale,
    network_means,
    prs_features,
    screen_columns,
)
from tests.conftest import frame_file, participants_frame


def cohort_of(frame):
    return load_cohort(CohortFiles(participants=frame_file("p.csv", frame)))


def test_yes_no_text_becomes_zero_one_and_free_text_is_not_a_feature():
    frame = participants_frame(12)
    frame["smoker"] = ["yes", "no", "Yes", "NO"] * 3
    frame["notes"] = "free text"
    raw, notes, params = clinical_features(cohort_of(frame), RunConfig())
    assert params == {"yes_no": ["smoker"], "one_hot": {}}
    assert raw["smoker"].tolist() == [1.0, 0.0, 1.0, 0.0] * 3
    assert "notes" not in raw.columns
    assert any("'smoker' read as 0/1" in n.message for n in notes)


def test_screening_drops_sparse_and_constant_columns_and_says_so():
    raw = pd.DataFrame({"a": [1.0, 2, 3, 4], "sparse": [1.0, np.nan, np.nan, np.nan], "flat": [5.0] * 4})
    kept, notes = screen_columns(raw, "clinical", 0.5)
    assert list(kept.columns) == ["a"]
    messages = " ".join(n.message for n in notes)
    assert "missing for more than 50% of participants are not used: sparse" in messages
    assert "constant clinical column(s) not used: flat" in messages


def test_imputation_counts_and_scaling():
    raw = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "b": [2.0, 2.5, np.nan, 1.0]})
    values, n, _, _ = impute_and_scale(raw, RunConfig(impute="median"))
    assert n == 2
    np.testing.assert_allclose(values.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(values.std(ddof=0), 1)
    for method in ("knn", "iterative"):
        filled, *_ = impute_and_scale(raw, RunConfig(impute=method))
        assert not filled.isna().any().any()


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
    adjusted, _, params = prs_features(cohort_of(frame), RunConfig(prs_adjustment="residualise_pcs"))
    assert params["pcs"] == ["pc1"]
    assert abs(np.corrcoef(adjusted["prs_mcp"], frame["pc1"])[0, 1]) < 1e-10


def test_network_means_match_a_hand_computation():
    networks = ("A", "A", "B")
    m = np.array([[1, 0.2, 0.4], [0.2, 1, 0.6], [0.4, 0.6, 1]])
    edges = m[np.tril_indices(3, k=-1)][None, :]
    means = network_means(edges, networks, np.array(["x"]))
    assert list(means.columns) == ["fc_A__A", "fc_A__B"]
    np.testing.assert_allclose(means.to_numpy(), [[0.2, 0.5]])


def test_wearable_summaries_slope_sd_adherence_and_min_days():
    days = pd.DataFrame(
        {
            "participant": ["a"] * 10 + ["b"] * 3,
            "day": list(range(1, 11)) + [1, 2, 3],
            "date": pd.NaT,
            "steps": [100.0 + 10 * d for d in range(1, 11)] + [5.0, 6.0, 7.0],
            "wear_minutes": [1300.0] * 9 + [100.0] + [1300.0] * 3,
        }
    )
    wearables = Wearables(days, ("steps", "wear_minutes"), "wear_minutes", "w.csv")
    summaries = wearable_summaries(wearables, min_valid_days=5)
    assert list(summaries.index) == ["a"]
    assert summaries.loc["a", "steps_slope"] == pytest.approx(10.0)
    assert summaries.loc["a", "steps_mean"] == pytest.approx(np.mean([100 + 10 * d for d in range(1, 10)]))
    assert summaries.loc["a", "adherence"] == pytest.approx(0.9)
    assert "wear_minutes_mean" not in summaries.columns


def test_blocks_for_a_cohort_with_matrices():
    rng = np.random.default_rng(2)
    frame = participants_frame(12)
    a = rng.uniform(-0.5, 0.5, (12, 4, 4))
    m = (a + a.transpose(0, 2, 1)) / 2
    import io

    buffer = io.BytesIO()
    np.savez(buffer, matrices=m, participant_id=frame["participant_id"].to_numpy(dtype=str))
    coords = "roi,x,y,z,network\n1,0,0,0,SAL\n2,1,1,1,SAL\n3,2,2,2,DMN\n4,3,3,3,DMN\n"
    from analysis.io.inputs import InputFile

    cohort = load_cohort(
        CohortFiles(
            participants=frame_file("p.csv", frame),
            connectivity=InputFile("fc.npz", buffer.getvalue()),
            atlas=InputFile("c.csv", coords.encode()),
        )
    )
    assert isinstance(cohort.connectivity.atlas, Atlas)
    blocks, issues, models = build_blocks(cohort, RunConfig(connectivity_features="both", connectivity_pca_components=3))
    assert models["connectivity"].params["pca"].n_components_ == 3
    assert list(blocks) == ["clinical", "prs", "connectivity"]
    assert list(blocks["connectivity"].values.columns) == ["fc_SAL__SAL", "fc_SAL__DMN", "fc_DMN__DMN", "fc_pc1", "fc_pc2", "fc_pc3"]


def test_one_hot_on_request_with_level_limit():
    from analysis.errors import CohortError

    frame = participants_frame(12)
    frame["diagnosis"] = ["back", "neck", "widespread"] * 4
    frame.loc[0, "diagnosis"] = None
    raw, notes, params = clinical_features(cohort_of(frame), RunConfig(one_hot_columns=("diagnosis",)))
    assert params["one_hot"] == {"diagnosis": ["back", "neck", "widespread"]}
    assert np.isnan(raw["diagnosis=neck"].iloc[0])
    assert raw["diagnosis=neck"].iloc[1:4].tolist() == [1.0, 0.0, 0.0]
    assert raw.loc[raw.index[1:], ["diagnosis=back", "diagnosis=neck", "diagnosis=widespread"]].sum(axis=1).eq(1).all()
    frame["diagnosis"] = [f"d{i}" for i in range(12)]
    with pytest.raises(CohortError, match="'diagnosis' has 12 levels; one-hot encoding takes at most 10"):
        clinical_features(cohort_of(frame), RunConfig(one_hot_columns=("diagnosis",)))
    with pytest.raises(CohortError, match="'age' is not a text column"):
        clinical_features(cohort_of(frame), RunConfig(one_hot_columns=("age",)))


def matrix_cohort(frame: pd.DataFrame):
    """A cohort whose participants all have a 4-region connectivity matrix."""
    import io

    from analysis.io.inputs import InputFile

    rng = np.random.default_rng(3)
    a = rng.uniform(-0.5, 0.5, (len(frame), 4, 4))
    buffer = io.BytesIO()
    np.savez(buffer, matrices=(a + a.transpose(0, 2, 1)) / 2, participant_id=frame["participant_id"].to_numpy(dtype=str))
    return load_cohort(CohortFiles(participants=frame_file("p.csv", frame), connectivity=InputFile("fc.npz", buffer.getvalue())))


def test_automatic_harmonisation_turns_on_only_when_connectivity_comes_from_several_sites():
    frame = participants_frame(12).drop(columns="sex")
    frame["site"] = ["A", "B"] * 6
    config, note = harmonisation_choice(matrix_cohort(frame), RunConfig())
    assert config.harmonise_sites is True and config.harmonise_protect == ("age",)  # no sex column: not protected
    assert "from 2 sites" in note.message
    config, note = harmonisation_choice(matrix_cohort(frame), RunConfig(modalities=("clinical",)))
    assert config.harmonise_sites is False and note is None
    config, note = harmonisation_choice(matrix_cohort(frame), RunConfig(harmonise_sites=False))
    assert config.harmonise_sites is False and note is None  # the user's choice stands
    frame["site"] = ["A"] * 11 + ["B"]
    config, note = harmonisation_choice(matrix_cohort(frame), RunConfig())
    assert config.harmonise_sites is False and note.severity == "warning" and "B have a single participant" in note.message
    frame["site"] = "A"
    config, note = harmonisation_choice(matrix_cohort(frame), RunConfig())
    assert config.harmonise_sites is False and note.severity == "info"


def test_a_run_note_about_many_columns_keeps_every_name():
    """The warning once listed the first 8 of 234 dropped columns, and nothing anywhere listed the rest."""
    from analysis.errors import NAMED_IN_MESSAGE

    rng = np.random.default_rng(0)
    sparse = {f"item_{i:02d}": np.r_[rng.normal(size=3), np.full(17, np.nan)] for i in range(20)}
    raw = pd.DataFrame({"score": rng.normal(size=20), **sparse, "flat": np.ones(20)})
    _, notes = screen_columns(raw, "clinical", 0.5)
    dropped = next(n for n in notes if "missing for more than" in n.message)
    assert dropped.columns == tuple(sparse)
    assert f"and {20 - NAMED_IN_MESSAGE} more" in dropped.message and "item_07" in dropped.message and "item_08" not in dropped.message
    assert next(n for n in notes if "constant" in n.message).columns == ("flat",)
