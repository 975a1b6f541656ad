"""Connectivity stacks: formats, ids, atlases and every refusal."""

import io
import zipfile

import numpy as np
import pytest
from nilearn.connectome import sym_matrix_to_vec

from analysis.cohort.atlas import atlas_from_csv, bundled_atlas
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.connectivity import load_connectivity, n_rois_from_edges
from analysis.errors import CohortError
from analysis.io.inputs import InputFile
from tests.conftest import frame_file, participants_frame, text_file

N_ROIS = 4


def stack(rng, n=3, n_rois=N_ROIS):
    """Symmetric correlation-like matrices with unit diagonal."""
    a = rng.uniform(-0.5, 0.5, (n, n_rois, n_rois))
    m = (a + a.transpose(0, 2, 1)) / 2
    m[:, np.arange(n_rois), np.arange(n_rois)] = 1.0
    return m


def npz(**arrays) -> InputFile:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return InputFile("fc.npz", buffer.getvalue())


def npy(array) -> InputFile:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return InputFile("fc.npy", buffer.getvalue())


def zipped(members: dict[str, str]) -> InputFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return InputFile("relmat.zip", buffer.getvalue())


def relmat_text(matrix, header=False) -> str:
    lines = ["\t".join(f"roi{i}" for i in range(len(matrix)))] if header else []
    lines += ["\t".join(f"{v:.6f}" for v in row) for row in matrix]
    return "\n".join(lines) + "\n"


def test_npz_stack_edges_match_nilearn_vectorisation(rng):
    m = stack(rng)
    c = load_connectivity(npz(matrices=m, participant_id=np.array(["sub-01", "sub-02", "sub-03"])))
    assert list(c.ids) == ["01", "02", "03"]
    assert c.n_rois == N_ROIS
    np.testing.assert_allclose(c.edges, sym_matrix_to_vec(m, discard_diagonal=True), rtol=1e-6)
    back = c.matrices()
    np.testing.assert_allclose(back[1][~np.eye(N_ROIS, dtype=bool)], m[1][~np.eye(N_ROIS, dtype=bool)], rtol=1e-6)


def test_vectorised_npz_is_accepted(rng):
    m = stack(rng)
    vec = sym_matrix_to_vec(m, discard_diagonal=True)
    c = load_connectivity(npz(matrices=vec, participant_id=np.array(["a", "b", "c"])))
    assert c.n_rois == N_ROIS
    assert n_rois_from_edges(12720) == 160
    assert n_rois_from_edges(7) is None


def test_npy_needs_an_ids_file(rng):
    with pytest.raises(CohortError, match="has no participant ids.*add a 'participant_id' array"):
        load_connectivity(npy(stack(rng)))
    ids = text_file("ids.csv", "participant_id\nsub-01\nsub-02\nsub-03\n")
    assert list(load_connectivity(npy(stack(rng)), ids_file=ids).ids) == ["01", "02", "03"]


def test_ids_count_must_match_matrices(rng):
    with pytest.raises(CohortError, match="holds 3 matrices but 2 participant ids"):
        load_connectivity(npz(matrices=stack(rng), participant_id=np.array(["a", "b"])))


def test_duplicate_ids_are_refused(rng):
    with pytest.raises(
        CohortError, match=r"participant 'a' \('a' and 'sub-a' are one participant\) has more than one matrix \(matrices 1, 3\)"
    ):
        load_connectivity(npz(matrices=stack(rng), participant_id=np.array(["a", "b", "sub-a"])))


def test_asymmetric_matrix_names_participant_and_regions(rng):
    m = stack(rng)
    m[1, 2, 0] += 0.3
    with pytest.raises(CohortError, match=r"matrix of participant 'b' is not symmetric \(regions 3 and 1"):
        load_connectivity(npz(matrices=m, participant_id=np.array(["a", "b", "c"])))


def test_nan_off_diagonal_is_refused_but_infinite_diagonal_is_noted(rng):
    m = stack(rng)
    m[:, np.arange(N_ROIS), np.arange(N_ROIS)] = np.inf
    c = load_connectivity(npz(matrices=m, participant_id=np.array(["a", "b", "c"])))
    assert any("diagonals hold infinite" in i.message for i in c.issues)
    m[2, 1, 3] = m[2, 3, 1] = np.nan
    with pytest.raises(CohortError, match=r"participant 'c' has 1 missing or infinite value\(s\) off the diagonal"):
        load_connectivity(npz(matrices=m, participant_id=np.array(["a", "b", "c"])))


def test_non_square_and_wrong_dimensions_are_refused(rng):
    with pytest.raises(CohortError, match="not square"):
        load_connectivity(npz(matrices=rng.normal(size=(3, 4, 5)), participant_id=np.array(["a", "b", "c"])))
    with pytest.raises(CohortError, match="which is no r\\*\\(r-1\\)/2"):
        load_connectivity(npz(matrices=rng.normal(size=(3, 7)), participant_id=np.array(["a", "b", "c"])))


def test_roi_count_must_match_atlas(rng):
    atlas = bundled_atlas("dosenbach_2010")
    with pytest.raises(CohortError, match="the matrices have 4 regions but the atlas 'dosenbach_2010' has 160"):
        load_connectivity(npz(matrices=stack(rng), participant_id=np.array(["a", "b", "c"])), atlas)


def test_npz_names_its_bundled_atlas(rng):
    m = stack(rng, n=2, n_rois=160)
    c = load_connectivity(npz(matrices=m, participant_id=np.array(["a", "b"]), atlas=np.array("dosenbach_2010")))
    assert c.atlas.name == "dosenbach_2010"
    assert set(c.atlas.network_names) == {"default", "sensorimotor", "cingulo-opercular", "occipital", "fronto-parietal", "cerebellum"}


@pytest.mark.parametrize(("name", "n_rois"), [("dosenbach_2010", 160), ("power_2011", 264), ("seitzman_2018", 300)])
def test_bundled_atlases_load_offline(name, n_rois):
    atlas = bundled_atlas(name)
    assert atlas.n_rois == n_rois
    assert atlas.coords.shape == (n_rois, 3)
    assert np.abs(atlas.coords).max() < 120


def test_atlas_coordinates_csv(rng):
    text = "roi,x,y,z,label,network\n1,0,10,20,insula L,SAL\n2,1,2,3,insula R,SAL\n3,4,5,6,PCC,DMN\n4,7,8,9,mPFC,DMN\n"
    atlas = atlas_from_csv(text_file("coords.csv", text))
    assert atlas.labels == ("insula L", "insula R", "PCC", "mPFC")
    assert atlas.network_names == ("SAL", "DMN")
    with pytest.raises(CohortError, match="lacks column\\(s\\) z"):
        atlas_from_csv(text_file("coords.csv", "roi,x,y\n1,0,0\n"))


def test_relmat_zip_with_and_without_header(rng):
    m = stack(rng, n=2)
    archive = zipped(
        {
            "derivatives/sub-01/func/sub-01_task-rest_meas-pearson_relmat.dense.tsv": relmat_text(m[0], header=True),
            "derivatives/sub-02/func/sub-02_task-rest_relmat.tsv": relmat_text(m[1]),
            "derivatives/dataset_description.json": "{}",
        }
    )
    c = load_connectivity(archive)
    assert list(c.ids) == ["01", "02"]
    np.testing.assert_allclose(c.edges, sym_matrix_to_vec(m, discard_diagonal=True), atol=1e-6)


def test_relmat_zip_unexpected_member_and_two_matrices_per_participant(rng):
    m = stack(rng, n=1)[0]
    with pytest.raises(CohortError, match="unexpected member 'notes.docx'"):
        load_connectivity(zipped({"sub-01_relmat.tsv": relmat_text(m), "notes.docx": "x"}))
    with pytest.raises(CohortError, match="participant sub-01 has two matrices"):
        load_connectivity(zipped({"sub-01_run-1_relmat.tsv": relmat_text(m), "sub-01_run-2_relmat.tsv": relmat_text(m)}))


def test_zip_member_escaping_its_folder_is_refused(rng):
    with pytest.raises(CohortError, match="points outside the archive's folder"):
        load_connectivity(zipped({"../../etc/sub-01_relmat.tsv": relmat_text(stack(rng, n=1)[0])}))


def test_zip_bomb_is_refused():
    with pytest.raises(CohortError, match="expands to .* MB, over the .* MB allowed"):
        load_connectivity(zipped({"sub-01_relmat.tsv": "0\t" * 5_000_000}))


def test_pickled_npy_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CohortError, match="holds Python objects \\(pickled\\), which are not read"):
        load_connectivity(InputFile("fc.npy", buffer.getvalue()), ids_file=text_file("ids.csv", "participant_id\na\n"))


def test_ids_saved_as_objects_are_refused_with_the_fix(rng):
    with pytest.raises(CohortError, match=r"array 'participant_id' of 'fc.npz' holds Python objects .*np.array\(ids, dtype=str\)"):
        load_connectivity(npz(matrices=stack(rng), participant_id=np.array(["a", "b", "c"], dtype=object)))


def test_unknown_extension_is_refused():
    with pytest.raises(CohortError, match="not a connectivity file this tool reads"):
        load_connectivity(InputFile("fc.mat", b"MATLAB"))


def test_cohort_keeps_table_order_and_reports_unmatched(rng):
    frame = participants_frame()
    m = stack(rng, n=4)
    file = npz(matrices=m, participant_id=np.array(["sub-05", "sub-02", "sub-99", "sub-11"]))
    cohort = load_cohort(CohortFiles(participants=frame_file("participants.csv", frame), connectivity=file))
    assert list(cohort.connectivity.ids) == ["02", "05", "11"]
    np.testing.assert_allclose(cohort.connectivity.edges[0], sym_matrix_to_vec(m[1], discard_diagonal=True), rtol=1e-6)
    assert cohort.availability()["connectivity"].sum() == 3
    assert any("1 of 4 ids in the connectivity file match no participant ('sub-99')" in i.message for i in cohort.issues)


def test_absurdly_large_values_are_refused(rng):
    m = stack(rng)
    m[0, 0, 1] = m[0, 1, 0] = 1e300
    with pytest.raises(CohortError, match="hold values up to 1e\\+300, far outside any connectivity measure"):
        load_connectivity(npz(matrices=m, participant_id=np.array(["a", "b", "c"])))


@pytest.mark.parametrize("content", ["", "\n\n", "\x1c", "\x1d\n\x1e"])
def test_a_relmat_member_of_only_white_space_is_refused_as_empty(content):
    # U+001C..U+001E are white space to str.strip but not to bytes.strip: no IndexError
    with pytest.raises(CohortError, match="'sub-01_relmat.tsv' is empty"):
        load_connectivity(zipped({"sub-01_relmat.tsv": content}))
