"""Feature blocks: selection, screening, modality reductions, imputation and scaling."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.atlas import Atlas
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.wearables import Wearables, wearable_summaries
from analysis.config import RunConfig
from analysis.features.blocks import build_blocks, harmonisation_choice, impute_and_scale, screen_columns
from tests.conftest import frame_file, participants_frame


def cohort_of(frame):
    return load_cohort(CohortFiles(participants=frame_file("p.csv", frame)))


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
    assert models["connectivity"].features.pca.n_components_ == 3
    assert list(blocks) == ["clinical", "prs", "connectivity"]
    assert list(blocks["connectivity"].values.columns) == ["fc_SAL__SAL", "fc_SAL__DMN", "fc_DMN__DMN", "fc_pc1", "fc_pc2", "fc_pc3"]


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
