"""Permutation importance puts the defining feature of each biotype first."""

import numpy as np
import pandas as pd

from analysis.importance import biotype_importance


def test_defining_feature_ranks_first():
    rng = np.random.default_rng(0)
    n = 240
    labels = pd.Series(np.repeat([0, 1, 2], 80), index=[f"p{i}" for i in range(n)])
    features = pd.DataFrame(
        rng.normal(size=(n, 4)), index=labels.index, columns=["clinical:pain", "clinical:sleep", "prs:mcp", "wearables:steps"]
    )
    features.loc[labels == 0, "clinical:pain"] += 3
    features.loc[labels == 1, "wearables:steps"] -= 3
    table = biotype_importance(features, labels, seed=1)
    top = table.groupby("biotype").first()["feature"]
    assert top[0] == "clinical:pain"
    assert top[1] == "wearables:steps"
    assert (table.groupby("biotype")["held_out_auc"].first()[[0, 1]] > 0.9).all()
    assert len(table) == 12
