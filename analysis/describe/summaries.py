"""Per-biotype summaries of each modality, for the dashboard's brain, genetics and wearables views.

Every function takes the run's labels (a Series of biotype numbers indexed by participant, 1 for B1,
-1 for noise; :func:`analysis.engine.clustering.biotype_numbers`) and returns plain arrays or frames; none of them plots.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from analysis.cohort.atlas import Atlas
from analysis.cohort.connectivity import Connectivity

#: Resamples of the AUC bootstrap confidence interval.
AUC_BOOTSTRAP = 1000
#: Edges compared per step of :func:`biotype_connectivity` (5,000 participants: 40 MB of float64 per step).
EDGE_CHUNK = 1024


@dataclass(frozen=True)
class BiotypeConnectivity:
    """One biotype's connectivity against the other clustered participants.

    Attributes
    ----------
    biotype : int
        Biotype number (1-based), as in the labels given.
    n : int
        Participants of the biotype with a matrix.
    mean : ndarray of float32, shape (n_edges,)
        Mean edge values of the biotype (nilearn's vectorised lower triangle).
    difference : ndarray of float, shape (n_edges,)
        Mean of the biotype minus mean of the rest.
    t, q : ndarray of float, shape (n_edges,)
        Welch t statistic and Benjamini-Hochberg q value of each edge.
    """

    biotype: int
    n: int
    mean: np.ndarray
    difference: np.ndarray
    t: np.ndarray
    q: np.ndarray


def biotype_connectivity(connectivity: Connectivity, labels: pd.Series) -> list[BiotypeConnectivity]:
    """Edge-wise comparison of each biotype with the rest (Welch t, BH FDR over edges).

    The edges are read :data:`EDGE_CHUNK` at a time (as float64), so the comparison holds one chunk
    of the clustered participants' edges beside the float32 stack, not float64 copies of all of them
    (each edge's statistics depend only on its own column).

    Returns
    -------
    list of BiotypeConnectivity
        One per biotype with at least two matrices, the rest having at least two too.
    """
    biotype = labels.reindex(connectivity.ids).to_numpy(dtype=float)
    rows = np.flatnonzero(np.isfinite(biotype) & (biotype >= 0))
    codes = biotype[rows].astype(int)
    kept = [b for b in sorted(set(codes.tolist())) if (codes == b).sum() >= 2 and (codes != b).sum() >= 2]
    n_edges = connectivity.edges.shape[1]
    parts = {b: {name: np.empty(n_edges) for name in ("t", "p", "mean", "difference")} for b in kept}
    for start in range(0, n_edges, EDGE_CHUNK):
        columns = slice(start, min(start + EDGE_CHUNK, n_edges))
        block = connectivity.edges[rows, columns].astype(np.float64)
        for b in kept:
            inside = codes == b
            with warnings.catch_warnings():
                # Edges (nearly) constant in both sets give NaN or unstable t; scipy warns once per chunk.
                warnings.simplefilter("ignore", RuntimeWarning)
                t, p = stats.ttest_ind(block[inside], block[~inside], axis=0, equal_var=False)
            mean = block[inside].mean(axis=0)
            values = parts[b]
            values["t"][columns], values["p"][columns] = t, p
            values["mean"][columns], values["difference"][columns] = mean, mean - block[~inside].mean(axis=0)
    out = []
    for b in kept:
        values = parts[b]
        q = np.full(n_edges, np.nan)
        finite = np.isfinite(values["p"])
        q[finite] = stats.false_discovery_control(values["p"][finite], method="bh")
        n = int((codes == b).sum())
        out.append(BiotypeConnectivity(b, n, values["mean"].astype(np.float32), values["difference"], values["t"], q))
    return out


def network_matrix(edges: np.ndarray, atlas: Atlas) -> pd.DataFrame:
    """Average of edge values within and between networks, as a symmetric networks × networks table.

    Parameters
    ----------
    edges : ndarray of shape (n_edges,)
        One vectorised matrix (or a mean, or a difference).
    atlas : Atlas

    Returns
    -------
    DataFrame, shape (n_networks, n_networks)
        Rows and columns are the atlas networks in order of first appearance; a network with a single
        region has NaN on its diagonal.
    """
    names = list(atlas.network_names)
    code = np.array([names.index(n) for n in atlas.networks])
    lower = np.tril_indices(atlas.n_rois, k=-1)
    a, b = code[lower[0]], code[lower[1]]
    table = np.full((len(names), len(names)), np.nan)
    for i in range(len(names)):
        for j in range(i, len(names)):
            pick = ((a == i) & (b == j)) | ((a == j) & (b == i))
            if pick.any():
                table[i, j] = table[j, i] = float(edges[pick].mean())
    return pd.DataFrame(table, index=names, columns=names)


def network_order(atlas: Atlas) -> np.ndarray:
    """Region indices grouped by network (networks in order of first appearance, regions in atlas order within each).

    Returns
    -------
    ndarray of int, shape (n_rois,)
    """
    names = list(atlas.network_names)
    return np.argsort([names.index(n) for n in atlas.networks], kind="stable")


def significant_edges(summary: BiotypeConnectivity, max_q: float) -> np.ndarray:
    """The biotype-minus-rest differences of edges with FDR q below ``max_q``; 0 elsewhere.

    Returns
    -------
    ndarray of float, shape (n_edges,)
    """
    keep = np.nan_to_num(summary.q, nan=1.0) < max_q
    return np.where(keep, summary.difference, 0.0)


def strongest_edges(values: np.ndarray, n: int) -> np.ndarray:
    """Keep the ``n`` edges of largest absolute non-zero value; 0 elsewhere (ties broken by edge order).

    Returns
    -------
    ndarray of float, same shape as ``values``
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros_like(values)
    nonzero = np.flatnonzero(values)
    if n > 0 and nonzero.size:
        keep = nonzero[np.argsort(-np.abs(values[nonzero]), kind="stable")[:n]]
        out[keep] = values[keep]
    return out


def wearable_trajectories(days: pd.DataFrame, metric: str, labels: pd.Series) -> pd.DataFrame:
    """Mean and 95% confidence interval of a daily metric per biotype and study day.

    Parameters
    ----------
    days : DataFrame
        The long wearable table (``participant``, ``day``, metrics), e.g. ``Wearables.days``.
    metric : str
    labels : Series of int indexed by participant

    Returns
    -------
    DataFrame
        ``biotype`` (as in ``labels``; -1 noise), ``day``, ``n`` (participants with a value that day),
        ``mean``, ``ci_low``, ``ci_high`` (t-based 95% interval; NaN with fewer than two values).
    """
    frame = days[["participant", "day", metric]].dropna()
    frame = frame.assign(biotype=labels.reindex(frame["participant"]).to_numpy())
    frame = frame[frame["biotype"].notna()]
    grouped = frame.groupby(["biotype", "day"])[metric]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    half = stats.t.ppf(0.975, np.maximum(out["n"] - 1, 1)) * out["sd"] / np.sqrt(out["n"])
    half = half.where(out["n"] >= 2)
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    out["biotype"] = out["biotype"].astype(int)
    return out.drop(columns="sd")


def adherence_by_biotype(adherence: pd.DataFrame, labels: pd.Series) -> tuple[pd.DataFrame, float]:
    """Wear adherence (valid days over the days in each participant's span) per biotype.

    Parameters
    ----------
    adherence : DataFrame indexed by participant
        :meth:`analysis.cohort.wearables.Wearables.adherence` output.
    labels : Series of int indexed by participant (biotype numbers, -1 noise)

    Returns
    -------
    per_participant : DataFrame
        ``biotype``, ``valid_days``, ``span_days`` and ``adherence`` (valid / span, 0-1) of every
        clustered participant with wearable data (noise included as -1).
    kruskal_p : float
        Kruskal-Wallis p of adherence across biotypes (noise left out); NaN with fewer than two biotypes.
    """
    data = adherence.join(labels.rename("biotype"), how="inner")
    data = data.assign(adherence=data["valid_days"] / data["span_days"].clip(lower=1))
    data["biotype"] = data["biotype"].astype(int)
    groups = [g["adherence"].to_numpy() for b, g in data.groupby("biotype") if b >= 0]
    p = float("nan")
    if len(groups) >= 2 and np.ptp(np.concatenate(groups)) > 0:
        p = float(stats.kruskal(*groups).pvalue)
    return data[["biotype", "valid_days", "span_days", "adherence"]], p


def prs_association(scores: pd.DataFrame, outcome: pd.Series, seed: int = 0) -> pd.DataFrame:
    """Odds ratio per SD and AUC of each PRS for a binary outcome.

    Parameters
    ----------
    scores : DataFrame indexed by participant
        One column per score.
    outcome : Series of 0/1 indexed by participant (NaN allowed)
    seed : int
        Seed of the AUC bootstrap.

    Returns
    -------
    DataFrame
        One row per score: ``score``, ``n``, ``cases``, ``odds_ratio_per_sd`` with ``or_ci_low`` and
        ``or_ci_high`` (Wald 95%, logistic regression on the standardised score), ``p_value``,
        ``auc`` with ``auc_ci_low`` and ``auc_ci_high`` (percentile bootstrap, 1,000 resamples).
    """
    import statsmodels.api as sm

    rng = np.random.default_rng(seed)
    rows = []
    for column in scores.columns:
        data = pd.concat([scores[column], outcome.reindex(scores.index)], axis=1, keys=["x", "y"]).dropna()
        y = data["y"].to_numpy(dtype=float)
        if len(data) < 10 or len(np.unique(y)) < 2:
            continue
        z = (data["x"] - data["x"].mean()) / data["x"].std(ddof=0)
        fit = sm.Logit(y, sm.add_constant(z.to_numpy())).fit(disp=0)
        beta, se = fit.params[1], fit.bse[1]
        auc = roc_auc_score(y, z)
        boot = bootstrap_auc(y, z.to_numpy(), rng)
        rows.append(
            {
                "score": column,
                "n": len(y),
                "cases": int(y.sum()),
                "odds_ratio_per_sd": float(np.exp(beta)),
                "or_ci_low": float(np.exp(beta - 1.96 * se)),
                "or_ci_high": float(np.exp(beta + 1.96 * se)),
                "p_value": float(fit.pvalues[1]),
                "auc": float(auc),
                "auc_ci_low": float(np.percentile(boot, 2.5)),
                "auc_ci_high": float(np.percentile(boot, 97.5)),
            }
        )
    return pd.DataFrame(rows)


def prs_association_by_biotype(scores: pd.DataFrame, outcome: pd.Series, labels: pd.Series, seed: int = 0) -> pd.DataFrame:
    """:func:`prs_association` in all clustered participants and within each biotype.

    Returns
    -------
    DataFrame
        :func:`prs_association`'s columns plus ``biotype`` (-2 for all clustered participants,
        the biotype number otherwise); groups with fewer than 10 participants or a single outcome class are
        left out.
    """
    clustered = labels[labels >= 0]
    parts = [prs_association(scores.reindex(clustered.index), outcome, seed).assign(biotype=-2)]
    for biotype in sorted(clustered.unique()):
        members = clustered.index[clustered == biotype]
        parts.append(prs_association(scores.reindex(members), outcome, seed).assign(biotype=int(biotype)))
    return pd.concat(parts, ignore_index=True)


def bootstrap_auc(y: np.ndarray, score: np.ndarray, rng: np.random.Generator, resamples: int = AUC_BOOTSTRAP) -> np.ndarray:
    """AUCs of bootstrap resamples (participants drawn with replacement), computed all at once from ranks.

    Parameters
    ----------
    y : ndarray of 0/1, shape (n,)
    score : ndarray of float, shape (n,)
    rng : numpy Generator
    resamples : int

    Returns
    -------
    ndarray of float
        One AUC per resample that holds both classes (the others are skipped).
    """
    pick = rng.integers(0, len(y), (resamples, len(y)))
    labels, values = y[pick], score[pick]
    positives = labels.sum(axis=1)
    negatives = len(y) - positives
    usable = (positives > 0) & (negatives > 0)
    ranks = stats.rankdata(values[usable], axis=1)
    rank_sum = (ranks * labels[usable]).sum(axis=1)
    p, n = positives[usable], negatives[usable]
    return (rank_sum - p * (p + 1) / 2) / (p * n)


def prs_deciles(score: pd.Series, labels: pd.Series, outcome: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biotype make-up and outcome prevalence per decile of a polygenic score, among clustered participants.

    Parameters
    ----------
    score : Series of float indexed by participant
    labels : Series of int indexed by participant (biotype numbers, -1 noise)
    outcome : Series of 0/1 indexed by participant, optional

    Returns
    -------
    make_up : DataFrame
        ``decile`` (1-10), ``biotype`` (as in ``labels``, -1 noise), ``n``, ``share`` (of the decile).
    prevalence : DataFrame
        ``decile``, ``n``, ``cases``, ``prevalence`` and its Wilson 95% interval ``ci_low``,
        ``ci_high``; empty without an outcome.
    """
    data = pd.DataFrame({"score": score, "biotype": labels.reindex(score.index)}).dropna()
    data["decile"] = pd.qcut(data["score"].rank(method="first"), 10, labels=False) + 1
    counts = data.groupby(["decile", "biotype"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby("decile")["n"].transform("sum")
    counts["biotype"] = counts["biotype"].astype(int)
    prevalence = pd.DataFrame(columns=["decile", "n", "cases", "prevalence", "ci_low", "ci_high"])
    if outcome is not None:
        data["y"] = outcome.reindex(data.index)
        grouped = data.dropna(subset=["y"]).groupby("decile")["y"]
        prevalence = grouped.agg(n="count", cases="sum").reset_index()
        interval = [_wilson(int(c), int(n)) for c, n in zip(prevalence["cases"], prevalence["n"], strict=True)]
        prevalence["prevalence"] = prevalence["cases"] / prevalence["n"]
        prevalence["ci_low"] = [low for low, _ in interval]
        prevalence["ci_high"] = [high for _, high in interval]
    return counts, prevalence


def is_binary(values: pd.Series) -> bool:
    """Whether a numeric column holds exactly the two values 0 and 1 (missing values aside): a yes/no outcome."""
    return set(pd.to_numeric(values, errors="coerce").dropna().unique()) == {0.0, 1.0}


def binary_outcome_by_biotype(values: pd.Series, biotypes: pd.Series) -> pd.DataFrame:
    """Share of participants with a yes/no outcome (value 1) in each biotype, with its Wilson 95% interval.

    Parameters
    ----------
    values : Series of 0/1 indexed by participant (NaN allowed, left out)
    biotypes : Series of int (biotype numbers, -1 noise; NA for not clustered) indexed like ``values``

    Returns
    -------
    DataFrame
        One row per biotype with at least one value, in biotype order (noise and not clustered left
        out): ``biotype``, ``n`` (participants with a value), ``cases`` (with 1), ``proportion``,
        ``ci_low`` and ``ci_high`` (Wilson score 95% interval).
    """
    data = pd.DataFrame({"y": pd.to_numeric(values, errors="coerce"), "biotype": biotypes.reindex(values.index)}).dropna()
    data = data[data["biotype"] >= 1]
    table = data.groupby(data["biotype"].astype(int))["y"].agg(n="count", cases="sum").reset_index()
    table["cases"] = table["cases"].astype(int)
    table["proportion"] = table["cases"] / table["n"]
    interval = [_wilson(c, n) for c, n in zip(table["cases"], table["n"], strict=True)]
    table["ci_low"] = [low for low, _ in interval]
    table["ci_high"] = [high for _, high in interval]
    return table


def _wilson(cases: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (statsmodels); NaN for no participants."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(int(cases), int(n), alpha=0.05, method="wilson")
    return float(low), float(high)
