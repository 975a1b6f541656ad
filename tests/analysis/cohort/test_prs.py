"""PRS score files from PLINK 2, PRSice-2 and pgsc_calc, and their join onto participants."""

import gzip

import numpy as np
import pytest

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.prs import load_prs
from analysis.errors import CohortError
from analysis.io.inputs import InputFile
from tests.conftest import frame_file, participants_frame, text_file

IDS = [f"{i:02d}" for i in range(1, 13)]


def sscore(header: str, ids=IDS) -> str:
    lines = [header]
    for k, i in enumerate(ids):
        lines.append("\t".join([i, i, "2000", "1000.5", f"{0.001 * k:.4f}", f"{0.002 * k:.4f}"]))
    return "\n".join(lines) + "\n"


def test_plink2_sscore_named_scores():
    table = load_prs(text_file("prs.sscore", sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG")))
    assert table.source_format == "PLINK 2 .sscore"
    assert list(table.scores.columns) == ["prs_mcp", "prs_mdd"]
    assert table.scores.loc["03", "prs_mcp"] == pytest.approx(0.002)


def test_plink2_single_score_takes_file_stem_and_prefers_avg():
    text = "#IID\tALLELE_CT\tSCORE1_AVG\tSCORE1_SUM\n" + "".join(f"{i}\t10\t{k}.5\t{k}\n" for k, i in enumerate(IDS))
    table = load_prs(text_file("msp.sscore", text))
    assert list(table.scores.columns) == ["prs_msp"]
    assert table.scores["prs_msp"].iloc[1] == 1.5


def test_prsice_all_score_and_best():
    text = "FID IID Pt_0.001 Pt_1\n" + "".join(f"{i} {i} {k} {2 * k}\n" for k, i in enumerate(IDS))
    table = load_prs(text_file("back.all_score", text))
    assert table.source_format == "PRSice-2 .all_score"
    assert list(table.scores.columns) == ["prs_back_pt_0_001", "prs_back_pt_1"]
    best = load_prs(text_file("back.best", "FID IID In_Regression PRS\n" + "".join(f"{i} {i} Yes {k}\n" for k, i in enumerate(IDS))))
    assert best.source_format == "PRSice-2 .best"
    assert best.scores["prs_back"].sum() == sum(range(12))


def test_pgsc_calc_long_format_gzipped():
    rows = ["sampleset\tIID\tPGS\tSUM\tDENOM\tAVG"]
    for k, i in enumerate(IDS):
        rows.append(f"cohort\t{i}\tPGS000001\t{k}\t10\t{k / 10}")
        rows.append(f"cohort\t{i}\tPGS000002\t{-k}\t10\t{-k / 10}")
    table = load_prs(InputFile("aggregated_scores.txt.gz", gzip.compress(("\n".join(rows) + "\n").encode())))
    assert table.source_format == "pgsc_calc"
    assert list(table.scores.columns) == ["prs_pgs000001", "prs_pgs000002"]
    assert table.scores.loc["05", "prs_pgs000002"] == -4


def test_no_score_columns_is_refused():
    with pytest.raises(CohortError, match="no score columns found in the PRS file"):
        load_prs(text_file("x.txt", "IID,height\n01,170\n"))


def test_duplicate_iid_is_refused():
    with pytest.raises(CohortError, match="duplicate participant_id '01'"):
        load_prs(text_file("prs.sscore", sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG", IDS + ["01"])))


def cohort_with_prs(prs_text: str, frame=None):
    frame = participants_frame().drop(columns=["prs_mcp"]) if frame is None else frame
    return load_cohort(CohortFiles(participants=frame_file("participants.csv", frame), prs=text_file("prs.sscore", prs_text)))


def test_join_keeps_every_participant_and_reports_unmatched_ids():
    text = sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG", IDS[:10] + ["X1", "X2"])
    cohort = cohort_with_prs(text)
    assert cohort.n_participants == 12
    assert cohort.participants["prs_mcp"].isna().sum() == 2
    assert cohort.modality["prs_mcp"] == "prs"
    assert cohort.sources["prs_mcp"] == "prs.sscore"
    messages = [i.message for i in cohort.issues]
    assert any("2 of 12 ids in the PRS file match no participant ('X1', 'X2')" in m for m in messages)
    assert any("2 participant(s) have no PRS" in m for m in messages)


def test_no_matching_id_is_refused():
    with pytest.raises(CohortError, match="no id in the PRS file matches a participant"):
        cohort_with_prs(sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG", [f"Z{i}" for i in range(12)]))


def test_score_in_table_and_file_is_refused():
    with pytest.raises(CohortError, match="score 'prs_mcp' is both a column of the participants table and in the PRS file"):
        cohort_with_prs(sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG"), participants_frame())


def test_prs_values_are_exactly_the_file_values():
    text = sscore("#FID\tIID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tMCP_AVG\tMDD_AVG")
    cohort = cohort_with_prs(text)
    np.testing.assert_allclose(cohort.participants["prs_mdd"].to_numpy(), 0.002 * np.arange(12))


def test_a_wide_score_file_reads_without_warnings():
    import warnings

    rng = np.random.default_rng(0)
    header = "#IID\t" + "\t".join(f"S{k}_AVG" for k in range(400))
    rows = ["\t".join([i] + [f"{v:.5f}" for v in rng.normal(size=400)]) for i in IDS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = load_prs(text_file("many.sscore", "\n".join([header, *rows]) + "\n"))
    assert table.scores.shape == (len(IDS), 400)
