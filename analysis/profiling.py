"""Biotype profiles: how each biotype differs from the rest on every feature, with FDR control."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def profile_table(features: pd.DataFrame, modality: dict[str, str], labels: pd.Series) -> pd.DataFrame:
    """Per biotype and feature: mean, median, Cohen's d against the rest, and the Kruskal-Wallis test.

    Parameters
    ----------
    features : DataFrame indexed by participant
        Features in natural units (before scaling); missing values allowed.
    modality : dict of str to str
        Feature column → modality.
    labels : Series of int indexed by participant
        Biotype per clustered participant (noise, -1, is not a biotype and is left out).

    Returns
    -------
    DataFrame
        One row per (biotype, feature): ``biotype``, ``feature``, ``modality``, ``n``, ``mean``,
        ``median``, ``mean_rest``, ``cohens_d`` (biotype minus rest over the pooled SD),
        ``kruskal_p`` (across all biotypes, one value per feature) and ``kruskal_q``
        (Benjamini-Hochberg over features).
    """
    clustered = labels[labels >= 0]
    data = features.reindex(clustered.index)
    biotypes = sorted(clustered.unique())
    p_values = {column: _kruskal(data[column], clustered, biotypes) for column in data.columns}
    tested = [c for c, p in p_values.items() if np.isfinite(p)]
    q_values = dict(zip(tested, stats.false_discovery_control([p_values[c] for c in tested], method="bh"), strict=True)) if tested else {}
    rows = []
    for biotype in biotypes:
        inside = (clustered == biotype).to_numpy()
        for column in data.columns:
            values = data[column].to_numpy(dtype=np.float64)
            a, b = values[inside], values[~inside]
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            rows.append(
                {
                    "biotype": int(biotype),
                    "feature": column,
                    "modality": modality.get(column, ""),
                    "n": int(len(a)),
                    "mean": float(a.mean()) if len(a) else np.nan,
                    "median": float(np.median(a)) if len(a) else np.nan,
                    "mean_rest": float(b.mean()) if len(b) else np.nan,
                    "cohens_d": cohens_d(a, b),
                    "kruskal_p": p_values[column],
                    "kruskal_q": q_values.get(column, np.nan),
                }
            )
    return pd.DataFrame(rows)


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference (a - b) over the pooled standard deviation; NaN if undefined."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")


def _kruskal(values: pd.Series, labels: pd.Series, biotypes: list[int]) -> float:
    """Kruskal-Wallis p across biotypes (NaN with fewer than two non-empty groups or constant values)."""
    groups = [values[(labels == b).to_numpy()].dropna().to_numpy() for b in biotypes]
    groups = [g for g in groups if len(g)]
    if len(groups) < 2:
        return float("nan")
    try:
        return float(stats.kruskal(*groups).pvalue)
    except ValueError:
        return float("nan")


def biotype_names(profile: pd.DataFrame, n_features: int = 2) -> dict[int, str]:
    """Short automatic names from the largest significant effects, e.g. ``"B1 · high pain_distress · low hrv_rmssd_ms_mean"``."""
    names = {}
    for biotype, rows in profile.groupby("biotype"):
        strong = rows[(rows["kruskal_q"] < 0.05) & rows["cohens_d"].abs().ge(0.5)]
        top = strong.reindex(strong["cohens_d"].abs().sort_values(ascending=False).index).head(n_features)
        words = [f"{'high' if d > 0 else 'low'} {feature}" for feature, d in zip(top["feature"], top["cohens_d"], strict=True)]
        names[int(biotype)] = " · ".join([f"B{int(biotype) + 1}", *words])
    return names


def pairwise_profile(features: pd.DataFrame, modality: dict[str, str], labels: pd.Series) -> pd.DataFrame:
    """Every pair of biotypes compared on every feature: Cohen's d, Mann-Whitney U test, BH FDR.

    Returns
    -------
    DataFrame
        ``biotype_a``, ``biotype_b`` (0-based, a < b), ``feature``, ``modality``, ``mean_a``,
        ``mean_b``, ``cohens_d`` (a minus b), ``mannwhitney_p`` and ``mannwhitney_q`` (BH over all
        pairs and features).
    """
    clustered = labels[labels >= 0]
    data = features.reindex(clustered.index)
    biotypes = sorted(clustered.unique())
    rows = []
    for i, a in enumerate(biotypes):
        for b in biotypes[i + 1 :]:
            in_a, in_b = (clustered == a).to_numpy(), (clustered == b).to_numpy()
            for column in data.columns:
                values = data[column].to_numpy(dtype=np.float64)
                x, y = values[in_a], values[in_b]
                x, y = x[np.isfinite(x)], y[np.isfinite(y)]
                p = float(stats.mannwhitneyu(x, y).pvalue) if len(x) and len(y) and np.ptp(np.r_[x, y]) > 0 else np.nan
                rows.append(
                    {
                        "biotype_a": int(a),
                        "biotype_b": int(b),
                        "feature": column,
                        "modality": modality.get(column, ""),
                        "mean_a": float(x.mean()) if len(x) else np.nan,
                        "mean_b": float(y.mean()) if len(y) else np.nan,
                        "cohens_d": cohens_d(x, y),
                        "mannwhitney_p": p,
                    }
                )
    table = pd.DataFrame(rows, columns=["biotype_a", "biotype_b", "feature", "modality", "mean_a", "mean_b", "cohens_d", "mannwhitney_p"])
    finite = table["mannwhitney_p"].notna().to_numpy()
    table["mannwhitney_q"] = np.nan
    if finite.any():
        table.loc[finite, "mannwhitney_q"] = stats.false_discovery_control(table.loc[finite, "mannwhitney_p"].to_numpy(), method="bh")
    return table
