"""Biotype profiles: how each biotype differs from the rest on every feature, with FDR control."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

#: ``evidence`` of a feature the biotypes were clustered on: its differences between biotypes are
#: what the clustering maximised, so a test of them is circular; effect sizes are shown, no p-value.
DESCRIPTIVE = "descriptive"
#: ``evidence`` of a feature not used for clustering (outcomes, validators, covariates, modalities
#: left out of the run): tested, with Benjamini-Hochberg FDR over the tested features.
TESTED = "tested"
#: Two-sided normal quantile of the 95% interval of Cohen's d.
Z_95 = 1.959963984540054

#: Most levels a text column may have to be profiled as a category (more is free text or an identifier).
MAX_CATEGORY_LEVELS = 20


#: Columns of :func:`profile_table`.
PROFILE_COLUMNS = (
    "biotype",
    "feature",
    "modality",
    "evidence",
    "n",
    "mean",
    "median",
    "mean_rest",
    "cohens_d",
    "cohens_d_low",
    "cohens_d_high",
    "kruskal_p",
    "kruskal_q",
)


def profile_table(features: pd.DataFrame, modality: dict[str, str], labels: pd.Series, clustered=()) -> pd.DataFrame:
    """Per biotype and feature: mean, median, Cohen's d against the rest, and (features not clustered on) the Kruskal-Wallis test.

    Parameters
    ----------
    features : DataFrame indexed by participant
        Features in natural units (before scaling); missing values allowed.
    modality : dict of str to str
        Feature column → modality.
    labels : Series of int indexed by participant
        Biotype number per clustered participant (1-based, :func:`analysis.engine.clustering.biotype_numbers`;
        noise, -1, is not a biotype and is left out).
    clustered : collection of str
        Features the biotypes were clustered on: :data:`DESCRIPTIVE`, never tested.

    Returns
    -------
    DataFrame
        One row per (biotype, feature): ``biotype`` (as in ``labels``), ``feature``, ``modality``,
        ``evidence`` (:data:`DESCRIPTIVE` or :data:`TESTED`), ``n``, ``mean``, ``median``,
        ``mean_rest``, ``cohens_d`` (biotype minus rest over the pooled SD), ``cohens_d_low`` and
        ``cohens_d_high`` (its 95% interval, tested features only), ``kruskal_p`` (across all
        biotypes, one value per feature; tested features only) and ``kruskal_q``
        (Benjamini-Hochberg over the tested features).
    """
    used = set(clustered)
    clustered = labels[labels >= 0]
    data = features.reindex(clustered.index)
    biotypes = sorted(clustered.unique())
    p_values = {column: np.nan if column in used else _kruskal(data[column], clustered, biotypes) for column in data.columns}
    tested = [c for c, p in p_values.items() if np.isfinite(p)]
    q_values = dict(zip(tested, stats.false_discovery_control([p_values[c] for c in tested], method="bh"), strict=True)) if tested else {}
    rows = []
    for biotype in biotypes:
        inside = (clustered == biotype).to_numpy()
        for column in data.columns:
            values = data[column].to_numpy(dtype=np.float64)
            effect = contrast(values[inside], values[~inside])
            n_rest = effect.pop("n_rest")
            low, high = (np.nan, np.nan) if column in used else cohens_d_interval(effect["cohens_d"], effect["n"], n_rest)
            rows.append(
                {
                    "biotype": int(biotype),
                    "feature": column,
                    "modality": modality.get(column, ""),
                    "evidence": DESCRIPTIVE if column in used else TESTED,
                    **effect,
                    "cohens_d_low": low,
                    "cohens_d_high": high,
                    "kruskal_p": p_values[column],
                    "kruskal_q": q_values.get(column, np.nan),
                }
            )
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


def cohens_d_interval(d: float, n_a: int, n_b: int) -> tuple[float, float]:
    """Approximate 95% interval of Cohen's d: ``d ± 1.96 sqrt((n_a + n_b) / (n_a n_b) + d² / (2 (n_a + n_b)))`` (Hedges & Olkin 1985)."""
    if not np.isfinite(d) or n_a < 2 or n_b < 2:
        return float("nan"), float("nan")
    se = np.sqrt((n_a + n_b) / (n_a * n_b) + d**2 / (2 * (n_a + n_b)))
    return float(d - Z_95 * se), float(d + Z_95 * se)


def contrast(inside: np.ndarray, rest: np.ndarray) -> dict:
    """One feature in a set of participants against the rest (non-finite values left out).

    Returns
    -------
    dict
        ``n`` (finite values inside), ``mean``, ``median``, ``mean_rest``, ``n_rest`` and ``cohens_d`` (inside minus rest).
    """
    a, b = inside[np.isfinite(inside)], rest[np.isfinite(rest)]
    return {
        "n": int(len(a)),
        "mean": float(a.mean()) if len(a) else np.nan,
        "median": float(np.median(a)) if len(a) else np.nan,
        "mean_rest": float(b.mean()) if len(b) else np.nan,
        "n_rest": int(len(b)),
        "cohens_d": cohens_d(a, b),
    }


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference (a - b) over the pooled standard deviation; NaN if undefined."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")


def _kruskal(values: pd.Series, labels: pd.Series, biotypes: list[int]) -> float:
    """Kruskal-Wallis p across biotypes (NaN with fewer than two non-empty groups or constant values).

    Constant values are caught before scipy, which would divide by a zero tie correction (and warn).
    """
    groups = [values[(labels == b).to_numpy()].dropna().to_numpy() for b in biotypes]
    groups = [g for g in groups if len(g)]
    if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
        return float("nan")
    try:
        return float(stats.kruskal(*groups).pvalue)
    except ValueError:
        return float("nan")


def _mann_whitney_columns(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Two-sided Mann-Whitney U p-value of every column of ``x`` (n_a, F) against the same column of ``y`` (n_b, F).

    Missing values are left out per column; NaN where a group is empty or the values are constant.
    Columns without missing values are tested in one vectorised scipy call when both groups have
    more than 8 values (scipy then always uses the asymptotic method, as it does column by column);
    the others one by one, so every p-value equals ``scipy.stats.mannwhitneyu`` on that column.
    """
    n_features = x.shape[1]
    out = np.full(n_features, np.nan)
    complete = np.isfinite(x).all(axis=0) & np.isfinite(y).all(axis=0)
    varying = np.ptp(np.vstack([x, y]), axis=0) > 0 if len(x) + len(y) else np.zeros(n_features, dtype=bool)
    together = complete & varying if len(x) > 8 and len(y) > 8 else np.zeros(n_features, dtype=bool)
    if together.any():
        out[together] = stats.mannwhitneyu(x[:, together], y[:, together], axis=0).pvalue
    for k in np.flatnonzero(~together):
        a, b = x[:, k][np.isfinite(x[:, k])], y[:, k][np.isfinite(y[:, k])]
        if len(a) and len(b) and np.ptp(np.r_[a, b]) > 0:
            out[k] = float(stats.mannwhitneyu(a, b).pvalue)
    return out


def biotype_names(profile: pd.DataFrame, n_features: int = 2) -> dict[int, str]:
    """Short automatic names from effect sizes, e.g. ``"B1 · high pain_distress · low hrv_rmssd_ms_mean"``.

    The biotype's largest effects (|Cohen's d| >= 0.5) on the features it was clustered on (on every
    feature when none is marked): a description of what the clustering separated, not a test.
    Keyed by the profile's biotype numbers (1-based).
    """
    names = {}
    for biotype, rows in profile.groupby("biotype"):
        if "evidence" in rows and (rows["evidence"] == DESCRIPTIVE).any():
            rows = rows[rows["evidence"] == DESCRIPTIVE]
        strong = rows[rows["cohens_d"].abs().ge(0.5)]
        top = strong.reindex(strong["cohens_d"].abs().sort_values(ascending=False).index).head(n_features)
        words = [f"{'high' if d > 0 else 'low'} {feature}" for feature, d in zip(top["feature"], top["cohens_d"], strict=True)]
        names[int(biotype)] = " · ".join([f"B{int(biotype)}", *words])
    return names


def pairwise_profile(
    features: pd.DataFrame, modality: dict[str, str], labels: pd.Series, categories: pd.DataFrame | None = None, clustered=()
) -> pd.DataFrame:
    """Every pair of biotypes compared on every feature: Cohen's d, Mann-Whitney U test, BH FDR.

    Parameters
    ----------
    features : DataFrame indexed by participant
        Numeric features in natural units.
    modality : dict of str to str
        Feature column → modality (numeric and categorical columns).
    labels : Series of int indexed by participant
        Biotype numbers (1-based; noise, -1, left out).
    categories : DataFrame indexed by participant, optional
        Categorical columns (text); compared with the chi-square test and Cramér's V.
    clustered : collection of str
        Features (numeric or categorical) the biotypes were clustered on: effect sizes only.

    Returns
    -------
    DataFrame
        ``biotype_a``, ``biotype_b`` (biotype numbers as in ``labels``, a < b), ``feature``, ``modality``,
        ``evidence`` (:data:`DESCRIPTIVE` or :data:`TESTED`), ``test`` (``mann-whitney`` or
        ``chi-square``; ``none`` for descriptive features), ``mean_a``, ``mean_b``, ``cohens_d`` (a
        minus b; numeric features), ``cramers_v`` (categorical features), ``p_value`` and ``q_value``
        (Benjamini-Hochberg over all pairs and tested features; NaN for descriptive ones).
    """
    used = set(clustered)
    clustered = labels[labels >= 0]
    data = features.reindex(clustered.index)
    values_all = data.to_numpy(dtype=np.float64)
    biotypes = sorted(clustered.unique())
    rows = []
    for i, a in enumerate(biotypes):
        for b in biotypes[i + 1 :]:
            in_a, in_b = (clustered == a).to_numpy(), (clustered == b).to_numpy()
            p_values = _mann_whitney_columns(values_all[in_a], values_all[in_b])
            for k, column in enumerate(data.columns):
                x, y = values_all[in_a, k], values_all[in_b, k]
                x, y = x[np.isfinite(x)], y[np.isfinite(y)]
                p = np.nan if column in used else p_values[k]
                rows.append(
                    {
                        "biotype_a": int(a),
                        "biotype_b": int(b),
                        "feature": column,
                        "modality": modality.get(column, ""),
                        "evidence": DESCRIPTIVE if column in used else TESTED,
                        "test": "none" if column in used else "mann-whitney",
                        "mean_a": float(x.mean()) if len(x) else np.nan,
                        "mean_b": float(y.mean()) if len(y) else np.nan,
                        "cohens_d": cohens_d(x, y),
                        "cramers_v": np.nan,
                        "p_value": p,
                    }
                )
            if categories is None:
                continue
            for column in categories.columns:
                values = categories[column].reindex(clustered.index)
                pair = (in_a | in_b) & values.notna().to_numpy()
                v, p = _chi_square(values[pair].astype(str), clustered[pair])
                rows.append(
                    {
                        "biotype_a": int(a),
                        "biotype_b": int(b),
                        "feature": column,
                        "modality": modality.get(column, ""),
                        "evidence": DESCRIPTIVE if column in used else TESTED,
                        "test": "none" if column in used else "chi-square",
                        "mean_a": np.nan,
                        "mean_b": np.nan,
                        "cohens_d": np.nan,
                        "cramers_v": v,
                        "p_value": np.nan if column in used else p,
                    }
                )
    columns = ["biotype_a", "biotype_b", "feature", "modality", "evidence", "test", "mean_a", "mean_b", "cohens_d", "cramers_v", "p_value"]
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = _bh(table["p_value"].to_numpy(dtype=np.float64))
    return table


#: Columns of :func:`categorical_profile`.
CATEGORICAL_PROFILE_COLUMNS = (
    "biotype",
    "feature",
    "modality",
    "evidence",
    "level",
    "n",
    "count",
    "proportion",
    "proportion_rest",
    "cramers_v",
    "chi2_p",
    "chi2_q",
)


def categorical_profile(categories: pd.DataFrame, modality: dict[str, str], labels: pd.Series, clustered=()) -> pd.DataFrame:
    """Per biotype, categorical feature and level: share of the biotype against the rest, chi-square, Cramér's V.

    Parameters
    ----------
    categories : DataFrame indexed by participant
        Text columns (sex, site, diagnosis, ...); missing values allowed and left out per column.
    modality : dict of str to str
        Column → modality.
    labels : Series of int indexed by participant
        Biotype number per clustered participant (1-based; noise, -1, is left out).
    clustered : collection of str
        Columns the biotypes were clustered on (one-hot): shares and Cramér's V only, no test.

    Returns
    -------
    DataFrame
        One row per (biotype, feature, level): ``biotype`` (as in ``labels``), ``feature``, ``modality``,
        ``evidence`` (:data:`DESCRIPTIVE` or :data:`TESTED`), ``level``,
        ``n`` (biotype members with a value), ``count`` (of them with this level), ``proportion``,
        ``proportion_rest`` (among the other biotypes' members), ``cramers_v`` (biotype against the
        rest, the 2 × levels table), ``chi2_p`` (chi-square across all biotypes, one value per
        feature) and ``chi2_q`` (Benjamini-Hochberg over the categorical features).
    """
    columns = list(CATEGORICAL_PROFILE_COLUMNS)
    used = set(clustered)
    clustered = labels[labels >= 0]
    biotypes = sorted(clustered.unique())
    rows, p_values = [], {}
    for column in categories.columns:
        values = categories[column].reindex(clustered.index)
        present = values.notna().to_numpy()
        text, members = values[present].astype(str), clustered[present]
        p_values[column] = np.nan if column in used else _chi_square(text, members)[1]
        levels = sorted(text.unique())
        for biotype in biotypes:
            inside = (members == biotype).to_numpy()
            v, _ = _chi_square(text, pd.Series(inside, index=text.index))
            n, n_rest = int(inside.sum()), int((~inside).sum())
            for level in levels:
                is_level = (text == level).to_numpy()
                rows.append(
                    {
                        "biotype": int(biotype),
                        "feature": column,
                        "modality": modality.get(column, ""),
                        "evidence": DESCRIPTIVE if column in used else TESTED,
                        "level": level,
                        "n": n,
                        "count": int((is_level & inside).sum()),
                        "proportion": float((is_level & inside).sum() / n) if n else np.nan,
                        "proportion_rest": float((is_level & ~inside).sum() / n_rest) if n_rest else np.nan,
                        "cramers_v": v,
                        "chi2_p": p_values[column],
                    }
                )
    table = pd.DataFrame(rows, columns=columns[:-1])
    features = list(p_values)
    q = dict(zip(features, _bh(np.array([p_values[f] for f in features], dtype=np.float64)), strict=True))
    table["chi2_q"] = table["feature"].map(q).astype(np.float64)
    return table


def categorical_columns(frame: pd.DataFrame, candidates: list[str]) -> list[str]:
    """Text columns among ``candidates`` with 2 to :data:`MAX_CATEGORY_LEVELS` levels (others are identifiers or free text)."""
    out = []
    for column in candidates:
        values = frame[column]
        if values.dtype == np.float64:
            continue
        levels = values.dropna().astype(str).nunique()
        if 2 <= levels <= MAX_CATEGORY_LEVELS:
            out.append(column)
    return out


def _chi_square(values: pd.Series, groups: pd.Series) -> tuple[float, float]:
    """Cramér's V and the chi-square p of a groups × levels table; (0, 1) when either has a single value."""
    table = pd.crosstab(groups, values).to_numpy()
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0, 1.0
    return float(association(table, method="cramer")), float(stats.chi2_contingency(table).pvalue)


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of the finite p-values; NaN stays NaN."""
    q = np.full(len(p), np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = stats.false_discovery_control(p[finite], method="bh")
    return q
