"""Brain atlases: ROI labels, MNI coordinates and network names.

The coordinate atlases that nilearn ships inside its package are read from disk with no download;
any other atlas comes as a coordinates CSV (``roi, x, y, z, label, network``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.errors import CohortError
from analysis.io.inputs import InputFile, text_of
from analysis.io.tables import coerce_numeric, read_table

#: Atlases bundled with nilearn (no download), in the ROI order nilearn returns by default.
BUNDLED_ATLASES = ("dosenbach_2010", "power_2011", "seitzman_2018")
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Atlas:
    """Regions of interest that index a connectivity matrix.

    Attributes
    ----------
    name : str
        ``"dosenbach_2010"``, ``"power_2011"``, ``"seitzman_2018"`` or the coordinates file's name.
    labels : tuple of str, length n_rois
        Region labels, in matrix order.
    coords : ndarray of shape (n_rois, 3)
        MNI coordinates in mm.
    networks : tuple of str, length n_rois
        Network of each region (``"unassigned"`` where the atlas gives none).
    """

    name: str
    labels: tuple[str, ...]
    coords: np.ndarray
    networks: tuple[str, ...]

    @property
    def n_rois(self) -> int:
        """Number of regions."""
        return len(self.labels)

    @property
    def network_names(self) -> tuple[str, ...]:
        """Distinct networks in order of first appearance."""
        return tuple(dict.fromkeys(self.networks))


def bundled_atlas(name: str) -> Atlas:
    """Return one of nilearn's bundled coordinate atlases (read from nilearn's package data).

    Parameters
    ----------
    name : {"dosenbach_2010", "power_2011", "seitzman_2018"}

    Returns
    -------
    Atlas
        power_2011 as shipped by nilearn has no network labels: every region is ``"unassigned"``.
    """
    from nilearn import datasets  # deferred: importing nilearn costs about a second

    if name == "dosenbach_2010":
        bunch = datasets.fetch_coords_dosenbach_2010()
        labels = tuple(str(label) for label in bunch.labels)
        networks = tuple(str(n) for n in bunch.networks)
    elif name == "seitzman_2018":
        bunch = datasets.fetch_coords_seitzman_2018()
        networks = tuple(str(n) for n in bunch.networks)
        labels = tuple(f"{network} {i + 1}" for i, network in enumerate(networks))
    elif name == "power_2011":
        bunch = datasets.fetch_coords_power_2011()
        labels = tuple(f"ROI {int(r)}" for r in bunch.rois["roi"])
        networks = (UNASSIGNED,) * len(labels)
    else:
        raise CohortError(
            f"unknown atlas '{name}'",
            "the atlas choice",
            f"choose one of {', '.join(BUNDLED_ATLASES)} or give a coordinates CSV (roi, x, y, z, label, network)",
        )
    coords = bunch.rois[["x", "y", "z"]].to_numpy(dtype=np.float64)
    return Atlas(name, labels, coords, networks)


def atlas_from_csv(file: InputFile) -> Atlas:
    """Read an atlas from a coordinates CSV with columns ``roi, x, y, z`` and optional ``label, network``.

    Rows are taken in file order, which must be the order of the matrix rows.
    """
    frame = read_table(file.name, text_of(file), id_column=False, what="atlas coordinates file")
    lowered = {c.lower(): c for c in frame.columns}
    missing = [c for c in ("x", "y", "z") if c not in lowered]
    if missing:
        raise CohortError(
            f"the atlas coordinates file lacks column(s) {', '.join(missing)}",
            f"{file.name} line 1",
            "give columns roi, x, y, z (MNI mm) and optionally label and network",
        )
    for axis in "xyz":
        if frame[lowered[axis]].dtype != np.float64:
            frame[lowered[axis]], _ = coerce_numeric(file.name, frame, lowered[axis], frame.attrs["delimiter"])
    coords = np.column_stack([frame[lowered[c]].to_numpy(dtype=np.float64, na_value=np.nan) for c in "xyz"])
    if not np.isfinite(coords).all():
        row = int(np.flatnonzero(~np.isfinite(coords).all(axis=1))[0])
        raise CohortError(
            "a coordinate is missing or not a number",
            f"{file.name} line {frame.attrs['line_numbers'][row]}",
            "give x, y, z in MNI mm for every region",
        )
    n = len(frame)
    labels = _text_column(frame, lowered, "label") or _text_column(frame, lowered, "roi") or tuple(f"ROI {i + 1}" for i in range(n))
    networks = _text_column(frame, lowered, "network") or (UNASSIGNED,) * n
    return Atlas(file.name, labels, coords, networks)


def _text_column(frame, lowered: dict[str, str], name: str) -> tuple[str, ...] | None:
    """Column as a tuple of strings (missing → 'unassigned'), or None when absent."""
    if name not in lowered:
        return None
    values = frame[lowered[name]]
    return tuple(
        UNASSIGNED if v is None or v != v else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in values.tolist()
    )


def resolve_atlas(choice: str | InputFile | None) -> Atlas | None:
    """Return the atlas for a bundled name, a coordinates file, or None when no atlas was given."""
    if choice is None or choice == "":
        return None
    if isinstance(choice, InputFile):
        return atlas_from_csv(choice)
    return bundled_atlas(choice)
