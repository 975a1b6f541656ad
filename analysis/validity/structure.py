"""Are there biotypes at all? Null cohorts that have the fused features' means and covariance but no subgroups.

A run's biotypes are compared with what the same pipeline finds in cohorts drawn from one
multivariate Gaussian with the run's fused means and covariance (the null of SigClust, Liu et al.
2008, and of M3C, John et al. 2020): such a cohort has no subgroups, whatever UMAP and HDBSCAN
then find in it. A null that keeps each feature's marginal distribution (a Gaussian copula) is not
one: a feature bimodal on its own keeps its two groups (``../shared/MEASURED.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analysis.engine.library_internals import UMAP_EPOCHS_LARGE, layout_epochs

#: Verdicts of the structure test, in the order run.json documents them.
VERDICTS = ("distinct", "graded", "not_distinct", "untested")
#: Null cohorts run by default: the smallest empirical p-value is then 1 / 20 = 0.05.
DEFAULT_NULL_COHORTS = 19
#: Fewest null cohorts with which a p-value can reach :data:`ALPHA` (1 / (19 + 1) = 0.05).
MIN_NULL_COHORTS = 19
#: Level at which the test calls biotypes distinct (both of its parts at or below it).
ALPHA = 0.05
#: Above this many clustered participants, the cohort and every null cohort are tested on this many
#: (a seeded subsample of the cohort, re-clustered by the same pipeline; null cohorts of this size).
MAX_TESTED_PARTICIPANTS = 1000
#: UMAP layout epochs with which the validity checks re-cluster subsamples of a large cohort (the
#: structure test's subsample and its null and planted cohorts, replication's halves): umap-learn's
#: own default above 10,000 participants, against its 500 below (see docs/methods.md).
SUBSAMPLE_LAYOUT_EPOCHS = UMAP_EPOCHS_LARGE
#: The null model, as run.json and the methods text name it.
NULL_MODEL = "multivariate Gaussian with the fused features' mean and covariance (no subgroups)"

#: Share of the between-biotype variance on one axis at or above which three or more biotypes are
#: called graded (ordered levels of one dimension) rather than distinct types.
GRADED_AXIS_SHARE = 0.9


def gaussian_null(x: np.ndarray, n_rows: int, rng: np.random.Generator, parts: tuple | None = None) -> np.ndarray:
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
    parts : tuple, optional
        :func:`gaussian_parts` of ``x``, when already computed (the structure test draws many cohorts).

    Returns
    -------
    ndarray of shape (n_rows, p), float64
        Expected mean ``x.mean(axis=0)`` and expected covariance ``np.cov(x, rowvar=False)``
        (ddof 1); no other property of ``x`` is kept.
    """
    mean, scale, axes = parts if parts is not None else gaussian_parts(x)
    return mean + (rng.standard_normal((n_rows, len(scale))) * scale) @ axes


def gaussian_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, principal SDs and principal axes of ``x`` (its thin SVD), from which null and planted cohorts are drawn.

    Returns
    -------
    mean : ndarray of shape (p,)
    scale : ndarray of shape (r,)
        SD along each principal axis (ddof 1), r = min(n, p), largest first.
    axes : ndarray of shape (r, p)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x must be (n >= 2, p), got shape {x.shape}")
    mean = x.mean(axis=0)
    _, singular, axes = np.linalg.svd(x - mean, full_matrices=False)
    return mean, singular / np.sqrt(len(x) - 1), axes


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


def separation(x: np.ndarray, labels: np.ndarray) -> float:
    """How well the biotypes separate where the data live: mean silhouette in the fused feature space.

    Parameters
    ----------
    x : ndarray of shape (n, p)
        Fused features.
    labels : ndarray of int, shape (n,)
        Biotype labels; negative (noise) is left out, as it is of every null cohort.

    Returns
    -------
    float
        Mean silhouette width (Euclidean) of the clustered participants, in [-1, 1]; 0 (no
        separation) with fewer than two biotypes.
    """
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    kept = labels >= 0
    if len(np.unique(labels[kept])) < 2:
        return 0.0
    return float(silhouette_score(np.asarray(x, dtype=np.float64)[kept], labels[kept]))


@dataclass(frozen=True)
class Gap:
    """Whether the cohort is multimodal between two of its biotypes: Hartigan's dip test on a discriminant axis.

    Attributes
    ----------
    p_value : float
        Smallest dip-test p-value over the axes tested, Bonferroni-adjusted for their number (at
        most 1); 1 with fewer than two biotypes.
    pair : tuple of int
        Where that smallest p-value is: two biotype labels (as in ``labels``) for a pair, one for a
        biotype against the others, () without any.
    dip : float
        Its dip statistic.
    """

    p_value: float
    pair: tuple[int, ...]
    dip: float


def gap(x: np.ndarray, labels: np.ndarray) -> Gap:
    """Dip tests of every participant's position on the discriminant axis of each pair of biotypes, and of each against the rest.

    For each pair of biotypes, and with three or more for each biotype against the others pooled,
    Fisher's discriminant axis (:func:`discriminant_axis`) is computed, every participant (noise and
    the other biotypes included) projected on it, and the projection dip-tested. The one-against-rest
    axes find biotypes at the corners of a simplex, where a pair's axis has the third biotype
    projected into the gap between them.

    Why so: any fixed projection of a log-concave distribution (a Gaussian, a uniform on a convex
    set, a factor model with log-concave noise) is unimodal, and the dip test is calibrated against
    the uniform, the least favourable unimodal distribution (Hartigan & Hartigan 1985), so its
    p-value holds for all of them. Projecting every participant keeps the gap from being one HDBSCAN
    made by setting aside the participants between two biotypes as noise (``../shared/MEASURED.md``).
    The axis is learnt from the data it tests; the null cohorts run through the same test measure
    what that choice costs (their p-values are reported beside the observed one).

    Parameters
    ----------
    x : ndarray of shape (n, p)
    labels : ndarray of int, shape (n,)
        Negative labels are noise.

    Returns
    -------
    Gap
    """
    import diptest

    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    biotypes = [int(b) for b in np.unique(labels) if b >= 0 and np.sum(labels == b) >= 2]
    sides = [((a,), (b,)) for i, a in enumerate(biotypes) for b in biotypes[i + 1 :]]
    if len(biotypes) >= 3:
        sides += [((a,), tuple(b for b in biotypes if b != a)) for a in biotypes]
    tests = []
    for first, second in sides:
        axis = discriminant_axis(x, labels, first, second)
        if axis is None:
            continue
        dip, p = diptest.diptest(x @ axis)
        tests.append((float(p), first + second if len(second) == 1 else first, float(dip)))
    if not tests:
        return Gap(1.0, (), 0.0)
    p, pair, dip = min(tests, key=lambda t: t[0])
    return Gap(min(1.0, p * len(tests)), pair, dip)


def discriminant_axis(x: np.ndarray, labels: np.ndarray, first: tuple[int, ...], second: tuple[int, ...]) -> np.ndarray | None:
    """Fisher's axis between two sets of biotypes: ``S_w^+ (m_second - m_first)``, Ledoit-Wolf-shrunk pooled covariance.

    Returns
    -------
    ndarray of shape (p,) or None
        None when the two sides' means coincide.
    """
    from sklearn.covariance import ledoit_wolf

    side_a, side_b = np.isin(labels, first), np.isin(labels, second)
    mean_a, mean_b = x[side_a].mean(axis=0), x[side_b].mean(axis=0)
    centred = np.concatenate([x[side_a] - mean_a, x[side_b] - mean_b])
    within, _ = ledoit_wolf(centred, assume_centered=True)
    axis = np.linalg.pinv(within, hermitian=True) @ (mean_b - mean_a)
    return axis if np.any(axis) else None


def p_text(p: float) -> str:
    """A p-value as text after "p": "= 0.074", or "< 0.001" (the dip test's table gives 0 for a very clear gap)."""
    return "< 0.001" if p < 0.001 else f"= {p:.2g}"


def empirical_p_value(observed: float, null: np.ndarray) -> float:
    """Share of null cohorts at least as extreme, counting the observed one: ``(1 + #{null >= observed}) / (1 + n)``.

    Never 0 (Phipson & Smyth 2010); with ``n`` null cohorts the smallest value is ``1 / (n + 1)``.
    """
    null = np.asarray(null, dtype=np.float64)
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + len(null)))


#: Separations (Mahalanobis distance between the centres of two equal halves, in within-half SDs) of
#: the planted cohorts that measure what the cohort's size and dimensions let the test detect.
#: (Two equal Gaussian halves closer than 2 SD make a unimodal mixture: no gap to find.)
POWER_SEPARATIONS = (3.0, 4.0, 5.0, 6.0)
#: Planted cohorts drawn at each separation.
POWER_REPLICATES = 2
#: A cohort whose planted halves are called distinct only beyond this separation (or never) is too
#: small to tell: the pipeline then misses subgroups that lie 4 within-group SDs apart.
TOO_SMALL_SEPARATION = 4.0


def planted_halves(x: np.ndarray, n_rows: int, separation: float, rng: np.random.Generator, parts: tuple | None = None) -> np.ndarray:
    """Two equal halves ``separation`` apart, with the same mean and covariance as ``x`` (so the same null).

    Drawn like :func:`gaussian_null`, except that along the leading principal axis each half is
    shifted by ``±d`` and shrunk to ``sqrt(1 - d^2)`` of the axis' SD, ``d = s / sqrt(s^2 + 4)``: the
    mixture keeps the axis' variance (hence the mean and covariance of ``x``) and the halves' centres
    lie ``s`` within-half SDs apart (a Mahalanobis distance of ``s``).

    Parameters
    ----------
    x : ndarray of shape (n, p)
    n_rows : int
    separation : float
        ``s`` >= 0.
    rng : numpy Generator
    parts : tuple, optional
        :func:`gaussian_parts` of ``x``, when already computed.

    Returns
    -------
    ndarray of shape (n_rows, p)
    """
    mean, scale, axes = parts if parts is not None else gaussian_parts(x)
    z = rng.standard_normal((n_rows, len(scale)))
    shift = separation / np.sqrt(separation**2 + 4)
    side = np.where(rng.permutation(n_rows) < n_rows // 2, -1.0, 1.0)
    z[:, 0] = side * shift + np.sqrt(1 - shift**2) * z[:, 0]
    return mean + (z * scale) @ axes


@dataclass(frozen=True)
class NullComparison:
    """One statistic of the cohort against the same statistic in the null cohorts.

    Attributes
    ----------
    observed : float
    null : tuple of float
        One value per null cohort, in the order they were drawn.
    p_value : float
        :func:`empirical_p_value` (larger is more extreme).
    """

    observed: float
    null: tuple[float, ...]
    p_value: float

    def summary(self) -> dict:
        """Median, 5th and 95th percentile and maximum of the null values, and how many reach the observed."""
        null = np.asarray(self.null, dtype=np.float64)
        if not len(null):
            return {}
        return {
            "median": float(np.median(null)),
            "p05": float(np.quantile(null, 0.05)),
            "p95": float(np.quantile(null, 0.95)),
            "max": float(null.max()),
            "at_least_observed": int(np.sum(null >= self.observed - 1e-12)),
        }


@dataclass(frozen=True)
class Power:
    """What the cohort can detect: the same pipeline and test on planted halves at known separations.

    Attributes
    ----------
    separations : tuple of float
        Mahalanobis separations of the planted halves (:func:`planted_halves`).
    distinct : tuple of float
        Share of the :data:`POWER_REPLICATES` planted cohorts at each separation called distinct
        (against this run's null cohorts).
    smallest_detected : float or None
        The smallest separation from which every planted cohort was called distinct; None if not
        all of the largest were.
    """

    separations: tuple[float, ...]
    distinct: tuple[float, ...]
    smallest_detected: float | None

    @property
    def too_small(self) -> bool:
        """True when planted halves closer than :data:`TOO_SMALL_SEPARATION` go undetected."""
        return self.smallest_detected is None or self.smallest_detected > TOO_SMALL_SEPARATION


@dataclass(frozen=True)
class Structure:
    """Are there biotypes at all? The verdict of the null-model test, with what it rests on.

    Attributes
    ----------
    verdict : {"distinct", "graded", "not_distinct", "untested"}
        distinct: the cohort is multimodal between two of its biotypes, more so than the same pipeline
        and test find in the null cohorts (``gap_null``) and significantly against any unimodal
        distribution (``gap``); graded: both, but the biotypes are ordered levels of one dimension
        (``graded``); not_distinct: either part fails, or the run found fewer than two biotypes;
        untested: no null cohort was run.
    explanation : str
        One sentence a researcher can quote.
    p_value : float or None
        ``max(gap_null.p_value, gap.p_value)``, the p-value of the intersection-union test of the
        two parts (Berger 1982); None when untested or with fewer than two biotypes.
    n_null : int
        Null cohorts run.
    n_tested : int
        Participants in the cohort tested and in each null cohort.
    subsampled : bool
        Whether ``n_tested`` is a seeded subsample of the clustered participants, re-clustered by the
        same pipeline (cohorts above :data:`MAX_TESTED_PARTICIPANTS`).
    separation : NullComparison or None
        Mean silhouette in the fused feature space (:func:`separation`), against the null cohorts':
        reported, not part of the verdict (it misses subgroups that differ along few of many
        features, see docs/methods.md).
    gap : Gap or None
        The cohort's dip test (:func:`gap`); pair numbers are the run's biotypes unless subsampled.
    gap_null : NullComparison or None
        The largest dip statistic over pairs of biotypes, against the null cohorts'.
    null_biotypes : tuple of int
        Biotypes the pipeline found in each null cohort.
    graded : GradedCheck or None
        Of the run's biotypes (all its participants).
    power : Power or None
    layout_epochs : int or None
        UMAP layout epochs of the pipeline's clusterings of the null and planted cohorts (and of the
        subsample): :data:`SUBSAMPLE_LAYOUT_EPOCHS` when subsampled, else umap-learn's default for
        ``n_tested`` participants, the run's own; None when untested.
    """

    verdict: str
    explanation: str
    p_value: float | None = None
    n_null: int = 0
    n_tested: int = 0
    subsampled: bool = False
    separation: NullComparison | None = None
    gap: Gap | None = None
    gap_null: NullComparison | None = None
    null_biotypes: tuple[int, ...] = ()
    graded: GradedCheck | None = None
    power: Power | None = field(default=None)
    layout_epochs: int | None = None

    @property
    def headline(self) -> str:
        """The verdict in words, with its p-value: e.g. ``"distinct (p = 0.05, 19 null cohorts)"``."""
        words = {"distinct": "distinct", "graded": "graded", "not_distinct": "not distinct", "untested": "not tested"}[self.verdict]
        if self.p_value is None:
            return words
        return f"{words} (p = {self.p_value:.2g}, {self.n_null} null cohorts)"

    def to_dict(self) -> dict:
        """JSON-ready values, as run.json's ``structure`` object holds them."""
        out = {"verdict": self.verdict, "explanation": self.explanation, "p_value": self.p_value, "n_null": self.n_null}
        out["null_model"] = NULL_MODEL if self.n_null else None
        out["n_tested"] = self.n_tested
        out["subsampled"] = self.subsampled
        out["layout_epochs"] = self.layout_epochs
        if self.gap is not None:
            out["gap"] = {
                "statistic": "Hartigan's dip of every participant's projection on a Fisher discriminant axis (each pair of biotypes, each biotype against the rest); the largest",
                "pair": list(self.gap.pair),
                "dip": self.gap.dip,
                "dip_test_p_value": self.gap.p_value,
                "dip_test": "against any unimodal distribution (Hartigan & Hartigan 1985), Bonferroni over the axes",
                "null_p_value": self.gap_null.p_value,
                "null": list(self.gap_null.null),
                "null_summary": self.gap_null.summary(),
            }
        if self.separation is not None:
            out["separation"] = {
                "statistic": "mean silhouette of the clustered participants in the fused feature space (reported, not in the verdict)",
                "observed": self.separation.observed,
                "null_p_value": self.separation.p_value,
                "null": list(self.separation.null),
                "null_summary": self.separation.summary(),
            }
        if self.null_biotypes:
            out["null_biotypes"] = list(self.null_biotypes)
        if self.graded is not None and np.isfinite(self.graded.axis_share):
            out["graded"] = {
                "axis_share": self.graded.axis_share,
                "order": list(self.graded.order),
                "threshold": GRADED_AXIS_SHARE,
                "graded": self.graded.graded,
            }
        if self.power is not None:
            out["power"] = {
                "separations": list(self.power.separations),
                "share_called_distinct": list(self.power.distinct),
                "replicates": POWER_REPLICATES,
                "smallest_detected": self.power.smallest_detected,
                "too_small_to_tell": self.power.too_small,
            }
        return out


def untested() -> Structure:
    """The structure of a run configured with ``null_cohorts = 0``."""
    return Structure(
        "untested",
        "Not tested (null_cohorts = 0): nothing here says whether these biotypes are distinct subgroups "
        "or what UMAP and HDBSCAN find in any data.",
    )


@dataclass(frozen=True)
class _Outcome:
    """What one cohort (observed, null or planted) gave: its separation, gap p-value and biotypes."""

    separation: float
    gap: Gap
    n_biotypes: int


def _tested(x: np.ndarray, config, labels: np.ndarray | None = None, epochs: int | None = None) -> _Outcome:
    """Cluster ``x`` with the pipeline and ``epochs`` layout epochs (unless ``labels`` are given) and measure both statistics."""
    if labels is None:
        from analysis.engine.clustering import find_biotypes

        labels = find_biotypes(x, config, with_display=False, layout_epochs=epochs)[0].labels
    return _Outcome(separation(x, labels), gap(x, labels), len({int(b) for b in labels if b >= 0}))


def null_pipeline_config(config, share: float = 1.0):
    """The run's configuration as the null cohorts run it: what the run chose from the data is chosen again.

    Parameters
    ----------
    config : RunConfig
        Resolved, with ``chosen_from_data`` naming the parameters the run chose itself.
    share : float
        Tested participants over clustered participants (< 1 when subsampled): sizes the run fixed
        are scaled by it, as the stability resamples scale them.
    """
    changes = {name: None for name in config.chosen_from_data}
    for name, low in (("min_cluster_size", 2), ("min_samples", 1)):
        value = getattr(config, name)
        if name not in changes and value is not None and share < 1:
            changes[name] = max(low, int(round(value * share)))
    return config.with_(**changes, stability_resamples=0, custom_groups=(), biotype_names=())


def structure_test(
    x: np.ndarray,
    numbers: np.ndarray,
    config,
    n_jobs: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> Structure:
    """Test a run's biotypes against ``config.null_cohorts`` Gaussian null cohorts, and measure its power.

    Parameters
    ----------
    x : ndarray of shape (n, p)
        The run's fused features (clustered participants).
    numbers : ndarray of int, shape (n,)
        The run's biotype numbers (1-based, -1 noise).
    config : RunConfig
        The run's resolved configuration; ``null_cohorts``, ``seed`` and ``chosen_from_data`` are read.
    n_jobs : int
        joblib workers for the null and planted cohorts (each seeded: where they run changes nothing).
    progress : callable(fraction, message), optional

    Returns
    -------
    Structure
    """
    from joblib import Parallel, delayed

    say = progress or (lambda fraction, message: None)
    x = np.asarray(x, dtype=np.float64)
    numbers = np.asarray(numbers)
    n_null = int(config.null_cohorts)
    if not n_null:
        return untested()
    graded = graded_check(x, numbers)
    k = len({int(b) for b in numbers if b >= 1})
    if k < 2:
        return Structure("not_distinct", "The run found fewer than two biotypes: there is nothing to call distinct.", graded=graded)
    n = len(x)
    n_tested = min(n, MAX_TESTED_PARTICIPANTS)
    subsampled = n_tested < n
    pipeline = null_pipeline_config(config, n_tested / n)
    parts = gaussian_parts(x)  # one SVD serves every null and planted cohort
    planted = [
        planted_halves(x, n_tested, s, np.random.default_rng([config.seed, 2, j, r]), parts)
        for j, s in enumerate(POWER_SEPARATIONS)
        for r in range(POWER_REPLICATES)
    ]
    cohorts = [gaussian_null(x, n_tested, np.random.default_rng([config.seed, 1, j]), parts) for j in range(n_null)] + planted
    if subsampled:
        rows = np.sort(np.random.default_rng([config.seed, 3]).choice(n, n_tested, replace=False))
        cohorts.append(x[rows])
    say(0.0, f"structure: the pipeline on {n_null} null cohorts and {len(planted)} planted ones of {n_tested} participants")
    outcomes = []
    epochs = SUBSAMPLE_LAYOUT_EPOCHS if subsampled else None
    jobs = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)(delayed(_tested)(c, pipeline, None, epochs) for c in cohorts)
    for done, outcome in enumerate(jobs, start=1):
        outcomes.append(outcome)
        say(done / (len(cohorts) + 1), f"structure: {done} of {len(cohorts)} cohorts clustered")
    observed = outcomes.pop() if subsampled else _tested(x, pipeline, numbers)
    nulls, planted_outcomes = outcomes[:n_null], outcomes[n_null:]
    null_separation = np.array([o.separation for o in nulls])
    separated = NullComparison(
        observed.separation, tuple(null_separation.tolist()), empirical_p_value(observed.separation, null_separation)
    )
    null_dip = np.array([o.gap.dip for o in nulls])
    gapped = NullComparison(observed.gap.dip, tuple(null_dip.tolist()), empirical_p_value(observed.gap.dip, null_dip))

    def called_distinct(outcome: _Outcome) -> bool:
        return max(empirical_p_value(outcome.gap.dip, null_dip), outcome.gap.p_value) <= ALPHA

    calls = np.array([called_distinct(o) for o in planted_outcomes]).reshape(len(POWER_SEPARATIONS), POWER_REPLICATES)
    shares = tuple(float(v) for v in calls.mean(axis=1))
    from_here = [s for j, s in enumerate(POWER_SEPARATIONS) if calls[j:].all()]
    power = Power(POWER_SEPARATIONS, shares, from_here[0] if from_here else None)
    p_value = max(gapped.p_value, observed.gap.p_value)
    verdict = ("graded" if graded.graded else "distinct") if p_value <= ALPHA else "not_distinct"
    say(1.0, "structure: done")
    return Structure(
        verdict,
        explanation_of(verdict, gapped, observed.gap, graded, power, n_null, n_tested, subsampled),
        p_value,
        n_null,
        n_tested,
        subsampled,
        separated,
        observed.gap,
        gapped,
        tuple(o.n_biotypes for o in nulls),
        graded,
        power,
        epochs or layout_epochs(n_tested),
    )


def explanation_of(
    verdict: str, gapped: NullComparison, found: Gap, graded: GradedCheck, power: Power, n_null: int, n_tested: int, subsampled: bool
) -> str:
    """The one-sentence explanation of a tested verdict (see :class:`Structure`)."""
    summary = gapped.summary()
    where = f" (tested on a subsample of {n_tested:,} participants)" if subsampled else ""
    pair = (
        "two biotypes"
        if subsampled or not found.pair
        else f"B{found.pair[0]} and " + (f"B{found.pair[1]}" if len(found.pair) == 2 else "the other biotypes")
    )
    against = (
        f"dip {gapped.observed:.3f} against {summary['median']:.3f} (median) in {n_null} Gaussian null cohorts with the same "
        "means and covariance run through the same pipeline"
    )
    if verdict in ("distinct", "graded"):
        text = (
            f"The cohort{where} has a gap between {pair}: along the discriminant axis between them the participants are more multimodal "
            f"than in any null cohort ({against}; p = {gapped.p_value:.2g}) and than any unimodal distribution "
            f"(dip test p {p_text(found.p_value)})"
        )
        if verdict == "graded":
            order = " < ".join(f"B{b}" for b in graded.order)
            text += (
                f", but {graded.axis_share:.0%} of the differences between the biotypes lie along one axis ({order}): "
                "ordered levels of one dimension rather than distinct types"
            )
        return text + "."
    if gapped.p_value > ALPHA:
        text = (
            f"Not distinct{where}: the same pipeline finds as large a gap between biotypes in {summary['at_least_observed']} of "
            f"{n_null} Gaussian null cohorts with no subgroups ({against}; p = {gapped.p_value:.2g})"
        )
    else:
        text = (
            f"Not distinct{where}: more multimodal than the Gaussian null cohorts ({against}; p = {gapped.p_value:.2g}) but "
            f"not significantly multimodal (dip test p {p_text(found.p_value)}): a continuum that is not Gaussian, not separate subgroups"
        )
    if graded.graded:
        text += f"; {graded.axis_share:.0%} of the differences between the biotypes lie along one axis, as levels of one severity would"
    if power.too_small:
        detected = (
            f"only from a separation of {power.smallest_detected:g} SD"
            if power.smallest_detected is not None
            else f"not even {max(power.separations):g} SD apart"
        )
        text += f". Too small to tell: at N = {n_tested:,}, two planted subgroups were called distinct {detected}"
    return text + "."
