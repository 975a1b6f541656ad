"""Confound audits: do biotypes track site, sex, ancestry or age rather than pain biology?

Thresholds (stated in docs/methods.md): a categorical covariate is flagged when Cramér's V between
biotype and covariate is 0.3 or more, or when one biotype draws 75% or more of its members from a
level that makes up at most half of the clustered cohort; a numeric covariate is flagged when the
Kruskal-Wallis epsilon-squared across biotypes is 0.14 or more (a large effect). A clustered integer
code (a handful of values) is flagged when the biotypes nest inside its levels
(:func:`codes_the_biotypes_nest_in`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association
from sklearn.metrics import mutual_info_score

from analysis.roles import MAX_CODE_LEVELS

CRAMERS_V_FLAG = 0.3
DOMINANT_SHARE_FLAG = 0.75
DOMINANT_BASELINE_MAX = 0.5
EPSILON_SQUARED_FLAG = 0.14
#: Uncertainty coefficient U(level | biotype) from which the biotypes nest inside a clustered code's levels.
NESTING_FLAG = 0.5
#: Codes whose largest level holds more than this share of the clustered participants are not tested.
MAX_LEVEL_SHARE = 0.9


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


@dataclass(frozen=True)
class NestedCode:
    """A clustered integer code (a handful of values) whose levels the biotypes nest inside.

    Attributes
    ----------
    feature : str
        The clustered column.
    n_levels : int
        Its distinct values among clustered participants.
    uncertainty : float
        Theil's uncertainty coefficient U(level | biotype) in [0, 1]: the share of the code's entropy
        that knowing the biotype removes (1: each biotype lies within one level).
    detail : str
        Each biotype's most common level and its share, in words (``"B1: 2007 (98%); B2: 2008 (95%)"``).
    """

    feature: str
    n_levels: int
    uncertainty: float
    detail: str


def codes_the_biotypes_nest_in(labels: pd.Series, features: pd.DataFrame) -> list[NestedCode]:
    """Clustered integer codes with at most :data:`MAX_CODE_LEVELS` values that the biotypes nest inside.

    A code dominates the split when the biotype tells its level: U(level | biotype) of
    :data:`NESTING_FLAG` or more (a year column that splits every true group into one biotype per
    year reaches about 0.9; a code unrelated to the biotypes stays near 0). Codes whose largest
    level holds more than :data:`MAX_LEVEL_SHARE` of the clustered participants are left out (any
    split nests inside them).

    Parameters
    ----------
    labels : Series of int indexed by participant
        Biotype numbers (1-based); noise (-1) is left out.
    features : DataFrame indexed by participant
        The clustered columns in natural units (float64).

    Returns
    -------
    list of NestedCode
        Most nested first.
    """
    clustered = labels[labels >= 1]
    if clustered.nunique() < 2:
        return []
    out = []
    for column in features.columns:
        values = features[column].reindex(clustered.index)
        present = values.notna().to_numpy()
        recorded = values[present]
        levels = recorded.nunique()
        if not 2 <= levels <= MAX_CODE_LEVELS or not np.all(np.mod(recorded.to_numpy(dtype=float), 1) == 0):
            continue
        if recorded.value_counts(normalize=True).iloc[0] > MAX_LEVEL_SHARE:
            continue
        biotypes = clustered[present].to_numpy()
        u = float(mutual_info_score(recorded.to_numpy(), biotypes) / stats.entropy(recorded.value_counts().to_numpy()))
        if u >= NESTING_FLAG:
            table = pd.crosstab(biotypes, recorded.to_numpy(), normalize="index")
            detail = "; ".join(
                f"B{b}: {table.columns[row.argmax()]:g} ({row.max():.0%})" for b, row in zip(table.index, table.to_numpy(), strict=True)
            )
            out.append(NestedCode(column, int(levels), u, detail))
    return sorted(out, key=lambda code: -code.uncertainty)
