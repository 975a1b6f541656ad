"""Confound audits: do biotypes track site, sex, ancestry or age rather than pain biology?

Thresholds (stated in docs/methods.md): a categorical covariate is flagged when the bias-corrected
Cramér's V (Bergsma 2013) between biotype and covariate is 0.3 or more, or when one biotype draws 75%
or more of its members from a level that makes up at most half of the clustered cohort; a numeric
covariate is flagged when the Kruskal-Wallis eta-squared (H - k + 1) / (n - k) across biotypes is
0.14 or more (a large effect). Either way the association must also be significant: its
Benjamini-Hochberg q-value across the audited covariates below 0.05. The covariates are not
clustered, so testing them against the biotypes is not circular. A clustered integer code (a handful
of values) is flagged when the biotypes nest inside its levels (:func:`codes_the_biotypes_nest_in`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import mutual_info_score

from analysis.cohort.roles import MAX_CODE_LEVELS

CRAMERS_V_FLAG = 0.3
DOMINANT_SHARE_FLAG = 0.75
DOMINANT_BASELINE_MAX = 0.5
EPSILON_SQUARED_FLAG = 0.14
#: A flag also needs the association's Benjamini-Hochberg q-value across the audited covariates below this.
AUDIT_Q_FLAG = 0.05
#: Label permutations behind a p-value where the chi-square or Kruskal-Wallis approximation does not hold.
AUDIT_PERMUTATIONS = 1999
#: Smallest expected count for the chi-square approximation (Cochran 1954: every cell at least 1,
#: and at least 80% of cells this much); Kruskal-Wallis's needs every biotype this large.
MIN_EXPECTED = 5
#: Uncertainty coefficient U(level | biotype) from which the biotypes nest inside a clustered code's levels.
NESTING_FLAG = 0.5
#: Codes whose largest level holds more than this share of the clustered participants are not tested.
MAX_LEVEL_SHARE = 0.9


def covariate_audit(labels: pd.Series, covariates: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Association of biotype with each covariate.

    Parameters
    ----------
    labels : Series of int indexed by participant
        Biotype number (1-based, :func:`analysis.engine.clustering.biotype_numbers`) of clustered participants; noise (-1) is left out.
    covariates : DataFrame indexed by participant
        Text columns are categorical (site, sex, ancestry); float columns numeric (age).
    seed : int
        Seeds the label permutations of the p-values that need them.

    Returns
    -------
    DataFrame
        One row per covariate: ``covariate``, ``kind`` (categorical/numeric), ``statistic``
        (``corrected_cramers_v``: bias-corrected Cramér's V; ``eta_squared_h``: Kruskal-Wallis eta-squared
        (H - k + 1) / (n - k), 0 at most when nothing differs), ``value``, ``p_value``, ``q_value``
        (Benjamini-Hochberg over the rows), ``flagged`` (bool: effect at its threshold and q below
        :data:`AUDIT_Q_FLAG`), ``detail`` (the biotype that is most lopsided, in words) and ``test``
        (how the p-value was computed: ``chi-square`` or ``Kruskal-Wallis``, with ``, permutation``
        when it came from :data:`AUDIT_PERMUTATIONS` label permutations).
    """
    clustered = labels[labels >= 0]
    rng = np.random.default_rng(seed)
    rows = []
    for column in covariates.columns:
        values = covariates[column].reindex(clustered.index)
        present = values.notna().to_numpy()
        if present.sum() < 3 or clustered[present].nunique() < 2:
            continue
        if values.dtype == np.float64:
            rows.append(_numeric_row(column, values[present], clustered[present], rng))
        else:
            rows.append(_categorical_row(column, values[present].astype(str), clustered[present], rng))
    columns = ["covariate", "kind", "statistic", "value", "p_value", "q_value", "flagged", "detail", "test"]
    audit = pd.DataFrame(rows, columns=[c for c in columns if c != "q_value"])
    audit.insert(5, "q_value", stats.false_discovery_control(audit["p_value"], method="bh") if len(audit) else [])
    audit["flagged"] = audit["flagged"] & (audit["q_value"] < AUDIT_Q_FLAG)
    return audit[columns]


def corrected_cramers_v(table: np.ndarray, chi2: float | None = None) -> float:
    """Bias-corrected Cramér's V of an r x c contingency table (Bergsma 2013), in [0, 1].

    The plain V of two unrelated variables is about sqrt((r - 1)(c - 1) / (n min(r - 1, c - 1))) in
    small samples (0.3 with 8 biotypes and 60 participants); the correction takes that expectation
    out, so unrelated variables give about 0 whatever the sample size. ``chi2``: the table's
    chi-square statistic without continuity correction, when already computed.
    """
    n = table.sum()
    r, c = table.shape
    chi2 = stats.chi2_contingency(table, correction=False).statistic if chi2 is None else chi2
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_tilde = r - (r - 1) ** 2 / (n - 1)
    c_tilde = c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_tilde - 1, c_tilde - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else 0.0


def _categorical_row(column: str, values: pd.Series, labels: pd.Series, rng) -> dict:
    table = pd.crosstab(labels, values)
    if table.shape[1] < 2:
        return {
            "covariate": column,
            "kind": "categorical",
            "statistic": "corrected_cramers_v",
            "value": 0.0,
            "p_value": 1.0,
            "test": "one level only",
            "flagged": False,
            "detail": "one level only",
        }
    counts = table.to_numpy()
    chi_square = stats.chi2_contingency(counts, correction=False)
    v = corrected_cramers_v(counts, chi_square.statistic)
    p, test = chi_square_p(chi_square, counts.shape, labels.to_numpy(), values.to_numpy(), rng)
    share = table.div(table.sum(axis=1), axis=0)
    baseline = table.sum(axis=0) / counts.sum()
    biotype, level = np.unravel_index(np.argmax((share - baseline).to_numpy()), share.shape)
    top, base = float(share.iat[biotype, level]), float(baseline.iat[level])
    dominated = top >= DOMINANT_SHARE_FLAG and base <= DOMINANT_BASELINE_MAX
    detail = f"B{share.index[biotype]} is {top:.0%} {share.columns[level]} (cohort {base:.0%})"
    return {
        "covariate": column,
        "kind": "categorical",
        "statistic": "corrected_cramers_v",
        "value": v,
        "p_value": p,
        "test": test,
        "flagged": bool(v >= CRAMERS_V_FLAG or dominated),
        "detail": detail,
    }


def chi_square_p(
    result, shape: tuple[int, int], labels: np.ndarray, values: np.ndarray, rng, stop_after: int | None = None
) -> tuple[float, str]:
    """The chi-square test's p-value (``result`` of ``chi2_contingency``); by label permutation where expected counts are too small for it.

    ``stop_after``: stop the permutations once that many permuted statistics reach the observed one
    (:func:`permutation_p`); None runs all :data:`AUDIT_PERMUTATIONS`.
    """
    expected = result.expected_freq
    if expected.min() >= 1 and (expected >= MIN_EXPECTED).mean() >= 0.8:
        return float(result.pvalue), "chi-square"
    _, rows = np.unique(labels, return_inverse=True)
    _, cols = np.unique(values, return_inverse=True)

    def statistic(permuted_rows):
        table = np.bincount(permuted_rows * shape[1] + cols, minlength=shape[0] * shape[1]).reshape(shape)
        return (((table - expected) ** 2) / expected).sum()

    observed = statistic(rows)
    return permutation_p(lambda: statistic(rng.permutation(rows)), observed, stop_after), "chi-square, permutation"


def _numeric_row(column: str, values: pd.Series, labels: pd.Series, rng) -> dict:
    biotypes = sorted(labels.unique())
    groups = [values[labels == b].to_numpy() for b in biotypes]
    h, p = stats.kruskal(*groups)
    n, k = len(values), len(groups)
    test = "Kruskal-Wallis"
    if min(len(g) for g in groups) < MIN_EXPECTED:
        p, test = (
            kruskal_permutation_p(values.to_numpy(), labels.to_numpy(), h, rng),
            "Kruskal-Wallis, permutation",
        )
    eta = max(0.0, float((h - k + 1) / (n - k))) if n > k else 0.0
    means = values.groupby(labels).mean()
    detail = ", ".join(f"B{b} mean {m:.1f}" for b, m in means.items())
    return {
        "covariate": column,
        "kind": "numeric",
        "statistic": "eta_squared_h",
        "value": eta,
        "p_value": float(p),
        "test": test,
        "flagged": bool(eta >= EPSILON_SQUARED_FLAG),
        "detail": detail,
    }


def kruskal_permutation_p(values: np.ndarray, labels: np.ndarray, observed: float, rng, stop_after: int | None = None) -> float:
    """Share of label permutations whose Kruskal-Wallis H reaches the observed one (ranks and ties fixed; ``stop_after`` as in :func:`permutation_p`)."""
    ranks = stats.rankdata(values)
    _, groups = np.unique(labels, return_inverse=True)
    sizes = np.bincount(groups)
    n = len(values)
    ties = stats.tiecorrect(ranks)

    def statistic(g):
        sums = np.bincount(g, weights=ranks)
        h = 12.0 / (n * (n + 1)) * (sums**2 / sizes).sum() - 3 * (n + 1)
        return h / ties if ties > 0 else 0.0

    return permutation_p(lambda: statistic(rng.permutation(groups)), observed, stop_after)


def permutation_p(permuted: Callable[[], float], observed: float, stop_after: int | None = None) -> float:
    """Monte Carlo p-value of ``observed`` against up to :data:`AUDIT_PERMUTATIONS` draws of ``permuted()``.

    Without ``stop_after``: (1 + exceedances) / (1 + permutations) (Phipson & Smyth 2010). With it,
    the sequential p-value of Besag & Clifford (1991): the draws stop once ``stop_after`` of them reach
    the observed statistic, at draw L, and p = ``stop_after`` / L; a large p is then known after a few
    dozen draws instead of 1,999, while a small one still takes them all. Both are valid p-values.
    """
    exceed = 0
    for draw in range(1, AUDIT_PERMUTATIONS + 1):
        exceed += bool(permuted() >= observed - 1e-9)
        if stop_after is not None and exceed >= stop_after:
            return exceed / draw
    return (1 + exceed) / (1 + AUDIT_PERMUTATIONS)


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
