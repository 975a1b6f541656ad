"""Who has which modality as a run sees it, and how many each choice of modalities would cluster."""

import pandas as pd
import pytest

from analysis.cohort.cohort import load_cohort, sample_cohort_files
from analysis.cohort.wearables import wearable_summaries
from analysis.config import RunConfig
from analysis.errors import CohortError
from analysis.features.availability import modality_availability
from analysis.features.blocks import build_blocks
from analysis.features.fusion import fuse_blocks


@pytest.fixture(scope="module")
def sample():
    return load_cohort(sample_cohort_files())


def test_every_choice_counts_the_participants_fusion_keeps(sample):
    availability = modality_availability(sample)
    assert availability.modalities == ("clinical", "prs", "connectivity", "wearables")
    blocks, _, _ = build_blocks(sample, RunConfig())
    choices = availability.choices()
    assert len(choices) == 15 and choices.loc[0, "modalities"] == availability.modalities
    for row in choices.itertuples():
        for policy in ("exclude", "impute"):
            config = RunConfig(modalities=row.modalities, missing_modality=policy)
            try:
                kept = len(fuse_blocks({m: blocks[m] for m in row.modalities}, sample.participants.index, config).included)
            except CohortError:  # fewer than 10 to cluster
                kept = None
            counted = getattr(row, policy)
            assert counted == kept if kept is not None else counted < 10, (row.modalities, policy)


def test_combinations_partition_the_participants_with_any_modality(sample):
    availability = modality_availability(sample)
    table = availability.combinations()
    has = availability.has
    assert table["n"].sum() == len(has)  # each participant in exactly one combination
    assert table["n"].is_monotonic_decreasing
    for row in table.itertuples(index=False):
        pattern = pd.Series({m: getattr(row, m) for m in availability.modalities})
        assert row.n == int((has == pattern).all(axis=1).sum())


def test_a_device_worn_on_too_few_valid_days_does_not_count_as_wearable_data(sample):
    config = RunConfig(wearable_min_valid_days=21)
    availability = modality_availability(sample, config)
    in_files = sample.availability()["wearables"]
    enough = wearable_summaries(sample.wearables, 21).index
    assert (availability.has["wearables"].to_numpy() == sample.participants.index.isin(enough)).all()
    assert int((in_files & ~availability.has["wearables"]).sum()) == int(in_files.sum()) - len(enough) > 0
