"""What defines each biotype: one-vs-rest classifiers and permutation importance of every feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

#: Above this many clustered participants, a seeded random subset of this size trains the classifiers.
MAX_PARTICIPANTS = 5000
#: Trees per forest: scikit-learn's default. 200 trees take twice the time; importances moved by at most 0.022 AUC at 300 participants, 0.007 at 2,000 and 0.004
#: at 5,000, the planted features still first (``python bench/importance.py --trees 200``).
N_TREES = 100
#: Rows scored in one ``predict_proba`` call when the shuffled copies are stacked, at most.
ROWS_PER_BATCH = 200_000
#: Bytes of shuffled copies held at once (float32, as the forest reads them); bounds memory on wide tables.
BATCH_BYTES = 256 * 2**20
#: Processes per forest: -1, every core. A forest with a fixed random_state gives the same trees and the
#: same probabilities whatever the number of jobs (scikit-learn seeds each tree up front), so this only
#: changes the time.
N_JOBS = -1


#: Columns of :func:`biotype_importance`.
IMPORTANCE_COLUMNS = ("biotype", "feature", "importance", "importance_sd", "ci_low", "ci_high", "distinguishable", "held_out_auc")


def biotype_importance(features: pd.DataFrame, labels: pd.Series, seed: int = 0, n_repeats: int = 5) -> pd.DataFrame:
    """Permutation importance of each feature for telling each biotype from the rest.

    For each biotype, a random forest (:data:`N_TREES` trees) learns biotype-vs-rest on 70% of the clustered
    participants (of at most :data:`MAX_PARTICIPANTS`, drawn at random with the seed); the drop in
    ROC AUC on the held-out 30% when a feature is shuffled is its importance (Breiman 2001; the
    method of scikit-learn's ``permutation_importance``, ``n_repeats`` shuffles per feature). The
    shuffled copies of the held-out set are stacked and scored in a few large ``predict_proba``
    calls instead of one call per feature and repeat, which is what makes this fast.

    Parameters
    ----------
    features : DataFrame indexed by participant, no missing values
        The fused features of the run (``modality:feature`` columns).
    labels : Series of int indexed by participant
        Biotype number (1-based); noise (-1) is left out.
    seed : int
    n_repeats : int

    Returns
    -------
    DataFrame
        ``biotype`` (as in ``labels``), ``feature``, ``importance`` (mean AUC drop), ``importance_sd``
        (over the shuffles, ddof 1), ``ci_low`` and ``ci_high`` (t-based 95% interval of the mean over
        the ``n_repeats`` shuffles), ``distinguishable`` (``ci_low`` > 0: the drop is told from zero
        beyond the shuffles' own spread) and ``held_out_auc`` (the classifier's AUC before
        shuffling), sorted by biotype then importance.

    Notes
    -----
    The interval reflects the shuffles only, not the choice of training participants; a feature
    outside it is "not distinguishable", which is not "unimportant": when several features carry
    the same information a forest leans on any of them, and a biotype separable on many features at
    once loses nothing when one is shuffled. Pages then fall back to effect sizes.
    """
    clustered = labels[labels >= 0]
    if len(clustered) > MAX_PARTICIPANTS:
        clustered = clustered.sample(MAX_PARTICIPANTS, random_state=seed).sort_index()
    x = features.loc[clustered.index]
    rows = []
    for biotype in sorted(clustered.unique()):
        y = (clustered == biotype).to_numpy()
        if y.sum() < 4 or (~y).sum() < 4:
            continue
        x_train, x_test, y_train, y_test = train_test_split(x.to_numpy(), y, test_size=0.3, random_state=seed, stratify=y)
        model = RandomForestClassifier(n_estimators=N_TREES, random_state=seed, n_jobs=N_JOBS).fit(x_train, y_train)
        auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
        drops = np.zeros((x.shape[1], n_repeats))
        # A feature no tree splits on leaves every prediction unchanged when shuffled: its drop is exactly
        # 0, so only the features the forest uses are shuffled (most of a wide table's, with few participants).
        used = np.flatnonzero(model.feature_importances_ > 0)
        rng = np.random.default_rng([seed, int(biotype)])
        drops[used] = auc - shuffled_aucs(model, x_test, y_test, n_repeats, rng, features=used)
        mean, sd = drops.mean(axis=1), drops.std(axis=1, ddof=1) if n_repeats > 1 else np.zeros(len(drops))
        half = stats.t.ppf(0.975, max(n_repeats - 1, 1)) * sd / np.sqrt(n_repeats)
        for k, feature in enumerate(x.columns):
            rows.append(
                {
                    "biotype": int(biotype),
                    "feature": feature,
                    "importance": float(mean[k]),
                    "importance_sd": float(sd[k]),
                    "ci_low": float(mean[k] - half[k]),
                    "ci_high": float(mean[k] + half[k]),
                    "distinguishable": bool(mean[k] - half[k] > 0),
                    "held_out_auc": float(auc),
                }
            )
    table = pd.DataFrame(rows, columns=list(IMPORTANCE_COLUMNS))
    return table.sort_values(["biotype", "importance"], ascending=[True, False], ignore_index=True)


def shuffled_aucs(
    model, x: np.ndarray, y: np.ndarray, n_repeats: int, rng: np.random.Generator, features: np.ndarray | None = None
) -> np.ndarray:
    """Held-out AUC of ``model`` with each feature shuffled, ``n_repeats`` times per feature.

    Parameters
    ----------
    model : fitted binary classifier with ``predict_proba``
    x : ndarray of shape (n, n_features)
    y : ndarray of bool, shape (n,)
    n_repeats : int
    rng : numpy Generator
        Draws one permutation of the rows per shuffled feature and repeat.
    features : ndarray of int, optional
        Columns to shuffle (default all).

    Returns
    -------
    ndarray of shape (len(features), n_repeats)

    Notes
    -----
    Shuffled copies are float32 (scikit-learn's forests convert to float32 before predicting, so the
    scores are the same) and stacked in batches of at most :data:`BATCH_BYTES` and
    :data:`ROWS_PER_BATCH` rows, so memory stays bounded however wide ``x`` is.
    """
    n, n_features = x.shape
    features = np.arange(n_features) if features is None else np.asarray(features)
    x = np.asarray(x, dtype=np.float32)
    permutations = np.argsort(rng.random((len(features), n_repeats, n)), axis=2)
    rows = max(1, min(ROWS_PER_BATCH, BATCH_BYTES // (4 * max(n_features, 1))))
    per_batch = max(1, rows // max(n * n_repeats, 1))
    out = np.empty((len(features), n_repeats))
    for start in range(0, len(features), per_batch):
        chunk = range(start, min(start + per_batch, len(features)))
        copies = np.broadcast_to(x, (len(chunk), n_repeats, n, n_features)).copy()
        for k, position in enumerate(chunk):
            column = features[position]
            copies[k, :, :, column] = x[permutations[position], column]
        scores = model.predict_proba(copies.reshape(-1, n_features))[:, 1].reshape(len(chunk), n_repeats, n)
        out[start : start + len(chunk)] = _aucs(y, scores)
    return out


def _aucs(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of every row of ``scores`` (shape (..., n)) against the same binary labels, from average ranks."""
    ranks = stats.rankdata(scores, axis=-1)
    positives = int(y.sum())
    negatives = len(y) - positives
    return (ranks[..., y].sum(axis=-1) - positives * (positives + 1) / 2) / (positives * negatives)
