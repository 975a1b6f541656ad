"""What defines each biotype: one-vs-rest classifiers and permutation importance of every feature."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

#: Above this many clustered participants, a seeded random subset of this size trains the classifiers.
MAX_PARTICIPANTS = 5000


def biotype_importance(features: pd.DataFrame, labels: pd.Series, seed: int = 0, n_repeats: int = 5) -> pd.DataFrame:
    """Permutation importance of each feature for telling each biotype from the rest.

    For each biotype, a random forest (200 trees) learns biotype-vs-rest on 70% of the clustered
    participants (of at most :data:`MAX_PARTICIPANTS`, drawn at random with the seed); the drop in ROC AUC on the held-out 30% when a feature is shuffled is its
    importance (scikit-learn's ``permutation_importance``, ``n_repeats`` shuffles).

    Parameters
    ----------
    features : DataFrame indexed by participant, no missing values
        The fused features of the run (``modality:feature`` columns).
    labels : Series of int indexed by participant
        0-based biotype; noise (-1) is left out.
    seed : int
    n_repeats : int

    Returns
    -------
    DataFrame
        ``biotype`` (0-based), ``feature``, ``importance`` (mean AUC drop), ``importance_sd``,
        ``held_out_auc`` (the classifier's AUC before shuffling), sorted by biotype then importance.
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
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)
        model = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1).fit(x_train, y_train)
        auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
        result = permutation_importance(model, x_test, y_test, scoring="roc_auc", n_repeats=n_repeats, random_state=seed, n_jobs=1)
        for feature, mean, sd in zip(x.columns, result.importances_mean, result.importances_std, strict=True):
            rows.append(
                {
                    "biotype": int(biotype),
                    "feature": feature,
                    "importance": float(mean),
                    "importance_sd": float(sd),
                    "held_out_auc": float(auc),
                }
            )
    table = pd.DataFrame(rows, columns=["biotype", "feature", "importance", "importance_sd", "held_out_auc"])
    return table.sort_values(["biotype", "importance"], ascending=[True, False], ignore_index=True)
