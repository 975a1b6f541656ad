"""Reading .npy and .npz files held in memory: no pickles, declared sizes checked first, no extra copy.

``numpy.load`` on bytes copies every array out of the file; for a 5,000-participant stack of 264-ROI
matrices that is another 1.4 GB (float32) or 2.8 GB (float64) next to the file itself. Here an array
stored uncompressed (``.npy``, or an ``.npz`` written by ``numpy.savez``) is a read-only view of
the file's bytes, and a compressed member (``numpy.savez_compressed``) is decompressed once, after
its declared shape and dtype have been checked against the size limits (zip bombs).
"""

from __future__ import annotations

import io
import math
import struct
import tokenize
import zipfile
import zlib

import numpy as np

from analysis.errors import CohortError
from analysis.io.inputs import MAX_EXPANDED_BYTES, MAX_EXPANSION_RATIO, ZIP_READ_ERRORS, checked_zip_members, readable_size

#: NumPy refuses .npy headers longer than this by default (``max_header_size``).
_HEADER_MAX = 10_000
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"


def _invalid(name: str, part: str, why: str) -> CohortError:
    return CohortError(f"{part} of '{name}' is not valid NumPy data ({why})", name, "save it again with numpy.save / numpy.savez")


def _header(name: str, part: str, stream) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from the start of an .npy stream; object arrays are refused."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"format version {version[0]}.{version[1]} is not read here")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        raise _invalid(name, part, str(exc) or type(exc).__name__) from None
    if dtype.hasobject:
        raise CohortError(
            f"{part} of '{name}' holds Python objects (pickled), which are not read for safety",
            name,
            "save plain arrays: floats for the matrices and strings for the ids (np.array(ids, dtype=str))",
        )
    return shape, fortran, dtype


def _declared_bytes(name: str, part: str, shape: tuple[int, ...], dtype: np.dtype, limit: int) -> int:
    n_bytes = math.prod(shape) * dtype.itemsize
    if n_bytes > limit:
        raise CohortError(
            f"{part} of '{name}' declares {readable_size(n_bytes)} of data (shape {shape}, {dtype}), over the {readable_size(limit)} allowed",
            name,
            "store the matrices as float32 upper triangles (nilearn's sym_matrix_to_vec) or split the cohort",
        )
    return n_bytes


def _view(name: str, part: str, data: memoryview, limit: int) -> np.ndarray:
    """Read-only array over an uncompressed .npy image (no copy)."""
    head = io.BytesIO(bytes(data[: _HEADER_MAX + 16]))
    shape, fortran, dtype = _header(name, part, head)
    n_bytes = _declared_bytes(name, part, shape, dtype, limit)
    offset = head.tell()
    if len(data) - offset < n_bytes:
        raise _invalid(name, part, f"it declares {n_bytes} bytes of data but holds {len(data) - offset}")
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset)
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


def npy_array(name: str, data: bytes) -> np.ndarray:
    """The array of an .npy file's bytes, as a read-only view of them.

    Parameters
    ----------
    name : str
        File name for messages.
    data : bytes

    Returns
    -------
    ndarray
        Read-only; shares memory with ``data``.

    Raises
    ------
    CohortError
        For a damaged file, an object (pickled) array, or declared contents over
        :data:`analysis.io.inputs.MAX_EXPANDED_BYTES`.
    """
    return _view(name, "the file", memoryview(data), MAX_EXPANDED_BYTES)


class NpzArrays:
    """The arrays of an .npz file's bytes, read on demand.

    Parameters
    ----------
    name : str
        File name for messages.
    data : bytes

    Raises
    ------
    CohortError
        If the bytes are not a zip archive.
    """

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = memoryview(data)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except ZIP_READ_ERRORS as exc:
            raise _invalid(name, "the file", str(exc)) from None
        infos = checked_zip_members(name, self._zip, ".npz file")
        self._members = {i.filename.removesuffix(".npy"): i for i in infos if i.filename.endswith(".npy")}
        # Compressed members may expand, but not without bound: as for any uploaded archive.
        self._limit = min(MAX_EXPANDED_BYTES, max(len(data), 1) * MAX_EXPANSION_RATIO)

    def keys(self) -> list[str]:
        """Names of the arrays, in file order."""
        return list(self._members)

    def __contains__(self, key: str) -> bool:
        return key in self._members

    def __getitem__(self, key: str) -> np.ndarray:
        """One array: a read-only view of the file's bytes if stored uncompressed, else decompressed once."""
        info = self._members[key]
        part = f"array '{key}'"
        if info.compress_type == zipfile.ZIP_STORED:
            start = info.header_offset
            try:
                signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(self._data, start)
            except struct.error:
                raise _invalid(self.name, part, "truncated archive") from None
            if signature != _LOCAL_SIGNATURE:
                raise _invalid(self.name, part, "damaged archive")
            start += _LOCAL_HEADER.size + name_length + extra_length
            stored = self._data[start : start + info.file_size]
            if zlib.crc32(stored) != info.CRC:
                raise _invalid(self.name, part, "its bytes do not match the archive's checksum: the file is damaged")
            return _view(self.name, part, stored, MAX_EXPANDED_BYTES)
        try:
            with self._zip.open(info) as stream:
                shape, fortran, dtype = _header(self.name, part, stream)
                n_bytes = _declared_bytes(self.name, part, shape, dtype, self._limit)
                raw = stream.read(n_bytes)
        except ZIP_READ_ERRORS as exc:
            raise _invalid(self.name, part, str(exc)) from None
        if len(raw) < n_bytes:
            raise _invalid(self.name, part, f"it declares {n_bytes} bytes of data but holds {len(raw)}")
        flat = np.frombuffer(raw, dtype=dtype, count=math.prod(shape))
        return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
