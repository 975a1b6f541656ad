"""The participant flow of a run: every step counted from the assignment table and the modality blocks."""

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.cohort import load_cohort, sample_cohort_files
from analysis.cohort.wearables import wearable_summaries
from analysis.config import RunConfig
from analysis.describe.flow import participant_flow
from analysis.features.blocks import build_blocks
from analysis.features.fusion import fuse_blocks


@pytest.fixture(scope="module")
def sample():
    return load_cohort(sample_cohort_files())


def assignments_of(cohort, config, pattern):
    """An assignment table as a run would write it: fusion's exclusions, and biotypes from ``pattern`` for the included."""
    blocks, _, _ = build_blocks(cohort, config)
    fused = fuse_blocks(blocks, cohort.participants.index, config)
    included = cohort.participants.index.isin(fused.included)
    biotype = pd.array([pd.NA] * len(included), dtype="Int64")
    biotype[included] = np.resize(pattern, int(included.sum()))
    table = pd.DataFrame(
        {
            "participant_id": cohort.participants["participant_id"].to_numpy(),
            "biotype": biotype,
            "included": included,
            "exclusion_reason": fused.exclusion_reason.reindex(cohort.participants.index).to_numpy(),
        }
    )
    return table, blocks


def test_the_flow_adds_up_from_loaded_to_each_biotype(sample):
    config = RunConfig()
    table, blocks = assignments_of(sample, config, [1, 1, 2, -1, 3])
    flow = participant_flow(sample, config, table, {1: "B1 · high pain", 2: "B2", 3: "B3"})
    assert flow.loaded == sample.n_participants == 1000
    assert dict(flow.lacking) == {m: int((~sample.participants.index.isin(b.values.index)).sum()) for m, b in blocks.items()}
    in_files = int(sample.availability()["wearables"].sum())
    assert flow.too_few_valid_days == in_files - len(wearable_summaries(sample.wearables, config.wearable_min_valid_days))
    assert flow.clustered == int(table["included"].sum()) == 288
    assert flow.clustered + sum(n for _, n in flow.excluded) == flow.loaded
    assert dict(flow.excluded) == table.loc[~table["included"], "exclusion_reason"].value_counts().to_dict()
    assert [n for _, n in flow.excluded] == sorted((n for _, n in flow.excluded), reverse=True)
    clustered = table.loc[table["included"], "biotype"].astype(int)
    assert flow.noise == int((clustered == -1).sum())
    assert flow.biotypes == tuple((b, name, int((clustered == b).sum())) for b, name in ((1, "B1 · high pain"), (2, "B2"), (3, "B3")))
    assert flow.noise + sum(n for *_, n in flow.biotypes) == flow.clustered


def test_a_run_without_wearables_says_nothing_about_valid_days(sample):
    config = RunConfig(modalities=("clinical", "prs"))
    table, _ = assignments_of(sample, config, [1, 2])
    flow = participant_flow(sample, config, table, {})
    assert flow.too_few_valid_days is None
    assert [m for m, _ in flow.lacking] == ["clinical", "prs"]
    assert flow.biotypes[0][1] == "B1"  # unnamed biotypes are called by their number
