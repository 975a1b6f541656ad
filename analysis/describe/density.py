"""The 2-D map of a very large cohort as a density: counts per cell and a seeded sample of points.

A browser cannot draw half a million markers usefully (the figure alone would be ~50 MB). Above
:data:`DENSITY_FROM_POINTS` participants the map shows how many participants fall in each cell of
a grid, with a random sample of participants drawn over it in their biotype's colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: From this many participants on the map, the dashboard draws the density instead of every point.
DENSITY_FROM_POINTS = 200_000
#: Cells along each axis of the density grid.
DENSITY_BINS = 200


@dataclass(frozen=True)
class MapDensity:
    """Participants per cell of a regular grid over the map.

    Attributes
    ----------
    x_centres : ndarray of float, shape (bins,)
    y_centres : ndarray of float, shape (bins,)
        Cell centres in map units.
    counts : ndarray of int, shape (bins, bins)
        ``counts[i, j]``: participants in the cell at ``y_centres[i]``, ``x_centres[j]`` (every
        participant is in exactly one cell).
    """

    x_centres: np.ndarray
    y_centres: np.ndarray
    counts: np.ndarray


def map_density(x: np.ndarray, y: np.ndarray, bins: int = DENSITY_BINS) -> MapDensity:
    """Count participants per cell of a ``bins`` × ``bins`` grid spanning the map.

    Parameters
    ----------
    x, y : ndarray of float, shape (n,)
        Map coordinates (finite).
    bins : int

    Returns
    -------
    MapDensity
    """
    counts, x_edges, y_edges = np.histogram2d(np.asarray(x, float), np.asarray(y, float), bins=bins)
    return MapDensity((x_edges[:-1] + x_edges[1:]) / 2, (y_edges[:-1] + y_edges[1:]) / 2, counts.T.astype(np.int64))


def map_sample(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Sorted positions of a uniform random sample of ``size`` of ``n`` participants (all if ``size >= n``).

    Seeded, so the same run draws the same points on every page visit.
    """
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
