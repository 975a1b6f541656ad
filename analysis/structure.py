"""Are there biotypes at all? Null cohorts that have the fused features' means and covariance but no subgroups.

A run's biotypes are compared with what the same pipeline finds in cohorts drawn from one
multivariate Gaussian with the run's fused means and covariance (the null of SigClust, Liu et al.
2008, and of M3C, John et al. 2020): such a cohort has no subgroups, whatever UMAP and HDBSCAN
then find in it. A null that keeps each feature's marginal distribution (a Gaussian copula) is not
one: a feature bimodal on its own keeps its two groups (``../shared/MEASURED.md``).
"""

from __future__ import annotations

import numpy as np


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
