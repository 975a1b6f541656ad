"""The synthetic cohort: reproducible, planted effects present, readable by the loaders, sample_data/ current."""

import io

import numpy as np
import pandas as pd
import pytest

from analysis.cohort.atlas import bundled_atlas
from analysis.cohort.cohort import SAMPLE_DATA, load_cohort, sample_cohort_files
from analysis.cohort.synthetic import BIOTYPES, UNASSIGNED_SHARE, generate_cohort
from analysis.reporting.run_files import SYNTHETIC_FILES, write_synthetic_cohort


@pytest.fixture(scope="module")
def synthetic():
    return generate_cohort(800, seed=3)


def by_biotype(synthetic, values: pd.Series) -> pd.Series:
    truth = synthetic.truth.set_index("participant_id")["true_biotype"]
    return values.groupby(truth.reindex(values.index)).mean()


def test_same_seed_same_cohort_other_seed_other_cohort(synthetic):
    again = generate_cohort(800, seed=3)
    pd.testing.assert_frame_equal(synthetic.participants, again.participants)
    np.testing.assert_array_equal(synthetic.connectivity_edges, again.connectivity_edges)
    assert not generate_cohort(800, seed=4).participants.equals(synthetic.participants)


def test_biotype_shares_and_unassigned(synthetic):
    shares = synthetic.truth["true_biotype"].value_counts(normalize=True)
    for k, (_, share) in enumerate(BIOTYPES):
        assert abs(shares[k] - share) < 0.01
    assert abs(shares[-1] - UNASSIGNED_SHARE) < 0.01
    assert synthetic.participants["participant_id"].is_unique


def test_planted_clinical_differences(synthetic):
    p = synthetic.participants.set_index("participant_id")
    distress = by_biotype(synthetic, p["pain_distress"])
    assert distress[0] - distress[1] > 3.5
    detect = by_biotype(synthetic, p["paindetect"])
    assert detect[2] - detect[[0, 1, 3]].max() > 7
    assert p["phq9"].dropna().between(0, 27).all()
    assert p["paindetect"].dropna().between(-1, 38).all()
    assert 0.01 < p["pcs_total"].isna().mean() < 0.15


def test_prs_effects_are_small_and_raw_scores_shift_with_ancestry(synthetic):
    prs = synthetic.prs.set_index("IID")
    ids = synthetic.participants["participant_id"].str.removeprefix("sub-")
    ancestry = pd.Series(synthetic.participants["ancestry"].to_numpy(), index=ids)
    truth = pd.Series(synthetic.truth["true_biotype"].to_numpy(), index=ids)
    mcp = prs["MCP_AVG"].reindex(ids).dropna()
    eur = mcp[ancestry[mcp.index] == "EUR"]
    z = (eur - eur.mean()) / eur.std()
    shift = z[truth[z.index] == 0].mean() - z[truth[z.index] == 1].mean()
    assert 0.2 < shift < 0.8
    assert mcp[ancestry[mcp.index] == "AFR"].mean() < eur.mean() - 0.0002
    assert {"W001", "W002", "W003"} <= set(prs.index)


def test_connectivity_salience_default_coupling_and_site_offset(synthetic):
    atlas = bundled_atlas("dosenbach_2010")
    lower = np.tril_indices(atlas.n_rois, k=-1)
    labels = np.array(atlas.labels)
    networks = np.array(atlas.networks)
    insula = np.char.find(labels.astype(str), "insula") >= 0
    default = networks == "default"
    edge = (insula[lower[0]] & default[lower[1]]) | (default[lower[0]] & insula[lower[1]])
    truth = synthetic.truth.set_index("participant_id")
    biotype = truth.loc[synthetic.connectivity_ids, "true_biotype"].to_numpy()
    site = truth.loc[synthetic.connectivity_ids, "site"].to_numpy()
    coupling = synthetic.connectivity_edges[:, edge].mean(axis=1)
    assert coupling[biotype == 0].mean() - coupling[biotype == 1].mean() > 0.1
    overall = synthetic.connectivity_edges.mean(axis=1)
    assert overall[site == "site-B"].mean() - overall[site == "site-A"].mean() > 0.03
    assert "site-D" not in set(site)


def test_wearables_hrv_lower_and_dropout_higher_in_high_impact(synthetic):
    w = synthetic.wearables
    truth = synthetic.truth.set_index("participant_id")["true_biotype"]
    per = w.groupby("participant_id").agg(hrv=("hrv_rmssd_ms", "mean"), days=("date", "size"))
    per["biotype"] = truth.reindex(per.index).to_numpy()
    means = per.groupby("biotype").mean()
    assert means.loc[0, "hrv"] < means.loc[1, "hrv"] - 10
    assert means.loc[0, "days"] < means.loc[1, "days"] - 2
    assert w["hrv_rmssd_ms"].isna().any()


def test_written_files_load_as_a_full_cohort(tmp_path, synthetic):
    paths = write_synthetic_cohort(synthetic, tmp_path)
    assert [p.name for p in paths] == list(SYNTHETIC_FILES)
    from analysis.cli import main

    assert (
        main(
            [
                "validate",
                "--participants",
                str(paths[0]),
                "--prs",
                str(paths[1]),
                "--connectivity",
                str(paths[2]),
                "--wearables",
                str(paths[3]),
                "--dictionary",
                str(paths[4]),
            ]
        )
        == 0
    )


def test_sample_data_is_the_generator_output_and_small():
    fresh = generate_cohort(1000, seed=0)
    shipped = pd.read_csv(SAMPLE_DATA / "participants.csv", dtype={"participant_id": str})
    assert shipped.equals(pd.read_csv(io.StringIO(fresh.participants.to_csv(index=False)), dtype={"participant_id": str}))
    with np.load(SAMPLE_DATA / "connectivity.npz") as npz:
        np.testing.assert_array_equal(npz["matrices"], fresh.connectivity_edges)
        assert str(npz["atlas"]) == "dosenbach_2010"
    total = sum(p.stat().st_size for p in SAMPLE_DATA.iterdir())
    assert total < 25 * 2**20


def test_sample_cohort_loads_without_truth():
    files = sample_cohort_files()
    assert "truth.csv" not in {r.name for r in files.records()}
    cohort = load_cohort(files)
    assert cohort.n_participants == 1000
    availability = cohort.availability()
    assert availability.all(axis=0)[["clinical"]].all()
    assert 300 < availability["connectivity"].sum() < 600
    assert cohort.connectivity.atlas.name == "dosenbach_2010"
    assert "true_biotype" not in cohort.participants.columns


def test_a_complete_cohort_has_every_modality_for_everyone_and_the_same_biotypes():
    complete = generate_cohort(400, seed=5, id_prefix="sub-new", complete=True)
    ids = set(complete.participants["participant_id"])
    assert set(complete.connectivity_ids) == ids
    assert set(complete.wearables["participant_id"]) == ids
    assert ids <= {"sub-" + i for i in complete.prs["IID"]}
    assert len(complete.prs) == 400 + 3  # everyone genotyped, plus the three ids of no participant
    assert set(complete.participants["site"]) == {"site-A", "site-B", "site-C"}  # site-D has no scanner
    shares = complete.truth["true_biotype"].value_counts(normalize=True)
    assert shares[-1] == pytest.approx(UNASSIGNED_SHARE, abs=0.01)
    assert [shares[b] for b in range(len(BIOTYPES))] == pytest.approx([s for _, s in BIOTYPES], abs=0.01)
