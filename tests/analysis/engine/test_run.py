"""A whole run: the assignments contract, never dropping anyone silently, and the run.json round trip."""

import json
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.synthetic import generate_cohort
from analysis.config import RunConfig
from analysis.engine.run import ASSIGNMENT_COLUMNS, run_biotypes
from analysis.io.inputs import InputFile
from analysis.reporting.run_files import write_synthetic_cohort
from tests.conftest import WITHOUT_CHECKS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cohort")
    write_synthetic_cohort(generate_cohort(400, seed=11), folder)
    return folder


def inputs(folder: Path) -> list[str]:
    return [
        "--participants",
        str(folder / "participants.csv"),
        "--prs",
        str(folder / "prs.sscore"),
        "--wearables",
        str(folder / "wearables.csv"),
    ]


def test_assignments_cover_every_participant_with_reasons(warm_umap, cohort_dir):
    cohort = load_cohort(
        CohortFiles(
            participants=InputFile.from_path(cohort_dir / "participants.csv"), wearables=InputFile.from_path(cohort_dir / "wearables.csv")
        )
    )
    result = run_biotypes(cohort, RunConfig(modalities=("clinical", "wearables"), seed=3, **WITHOUT_CHECKS))
    a = result.assignments
    assert tuple(a.columns) == ASSIGNMENT_COLUMNS
    assert len(a) == cohort.n_participants
    assert a["participant_id"].tolist() == cohort.participants["participant_id"].tolist()
    excluded = a[~a["included"]]
    assert len(excluded) == cohort.n_participants - len(result.fused.included) > 0
    assert (excluded["exclusion_reason"] == "no wearables").all()
    assert excluded["biotype"].isna().all()
    included = a[a["included"]]
    assert included["biotype"].notna().all()
    assert set(included["biotype"].unique()) <= {-1, *range(1, result.clusters.n_biotypes + 1)}
    assert (included.loc[included["biotype"] == -1, "biotype_name"] == "noise").all()
    assert result.config.min_cluster_size is not None
    assert result.config.modalities == ("clinical", "wearables")
    # Every feature is profiled, not only the clustered ones: categories (sex, site, ancestry) per level,
    # numeric covariates (age) with the clinical scores.
    categories = result.categorical_profile
    assert {"sex", "site", "ancestry"} <= set(categories["feature"])
    sex = categories[categories["feature"] == "sex"]
    shares = sex.groupby("biotype")["proportion"].sum()
    assert np.allclose(shares, 1.0)
    clustered = a[a["biotype"].fillna(-1) >= 1].merge(cohort.participants[["participant_id", "sex"]], on="participant_id")
    counts = pd.crosstab(clustered["biotype"], clustered["sex"])
    for row in sex.itertuples():
        assert row.count == counts.loc[row.biotype, row.level]
    assert "age" in set(result.profile["feature"])


def test_clinical_biotypes_match_the_planted_ones(warm_umap, cohort_dir):
    cohort = load_cohort(CohortFiles(participants=InputFile.from_path(cohort_dir / "participants.csv")))
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    truth = pd.read_csv(cohort_dir / "truth.csv", dtype={"participant_id": str})
    planted = truth["true_biotype"].to_numpy() >= 0
    found = result.assignments["biotype"].to_numpy(dtype=float)
    assert adjusted_rand_score(truth["true_biotype"][planted], found[planted]) >= 0.8


@pytest.mark.slow
def test_cluster_command_round_trip_is_byte_identical(warm_umap, cohort_dir, tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text('{"stability_resamples": 2}')
    args = ["--modalities", "clinical,prs", "--seed", "5", "--config", str(config), "--replication-splits", "2"]
    assert main(["cluster", *inputs(cohort_dir), *args, "--sweep", "--out", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    sweep = pd.read_csv(tmp_path / "one" / "sweep.csv")
    assert set(sweep["n_neighbors"]) == {5, 10, 15, 30, 50}
    assert {"n_biotypes", "noise_fraction", "dbcv", "stability"} <= set(sweep.columns)
    importance = pd.read_csv(tmp_path / "one" / "importance.csv")
    assert set(importance["feature"].str.split(":").str[0]) == {"clinical", "prs"}
    assert "wrote" in out and "biotype(s) among" in out
    record = json.loads((tmp_path / "one" / "run.json").read_text())
    assert record["config"]["seed"] == 5
    assert record["config"]["modalities"] == ["clinical", "prs"]
    assert record["config"]["min_cluster_size"] >= 5
    assert {i["role"] for i in record["inputs"]} == {"participants", "prs", "wearables"}
    assert abs(sum(record["variance_share"].values()) - 1) < 1e-9
    # what a later reproduction needs to match: packages (pynndescent decides the graph) and processor
    assert record["versions"]["pynndescent"] not in ("", "not installed")
    assert record["machine"]["architecture"] == platform.machine()
    assert isinstance(record["machine"]["processor"], str) and record["machine"]["processor"]
    assert main(["cluster", *inputs(cohort_dir), "--config", str(tmp_path / "one" / "run.json"), "--out", str(tmp_path / "two")]) == 0
    assert len(record["stability"]["ari"]) == 2
    for name in (
        "assignments.csv",
        "profile.csv",
        "profile_categorical.csv",
        "profile_pairwise.csv",
        "audit.csv",
        "importance.csv",
        "stability.csv",
        "table1.csv",
        "flow.svg",
    ):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    again = json.loads((tmp_path / "two" / "run.json").read_text())
    assert record["structure"]["n_null"] == 19 and record["structure"]["verdict"] in ("distinct", "graded", "not_distinct")
    assert json.dumps(again["structure"]) == json.dumps(record["structure"])  # the verdict, byte for byte
    assert f"structure: {record['structure']['verdict'].replace('_', ' ')}" in out
    split_half = record["replication"]["split_half"]
    assert record["config"]["replication_splits"] == 2 and split_half["n_splits"] == 2
    assert [b["biotype"] for b in split_half["biotypes"]] == list(range(1, record["n_biotypes"] + 1))
    assert "replication: " in out and "biotypes replicate across halves" in out
    for part in (split_half, again["replication"]["split_half"]):
        part.pop("seconds")
    assert json.dumps(again["replication"]) == json.dumps(record["replication"])
    outcomes = record["clinical_value"]["outcomes"]
    assert [(o["outcome"], o["metric"]) for o in outcomes] == [
        ("outcome_pain_12m", "r2"),
        ("outcome_opioid_use", "auc"),
        ("months_to_escalation", "c_index"),  # its role and its event column proposed by the names
    ]
    assert outcomes[2]["event"] == "escalation_event" and "arm" in outcomes[2]["baseline"]
    assert record["versions"]["scikit-survival"] not in ("", "not installed")
    assert "clinical value of outcome_pain_12m: " in out
    assert "survival by biotype: months_to_escalation" in out and "treatment interaction: arm (graded activity vs usual care)" in out
    assignments = pd.read_csv(tmp_path / "one" / "assignments.csv", dtype={"participant_id": str})
    assert len(assignments) == 400
    assert np.isfinite(assignments.loc[assignments["included"], "umap_1"]).all()


def test_cluster_user_errors_exit_2_without_traceback(cohort_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "cluster", *inputs(cohort_dir), "--modalities", "clinical,mri", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: the 'modalities' parameter must be any of clinical, prs, connectivity, wearables")
    assert "Traceback" not in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"config": {"min_cluster_size": 1}}')
    assert main(["cluster", *inputs(cohort_dir), "--config", str(bad), "--out", str(tmp_path)]) == 2
    assert main(["cluster", *inputs(cohort_dir), "--replication-splits", "-1", "--out", str(tmp_path)]) == 2
    assert main(["cluster", *inputs(cohort_dir), "--severity-score", "no_such_column", "--out", str(tmp_path)]) == 2
    assert main(["cluster", *inputs(cohort_dir), "--severity-score", "sex", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_site_harmonisation_removes_the_planted_scanner_confound(warm_umap, tmp_path_factory):
    folder = tmp_path_factory.mktemp("imaging")
    write_synthetic_cohort(generate_cohort(700, seed=2), folder)
    cohort = load_cohort(
        CohortFiles(
            participants=InputFile.from_path(folder / "participants.csv"), connectivity=InputFile.from_path(folder / "connectivity.npz")
        )
    )
    plain = run_biotypes(cohort, RunConfig(modalities=("connectivity",), harmonise_sites=False, seed=1, **WITHOUT_CHECKS))
    harmonised = run_biotypes(cohort, RunConfig(modalities=("connectivity",), seed=1, **WITHOUT_CHECKS))  # automatic: four sites, so on
    assert harmonised.config.harmonise_sites is True and plain.config.harmonise_sites is False
    site_v = {name: r.audit.set_index("covariate").loc["site", "value"] for name, r in (("plain", plain), ("harmonised", harmonised))}
    assert site_v["plain"] > 0.5
    assert site_v["harmonised"] < site_v["plain"] - 0.3
    assert any("harmonised across" in i.message for i in harmonised.issues)
    assert any("ComBat harmonisation was turned on (automatic" in i.message for i in harmonised.issues)


@pytest.mark.slow
def test_names_given_by_hand_travel_into_the_tables_and_reproduce(warm_umap, cohort_dir):
    from analysis.engine.run import renamed

    cohort = load_cohort(CohortFiles(participants=InputFile.from_path(cohort_dir / "participants.csv")))
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    named = renamed(result, {1: "high distress", 2: "B2 low sleep", 99: "absent"})
    assert named.names[1] == "B1 · high distress" and named.names[2] == "B2 low sleep"
    assert named.config.biotype_names == ((1, "high distress"), (2, "B2 low sleep"), (99, "absent"))
    first = named.assignments["biotype"].fillna(0) == 1
    assert (named.assignments.loc[first, "biotype_name"] == "B1 · high distress").all()
    assert (named.assignments["biotype_name"] != result.assignments["biotype_name"]).sum() == int(
        (result.assignments["biotype"].fillna(0).isin([1, 2])).sum()
    )
    # run.json carries the names: the same run from the configuration writes the same assignments.
    again = run_biotypes(cohort, RunConfig.from_json(named.config.to_json()))
    assert again.assignments.equals(named.assignments)
    assert any("'absent' for B99 ignored" in i.message for i in again.issues)
    # An empty name restores the automatic one.
    back = renamed(named, {1: ""})
    assert back.names[1] == result.names[1]


def test_every_exported_table_joins_assignments_on_biotype(warm_umap, cohort_dir, tmp_path):
    """One numbering and one set of names in every file of a run (profile.csv once started at 0)."""
    from analysis.describe.flow import participant_flow, run_flow
    from analysis.engine.model import load_model
    from analysis.engine.run import renamed, with_stability
    from analysis.reporting.run_files import write_run

    cohort = load_cohort(
        CohortFiles(participants=InputFile.from_path(cohort_dir / "participants.csv"), prs=InputFile.from_path(cohort_dir / "prs.sscore"))
    )
    result = with_stability(run_biotypes(cohort, RunConfig(modalities=("clinical", "prs"), seed=2, **WITHOUT_CHECKS)), 2)
    result = renamed(result, {2: "second"})
    assert result.clusters.n_biotypes >= 2
    write_run(result, cohort, tmp_path)
    assignments = pd.read_csv(tmp_path / "assignments.csv", dtype={"participant_id": str})
    clustered = assignments[assignments["biotype"].fillna(-1) >= 1]
    size = clustered["biotype"].astype(int).value_counts()
    name = clustered.groupby(clustered["biotype"].astype(int))["biotype_name"].first()
    assert name[2] == "B2 · second"
    numbers = set(size.index)

    def check_names(table, number_column, name_column):
        joined = table[[number_column, name_column]].drop_duplicates().set_index(number_column)[name_column]
        assert set(joined.index) <= numbers, number_column
        assert (joined == name.reindex(joined.index)).all(), (number_column, joined.to_dict())

    profile = pd.read_csv(tmp_path / "profile.csv")
    assert set(profile["biotype"]) == numbers
    check_names(profile, "biotype", "biotype_name")
    complete = profile[profile["feature"] == "pain_intensity"].set_index("biotype")["n"]
    assert cohort.participants["pain_intensity"].notna().all()
    assert (complete == size.reindex(complete.index)).all()

    categorical = pd.read_csv(tmp_path / "profile_categorical.csv")
    assert set(categorical["biotype"]) == numbers
    check_names(categorical, "biotype", "biotype_name")
    sex = categorical[categorical["feature"] == "sex"].groupby("biotype")["count"].sum()
    assert (sex == size.reindex(sex.index)).all()

    pairwise = pd.read_csv(tmp_path / "profile_pairwise.csv")
    assert set(pairwise["biotype_a"]) | set(pairwise["biotype_b"]) == numbers
    check_names(pairwise, "biotype_a", "biotype_a_name")
    check_names(pairwise, "biotype_b", "biotype_b_name")
    first = pairwise[(pairwise["feature"] == "pain_intensity")].iloc[0]
    members = clustered.merge(cohort.participants[["participant_id", "pain_intensity"]], on="participant_id")
    assert first["mean_a"] == pytest.approx(members.loc[members["biotype"] == first["biotype_a"], "pain_intensity"].mean())

    importance = pd.read_csv(tmp_path / "importance.csv")
    assert set(importance["biotype"]) <= numbers and len(importance)
    check_names(importance, "biotype", "biotype_name")

    stability = pd.read_csv(tmp_path / "stability.csv")
    assert set(stability["biotype"]) == numbers
    check_names(stability, "biotype", "biotype_name")
    record = json.loads((tmp_path / "run.json").read_text())
    assert {row["biotype"]: row["biotype_name"] for row in record["stability"]["per_biotype"]} == name.to_dict()

    model = load_model(tmp_path / "model")
    assert model.names == name.to_dict()

    flow = run_flow(result, cohort)
    assert flow == participant_flow(cohort, result.config, result.assignments, result.names)  # the blocks built again agree
    assert dict(flow.lacking)["prs"] == int(cohort.participants[cohort.columns_of("prs")].isna().all(axis=1).sum()) > 0
    table = pd.read_csv(tmp_path / "table1.csv", keep_default_na=False)
    sex = table[table["variable"] == "sex"]
    for number, biotype_name in name.items():
        assert (sex[f"{biotype_name}: n"] == size[number]).all()  # every clustered participant has a sex
        counts = sex[f"{biotype_name}: summary"].str.split(" ").str[0].astype(int)
        assert counts.sum() == size[number]
    assert table.loc[table["variable"] == "pain_intensity", "test"].eq("none: clustered on (descriptive)").all()
    flow = ET.fromstring((tmp_path / "flow.svg").read_text())
    texts = [t.text for t in flow.iter("{http://www.w3.org/2000/svg}text")]
    assert f"n = {len(assignments):,}" in texts
    assert f"Not clustered: n = {int((~assignments['included']).sum()):,}" in texts
    assert f"n = {int(assignments['included'].sum()):,}" in texts
    assert all(f"n = {n:,}" in texts for n in size)


def test_a_run_tests_its_validators_and_only_describes_what_it_clustered_on(tmp_path, warm_umap):
    folder = tmp_path / "cohort"
    write_synthetic_cohort(generate_cohort(300, seed=5), folder)
    table = pd.read_csv(folder / "participants.csv")
    table["crp_mg_l"] = np.random.default_rng(0).gamma(2.0, size=len(table)).round(2)
    dictionary = "column,modality\ncrp_mg_l,validator\n"
    files = CohortFiles(
        participants=InputFile("participants.csv", table.to_csv(index=False).encode()),
        dictionary=InputFile("data_dictionary.csv", dictionary.encode()),
    )
    cohort = load_cohort(files)
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=0, **WITHOUT_CHECKS))
    clustered = set(result.features.clustered)
    assert "crp_mg_l" not in clustered and "crp_mg_l" not in result.fused.matrix.columns  # never clustered
    assert {f"clinical:{c}" for c in clustered} == set(result.fused.blocks["clinical"])  # the fused names carry their block
    profile = result.profile
    described = profile[profile["feature"].isin(clustered)]
    assert len(described) and (described["evidence"] == "descriptive").all() and described["kruskal_q"].isna().all()
    crp = profile[profile["feature"] == "crp_mg_l"]
    assert (crp["modality"] == "validator").all() and (crp["evidence"] == "tested").all() and crp["kruskal_q"].notna().all()
    pairs = result.pairwise
    assert pairs.loc[pairs["feature"].isin(clustered), "p_value"].isna().all()
    assert pairs.loc[pairs["feature"] == "crp_mg_l", "q_value"].notna().all()


def test_a_run_that_finds_no_biotypes_is_reported_not_a_crash(warm_umap, cohort_dir, tmp_path):
    from analysis.reporting.run_files import write_run

    cohort = load_cohort(CohortFiles(participants=InputFile.from_path(cohort_dir / "participants.csv")))
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), min_cluster_size=390, **WITHOUT_CHECKS))
    assert result.clusters.n_biotypes == 0 and result.names == {}
    assert (result.assignments.loc[result.assignments["included"], "biotype"] == -1).all()
    assert result.profile.empty and "biotype" in result.profile.columns
    write_run(result, cohort, tmp_path)
    table = pd.read_csv(tmp_path / "table1.csv")
    assert (table["Noise (no biotype): n"] <= cohort.n_participants).all()
    assert table["p_value"].isna().all()  # nothing to compare
