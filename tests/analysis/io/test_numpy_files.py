"""NumPy files in memory: arrays as views of the bytes, pickles and oversized declarations refused."""

import io
import zipfile

import numpy as np
import pytest

from analysis.errors import CohortError
from analysis.io.numpy_files import NpzArrays, npy_array


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(compressed: bool = False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
@pytest.mark.parametrize("order", ["C", "F"])
def test_an_npy_array_is_read_exactly_as_a_view_of_the_bytes(dtype, order):
    array = np.asarray(np.random.default_rng(0).normal(size=(4, 3, 5)) * 100, dtype=dtype, order=order)
    data = _npy(array)
    read = npy_array("m.npy", data)
    assert read.dtype == array.dtype and np.array_equal(read, array)
    assert np.shares_memory(read, np.frombuffer(data, np.uint8)) and not read.flags.writeable


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_members_are_read_with_their_ids_and_only_stored_ones_share_the_bytes(compressed):
    matrices = np.random.default_rng(1).normal(size=(3, 6)).astype(np.float32)
    ids = np.array(["sub-01", "sub-02", "sub-03"])
    data = _npz(compressed, matrices=matrices, participant_id=ids, atlas=np.array("power_2011"))
    arrays = NpzArrays("c.npz", data)
    assert arrays.keys() == ["matrices", "participant_id", "atlas"] and "matrices" in arrays
    assert np.array_equal(arrays["matrices"], matrices) and arrays["participant_id"].tolist() == ids.tolist()
    assert str(arrays["atlas"]) == "power_2011"
    assert np.shares_memory(arrays["matrices"], np.frombuffer(data, np.uint8)) is not compressed


def test_object_arrays_are_refused_without_unpickling():
    data = _npz(ids=np.array(["a", None], dtype=object))
    with pytest.raises(CohortError, match="holds Python objects"):
        NpzArrays("c.npz", data)["ids"]
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CohortError, match="holds Python objects"):
        npy_array("m.npy", buffer.getvalue())


def test_a_compressed_member_declaring_more_than_the_limit_is_refused_before_decompressing():
    # A header that declares 40,000 x 40,000 float64 (12.8 GB) over a few bytes of zeros: a zip bomb's shape.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (40_000, 40_000)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("matrices.npy", header.getvalue() + bytes(1000))
    with pytest.raises(CohortError, match=r"declares 12,207 MB of data \(shape \(40000, 40000\), float64\)"):
        NpzArrays("bomb.npz", buffer.getvalue())["matrices"]


@pytest.mark.parametrize("cut", [5, 60, 150])
def test_truncated_files_give_one_message(cut):
    data = _npy(np.ones((5, 5)))
    with pytest.raises(CohortError, match="is not valid NumPy data"):
        npy_array("m.npy", data[:cut])
    with pytest.raises(CohortError, match="is not valid NumPy data"):
        NpzArrays("c.npz", _npz(matrices=np.ones((5, 5)))[:cut])
