"""Two runs of one cohort side by side: parameters that differ, agreement of the labellings, flows between them."""

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.config import RunConfig
from analysis.describe.run_comparison import NOT_CLUSTERED, labelling_agreement, parameter_differences, supplement_table


def assignments(biotypes: list) -> pd.DataFrame:
    """An assignment table: None is not clustered, -1 noise, 1, 2, ... biotypes."""
    included = [b is not None for b in biotypes]
    return pd.DataFrame(
        {
            "participant_id": [f"sub-{i:02d}" for i in range(len(biotypes))],
            "biotype": pd.array(biotypes, dtype="Int64"),
            "included": included,
        }
    )


def test_the_same_biotypes_under_other_numbers_agree_fully():
    first = assignments([1, 1, 1, 2, 2, 2, 3, 3])
    second = assignments([2, 2, 2, 3, 3, 3, 1, 1])
    agreement = labelling_agreement(first, second)
    assert agreement.ari == pytest.approx(1.0) and agreement.ari_clustered == pytest.approx(1.0)
    assert agreement.flows.to_dict("records") == [
        {"first": 1, "second": 2, "n": 3},
        {"first": 2, "second": 3, "n": 3},
        {"first": 3, "second": 1, "n": 2},
    ]


def test_noise_counts_as_a_group_and_unclustered_participants_only_in_the_flows():
    first = assignments([1, 1, 1, 2, 2, 2, -1, None, None])
    second = assignments([1, 1, -1, 2, 2, 2, 2, 1, None])
    agreement = labelling_agreement(first, second)
    both = [0, 1, 2, 3, 4, 5, 6]  # clustered in both runs (noise included)
    a = np.array([1, 1, 1, 2, 2, 2, -1])
    b = np.array([1, 1, -1, 2, 2, 2, 2])
    assert agreement.n_both == len(both)
    assert agreement.ari == pytest.approx(adjusted_rand_score(a, b))
    assert agreement.n_in_a_biotype_in_both == 5 and agreement.ari_clustered == pytest.approx(1.0)
    flows = {(r["first"], r["second"]): r["n"] for r in agreement.flows.to_dict("records")}
    assert flows == {(1, 1): 2, (1, -1): 1, (2, 2): 3, (-1, 2): 1, (NOT_CLUSTERED, 1): 1, (NOT_CLUSTERED, NOT_CLUSTERED): 1}
    assert agreement.flows["n"].sum() == 9


def test_runs_of_different_cohorts_are_refused():
    other = assignments([1, 2]).assign(participant_id=["x", "y"])
    with pytest.raises(ValueError, match="different cohorts"):
        labelling_agreement(assignments([1, 2]), other)


def test_only_the_parameters_that_differ_are_listed_as_shown():
    groups = (("upper left", ("sub-01", "sub-02", "sub-03")),)
    first = RunConfig(seed=0)
    second = RunConfig(seed=1, min_cluster_size=20, block_weights=(("prs", 2.0),), custom_groups=groups)
    table = parameter_differences(first, second).set_index("parameter")
    assert list(table.index) == [f.name for f in fields(RunConfig) if f.name in table.index]  # in the configuration's order
    assert set(table.index) == {"seed", "min_cluster_size", "block_weights", "custom_groups"}
    assert table.loc["seed"].tolist() == ["0", "1"]
    assert table.loc["min_cluster_size"].tolist() == ["automatic", "20"]
    assert table.loc["block_weights"].tolist() == ["none", "prs=2.0"]
    assert table.loc["custom_groups"].tolist() == ["none", "upper left (3 participants)"]
    assert parameter_differences(first, first).empty


def a_run(biotypes, structure=None, split_half=None, note="", **config):
    from types import SimpleNamespace

    return SimpleNamespace(
        config=RunConfig(**config), assignments=assignments(biotypes), structure=structure, split_half=split_half, replication_note=note
    )


def test_the_overview_counts_each_runs_biotypes_noise_verdict_and_replication():
    from types import SimpleNamespace

    replicated = SimpleNamespace(biotypes=[SimpleNamespace(biotype=1, replicates=True), SimpleNamespace(biotype=2, replicates=False)])
    runs = [
        (
            "Run 1",
            a_run(
                [1, 1, 2, 2, -1, None], structure=SimpleNamespace(headline="distinct (p = 0.05, 19 null cohorts)"), split_half=replicated
            ),
        ),
        ("kept", a_run([1, 1, 1, -1, -1, -1], note="the cohort is too small", modalities=("clinical",), min_cluster_size=3)),
    ]
    table = supplement_table(runs, "kept")
    first, second = table.to_dict("records")
    assert (first["clustered"], first["biotypes"], first["noise_share"]) == (5, 2, pytest.approx(0.2))
    assert first["verdict"] == "distinct (p = 0.05, 19 null cohorts)" and first["replication"] == "1 of 2 (B1)"
    assert (second["biotypes"], second["noise_share"], second["modalities"], second["min_cluster_size"]) == (1, 0.5, "clinical", 3)
    assert second["verdict"] == "not tested yet" and second["replication"] == "not measured: the cohort is too small"
    assert second["reference"] and not first["reference"] and second["ari_with_reference"] == pytest.approx(1.0)
    a = np.array([1, 1, 2, 2, -1])
    b = np.array([1, 1, 1, -1, -1])
    assert first["ari_with_reference"] == pytest.approx(adjusted_rand_score(b, a))
