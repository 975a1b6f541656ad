"""Are there biotypes at all? Null cohorts that have the fused features' means and covariance but no subgroups.

A run's biotypes are compared with what the same pipeline finds in cohorts drawn from one
multivariate Gaussian with the run's fused means and covariance (the null of SigClust, Liu et al.
2008, and of M3C, John et al. 2020): such a cohort has no subgroups, whatever UMAP and HDBSCAN
then find in it. A null that keeps each feature's marginal distribution (a Gaussian copula) is not
one: a feature bimodal on its own keeps its two groups (``../shared/MEASURED.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Share of the between-biotype variance on one axis at or above which three or more biotypes are
#: called graded (ordered levels of one dimension) rather than distinct types.
GRADED_AXIS_SHARE = 0.9


def gaussian_null(x: np.ndarray, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Rows drawn from the multivariate Gaussian with the mean and covariance of ``x``.

    Drawn through the thin SVD of the centred data, so that it also holds when features outnumber
    participants (the covariance is then singular and the rows stay in the data's affine span) and
    costs O(n p min(n, p)) once.

    Parameters
    ----------
    x : ndarray of shape (n, p)
        Fused features of the clustered participants (finite), n >= 2.
    n_rows : int
        Rows of the null cohort.
    rng : numpy Generator

    Returns
    -------
    ndarray of shape (n_rows, p), float64
        Expected mean ``x.mean(axis=0)`` and expected covariance ``np.cov(x, rowvar=False)``
        (ddof 1); no other property of ``x`` is kept.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x must be (n >= 2, p), got shape {x.shape}")
    mean = x.mean(axis=0)
    _, singular, axes = np.linalg.svd(x - mean, full_matrices=False)
    scale = singular / np.sqrt(len(x) - 1)
    return mean + (rng.standard_normal((n_rows, len(scale))) * scale) @ axes


@dataclass(frozen=True)
class GradedCheck:
    """How much of the differences between biotypes lies along one axis.

    Attributes
    ----------
    axis_share : float
        Share, in [0, 1], of the size-weighted between-biotype variance (the spread of the biotypes'
        means in the fused feature space) carried by its leading axis; NaN with fewer than two
        biotypes. Two biotypes always give 1: two means lie on one line.
    order : tuple of int
        Biotype numbers ordered by where their means fall on that axis.
    axis : ndarray of shape (p,)
        The axis, a unit vector over the fused features, signed so that its loadings sum to >= 0.
    graded : bool
        Three or more biotypes and ``axis_share`` >= :data:`GRADED_AXIS_SHARE`: ordered levels of one
        dimension (mild, moderate, severe) rather than distinct types. Never True for two biotypes,
        whose means alone cannot tell levels from types.
    """

    axis_share: float
    order: tuple[int, ...]
    axis: np.ndarray
    graded: bool


def graded_check(x: np.ndarray, labels: np.ndarray) -> GradedCheck:
    """Whether the biotypes are graded levels of one dimension: the leading axis of their means.

    Parameters
    ----------
    x : ndarray of shape (n, p)
        Fused features of the participants.
    labels : ndarray of int, shape (n,)
        Biotype numbers (1-based); -1 (noise) is left out.

    Returns
    -------
    GradedCheck
        The between-biotype scatter ``sum_j n_j (m_j - m)(m_j - m)^T`` (``m`` the size-weighted mean
        of the biotype means) is decomposed by the SVD of its square-root rows ``sqrt(n_j) (m_j - m)``.
    """
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    biotypes = np.array(sorted(int(b) for b in np.unique(labels) if b >= 1))
    if len(biotypes) < 2:
        return GradedCheck(float("nan"), tuple(int(b) for b in biotypes), np.zeros(x.shape[1]), False)
    sizes = np.array([(labels == b).sum() for b in biotypes], dtype=np.float64)
    means = np.stack([x[labels == b].mean(axis=0) for b in biotypes])
    centre = sizes @ means / sizes.sum()
    _, singular, axes = np.linalg.svd(np.sqrt(sizes)[:, None] * (means - centre), full_matrices=False)
    total = float((singular**2).sum())
    share = float(singular[0] ** 2 / total) if total > 0 else float("nan")
    axis = axes[0] if axes[0].sum() >= 0 else -axes[0]
    order = tuple(int(b) for b in biotypes[np.argsort((means - centre) @ axis, kind="stable")])
    return GradedCheck(share, order, axis, bool(len(biotypes) >= 3 and share >= GRADED_AXIS_SHARE))
