"""Stability of biotypes under subsampling (Hennig's clusterboot idea, with subsamples instead of bootstraps).

Each resample re-runs the whole embedding and clustering on a random 80% of the participants with
the run's resolved parameters; every reference biotype is matched to its most similar resample
cluster by Jaccard index. Biotypes with a median Jaccard under 0.5 dissolve under resampling;
above 0.75 they are stable (Hennig 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import adjusted_rand_score

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
    participant : Series of float indexed by position
        Per clustered participant, the share of the resamples containing them in which they fell in
        the cluster matched to their own biotype (noise participants: share left as noise).
    """

    jaccard: pd.DataFrame
    ari: np.ndarray
    participant: np.ndarray

    def summary(self) -> pd.DataFrame:
        """Per biotype: median and 10th percentile Jaccard, and a verdict."""
        median = self.jaccard.median()
        low = self.jaccard.quantile(0.1)
        verdict = np.where(median >= 0.75, "stable", np.where(median >= 0.5, "patterned", "dissolves"))
        return pd.DataFrame(
            {"biotype": median.index + 1, "median_jaccard": median.to_numpy(), "p10_jaccard": low.to_numpy(), "verdict": verdict}
        )


def subsample_stability(x: np.ndarray, labels: np.ndarray, config, n_resamples: int, n_jobs: int = 1, progress=None) -> Stability:
    """Re-cluster ``n_resamples`` random 80% subsamples and compare with the reference labels.

    Parameters
    ----------
    x : ndarray of shape (n, n_features)
        The fused features of the run.
    labels : ndarray of int, shape (n,)
        Reference labels (0-based, -1 noise).
    config : RunConfig
        Resolved (n_neighbors, min_cluster_size, min_samples set); its seed seeds the subsamples.
    n_resamples : int
    n_jobs : int
        Parallel processes (joblib); each process compiles umap-learn's code once.
    progress : callable(fraction, message), optional
        Called as each resample finishes.

    Returns
    -------
    Stability
    """
    rng = np.random.default_rng(config.seed)
    size = int(round(SUBSAMPLE_FRACTION * len(x)))
    subsets = [np.sort(rng.choice(len(x), size, replace=False)) for _ in range(n_resamples)]
    sub_config = config.with_(min_cluster_size=max(2, int(round(config.min_cluster_size * SUBSAMPLE_FRACTION))))
    say = progress or (lambda fraction, message: None)
    results = []
    jobs = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)(
        delayed(_recluster)(x[rows], sub_config, k) for k, rows in enumerate(subsets)
    )
    for k, labels_k in enumerate(jobs):
        results.append(labels_k)
        say((k + 1) / n_resamples, f"stability: {k + 1} of {n_resamples} subsamples re-clustered")
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
    return Stability(pd.DataFrame(jaccard, columns=biotypes), ari, participant)


def _recluster(x: np.ndarray, config, k: int) -> np.ndarray:
    """Labels of one subsample, with its own seed derived from the run's."""
    from analysis.clustering import find_biotypes

    result, _ = find_biotypes(x, config.with_(seed=config.seed + 1 + k), with_display=False)
    return result.labels
