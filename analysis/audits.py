"""Confound audits: do biotypes track site, sex, ancestry or age rather than pain biology?

Thresholds (stated in docs/methods.md): a categorical covariate is flagged when Cramér's V between
biotype and covariate is 0.3 or more, or when one biotype draws 75% or more of its members from a
level that makes up at most half of the clustered cohort; a numeric covariate is flagged when the
Kruskal-Wallis epsilon-squared across biotypes is 0.14 or more (a large effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

CRAMERS_V_FLAG = 0.3
DOMINANT_SHARE_FLAG = 0.75
DOMINANT_BASELINE_MAX = 0.5
EPSILON_SQUARED_FLAG = 0.14


def covariate_audit(labels: pd.Series, covariates: pd.DataFrame) -> pd.DataFrame:
    """Association of biotype with each covariate.

    Parameters
    ----------
    labels : Series of int indexed by participant
        Biotype number (1-based, :func:`analysis.clustering.biotype_numbers`) of clustered participants; noise (-1) is left out.
    covariates : DataFrame indexed by participant
        Text columns are categorical (site, sex, ancestry); float columns numeric (age).

    Returns
    -------
    DataFrame
        One row per covariate: ``covariate``, ``kind`` (categorical/numeric), ``statistic``
        (``cramers_v`` or ``epsilon_squared``), ``value``, ``p_value``, ``flagged`` (bool) and
        ``detail`` (the biotype that is most lopsided, in words).
    """
    clustered = labels[labels >= 0]
    rows = []
    for column in covariates.columns:
        values = covariates[column].reindex(clustered.index)
        present = values.notna().to_numpy()
        if present.sum() < 3 or clustered[present].nunique() < 2:
            continue
        if values.dtype == np.float64:
            rows.append(_numeric_row(column, values[present], clustered[present]))
        else:
            rows.append(_categorical_row(column, values[present].astype(str), clustered[present]))
    return pd.DataFrame(rows, columns=["covariate", "kind", "statistic", "value", "p_value", "flagged", "detail"])


def _categorical_row(column: str, values: pd.Series, labels: pd.Series) -> dict:
    table = pd.crosstab(labels, values)
    if table.shape[1] < 2:
        return {
            "covariate": column,
            "kind": "categorical",
            "statistic": "cramers_v",
            "value": 0.0,
            "p_value": 1.0,
            "flagged": False,
            "detail": "one level only",
        }
    v = float(association(table.to_numpy(), method="cramer"))
    p = float(stats.chi2_contingency(table.to_numpy()).pvalue)
    share = table.div(table.sum(axis=1), axis=0)
    baseline = table.sum(axis=0) / table.to_numpy().sum()
    biotype, level = np.unravel_index(np.argmax((share - baseline).to_numpy()), share.shape)
    top, base = float(share.iat[biotype, level]), float(baseline.iat[level])
    dominated = top >= DOMINANT_SHARE_FLAG and base <= DOMINANT_BASELINE_MAX
    detail = f"B{share.index[biotype]} is {top:.0%} {share.columns[level]} (cohort {base:.0%})"
    return {
        "covariate": column,
        "kind": "categorical",
        "statistic": "cramers_v",
        "value": v,
        "p_value": p,
        "flagged": bool(v >= CRAMERS_V_FLAG or dominated),
        "detail": detail,
    }


def _numeric_row(column: str, values: pd.Series, labels: pd.Series) -> dict:
    groups = [values[labels == b].to_numpy() for b in sorted(labels.unique())]
    h, p = stats.kruskal(*groups)
    epsilon = float(h / (len(values) - 1))
    means = values.groupby(labels).mean()
    detail = ", ".join(f"B{b} mean {m:.1f}" for b, m in means.items())
    return {
        "covariate": column,
        "kind": "numeric",
        "statistic": "epsilon_squared",
        "value": epsilon,
        "p_value": float(p),
        "flagged": bool(epsilon >= EPSILON_SQUARED_FLAG),
        "detail": detail,
    }
