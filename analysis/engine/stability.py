"""Stability of biotypes under subsampling (Hennig's clusterboot idea, with subsamples instead of bootstraps).

Each resample re-runs the whole embedding and clustering on a random 80% of the participants with
the run's resolved parameters (min_cluster_size and min_samples scaled to the subsample); every
reference biotype is matched to its most similar resample cluster by Jaccard index. Biotypes with a
median Jaccard under 0.5 dissolve under resampling; above 0.75 they are stable (Hennig 2007).

For large cohorts a resample can re-cluster fewer participants (``RunConfig.stability_subsample``)
and place the others with the resample's UMAP ``transform`` and HDBSCAN ``approximate_predict``:
the cost then follows the subsample size plus one transform of the rest.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import adjusted_rand_score

from analysis.errors import CohortError

SUBSAMPLE_FRACTION = 0.8


@dataclass(frozen=True)
class Stability:
    """Resampling stability of a run's biotypes.

    Attributes
    ----------
    jaccard : DataFrame, shape (n_resamples, n_biotypes)
        Best Jaccard index of each reference biotype (columns, 0-based) in each resample.
    ari : ndarray of float, shape (n_resamples,)
        Adjusted Rand index between reference and resample labels on the participants both contain.
    participant : ndarray of float, shape (n,)
        Per clustered participant, the share of the resamples containing them in which they fell in
        the cluster matched to their own biotype (noise participants: share left as noise); NaN for
        a participant no resample contained.
    subsample_size : int
        Participants re-clustered per resample.
    predicted : bool
        Whether the other participants were placed by ``approximate_predict`` (then every
        participant is in every comparison).
    seconds : float
        Wall-clock time of all resamples.
    """

    jaccard: pd.DataFrame
    ari: np.ndarray
    participant: np.ndarray
    subsample_size: int = 0
    predicted: bool = False
    seconds: float = 0.0

    def cost(self) -> str:
        """One line on what the measurement re-clustered and what it cost."""
        n = len(self.jaccard)
        placed = ", the others placed by approximate_predict" if self.predicted else ""
        return f"{n} resamples of {self.subsample_size} participants{placed}: {self.seconds:.0f} s ({self.seconds / max(n, 1):.1f} s each)"

    def summary(self) -> pd.DataFrame:
        """Per biotype: median and 10th percentile Jaccard, and a verdict."""
        median = self.jaccard.median()
        low = self.jaccard.quantile(0.1)
        verdict = np.where(median >= 0.75, "stable", np.where(median >= 0.5, "patterned", "dissolves"))
        return pd.DataFrame(
            {"biotype": median.index + 1, "median_jaccard": median.to_numpy(), "p10_jaccard": low.to_numpy(), "verdict": verdict}
        )


def subsample_stability(x: np.ndarray, labels: np.ndarray, config, n_resamples: int, n_jobs: int = 1, progress=None) -> Stability:
    """Re-cluster ``n_resamples`` random subsamples and compare with the reference labels.

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
        The fused features of the run.
    labels : ndarray of int, shape (n,)
        Reference labels (0-based, -1 noise).
    config : RunConfig
        Resolved (n_neighbors, min_cluster_size, min_samples set); its seed seeds the subsamples and
        ``stability_subsample`` sets their size (0: 80% of ``n``, the rest not compared).
    n_resamples : int
    n_jobs : int
        Parallel processes (joblib); each process compiles umap-learn's code once.
    progress : callable(fraction, message), optional
        Called as each resample finishes, with the time per resample and the time left.

    Returns
    -------
    Stability

    Raises
    ------
    CohortError
        If ``config.stability_subsample`` is not below ``n``.
    """
    n = len(x)
    predicted = bool(config.stability_subsample)
    size = config.stability_subsample or int(round(SUBSAMPLE_FRACTION * n))
    if size >= n:
        raise CohortError(
            f"stability_subsample is {size}, but only {n} participants are clustered",
            "run configuration",
            f"set stability_subsample below {n}, or 0 for 80% of the participants",
        )
    rng = np.random.default_rng(config.seed)
    subsets = [np.sort(rng.choice(n, size, replace=False)) for _ in range(n_resamples)]
    share = size / n
    sub_config = config.with_(
        min_cluster_size=max(2, int(round(config.min_cluster_size * share))),
        min_samples=max(1, int(round(config.min_samples * share))) if config.min_samples else None,
    )
    say = progress or (lambda fraction, message: None)
    placed = f", the other {n - size} placed by approximate_predict" if predicted else ""
    say(0.0, f"stability: re-clustering {n_resamples} subsamples of {size} participants{placed}")
    started = time.perf_counter()
    results = []
    jobs = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)(
        delayed(_recluster)(x, rows, predicted, sub_config, k) for k, rows in enumerate(subsets)
    )
    for k, labels_k in enumerate(jobs):
        results.append(labels_k)
        each = (time.perf_counter() - started) / (k + 1)
        say(
            (k + 1) / n_resamples,
            f"stability: {k + 1} of {n_resamples} subsamples re-clustered ({each:.0f} s each, about {each * (n_resamples - k - 1):.0f} s left)",
        )
    seconds = time.perf_counter() - started
    if predicted:
        subsets = [np.arange(n)] * n_resamples
    biotypes = sorted(b for b in set(labels.tolist()) if b >= 0)
    jaccard = np.full((n_resamples, len(biotypes)), np.nan)
    ari = np.empty(n_resamples)
    hits = np.zeros(len(x))
    seen = np.zeros(len(x))
    for k, (rows, resample) in enumerate(zip(subsets, results, strict=True)):
        reference = labels[rows]
        ari[k] = adjusted_rand_score(reference, resample)
        matched = {}
        for j, b in enumerate(biotypes):
            members = reference == b
            best, best_cluster = 0.0, None
            for c in set(resample[members].tolist()) - {-1}:
                inside = resample == c
                score = (members & inside).sum() / (members | inside).sum()
                if score > best:
                    best, best_cluster = score, c
            jaccard[k, j] = best
            matched[b] = best_cluster
        target = np.array(
            [-1 if r < 0 else (-2 if matched.get(r) is None else matched[r]) for r in range(-1, max(biotypes, default=-1) + 1)]
        )
        same = resample == target[reference + 1]
        hits[rows] += same
        seen[rows] += 1
    participant = np.divide(hits, seen, out=np.full(len(x), np.nan), where=seen > 0)
    return Stability(pd.DataFrame(jaccard, columns=biotypes), ari, participant, size, predicted, seconds)


def _recluster(x: np.ndarray, rows: np.ndarray, predict_rest: bool, config, k: int) -> np.ndarray:
    """Labels of one subsample (its own seed derived from the run's), with the rest placed when asked.

    Returns
    -------
    ndarray of int
        Shape (len(rows),), or (len(x),) with ``predict_rest``: the other participants get the
        resample's biotype that ``approximate_predict`` gives them in its clustering embedding.
    """
    import hdbscan

    from analysis.engine.clustering import find_biotypes, with_prediction_data

    result, models = find_biotypes(x[rows], config.with_(seed=config.seed + 1 + k), with_display=False)
    if not predict_rest:
        return result.labels
    rest = np.setdiff1d(np.arange(len(x)), rows, assume_unique=True)
    out = np.full(len(x), -1, dtype=np.int64)
    out[rows] = result.labels
    if result.n_biotypes and len(rest):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            embedding = models.umap.transform(x[rest])
            raw, _ = hdbscan.approximate_predict(with_prediction_data(models.hdbscan), embedding)
        out[rest] = [models.label_order.get(int(c), -1) for c in raw]
    return out
