"""BIDS participants.tsv with its participants.json sidecar: n/a missing, Levels as labelled categories, units kept."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.errors import CohortError
from analysis.io.inputs import InputFile

SIDECAR = {
    "participant_id": {"Description": "BIDS participant label"},
    "age": {"Description": "Age at the MRI session", "Units": "years"},
    "group": {"Description": "Recruitment group", "Levels": {"CLBP": "chronic low back pain", "HC": "healthy control"}},
    "pain_intensity": {"Description": "Average pain, past week", "Units": "NRS 0-10"},
}


def bids_table(n: int = 30, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "participant_id": [f"sub-{i:03d}" for i in range(1, n + 1)],
            "age": rng.integers(20, 70, n).astype(str),
            "group": rng.choice(["CLBP", "HC"], n),
            "pain_intensity": rng.integers(0, 11, n).astype(str),
            "pcs": rng.normal(20, 5, n).round(1).astype(str),
        }
    )
    frame.loc[2, "pain_intensity"] = "n/a"
    return frame.to_csv(index=False, sep="\t")


def test_a_sidecar_gives_descriptions_units_and_labelled_levels_and_n_a_is_missing():
    files = CohortFiles(
        participants=InputFile("participants.tsv", bids_table().encode()),
        dictionary=InputFile("participants.json", json.dumps(SIDECAR).encode()),
    )
    cohort = load_cohort(files)
    assert cohort.participants.index[0] == "001" and cohort.participants["participant_id"].iloc[0] == "sub-001"
    assert np.isnan(cohort.participants["pain_intensity"].iloc[2]) and cohort.modality["pain_intensity"] == "clinical"
    assert set(cohort.participants["group"]) == {"chronic low back pain", "healthy control"} and cohort.modality["group"] == "text"
    assert cohort.descriptions["age"] == "Age at the MRI session (years)" and cohort.descriptions["pain_intensity"].endswith("(NRS 0-10)")
    assert any(i.what == "read as a BIDS sidecar: 4 column(s) described, 1 with category levels" for i in cohort.issues)


def test_the_command_line_finds_the_sidecar_beside_participants_tsv_and_says_so(tmp_path, capsys):
    (tmp_path / "participants.tsv").write_text(bids_table())
    (tmp_path / "participants.json").write_text(json.dumps({**SIDECAR, "handedness": {"Description": "not in the table"}}))
    assert main(["validate", "--participants", str(tmp_path / "participants.tsv")]) == 0
    out = capsys.readouterr().out
    assert "dictionary: participants.json" in out and "read as a BIDS sidecar: 4 column(s) described" in out
    assert "1 data dictionary column(s) name no column of the cohort (handedness)" in out


def test_a_sidecar_that_is_not_json_or_not_column_objects_is_one_clear_error():
    table = InputFile("participants.tsv", bids_table().encode())
    with pytest.raises(CohortError, match=r"the sidecar 'participants.json' is not valid JSON .* in participants.json line 1"):
        load_cohort(CohortFiles(participants=table, dictionary=InputFile("participants.json", b'{"age": {"Units": "years"')))
    with pytest.raises(CohortError, match="is not an object of column descriptions"):
        load_cohort(CohortFiles(participants=table, dictionary=InputFile("participants.json", b'{"age": "years"}')))


def phenotype_table(ids: list[str], seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"participant_id": ids, "odi": rng.integers(0, 50, len(ids)).astype(str), "sleep_quality": rng.choice(["1", "2", "3"], len(ids))}
    )
    return frame.to_csv(index=False, sep="\t")


PHENOTYPE_SIDECAR = {
    "odi": {"Description": "Oswestry Disability Index", "Units": "%"},
    "sleep_quality": {"Levels": {"1": "good", "2": "fair", "3": "poor"}},
}


def test_a_phenotype_table_with_its_sidecar_is_joined_on_participant_id():
    ids = [f"sub-{i:03d}" for i in range(1, 26)] + ["sub-999"]  # 25 of the 30, and one stranger
    files = CohortFiles(
        participants=InputFile("participants.tsv", bids_table().encode()),
        phenotypes=(
            (InputFile("pain.tsv", phenotype_table(ids).encode()), InputFile("pain.json", json.dumps(PHENOTYPE_SIDECAR).encode())),
        ),
    )
    cohort = load_cohort(files)
    assert cohort.n_participants == 30 and cohort.sources["odi"] == "pain.tsv" and cohort.modality["odi"] == "clinical"
    assert int(cohort.participants["odi"].notna().sum()) == 25 and set(cohort.participants["sleep_quality"].dropna()) == {
        "good",
        "fair",
        "poor",
    }
    assert cohort.descriptions["odi"] == "Oswestry Disability Index (%)"
    messages = [i.message for i in cohort.issues]
    assert any("1 of 26 ids in the phenotype file match no participant ('sub-999')" in m for m in messages)
    assert any("phenotype table joined on participant id: 2 column(s); 5 participant(s) have no row in it" in m for m in messages)
    assert [r.role for r in cohort.provenance] == ["participants", "phenotype", "phenotype_sidecar"]


def test_a_phenotype_column_that_repeats_a_participants_column_is_refused(tmp_path, capsys):
    (tmp_path / "participants.tsv").write_text(bids_table())
    (tmp_path / "phenotype").mkdir()
    clash = pd.DataFrame({"participant_id": [f"sub-{i:03d}" for i in range(1, 31)], "pcs": ["1"] * 30})
    (tmp_path / "phenotype" / "pcs.tsv").write_text(clash.to_csv(index=False, sep="\t"))
    (tmp_path / "phenotype" / "pain.tsv").write_text(phenotype_table([f"sub-{i:03d}" for i in range(1, 31)]))
    (tmp_path / "phenotype" / "pain.json").write_text(json.dumps(PHENOTYPE_SIDECAR))
    base = ["validate", "--participants", str(tmp_path / "participants.tsv")]
    assert main([*base, "--phenotype", str(tmp_path / "phenotype" / "pain.tsv")]) == 0
    assert "phenotype_sidecar: pain.json" in capsys.readouterr().out
    assert main([*base, "--phenotype", str(tmp_path / "phenotype" / "pcs.tsv")]) == 2
    assert "error: column 'pcs' of the phenotype table is also a column of the tables before it" in capsys.readouterr().err


def test_a_run_is_written_as_a_bids_derivative_that_reads_back_as_bids(clinical_run, clinical_cohort):
    from analysis.reporting.run_files import bids_derivative_files

    files = bids_derivative_files(clinical_run, clinical_cohort)
    assert set(files) == {"biotypes.tsv", "biotypes.json", "dataset_description.json"}
    table = pd.read_csv(io.BytesIO(files["biotypes.tsv"]), sep="\t", dtype=str, keep_default_na=False)
    assert len(table) == clinical_cohort.n_participants and table["participant_id"].str.startswith("sub-").all()
    excluded = ~clinical_run.assignments["included"].to_numpy()
    assert (table.loc[excluded, "biotype"] == "n/a").all() and (table.loc[~excluded, "biotype"] != "n/a").all()
    sidecar = json.loads(files["biotypes.json"])
    assert set(sidecar) == set(table.columns)
    names = clinical_run.names
    shown = sorted({int(b) for b in table["biotype"] if b != "n/a"})
    assert sidecar["biotype"]["Levels"] == {str(b): "noise" if b < 0 else names[b] for b in shown} and len(shown) >= 2
    description = json.loads(files["dataset_description.json"])
    assert description["DatasetType"] == "derivative" and description["GeneratedBy"][0]["Name"] == "Pain Biotype Explorer"
    back = load_cohort(
        CohortFiles(
            participants=InputFile("biotypes.tsv", files["biotypes.tsv"]), dictionary=InputFile("biotypes.json", files["biotypes.json"])
        )
    )
    assert back.n_participants == clinical_cohort.n_participants
    assert set(back.participants["biotype"].dropna()) <= set(sidecar["biotype"]["Levels"].values())


def test_an_unknown_output_format_is_one_error_line(tmp_path, capsys):
    (tmp_path / "participants.tsv").write_text(bids_table())
    assert (
        main(["cluster", "--participants", str(tmp_path / "participants.tsv"), "--format", "bids,loom", "--out", str(tmp_path / "out")])
        == 2
    )
    assert (
        capsys.readouterr().err.strip()
        == "error: unknown output format 'loom' in --format: give one or more of bids, h5ad, comma-separated"
    )


def test_a_run_is_written_as_h5ad_in_anndatas_on_disk_format(clinical_run, clinical_cohort):
    import h5py

    from analysis.reporting.h5ad import h5ad_bytes
    from analysis.reporting.run_files import run_record

    data = h5ad_bytes(clinical_run, clinical_cohort, run_record(clinical_run, clinical_cohort))
    with h5py.File(io.BytesIO(data), "r") as root:
        assert root.attrs["encoding-type"] == "anndata" and set(root) >= {"obs", "var", "obsm", "uns"}
        obs = root["obs"]
        assert obs.attrs["encoding-type"] == "dataframe" and obs.attrs["_index"] == "_index"
        ids = [v.decode() for v in obs["_index"][:]]
        assert ids == clinical_cohort.participants["participant_id"].tolist()
        order = list(obs.attrs["column-order"])
        assert order[:2] == ["biotype", "biotype_name"] and "site" in order and "age" in order
        biotype = obs["biotype"]
        assert biotype.attrs["encoding-type"] == "categorical"
        categories = [v.decode() for v in biotype["categories"][:]]
        shown = [categories[c] if c >= 0 else None for c in biotype["codes"][:]]
        expected = [None if pd.isna(b) else str(int(b)) for b in clinical_run.assignments["biotype"]]
        assert shown == expected
        np.testing.assert_allclose(obs["membership_probability"][:], clinical_run.assignments["membership_probability"].to_numpy())
        included = clinical_run.assignments["included"].to_numpy(dtype=bool)
        np.testing.assert_allclose(root["obsm"]["X_umap"][:][included], clinical_run.clusters.display)
        assert np.isnan(root["obsm"]["X_clustering"][:][~included]).all()
        record = json.loads(root["uns"]["run_json"][()].decode())
        assert record["n_biotypes"] == clinical_run.clusters.n_biotypes
        assert root["uns"]["biotype_names"]["1"][()].decode() == clinical_run.names[1]
