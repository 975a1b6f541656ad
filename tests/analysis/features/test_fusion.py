"""Fusion: who is included, why others are not, and how much each modality weighs."""

import numpy as np
import pandas as pd
import pytest

from analysis.config import RunConfig
from analysis.errors import CohortError
from analysis.features.blocks import Block
from analysis.features.fusion import fuse_blocks


def block(name, ids, k, seed=0):
    rng = np.random.default_rng(seed)
    values = pd.DataFrame(rng.normal(size=(len(ids), k)), index=pd.Index(ids, name="participant"), columns=[f"f{i}" for i in range(k)])
    values = (values - values.mean()) / values.std(ddof=0)
    return Block(name, values, values, 0)


IDS = [f"{i:02d}" for i in range(30)]


def test_exclude_policy_gives_every_excluded_participant_a_reason():
    blocks = {
        "clinical": block("clinical", IDS, 3),
        "connectivity": block("connectivity", IDS[:20], 50, 1),
        "prs": block("prs", IDS[5:], 2, 2),
    }
    fused = fuse_blocks(blocks, pd.Index(IDS), RunConfig())
    assert list(fused.included) == IDS[5:20]
    reasons = fused.exclusion_reason
    assert reasons["00"] == "no prs"
    assert reasons["25"] == "no connectivity"
    assert (reasons[fused.included] == "").all()
    assert len(reasons) == 30


def test_impute_policy_keeps_everyone_with_some_data():
    blocks = {"clinical": block("clinical", IDS[:25], 3), "prs": block("prs", IDS[10:], 2, 2)}
    fused = fuse_blocks(blocks, pd.Index(IDS + ["lost"]), RunConfig(missing_modality="impute"))
    assert len(fused.included) == 30
    assert fused.exclusion_reason["lost"].startswith("no data in any selected modality")
    assert fused.imputed_blocks == {"clinical": 5, "prs": 10}
    assert not fused.matrix.isna().any().any()


def test_equal_block_weights_mean_equal_variance_shares():
    blocks = {"clinical": block("clinical", IDS, 3), "connectivity": block("connectivity", IDS, 300, 1)}
    fused = fuse_blocks(blocks, pd.Index(IDS), RunConfig())
    assert fused.variance_share == pytest.approx({"clinical": 0.5, "connectivity": 0.5})
    weighted = fuse_blocks(blocks, pd.Index(IDS), RunConfig(block_weights=(("clinical", 3.0),)))
    assert weighted.variance_share == pytest.approx({"clinical": 0.75, "connectivity": 0.25})


def test_too_few_participants_left_is_a_user_error():
    blocks = {"clinical": block("clinical", IDS, 3), "prs": block("prs", IDS[:5], 2)}
    with pytest.raises(CohortError, match="only 5 participant\\(s\\) have every selected modality .* set missing_modality to 'impute'"):
        fuse_blocks(blocks, pd.Index(IDS), RunConfig())
