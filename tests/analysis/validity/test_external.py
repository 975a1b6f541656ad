"""External and leave-one-site-out replication: the same biotypes read as replicated, a missing one is named."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.synthetic import generate_cohort
from analysis.config import RunConfig
from analysis.engine.model import biotype_model
from analysis.engine.run import run_biotypes
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import write_run, write_synthetic_cohort
from analysis.validity.external import REPLICATION_COLUMNS, leave_one_site_out, replicate_in_cohort

QUIET = dict(null_cohorts=0, replication_splits=0, site_replication=False)


def written(folder, n: int, seed: int, without: int | None = None):
    """A synthetic clinical cohort written to ``folder`` (planted biotype ``without`` left out) and loaded; and its truth."""
    write_synthetic_cohort(generate_cohort(n, seed=seed), folder)
    participants, truth = pd.read_csv(folder / "participants.csv"), pd.read_csv(folder / "truth.csv")
    if without is not None:
        keep = (truth["true_biotype"] != without).to_numpy()
        participants, truth = participants[keep], truth[keep]
        participants.to_csv(folder / "participants.csv", index=False)
    return load_cohort(CohortFiles(participants=InputFile.from_path(folder / "participants.csv"))), truth


@pytest.fixture(scope="module")
def reference(tmp_path_factory, warm_umap):
    folder = tmp_path_factory.mktemp("reference")
    cohort, truth = written(folder, 600, seed=0)
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **QUIET), for_saving=True, structure=False)
    write_run(result, cohort, folder / "run")
    planted = pd.Series(result.assignments["biotype"].to_numpy(), index=truth["true_biotype"].to_numpy())
    # each planted biotype's run biotype (the commonest among its members)
    matching = {t: int(planted.loc[t].mode().iloc[0]) for t in range(4)}
    assert sorted(matching.values()) == [1, 2, 3, 4], matching
    return result, cohort, folder, matching


def test_an_external_cohort_with_the_same_biotypes_replicates(reference, tmp_path):
    result, cohort, _, _ = reference
    new, _ = written(tmp_path, 600, seed=1)
    replication = replicate_in_cohort(biotype_model(result, cohort), new)
    assert [b.biotype for b in replication.biotypes] == [1, 2, 3, 4]
    for b in replication.biotypes:
        assert b.reading == "found" and b.replicates, b
        assert b.prediction_strength >= 0.8 and b.p_value <= 0.05
    assert replication.ari > 0.8 and replication.new_biotypes == () and replication.missing == ()
    assert replication.replicated
    assert replication.headline().startswith("4 of 4 reference biotypes replicate")


def test_a_cohort_lacking_a_biotype_is_reported_as_lacking_it(reference, tmp_path):
    result, cohort, _, matching = reference
    new, _ = written(tmp_path, 700, seed=2, without=2)  # no planted "Neuropathic-like" participant
    replication = replicate_in_cohort(biotype_model(result, cohort), new)
    absent = matching[2]
    assert replication.missing == (absent,)
    assert not replication.replicated
    assert f"not found: B{absent}" in replication.headline()
    assert all(b.reading == "found" for b in replication.biotypes if b.biotype != absent)


def test_replicate_writes_replication_json_and_a_row_per_participant(reference, tmp_path, capsys):
    _, _, folder, _ = reference
    new, _ = written(tmp_path / "new", 300, seed=3)
    out = tmp_path / "out"
    argv = ["replicate", "--model", str(folder / "run" / "model"), "--participants", str(tmp_path / "new" / "participants.csv")]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    record = json.loads((out / "replication.json").read_text())
    assert isinstance(record["ari"], float) and record["n_participants"] == 300
    assert [b["biotype"] for b in record["biotypes"]] == [1, 2, 3, 4]
    for b in record["biotypes"]:
        assert {"biotype", "found", "prediction_strength", "in_group_proportion", "p_value"} <= set(b)
        assert isinstance(b["found"], bool)
    assert "replication: " in printed and "reference biotypes replicate" in printed
    table = pd.read_csv(out / "replication.csv", dtype={"participant_id": str})
    assert tuple(table.columns) == REPLICATION_COLUMNS
    assert table["participant_id"].tolist() == new.participants["participant_id"].tolist()
    placed = table["reference_biotype"].dropna()
    assert set(placed) <= {-1, 1, 2, 3, 4} and len(placed) == 300
    assert ((table["confidence"] > 0) == (table["reference_biotype"] >= 1)).all()
    assert main(["replicate", "--model", str(tmp_path / "nowhere"), "--participants", str(tmp_path / "new" / "participants.csv"),
                 "--out", str(out)]) == 2  # fmt: skip


def test_each_site_left_out_is_fitted_on_the_others_and_said_per_biotype(reference):
    result, cohort, _, _ = reference
    sites = leave_one_site_out(result, cohort)
    assert [s.site for s in sites] == ["site-A", "site-B", "site-C", "site-D"]
    counts = cohort.participants["site"].value_counts()
    for s in sites:
        assert s.n_site == counts[s.site] and s.n_training == len(cohort.participants) - counts[s.site]
        assert set(s.found) == {1, 2, 3, 4}
        assert set(s.found.values()) <= {"found", "too few to tell", "not found", "not found in the training sites"}
    largest = sites[0]  # site-A, a third of the cohort: the two large biotypes are found there
    assert largest.found[1] == largest.found[2] == "found" and largest.ari > 0.5


def test_an_unseen_site_has_its_effects_estimated_only_when_asked():
    from dataclasses import replace

    from analysis.errors import CohortError
    from analysis.features.harmonisation import apply_combat, combat

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(90, 3)), index=[f"p{i}" for i in range(90)], columns=["a", "b", "c"])
    site = pd.Series(np.repeat(["s1", "s2", "s3"], 30), index=features.index)
    features.loc[site == "s2"] += 2.0
    _, model = combat(features, site, pd.DataFrame(index=features.index))
    new = pd.DataFrame(rng.normal(size=(40, 3)) * 3.0 + 5.0, index=[f"n{i}" for i in range(40)], columns=["a", "b", "c"])
    new_site = pd.Series("s9", index=new.index)
    with pytest.raises(CohortError, match="s9 were not in the reference run"):
        apply_combat(model, new, new_site, pd.DataFrame(index=new.index))
    harmonised = apply_combat(replace(model, unseen_sites="estimate"), new, new_site, pd.DataFrame(index=new.index))
    np.testing.assert_allclose(harmonised.mean(), model.stand_mean, atol=1e-9)  # the site's offset is gone
    np.testing.assert_allclose(harmonised.var(ddof=1), model.var_pooled, rtol=1e-9)  # and its scale
    with pytest.raises(CohortError, match="too few to estimate its site effect"):
        apply_combat(replace(model, unseen_sites="estimate"), new.iloc[:3], new_site.iloc[:3], pd.DataFrame(index=new.index[:3]))


def test_harmonisation_of_a_left_out_site_is_fitted_without_it(tmp_path, monkeypatch, warm_umap):
    import analysis.validity.external as external

    write_synthetic_cohort(generate_cohort(400, seed=4), tmp_path)
    cohort = load_cohort(
        CohortFiles(
            participants=InputFile.from_path(tmp_path / "participants.csv"), connectivity=InputFile.from_path(tmp_path / "connectivity.npz")
        )
    )
    result = run_biotypes(cohort, RunConfig(modalities=("connectivity",), seed=0, **QUIET), structure=False)
    assert result.config.harmonise_sites is True
    seen = []
    real = external.replicate_in_cohort

    def recording(model, held_out, *args, **kwargs):
        seen.append((model.blocks["connectivity"].features.combat.batches, set(held_out.participants["site"])))
        return real(model, held_out, *args, **kwargs)

    monkeypatch.setattr(external, "replicate_in_cohort", recording)
    sites = external.leave_one_site_out(result, cohort)
    assessed = [s.site for s in sites if not s.note]
    assert len(seen) == len(assessed) >= 2
    for (batches, held_out), site in zip(seen, assessed, strict=True):
        assert held_out == {site} and site not in batches  # ComBat never saw the site it is tested on
