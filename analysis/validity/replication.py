"""Would the biotypes be found again in other people? Split-half replication of a run's biotypes.

Each split divides the clustered participants into two halves (stratified by site when the cohort has
one), finds biotypes in each half with the run's pipeline (what the run chose from the data is chosen
again, as in :func:`analysis.validity.structure.null_pipeline_config`), and places each half's participants
into the other half's biotypes through the model path: UMAP ``transform``, HDBSCAN
``approximate_predict`` and the neighbour-agreement check, as ``python -m analysis assign`` does.
Every comparison then runs in both directions (training half → test half):

- **prediction strength** (Tibshirani & Walther 2005): for the test half's own cluster matched to a
  biotype, the share of its pairs of participants whom the training half's model places together.
  0.8 or more reads as a cluster that replicates;
- **in-group proportion** (Kapp & Tibshirani 2007): test participants are classified to the nearest
  centroid of the training half's clusters; the in-group proportion of a cluster is the share of
  those classified to it whose nearest neighbour in the test half is classified to it too. Its
  p-value compares the in-group proportion, averaged over every split and direction, with the same
  average in null test halves drawn from one Gaussian with the test half's mean and covariance (the
  structure test's null: no subgroups), classified to the same centroids. clusterRepro's own null
  (principal components permuted one by one) keeps each component's marginal, so clusters that lie
  along a component survive it: on three Gaussian blobs in 5 to 30 dimensions its in-group
  proportions were as high as the observed ones (measured), and the test had no power;
- **ARI** between the test half's own biotypes and those it is placed into;
- **profile correlation**: the correlation, over every fused feature, of a biotype's standardised mean
  differences (biotype against the rest) in the two halves.

A run's biotype is matched in each half to the half's cluster with the largest Jaccard index over the
half's members of that biotype; with no overlap it is not found and scores 0. Per biotype the median
over every split and direction is reported with its range.

The halves are cut from the run's fused features, whose scaling and imputation were fitted on the
whole cohort: split-half replication tests the clustering, not the feature fitting. Leave-one-site-out
(:mod:`analysis.validity.replication` ``site`` functions) refits everything on the training sites.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

#: Prediction strength from which a biotype reads as replicated (Tibshirani & Walther 2005).
PREDICTION_STRENGTH_THRESHOLD = 0.8
#: A half's cluster is the biotype's counterpart only if their Jaccard index is at least this.
MATCH_JACCARD = 0.5
#: Null test halves of the in-group-proportion test in each split and direction (smallest p 0.01).
IGP_NULL_HALVES = 99
ALPHA = 0.05
#: Random splits of a run (``RunConfig.replication_splits``) unless configured.
DEFAULT_REPLICATION_SPLITS = 5
#: Below this many clustered participants the halves are too small to cluster; replication is skipped.
MIN_REPLICATION_PARTICIPANTS = 100
#: At most this many participants per half: larger cohorts are subsampled for each split (said in run.json).
MAX_HALF_PARTICIPANTS = 1000


@dataclass(frozen=True)
class BiotypeReplication:
    """How one biotype of the run replicates across halves.

    Attributes
    ----------
    biotype : int
        The biotype's number (1-based, as in assignments.csv).
    prediction_strength, in_group_proportion, profile_correlation : float
        Medians over every split and direction (profile correlation NaN when never found in both halves).
    prediction_strength_range, in_group_proportion_range : tuple of float
        (smallest, largest) over splits and directions.
    p_value : float
        The mean in-group proportion over splits and directions against its Gaussian null (smallest
        ``1 / (IGP_NULL_HALVES + 1)``).
    found : float
        Share of the halves in which the biotype has a counterpart (Jaccard >= :data:`MATCH_JACCARD`).
    """

    biotype: int
    prediction_strength: float
    prediction_strength_range: tuple[float, float]
    in_group_proportion: float
    in_group_proportion_range: tuple[float, float]
    p_value: float
    profile_correlation: float
    found: float

    @property
    def replicates(self) -> bool:
        """Prediction strength at least 0.8 and the in-group proportion above its null (p at most 0.05)."""
        return self.prediction_strength >= PREDICTION_STRENGTH_THRESHOLD and self.p_value <= ALPHA

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "biotype": self.biotype,
            "prediction_strength": _rounded(self.prediction_strength),
            "prediction_strength_range": [_rounded(v) for v in self.prediction_strength_range],
            "in_group_proportion": _rounded(self.in_group_proportion),
            "in_group_proportion_range": [_rounded(v) for v in self.in_group_proportion_range],
            "p_value": _rounded(self.p_value),
            "profile_correlation": _rounded(self.profile_correlation),
            "found": _rounded(self.found),
            "replicates": self.replicates,
        }


@dataclass(frozen=True)
class SplitHalf:
    """Split-half replication of a run.

    Attributes
    ----------
    n_splits : int
        Random splits (each compared in both directions).
    n_per_half : int
        Participants in each half (the smaller half when the count is odd).
    subsampled : bool
        Each split drew ``2 * n_per_half`` of the clustered participants (large cohorts).
    stratified_by : str
        The site column the halves were balanced on, or "".
    ari : tuple of float
        Per split and direction, ARI between the test half's own biotypes and those it is placed into.
    biotypes : tuple of BiotypeReplication
    seconds : float
    layout_epochs : int or None
        UMAP layout epochs of the halves' clusterings: ``SUBSAMPLE_LAYOUT_EPOCHS`` of the structure
        test when subsampled, else umap-learn's default for a half, the run's own.
    """

    n_splits: int
    n_per_half: int
    subsampled: bool
    stratified_by: str
    ari: tuple[float, ...]
    biotypes: tuple[BiotypeReplication, ...]
    seconds: float = 0.0
    layout_epochs: int | None = None

    def summary(self) -> pd.DataFrame:
        """One row per biotype: the medians, ranges, p-value, share found and whether it replicates."""
        rows = [b.to_dict() for b in self.biotypes]
        frame = pd.DataFrame(rows)
        if frame.empty:
            return pd.DataFrame(columns=["biotype", "prediction_strength", "in_group_proportion", "p_value", "replicates"])
        for key in ("prediction_strength_range", "in_group_proportion_range"):
            frame[key.replace("_range", "_low")] = [r[0] for r in frame[key]]
            frame[key.replace("_range", "_high")] = [r[1] for r in frame[key]]
        return frame.drop(columns=["prediction_strength_range", "in_group_proportion_range"])

    def headline(self) -> str:
        """One line: how many biotypes replicate, and the median ARI."""
        replicated = [b.biotype for b in self.biotypes if b.replicates]
        median_ari = float(np.median(self.ari)) if self.ari else float("nan")
        which = ", ".join(f"B{b}" for b in replicated) or "none"
        return (
            f"{len(replicated)} of {len(self.biotypes)} biotypes replicate across halves ({which}); "
            f"median ARI {median_ari:.2f} over {self.n_splits} splits"
        )

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "n_splits": self.n_splits,
            "n_per_half": self.n_per_half,
            "subsampled": self.subsampled,
            "stratified_by": self.stratified_by,
            "ari": [_rounded(v) for v in self.ari],
            "median_ari": _rounded(float(np.median(self.ari))) if self.ari else None,
            "biotypes": [b.to_dict() for b in self.biotypes],
            "seconds": round(self.seconds, 1),
            "layout_epochs": self.layout_epochs,
        }


@dataclass(frozen=True)
class Direction:
    """One training half → test half comparison.

    Attributes
    ----------
    x_train, x_test : ndarray of shape (n_half, p)
        Fused features of the halves.
    reference_train, reference_test : ndarray of int
        The run's 0-based labels of the halves' participants.
    own_train, own_test : ndarray of int
        Each half's own 0-based labels (-1 noise).
    placed_test : ndarray of int
        The test half placed into the training half's clusters (-1 none).
    """

    x_train: np.ndarray
    x_test: np.ndarray
    reference_train: np.ndarray
    reference_test: np.ndarray
    own_train: np.ndarray
    own_test: np.ndarray
    placed_test: np.ndarray


def _rounded(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def site_column(frame: pd.DataFrame) -> str:
    """The column naming each participant's site: ``site``, else ``scanner`` (any case), else ""."""
    lowered = {c.lower(): c for c in frame.columns}
    return lowered.get("site") or lowered.get("scanner") or ""


def half_split(n: int, strata: np.ndarray | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of ``range(n)``, balanced within each stratum.

    Parameters
    ----------
    n : int
    strata : ndarray of shape (n,), optional
        A site per participant; each site's participants are split evenly (its odd one out goes to
        whichever half is smaller so far).
    rng : numpy Generator

    Returns
    -------
    first, second : ndarray of int
        Sorted positions; sizes differ by at most one.
    """
    strata = np.zeros(n, dtype=int) if strata is None else pd.factorize(pd.Series(strata).astype(str))[0]
    first, second = [], []
    for stratum in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == stratum))
        half = len(members) // 2
        extra = members[2 * half :]
        first += list(members[:half])
        second += list(members[half : 2 * half])
        (first if len(first) <= len(second) else second).extend(extra)
    return np.sort(np.array(first, dtype=int)), np.sort(np.array(second, dtype=int))


def counterparts(reference: np.ndarray, labels: np.ndarray) -> dict[int, tuple[int | None, float]]:
    """Each reference biotype's best-matching cluster among ``labels`` of the same participants.

    Parameters
    ----------
    reference, labels : ndarray of int, shape (n,)
        0-based labels, -1 noise.

    Returns
    -------
    dict of int to (int or None, float)
        Reference label → (its counterpart, their Jaccard index); None when the best Jaccard is
        below :data:`MATCH_JACCARD`.
    """
    out = {}
    for b in sorted(set(reference.tolist()) - {-1}):
        members = reference == b
        best, best_cluster = 0.0, None
        for c in set(labels[members].tolist()) - {-1}:
            inside = labels == c
            score = float((members & inside).sum() / (members | inside).sum())
            if score > best:
                best, best_cluster = score, c
        out[b] = (best_cluster if best >= MATCH_JACCARD else None, best)
    return out


def prediction_strength(members: np.ndarray, placed: np.ndarray) -> float:
    """Share of pairs of a test cluster's members that the training model places in one cluster.

    Parameters
    ----------
    members : ndarray of bool, shape (n_test,)
        The test half's own cluster.
    placed : ndarray of int, shape (n_test,)
        Labels from the training half's model; -1 (placed nowhere) pairs with nobody.

    Returns
    -------
    float
        In [0, 1]; 0 for a cluster of fewer than two members.
    """
    m = int(members.sum())
    if m < 2:
        return 0.0
    counts = np.bincount(placed[members][placed[members] >= 0])
    return float((counts * (counts - 1)).sum() / (m * (m - 1)))


def nearest_centroid_labels(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of each row's nearest centroid (Euclidean), shape (n,)."""
    distance = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    return distance.argmin(axis=1)


def nearest_neighbours(x: np.ndarray) -> np.ndarray:
    """Index of each row's nearest other row, shape (n,)."""
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=2).fit(x).kneighbors(x, return_distance=False)[:, 1]


def in_group_proportions(x_test: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """In-group proportion of each centroid's class in the test data (Kapp & Tibshirani 2007).

    Returns
    -------
    ndarray of float, shape (n_centroids,)
        Share of the test rows classified to the centroid whose nearest neighbour is classified to
        it too; 0 where no row is.
    """
    classes = nearest_centroid_labels(x_test, centroids)
    same = classes[nearest_neighbours(x_test)] == classes
    k = len(centroids)
    total = np.bincount(classes, minlength=k)
    kept = np.bincount(classes[same], minlength=k)
    return np.divide(kept, total, out=np.zeros(k), where=total > 0)


def effect_sizes(x: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Standardised mean difference of ``members`` against the other rows on every column, shape (p,)."""
    inside, outside = x[members], x[~members]
    if len(inside) < 2 or len(outside) < 2:
        return np.full(x.shape[1], np.nan)
    pooled = np.sqrt(((len(inside) - 1) * inside.var(axis=0, ddof=1) + (len(outside) - 1) * outside.var(axis=0, ddof=1)) / (len(x) - 2))
    return np.divide(inside.mean(axis=0) - outside.mean(axis=0), pooled, out=np.zeros(x.shape[1]), where=pooled > 0)


@dataclass(frozen=True)
class DirectionScores:
    """Per reference biotype (0-based key): prediction strength, in-group proportion and its null values, profile r, found; and the ARI."""

    prediction_strength: dict[int, float]
    in_group_proportion: dict[int, float]
    null_in_group_proportion: dict[int, np.ndarray]
    profile_correlation: dict[int, float]
    found: dict[int, bool]
    ari: float


def direction_scores(d: Direction, biotypes: list[int], rng: np.random.Generator, n_null: int = IGP_NULL_HALVES) -> DirectionScores:
    """The replication statistics of one training → test comparison (see the module docstring).

    Parameters
    ----------
    d : Direction
    biotypes : list of int
        The run's 0-based biotypes.
    rng : numpy Generator
        Draws the in-group-proportion null halves.
    n_null : int

    Returns
    -------
    DirectionScores
    """
    in_train = counterparts(d.reference_train, d.own_train)
    in_test = counterparts(d.reference_test, d.own_test)
    clusters = sorted(set(d.own_train.tolist()) - {-1})
    centroids = np.array([d.x_train[d.own_train == c].mean(axis=0) for c in clusters]) if clusters else np.zeros((0, d.x_train.shape[1]))
    if len(clusters) >= 2:
        from analysis.validity.structure import gaussian_null, gaussian_parts

        observed = in_group_proportions(d.x_test, centroids)
        parts = gaussian_parts(d.x_test)
        null = np.array([in_group_proportions(gaussian_null(d.x_test, len(d.x_test), rng, parts), centroids) for _ in range(n_null)])
    ps, igp, igp_null, r, found = {}, {}, {}, {}, {}
    for b in biotypes:
        c_train, c_test = in_train.get(b, (None, 0.0))[0], in_test.get(b, (None, 0.0))[0]
        found[b] = c_train is not None and c_test is not None
        ps[b] = prediction_strength(d.own_test == c_test, d.placed_test) if c_test is not None else 0.0
        if c_train is None or len(clusters) < 2:
            igp[b], igp_null[b] = 0.0, np.zeros(n_null)
        else:
            j = clusters.index(c_train)
            igp[b], igp_null[b] = float(observed[j]), null[:, j]
        if found[b]:
            a, t = effect_sizes(d.x_train, d.own_train == c_train), effect_sizes(d.x_test, d.own_test == c_test)
            ok = np.isfinite(a) & np.isfinite(t)
            r[b] = float(np.corrcoef(a[ok], t[ok])[0, 1]) if ok.sum() >= 3 and a[ok].std() > 0 and t[ok].std() > 0 else float("nan")
        else:
            r[b] = float("nan")
    return DirectionScores(ps, igp, igp_null, r, found, float(adjusted_rand_score(d.own_test, d.placed_test)))


def placed_labels(models, x_train: np.ndarray, own_train: np.ndarray, x_new: np.ndarray, config, n_neighbors: int) -> np.ndarray:
    """New participants placed into a clustering's biotypes by the model path (UMAP transform, approximate_predict, neighbour agreement).

    Parameters
    ----------
    models : analysis.engine.clustering.FittedModels
        :func:`analysis.engine.clustering.find_biotypes` models of the training participants.
    x_train : ndarray of shape (n_train, p)
    own_train : ndarray of int, shape (n_train,)
        The training participants' 0-based labels.
    x_new : ndarray of shape (n_new, p)
    config : RunConfig
        Its ``neighbour_agreement`` is applied.
    n_neighbors : int
        Neighbours of the agreement check.

    Returns
    -------
    ndarray of int, shape (n_new,)
        0-based labels of the training clustering, -1 for none.
    """
    import hdbscan

    from analysis.engine.clustering import with_prediction_data

    if not (own_train >= 0).any() or not len(x_new):
        return np.full(len(x_new), -1, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        embedding = models.umap.transform(x_new)
        raw, _ = hdbscan.approximate_predict(with_prediction_data(models.hdbscan), embedding)
    labels = np.array([models.label_order.get(int(c), -1) for c in raw], dtype=np.int64)
    agreement = neighbour_share(x_train, own_train, x_new, labels, n_neighbors)
    return np.where(agreement >= config.neighbour_agreement, labels, -1)


def neighbour_share(x_reference: np.ndarray, reference_labels: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Share of each row's ``k`` nearest reference rows whose label is the row's own; NaN where the row's label is -1.

    Parameters
    ----------
    x_reference : ndarray of shape (n_reference, p)
    reference_labels : ndarray of int, shape (n_reference,)
    x : ndarray of shape (n, p)
    labels : ndarray of int, shape (n,)
    k : int
        Capped at ``n_reference``.

    Returns
    -------
    ndarray of float, shape (n,)
    """
    from sklearn.neighbors import NearestNeighbors

    if len(x) == 0:
        return np.zeros(0)
    k = min(k, len(reference_labels))
    neighbours = NearestNeighbors(n_neighbors=k).fit(x_reference).kneighbors(x, return_distance=False)
    share = (reference_labels[neighbours] == labels[:, None]).mean(axis=1)
    return np.where(labels >= 0, share, np.nan)


def _split_scores(
    x: np.ndarray, labels: np.ndarray, halves: tuple, config, seeds: tuple[int, int], epochs: int | None, biotypes: list[int], rng
) -> list[DirectionScores]:
    """One split: both halves clustered (``epochs`` layout epochs), each placed into the other's biotypes, both directions scored.

    Runs whole in one worker, so that the in-group proportion's null halves (most of a split's
    cost) are spread over the workers with the clusterings, not computed in the parent while
    the workers compete for the same cores.

    Returns
    -------
    list of DirectionScores
        First half → second, then second → first.
    """
    from analysis.engine.clustering import find_biotypes

    first, second = halves
    fits = [
        find_biotypes(x[rows], config.with_(seed=seed), with_display=False, layout_epochs=epochs)
        for rows, seed in zip(halves, seeds, strict=True)
    ]
    (c1, m1), (c2, m2) = fits
    placed_second = placed_labels(m1, x[first], c1.labels, x[second], config, c1.n_neighbors)
    placed_first = placed_labels(m2, x[second], c2.labels, x[first], config, c2.n_neighbors)
    directions = (
        Direction(x[first], x[second], labels[first], labels[second], c1.labels, c2.labels, placed_second),
        Direction(x[second], x[first], labels[second], labels[first], c2.labels, c1.labels, placed_first),
    )
    return [direction_scores(d, biotypes, rng) for d in directions]


def split_half_replication(
    x: np.ndarray,
    labels: np.ndarray,
    config,
    strata: np.ndarray | None = None,
    stratified_by: str = "",
    n_jobs: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> SplitHalf | None:
    """Split-half replication of a run's biotypes (see the module docstring).

    Parameters
    ----------
    x : ndarray of shape (n, p)
        The run's fused features (clustered participants).
    labels : ndarray of int, shape (n,)
        The run's 0-based biotypes (-1 noise).
    config : RunConfig
        Resolved; ``replication_splits``, ``seed`` and ``chosen_from_data`` are read.
    strata : ndarray of shape (n,), optional
        Each participant's site; the halves are balanced within sites.
    stratified_by : str
        The site column's name, recorded.
    n_jobs : int
        joblib workers for the splits (each seeded: where they run changes nothing).
    progress : callable(fraction, message), optional

    Returns
    -------
    SplitHalf or None
        None when ``config.replication_splits`` is 0, the run found no biotype, or fewer than
        :data:`MIN_REPLICATION_PARTICIPANTS` participants are clustered.
    """
    from joblib import Parallel, delayed

    from analysis.engine.library_internals import layout_epochs
    from analysis.validity.structure import SUBSAMPLE_LAYOUT_EPOCHS, null_pipeline_config

    n_splits = int(config.replication_splits)
    biotypes = sorted(set(np.asarray(labels).tolist()) - {-1})
    if not n_splits or not biotypes or len(x) < MIN_REPLICATION_PARTICIPANTS:
        return None
    say = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(x)
    used = min(n, 2 * MAX_HALF_PARTICIPANTS)
    pipeline = null_pipeline_config(config, used / 2 / n)
    splits = []
    for r in range(n_splits):
        rng = np.random.default_rng([config.seed, 4, r])
        rows = np.sort(rng.choice(n, used, replace=False)) if used < n else np.arange(n)
        first, second = half_split(len(rows), None if strata is None else np.asarray(strata)[rows], rng)
        splits.append((rows[first], rows[second]))
    epochs = SUBSAMPLE_LAYOUT_EPOCHS if used < n else None
    say(0.0, f"replication: clustering {n_splits} pairs of halves of {used // 2} participants")
    seeds = [((config.seed + 7919 * (r + 1)) % 2**32, (config.seed + 7919 * (r + 1) + 1) % 2**32) for r in range(n_splits)]
    jobs = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)(
        delayed(_split_scores)(x, labels, halves, pipeline, s, epochs, biotypes, np.random.default_rng([config.seed, 5, r]))
        for r, (halves, s) in enumerate(zip(splits, seeds, strict=True))
    )
    scores = []
    for r, split in enumerate(jobs):
        scores.extend(split)
        say((r + 1) / n_splits, f"replication: {r + 1} of {n_splits} splits compared")
    per_biotype = tuple(_biotype_replication(b, scores) for b in biotypes)
    return SplitHalf(
        n_splits,
        used // 2,
        used < n,
        stratified_by if strata is not None else "",
        tuple(s.ari for s in scores),
        per_biotype,
        time.perf_counter() - started,
        epochs or layout_epochs(used // 2),
    )


def _biotype_replication(b: int, scores: list[DirectionScores]) -> BiotypeReplication:
    ps = np.array([s.prediction_strength[b] for s in scores])
    igp = np.array([s.in_group_proportion[b] for s in scores])
    r = np.array([s.profile_correlation[b] for s in scores])
    return BiotypeReplication(
        b + 1,
        float(np.median(ps)),
        (float(ps.min()), float(ps.max())),
        float(np.median(igp)),
        (float(igp.min()), float(igp.max())),
        pooled_p_value(igp, np.array([s.null_in_group_proportion[b] for s in scores])),
        float(np.nanmedian(r)) if np.isfinite(r).any() else float("nan"),
        float(np.mean([s.found[b] * 1.0 for s in scores])),
    )


def pooled_p_value(observed: np.ndarray, null: np.ndarray) -> float:
    """p of the mean over directions: ``observed`` (n_directions,) against ``null`` (n_directions, n_null), null draw j averaged across directions.

    A direction where the biotype has no counterpart contributes 0 to both sides. Never 0
    (Phipson & Smyth 2010).
    """
    from analysis.validity.structure import empirical_p_value

    return empirical_p_value(float(np.mean(observed)), null.mean(axis=0))
