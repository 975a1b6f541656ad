"""Connectivity matrices: loading from .npy/.npz stacks or zips of BIDS relmat files, and checks.

Matrices are kept as their lower triangle without the diagonal, in nilearn's
``sym_matrix_to_vec(..., discard_diagonal=True)`` order: shape (n_participants, n_rois * (n_rois - 1) / 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cohort.atlas import BUNDLED_ATLASES, Atlas, bundled_atlas
from analysis.errors import CohortError, Issue
from analysis.io.inputs import InputFile, decode_text, read_zip_members, text_of
from analysis.io.numpy_files import NpzArrays, npy_array
from analysis.io.tables import normalise_id, normalised_ids, read_table, refuse_multiline

#: Largest |A - A.T| accepted as rounding noise in a symmetric matrix.
SYMMETRY_TOLERANCE = 1e-4
#: Largest magnitude accepted in a connectivity value (anything larger is not connectivity, and overflows float32).
MAX_ABS_VALUE = 1e6
_MATRIX_KEYS = ("matrices", "connectivity", "correlation", "correlations", "arr_0")
_ID_KEYS = ("participant_id", "participant_ids", "subjects", "subject_id", "ids")
_RELMAT = re.compile(r"(?:^|/)sub-([A-Za-z0-9]+)[^/]*_relmat(?:\.dense)?\.(tsv|csv)$")
_ALLOWED_EXTRA = re.compile(r"(\.json|\.md|\.txt|README|CHANGES|LICENSE)$", re.IGNORECASE)


@dataclass(frozen=True)
class Connectivity:
    """Functional connectivity of the participants who have imaging.

    Attributes
    ----------
    ids : ndarray of str, shape (n_participants,)
        Normalised participant ids, in row order.
    edges : ndarray of float32, shape (n_participants, n_rois * (n_rois - 1) // 2)
        Lower triangle of each matrix without its diagonal (nilearn's vectorised order). May be a
        read-only view of the input file's bytes (vectorised float32 files): never written in place.
    n_rois : int
    atlas : Atlas or None
        Region labels, coordinates and networks; None when no atlas was given.
    name : str
        The file it came from.
    issues : tuple of Issue
    written_ids : dict of str to str
        Normalised id → the id as the file writes it (for messages).
    """

    ids: np.ndarray
    edges: np.ndarray
    n_rois: int
    atlas: Atlas | None
    name: str
    issues: tuple[Issue, ...] = field(default=())
    written_ids: dict[str, str] = field(default_factory=dict, repr=False)

    def matrices(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Full symmetric matrices of the selected participants, diagonal set to 0.

        Returns
        -------
        ndarray of float32, shape (n_selected, n_rois, n_rois)
        """
        return edges_to_matrix(self.edges[rows], self.n_rois).astype(np.float32)


def edges_to_matrix(edges: np.ndarray, n_rois: int) -> np.ndarray:
    """Symmetric matrices (diagonal 0) from vectorised lower triangles.

    Parameters
    ----------
    edges : ndarray of shape (n_edges,) or (n, n_edges)
        nilearn's vectorised order (lower triangle without the diagonal, row by row).
    n_rois : int

    Returns
    -------
    ndarray of shape (n_rois, n_rois) or (n, n_rois, n_rois), dtype of ``edges``
    """
    edges = np.asarray(edges)
    out = np.zeros((*edges.shape[:-1], n_rois, n_rois), dtype=edges.dtype)
    lower = np.tril_indices(n_rois, k=-1)
    out[..., lower[0], lower[1]] = edges
    out[..., lower[1], lower[0]] = edges
    return out


def n_rois_from_edges(n_edges: int) -> int | None:
    """ROI count r with r(r-1)/2 == n_edges, or None."""
    r = int(round((1 + np.sqrt(1 + 8 * n_edges)) / 2))
    return r if r * (r - 1) // 2 == n_edges else None


def load_connectivity(file: InputFile, atlas: Atlas | None = None, ids_file: InputFile | None = None) -> Connectivity:
    """Read connectivity matrices and check them.

    Parameters
    ----------
    file : InputFile
        ``.npz`` with a matrix stack (key ``matrices``) and ids (key ``participant_id``) and
        optionally the atlas name (key ``atlas``); ``.npy`` stack with a sidecar ids CSV; or
        ``.zip`` of ``sub-<label>_*_relmat.tsv`` / ``.csv`` files, one per participant.
        A stack is (participants, rois, rois), or vectorised (participants, rois*(rois-1)/2)
        as nilearn's ``ConnectivityMeasure(vectorize=True, discard_diagonal=True)`` writes it.
    atlas : Atlas, optional
        The regions; its size must match. An npz's ``atlas`` key names a bundled atlas when none is given.
    ids_file : InputFile, optional
        CSV with a ``participant_id`` column, one row per matrix in order (required for ``.npy``).

    Returns
    -------
    Connectivity
    """
    suffix = file.suffix
    if suffix == ".zip":
        written, stack = _stack_from_relmat_zip(file)
    elif suffix in (".npz", ".npy"):
        written, stack, atlas = _stack_from_numpy(file, atlas, ids_file)
    else:
        raise CohortError(
            f"'{file.name}' is not a connectivity file this tool reads",
            file.name,
            "give a .npz or .npy matrix stack, or a .zip of BIDS *_relmat.tsv files",
        )
    ids = np.array([normalise_id(i) for i in written], dtype=object)
    issues: list[Issue] = []
    edges, n_rois = _edges_from_stack(file.name, ids, stack, atlas, issues, written)
    if atlas is None:
        issues.append(
            Issue(
                "warning",
                "no atlas chosen for the connectivity matrices",
                file.name,
                "choose a bundled atlas or upload a coordinates CSV to get network summaries and the glass brain",
            )
        )
    return Connectivity(ids, edges, n_rois, atlas, file.name, tuple(issues), dict(zip(ids, written, strict=True)))


def _stack_from_numpy(file: InputFile, atlas: Atlas | None, ids_file: InputFile | None) -> tuple[np.ndarray, np.ndarray, Atlas | None]:
    """Ids as written, raw array and atlas from a .npy or .npz (pickled objects are refused).

    The stack is a read-only view of the file's bytes when stored uncompressed (see
    :mod:`analysis.io.numpy_files`), so loading holds the file and one float32 copy of the edges.
    """
    ids = None
    if file.suffix == ".npy":
        stack = npy_array(file.name, file.data)
    else:
        loaded = NpzArrays(file.name, file.data)
        keys = loaded.keys()
        matrix_key = next((k for k in _MATRIX_KEYS if k in keys), None)
        if matrix_key is None:
            raise CohortError(
                f"no matrix array in '{file.name}' (keys: {', '.join(keys)})", file.name, "store the stack under the key 'matrices'"
            )
        stack = loaded[matrix_key]
        id_key = next((k for k in _ID_KEYS if k in keys), None)
        if id_key:
            ids = loaded[id_key]
        if atlas is None and "atlas" in keys:
            name = str(loaded["atlas"])
            atlas = bundled_atlas(name) if name in BUNDLED_ATLASES else None
    if ids_file is not None:
        frame = read_table(ids_file.name, text_of(ids_file), what="connectivity ids file")
        refuse_multiline(ids_file.name, frame, "connectivity ids file")
        normalised_ids(ids_file.name, frame, "connectivity ids file")  # refuses missing and duplicate ids
        ids = frame["participant_id"].astype(str).to_numpy()
    if ids is None:
        raise CohortError(
            f"'{file.name}' has no participant ids",
            file.name,
            "add a 'participant_id' array to the npz, or give a CSV with a participant_id column in matrix order",
        )
    return np.array(_id_texts(file.name, np.asarray(ids).ravel()), dtype=object), stack, atlas


def _id_texts(name: str, ids: np.ndarray) -> list[str]:
    """Participant ids of an npz as text: bytes arrays (``np.array([b"sub-01"])``, dtype S) decoded as UTF-8."""
    if ids.dtype.kind != "S":
        return [str(i) for i in ids]
    try:
        return [i.decode("utf-8") for i in ids]
    except UnicodeDecodeError:
        raise CohortError(
            f"the participant ids in '{name}' are bytes that are not UTF-8 text",
            name,
            "store the ids as strings (np.array(ids, dtype=str))",
        ) from None


def _stack_from_relmat_zip(file: InputFile) -> tuple[np.ndarray, np.ndarray]:
    """Ids as written (``sub-<label>``) and the (participants, rois, rois) stack from a zip of BIDS relmat files."""
    members = read_zip_members(file)
    matrices: dict[str, tuple[str, str, np.ndarray]] = {}  # key -> (member, id as written, matrix)
    for member, data in sorted(members.items()):
        match = _RELMAT.search(member)
        if match is None:
            if _ALLOWED_EXTRA.search(member):
                continue
            raise CohortError(
                f"unexpected member '{member}' in the connectivity zip",
                file.name,
                "zip only sub-<label>_*_relmat.tsv (or .csv) files, one per participant, plus optional .json sidecars",
            )
        label = normalise_id(match.group(1))
        if label in matrices:  # sub-P01 and sub-p01 are one participant
            raise CohortError(
                f"participant sub-{label} has two matrices ('{matrices[label][0]}' and '{member}')",
                file.name,
                "zip one matrix per participant (one run, one measure)",
            )
        matrices[label] = (member, f"sub-{match.group(1)}", _relmat_array(member, data))
    if not matrices:
        raise CohortError(f"no *_relmat.tsv files in '{file.name}'", file.name, "zip files named sub-<label>_..._relmat.tsv")
    shapes = {m.shape for _, _, m in matrices.values()}
    if len(shapes) > 1:
        raise CohortError(
            f"the matrices in '{file.name}' differ in shape ({', '.join(str(s) for s in sorted(shapes))})",
            file.name,
            "use the same atlas for every participant",
        )
    written = np.array([w for _, w, _ in matrices.values()], dtype=object)
    return written, np.stack([m for _, _, m in matrices.values()])


def _relmat_array(member: str, data: bytes) -> np.ndarray:
    """Parse one relmat TSV/CSV (with or without a header row of ROI labels) into a square array."""
    text = decode_text(member, data) if data.strip() else ""
    delimiter = "\t" if member.endswith(".tsv") else ","
    rows = [line.split(delimiter) for line in text.split("\n") if line.strip()]
    if not rows:  # no bytes, or only characters Unicode counts as white space (e.g. U+001C)
        raise CohortError(f"'{member}' is empty", member, "export that participant's matrix again, or leave the file out of the zip")
    try:
        float(rows[0][0])
    except ValueError:
        rows = rows[1:]
    else:
        if len(rows) == len(rows[0]) + 1:  # a header row of numeric ROI labels (1, 2, ... or atlas codes)
            rows = rows[1:]
    try:
        array = np.array(
            [[float(v) if v.strip() not in ("", "n/a", "NaN", "nan") else np.nan for v in row] for row in rows], dtype=np.float64
        )
    except ValueError:
        raise CohortError(
            f"'{member}' holds text where numbers should be", member, "export the matrix as numbers only (optionally one header row)"
        ) from None
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise CohortError(
            f"'{member}' is not a square matrix (rows of unequal length or {len(rows)} rows)",
            member,
            "export the full n_rois x n_rois matrix",
        )
    return array


def _edges_from_stack(
    name: str, ids: np.ndarray, stack: np.ndarray, atlas: Atlas | None, issues: list[Issue], written: np.ndarray
) -> tuple[np.ndarray, int]:
    """Check a stack (full or vectorised) against ids and atlas, and return its edges as float32."""
    if not np.issubdtype(stack.dtype, np.number):
        raise CohortError(f"the matrices in '{name}' are not numbers (dtype {stack.dtype})", name, "save a float array")
    if np.issubdtype(stack.dtype, np.complexfloating):
        raise CohortError(
            f"the matrices in '{name}' are complex numbers (dtype {stack.dtype}); connectivity is real",
            name,
            "save the real-valued matrices (e.g. the magnitude or real part, as your method defines it) as floats",
        )
    if stack.ndim == 3:
        if stack.shape[1] != stack.shape[2]:
            raise CohortError(
                f"the matrices in '{name}' are not square (shape {stack.shape})", name, "give a (participants, rois, rois) stack"
            )
        n_rois = stack.shape[1]
    elif stack.ndim == 2:
        n_rois = n_rois_from_edges(stack.shape[1])
        if n_rois is None:
            raise CohortError(
                f"the vectorised matrices in '{name}' have {stack.shape[1]} values per participant, which is no r*(r-1)/2",
                name,
                "vectorise with nilearn's sym_matrix_to_vec(discard_diagonal=True), or save full matrices",
            )
    else:
        raise CohortError(f"the connectivity array in '{name}' has shape {stack.shape}", name, "give a (participants, rois, rois) stack")
    if stack.shape[0] != len(ids):
        raise CohortError(
            f"'{name}' holds {stack.shape[0]} matrices but {len(ids)} participant ids", name, "give one id per matrix, in matrix order"
        )
    _check_unique_ids(name, ids, written)
    if atlas is not None and atlas.n_rois != n_rois:
        raise CohortError(
            f"the matrices have {n_rois} regions but the atlas '{atlas.name}' has {atlas.n_rois}",
            name,
            "choose the atlas the matrices were computed with (dosenbach_2010: 160, power_2011: 264, seitzman_2018: 300) or upload its coordinates CSV",
        )
    if n_rois < 2:
        raise CohortError(f"the matrices in '{name}' have {n_rois} region(s)", name, "give matrices over at least two regions")
    largest = _largest_finite_magnitude(stack)
    if largest > MAX_ABS_VALUE:
        raise CohortError(
            f"the matrices in '{name}' hold values up to {largest:.3g}, far outside any connectivity measure",
            name,
            "give correlations, partial correlations, Fisher z values or covariances",
        )
    if stack.ndim == 2:
        # Vectorised float32 edges are used as they lie in the file's bytes (read-only, no copy).
        edges = stack if stack.dtype == np.float32 else stack.astype(np.float32)
    else:
        edges = _lower_triangles(name, ids, stack, atlas, issues)
    _check_finite_edges(name, ids, edges, n_rois, atlas)
    return edges, n_rois


def _largest_finite_magnitude(stack: np.ndarray, chunk_bytes: int = 64 * 2**20) -> float:
    """Largest |value| among the finite values of a stack, read in blocks of participants of at most ``chunk_bytes`` as float64."""
    row_bytes = max(1, int(np.prod(stack.shape[1:])) * 8)
    chunk = max(1, chunk_bytes // row_bytes)
    largest = 0.0
    for start in range(0, stack.shape[0], chunk):
        block = np.abs(np.asarray(stack[start : start + chunk], dtype=np.float64))
        block[~np.isfinite(block)] = 0.0
        if block.size:
            largest = max(largest, float(block.max()))
    return largest


def _lower_triangles(name: str, ids: np.ndarray, stack: np.ndarray, atlas: Atlas | None, issues: list[Issue]) -> np.ndarray:
    """Symmetry and diagonal checks on a full stack, then its lower triangles as float32."""
    n_rois = stack.shape[1]
    lower = np.tril_indices(n_rois, k=-1)
    edges = np.empty((stack.shape[0], len(lower[0])), dtype=np.float32)
    for i, matrix in enumerate(stack):
        below, above = matrix[lower], matrix.T[lower]
        one_sided = np.isfinite(below) & ~np.isfinite(above)
        if one_sided.any():
            k = int(np.flatnonzero(one_sided)[0])
            a, b = lower[0][k], lower[1][k]
            raise CohortError(
                f"the matrix of participant '{ids[i]}' has {int(one_sided.sum())} missing or infinite value(s) above the "
                f"diagonal only (first: regions {_roi(atlas, b)} and {_roi(atlas, a)}: {matrix[b, a]:.4g} vs {matrix[a, b]:.4g} below)",
                f"{name}, matrix {i + 1}",
                "give symmetric matrices: recompute that participant's matrix, or leave the participant out of the file",
            )
        both_finite = np.isfinite(below) & np.isfinite(above)
        gap = np.abs(below[both_finite] - above[both_finite])
        if gap.size and gap.max() > SYMMETRY_TOLERANCE:
            k = int(np.flatnonzero(both_finite)[np.argmax(gap)])
            a, b = lower[0][k], lower[1][k]
            raise CohortError(
                f"the matrix of participant '{ids[i]}' is not symmetric (regions {_roi(atlas, a)} and {_roi(atlas, b)}: {matrix[a, b]:.4g} vs {matrix[b, a]:.4g})",
                f"{name}, matrix {i + 1}",
                "give symmetric (undirected) connectivity such as correlations",
            )
        edges[i] = below
    diagonal = np.diagonal(stack, axis1=1, axis2=2)
    if not np.isfinite(diagonal).all():
        issues.append(
            Issue(
                "info",
                "the matrix diagonals hold infinite or missing values (usual after a Fisher z transform)",
                name,
                "the diagonal is not used",
            )
        )
    elif not (np.allclose(diagonal, 1) or np.allclose(diagonal, 0)):
        issues.append(
            Issue(
                "info",
                "the matrix diagonals are neither all 1 nor all 0 (covariance rather than correlation?)",
                name,
                "the diagonal is not used",
            )
        )
    return edges


def _check_finite_edges(name: str, ids: np.ndarray, edges: np.ndarray, n_rois: int, atlas: Atlas | None) -> None:
    """Refuse NaN or infinite off-diagonal values, naming the participant and the regions."""
    bad = ~np.isfinite(edges)
    if bad.any():
        i, k = (int(v) for v in np.argwhere(bad)[0])
        lower = np.tril_indices(n_rois, k=-1)
        raise CohortError(
            f"the matrix of participant '{ids[i]}' has {int(bad[i].sum())} missing or infinite value(s) off the diagonal (first: regions {_roi(atlas, lower[0][k])} and {_roi(atlas, lower[1][k])})",
            f"{name}, matrix {i + 1}",
            "recompute that participant's matrix (a region with no signal gives NaN), or leave the participant out of the file",
        )


def _check_unique_ids(name: str, ids: np.ndarray, written: np.ndarray) -> None:
    """Refuse the same participant twice in a connectivity file (ids compared normalised)."""
    seen = pd.Index(ids)
    if seen.has_duplicates:
        duplicate = seen[seen.duplicated()][0]
        rows = np.flatnonzero(seen == duplicate)
        forms = list(dict.fromkeys(f"'{written[r]}'" for r in rows))
        who = f"participant {forms[0]}" if len(forms) == 1 else f"participant '{duplicate}' ({' and '.join(forms)} are one participant)"
        raise CohortError(
            f"{who} has more than one matrix (matrices {', '.join(str(r + 1) for r in rows)})",
            name,
            "keep one matrix per participant",
        )


def _roi(atlas: Atlas | None, index: int) -> str:
    """Region name for messages: the atlas label, or the 1-based index."""
    return f"'{atlas.labels[index]}'" if atlas is not None else str(index + 1)
