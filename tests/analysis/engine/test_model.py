"""Saving a run as a model and placing new participants into its biotypes."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.synthetic import generate_cohort
from analysis.config import RunConfig
from analysis.engine.model import assign_participants, biotype_model, load_model, save_model
from analysis.engine.run import ASSIGNMENT_COLUMNS, run_biotypes
from analysis.errors import CohortError
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import write_synthetic_cohort
from tests.conftest import WITHOUT_CHECKS


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    out = {}
    for name, seed in (("reference", 21), ("new", 22)):
        out[name] = tmp_path_factory.mktemp(name)
        write_synthetic_cohort(generate_cohort(400, seed=seed), out[name])
    return out


def cohort_in(folder, wearables=True):
    files = CohortFiles(
        participants=InputFile.from_path(folder / "participants.csv"),
        wearables=InputFile.from_path(folder / "wearables.csv") if wearables else None,
    )
    return load_cohort(files)


@pytest.fixture(scope="module")
def reference(warm_umap, folders, tmp_path_factory):
    cohort = cohort_in(folders["reference"])
    result = run_biotypes(cohort, RunConfig(modalities=("clinical", "wearables"), seed=4, **WITHOUT_CHECKS))
    folder = tmp_path_factory.mktemp("model")
    save_model(biotype_model(result, cohort), folder)
    return cohort, result, folder


def test_reference_participants_land_in_their_own_biotypes(reference):
    cohort, result, folder = reference
    assignments, _ = assign_participants(load_model(folder), cohort)
    assert tuple(assignments.columns) == tuple(result.assignments.columns) == tuple(ASSIGNMENT_COLUMNS)
    same = assignments["included"] & result.assignments["included"]
    agreement = (assignments.loc[same, "biotype"] == result.assignments.loc[same, "biotype"]).mean()
    assert agreement >= 0.95
    assert (assignments["exclusion_reason"] == result.assignments["exclusion_reason"]).all()


def test_a_model_saved_with_prediction_data_that_names_other_clusters_is_repaired_on_load(reference, tmp_path):
    # hdbscan's own prediction data (models saved before November 2026) could stand a biotype for
    # another cluster of the tree; here two biotypes' clusters are swapped before saving
    cohort, result, folder = reference
    model = load_model(folder)
    data = model.hdbscan._prediction_data
    swap = {0: 1, 1: 0}
    data.cluster_map = {cluster: swap.get(label, label) for cluster, label in data.cluster_map.items()}
    data.reverse_cluster_map = {swap.get(label, label): cluster for label, cluster in data.reverse_cluster_map.items()}
    save_model(model, tmp_path)
    assignments, _ = assign_participants(load_model(tmp_path), cohort)
    same = assignments["included"] & result.assignments["included"]
    assert (assignments.loc[same, "biotype"] == result.assignments.loc[same, "biotype"]).mean() >= 0.95


def test_a_model_saved_before_the_domain_packages_still_loads(reference, tmp_path, monkeypatch):
    # Saved as the flat package did: every class of a moved module named under its old module.
    import importlib
    import sys

    from analysis.engine.model import MOVED_MODULES

    cohort, result, folder = reference
    model = load_model(folder)
    moved = {old: importlib.import_module(new) for old, (new, *_) in MOVED_MODULES.items()}
    with monkeypatch.context() as old_names:
        for old, module in moved.items():
            new = module.__name__
            old_names.setitem(sys.modules, old, module)
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == new:
                    old_names.setattr(value, "__module__", old)
        path = save_model(model, tmp_path)
    written = path.read_bytes()
    assert b"analysis.fusion" in written and b"analysis.model" in written
    assert b"analysis.features.fusion" not in written and b"analysis.engine.model" not in written
    assignments, _ = assign_participants(load_model(tmp_path), cohort)
    expected, _ = assign_participants(model, cohort)
    pd.testing.assert_frame_equal(assignments, expected)


def test_a_model_saved_with_untyped_feature_state_still_loads(reference, tmp_path):
    # Its blocks hold the fitted features as a dict per modality, as earlier versions wrote them.
    from dataclasses import replace

    from analysis.features.blocks import BlockModel

    cohort, _, folder = reference
    model = load_model(folder)
    old_blocks = {}
    for modality, block in model.blocks.items():
        if modality == "clinical":
            params = {"yes_no": list(block.features.yes_no), "one_hot": {c: list(levels) for c, levels in block.features.one_hot}}
        else:
            params = {}
        old = object.__new__(BlockModel)
        old.__dict__.update(modality=modality, columns=block.columns, imputer=block.imputer, scaler=block.scaler, params=params)
        old_blocks[modality] = old
    assert sorted(old_blocks) == ["clinical", "wearables"]
    path = save_model(replace(model, blocks=old_blocks), tmp_path)
    assert b"params" in path.read_bytes()
    loaded = load_model(tmp_path)
    assert {m: b.features for m, b in loaded.blocks.items()} == {m: b.features for m, b in model.blocks.items()}
    assignments, _ = assign_participants(loaded, cohort)
    expected, _ = assign_participants(model, cohort)
    pd.testing.assert_frame_equal(assignments, expected)


def test_new_participants_get_the_planted_biotypes(reference, folders):
    _, result, folder = reference
    new = cohort_in(folders["new"])
    assignments, _ = assign_participants(load_model(folder), new)
    assert len(assignments) == new.n_participants
    truth = pd.read_csv(folders["new"] / "truth.csv")["true_biotype"].to_numpy()
    placed = assignments["included"].to_numpy() & (truth >= 0) & (assignments["biotype"].fillna(-1).to_numpy() >= 1)
    assert placed.mean() > 0.5
    assert adjusted_rand_score(truth[placed], assignments["biotype"].to_numpy()[placed]) >= 0.8
    assert assignments.loc[assignments["included"], "membership_probability"].between(0, 1).all()


def test_missing_modality_and_bad_model_files_are_user_errors(reference, folders, tmp_path):
    _, _, folder = reference
    with pytest.raises(CohortError, match="the new cohort has no wearables data, which the reference run clustered on"):
        assign_participants(load_model(folder), cohort_in(folders["new"], wearables=False))
    with pytest.raises(CohortError, match="no model.joblib at"):
        load_model(tmp_path)
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(CohortError, match="cannot be read as a model"):
        load_model(tmp_path)


def test_cluster_then_assign_on_the_command_line(warm_umap, folders, tmp_path, capsys):
    ref, new = folders["reference"], folders["new"]
    config = tmp_path / "config.json"
    config.write_text(json.dumps(WITHOUT_CHECKS))
    cluster = ["cluster", "--participants", str(ref / "participants.csv"), "--modalities", "clinical", "--config", str(config)]
    assert main([*cluster, "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "model" / "model.joblib").is_file()
    code = main(
        [
            "assign",
            "--model",
            str(tmp_path / "run" / "model"),
            "--participants",
            str(new / "participants.csv"),
            "--out",
            str(tmp_path / "new"),
        ]
    )
    assert code == 0
    out = pd.read_csv(tmp_path / "new" / "assignments.csv", dtype={"participant_id": str})
    assert len(out) == 400 and out["included"].all()
    assert np.isfinite(out["umap_1"]).all()
    assert "wrote" in capsys.readouterr().out


def test_a_harmonised_run_places_new_participants_with_the_reference_estimates(warm_umap, folders):
    def imaging(folder):
        return load_cohort(
            CohortFiles(
                participants=InputFile.from_path(folder / "participants.csv"),
                connectivity=InputFile.from_path(folder / "connectivity.npz"),
            )
        )

    reference, new = imaging(folders["reference"]), imaging(folders["new"])
    result = run_biotypes(
        reference, RunConfig(modalities=("clinical", "connectivity"), harmonise_sites=True, seed=3, null_cohorts=0, replication_splits=0)
    )
    model = biotype_model(result, reference)
    again, issues = assign_participants(model, reference)
    same = again["included"] & result.assignments["included"]
    assert (again.loc[same, "biotype"] == result.assignments.loc[same, "biotype"]).mean() >= 0.95
    assert any("with the reference run's ComBat estimates" in i.message for i in issues)
    assignments, _ = assign_participants(model, new)
    truth = pd.read_csv(folders["new"] / "truth.csv")["true_biotype"].to_numpy()
    included = assignments["included"].to_numpy()  # only participants with imaging (about 40%)
    placed = included & (truth >= 0) & (assignments["biotype"].fillna(-1).to_numpy() >= 1)
    assert placed.sum() > 0.8 * (included & (truth >= 0)).sum()
    assert adjusted_rand_score(truth[placed], assignments["biotype"].to_numpy()[placed]) >= 0.8
