"""The run configuration: checks with one message shape, and the run.json round trip."""

import json

import pytest

from analysis.config import RunConfig
from analysis.errors import CohortError


def test_defaults_are_valid_and_round_trip():
    config = RunConfig(block_weights=(("clinical", 2.0),), exclude_columns=("bmi",), seed=7)
    again = RunConfig.from_json(config.to_json())
    assert again == config
    assert again.weight_of("clinical") == 2.0
    assert again.weight_of("prs") == 1.0


def test_run_json_with_config_key_is_read():
    text = '{"tool": "x", "config": {"min_cluster_size": 25, "modalities": ["clinical"]}}'
    config = RunConfig.from_json(text)
    assert config.min_cluster_size == 25
    assert config.modalities == ("clinical",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"impute": "mean"}, "the 'impute' parameter must be one of median, knn, iterative; got 'mean' instead"),
        ({"modalities": ("clinical", "mri")}, "the 'modalities' parameter must be any of clinical, prs, connectivity, wearables"),
        ({"modalities": ()}, "the 'modalities' parameter must be a non-empty list"),
        ({"min_cluster_size": 1}, "the 'min_cluster_size' parameter must be an int >= 2; got 1 instead"),
        ({"n_neighbors": 1.5}, "the 'n_neighbors' parameter must be an int >= 2; got 1.5 instead"),
        ({"n_components": 1}, "the 'n_components' parameter must be an int >= 2"),
        ({"max_missing_fraction": 1.0}, r"the 'max_missing_fraction' parameter must be a float in \[0, 1\)"),
        ({"min_dist": -0.1}, r"the 'min_dist' parameter must be a float in \[0, 1\]"),
        ({"cluster_selection_method": "tree"}, "the 'cluster_selection_method' parameter must be one of eom, leaf"),
        ({"block_weights": (("prs", 0.0),)}, "the 'block weight of prs' parameter must be a float > 0"),
        ({"seed": -1}, "the 'seed' parameter must be an int >= 0"),
        ({"missing_modality": "drop"}, "the 'missing_modality' parameter must be one of exclude, impute"),
        ({"neighbour_agreement": 1.5}, r"the 'neighbour_agreement' parameter must be a float in \[0, 1\]"),
    ],
)
def test_each_bad_parameter_is_named(change, message):
    with pytest.raises(CohortError, match=message):
        RunConfig(**change)


def test_unknown_keys_and_bad_json_are_refused():
    with pytest.raises(CohortError, match="unknown parameter\\(s\\) min_cluster in run.json"):
        RunConfig.from_json('{"min_cluster": 5}')
    with pytest.raises(CohortError, match="not valid JSON"):
        RunConfig.from_json("{oops")
    with pytest.raises(CohortError, match="not a JSON object"):
        RunConfig.from_json("[1, 2]")


def test_biotype_names_round_trip_and_refusals():
    config = RunConfig(biotype_names=((2, "low sleep"), (1, "high distress")))
    again = RunConfig.from_json(config.to_json())
    assert again.biotype_names == ((1, "high distress"), (2, "low sleep"))
    assert json.loads(config.to_json())["biotype_names"] == {"2": "low sleep", "1": "high distress"}
    with pytest.raises(CohortError, match="name of biotype 1"):
        RunConfig(biotype_names=((1, "two\nlines"),))
    with pytest.raises(CohortError, match="biotype number in biotype_names"):
        RunConfig(biotype_names=((0, "zero"),))
    with pytest.raises(CohortError, match="an object of biotype number to name"):
        RunConfig.from_dict({"biotype_names": {"first": "x"}})
