"""Feature blocks per modality: selection, screening, modality-specific reduction, imputation and scaling.

Each selected modality becomes one :class:`Block` holding only the participants who have that
modality; :mod:`analysis.fusion` then joins the blocks and decides, by the run configuration, what
happens to participants who lack one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import RobustScaler, StandardScaler

from analysis import modalities as M
from analysis.cohort import Cohort
from analysis.config import RunConfig
from analysis.errors import CohortError, Issue
from analysis.harmonisation import combat
from analysis.wearables import wearable_summaries

_YES_NO = {"yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class Block:
    """One modality's features, ready to fuse.

    Attributes
    ----------
    modality : str
    values : DataFrame indexed by participant, shape (n_with_modality, n_features)
        Imputed and scaled features of the participants who have this modality.
    raw : DataFrame, same shape
        The same features before imputation and scaling (for profiling in natural units).
    n_imputed : int
        Values filled in by the imputer.
    issues : tuple of Issue
        What was set aside or dropped, and why.
    """

    modality: str
    values: pd.DataFrame
    raw: pd.DataFrame
    n_imputed: int
    issues: tuple[Issue, ...] = field(default=())


def build_blocks(cohort: Cohort, config: RunConfig) -> tuple[dict[str, Block], list[Issue]]:
    """Build the block of every selected modality the cohort has.

    Returns
    -------
    blocks : dict of str to Block
        In the order of ``config.modalities``; modalities with no usable feature are left out.
    issues : list of Issue
        Modalities asked for but absent or empty, with the reason.
    """
    raw_by_modality = {
        M.CLINICAL: lambda: clinical_features(cohort, config),
        M.PRS: lambda: prs_features(cohort, config),
        M.CONNECTIVITY: lambda: connectivity_features(cohort, config),
        M.WEARABLES: lambda: wearable_features(cohort, config),
    }
    blocks, issues = {}, []
    for modality in config.modalities:
        raw, notes = raw_by_modality[modality]()
        raw = raw.drop(columns=[c for c in config.exclude_columns if c in raw.columns])
        raw, screened = screen_columns(raw, modality, config.max_missing_fraction)
        notes = notes + screened
        if raw.shape[1] == 0 or raw.shape[0] == 0:
            issues.append(
                Issue(
                    "warning",
                    f"the cohort has no usable {modality} feature; the modality is left out",
                    modality,
                    "add data for it or leave it out of the run",
                )
            )
            issues.extend(notes)
            continue
        values, n_imputed = impute_and_scale(raw, config)
        if n_imputed:
            notes.append(Issue("info", f"{n_imputed} missing {modality} value(s) imputed ({config.impute})", modality, ""))
        blocks[modality] = Block(modality, values, raw, n_imputed, tuple(notes))
    return blocks, issues


def clinical_features(cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
    """Clinical/psychosocial columns, plus yes/no and true/false text columns as 0/1."""
    frame = cohort.participants
    columns = [c for c in cohort.columns_of(M.CLINICAL) if frame[c].dtype == np.float64]
    raw = frame[columns].copy()
    notes = []
    for column in cohort.columns_of(M.TEXT):
        levels = set(frame[column].dropna().str.strip().str.lower())
        if levels and levels <= set(_YES_NO):
            raw[column] = frame[column].str.strip().str.lower().map(_YES_NO).astype(np.float64)
            notes.append(Issue("info", f"text column '{column}' read as 0/1 ({'/'.join(sorted(levels))})", M.CLINICAL, ""))
    return raw, notes


def prs_features(cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
    """PRS columns, standardised within ancestry group or residualised on genetic PCs.

    Raw polygenic scores shift with ancestry when the GWAS was done in another population; left as
    they are, a "high-risk" biotype can simply be an ancestry group.
    """
    frame = cohort.participants
    raw = frame[[c for c in cohort.columns_of(M.PRS) if frame[c].dtype == np.float64]].copy()
    method = config.prs_adjustment
    has_ancestry = "ancestry" in frame.columns
    pcs = [c for c in cohort.columns_of(M.COVARIATE) if re.fullmatch(r"(ancestry_|genetic_)?pc\d+", c, re.IGNORECASE)]
    if method == "auto":
        method = "within_ancestry" if has_ancestry else "none"
    if raw.empty or method == "none":
        return raw, [Issue("info", "PRS used as given (no ancestry adjustment)", M.PRS, "")] if not raw.empty else []
    if method == "within_ancestry":
        if not has_ancestry:
            return raw, [
                Issue(
                    "warning",
                    "PRS ancestry adjustment asked for, but there is no 'ancestry' column",
                    M.PRS,
                    "add an ancestry column or choose prs_adjustment 'residualise_pcs' or 'none'",
                )
            ]
        group = frame["ancestry"].fillna("unknown")
        adjusted = raw.groupby(group).transform(lambda s: (s - s.mean()) / s.std(ddof=0) if s.std(ddof=0) > 0 else s - s.mean())
        small = group.value_counts()
        notes = [Issue("info", f"PRS standardised within ancestry group ({', '.join(f'{g} {n}' for g, n in small.items())})", M.PRS, "")]
        if (small < 20).any():
            notes.append(
                Issue(
                    "warning",
                    f"ancestry group(s) {', '.join(small.index[small < 20])} have fewer than 20 participants: their PRS standardisation is unstable",
                    M.PRS,
                    "interpret their PRS with care, or use residualise_pcs",
                )
            )
        return adjusted, notes
    if not pcs:
        return raw, [
            Issue(
                "warning",
                "PRS residualisation on genetic PCs asked for, but there are no pc columns",
                M.PRS,
                "add pc1, pc2, ... columns or choose another prs_adjustment",
            )
        ]
    design = frame[pcs].to_numpy(dtype=np.float64)
    adjusted = raw.copy()
    for column in raw.columns:
        ok = raw[column].notna().to_numpy() & np.isfinite(design).all(axis=1)
        x = np.column_stack([np.ones(ok.sum()), design[ok]])
        beta, *_ = np.linalg.lstsq(x, raw[column].to_numpy()[ok], rcond=None)
        adjusted.loc[ok, column] = raw[column].to_numpy()[ok] - x @ beta
    return adjusted, [Issue("info", f"PRS residualised on {', '.join(pcs)}", M.PRS, "")]


def connectivity_features(cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
    """Network-level mean connectivity and/or PCA components of the edges, plus ``fc_`` table columns."""
    frame = cohort.participants
    table = frame[[c for c in cohort.columns_of(M.CONNECTIVITY) if frame[c].dtype == np.float64]]
    table = table[table.notna().any(axis=1)]
    c = cohort.connectivity
    if c is None:
        return table, []
    notes = []
    parts = []
    want = config.connectivity_features
    networks_usable = c.atlas is not None and len(c.atlas.network_names) >= 2
    if want in ("networks", "both") and not networks_usable:
        notes.append(
            Issue(
                "warning",
                "no atlas networks for the matrices: PCA components are used instead of network means",
                M.CONNECTIVITY,
                "choose an atlas with networks (dosenbach_2010, seitzman_2018) or a coordinates CSV with a network column",
            )
        )
        want = "pca"
    if want in ("networks", "both"):
        parts.append(network_means(c.edges, c.atlas.networks, c.ids))
    if want in ("pca", "both"):
        k = min(config.connectivity_pca_components, len(c.ids) - 1, c.edges.shape[1])
        scores = PCA(n_components=k, random_state=config.seed).fit_transform(c.edges.astype(np.float64))
        parts.append(pd.DataFrame(scores, index=pd.Index(c.ids, name="participant"), columns=[f"fc_pc{i + 1}" for i in range(k)]))
    matrices = pd.concat(parts, axis=1)
    if config.harmonise_sites:
        matrices, harmonised = harmonised_features(cohort, matrices, config)
        notes.append(harmonised)
    return matrices.join(table, how="outer"), notes


def harmonised_features(cohort: Cohort, features: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, Issue]:
    """ComBat across sites (the ``scanner`` column if there is one, else ``site``), protecting chosen covariates."""
    frame = cohort.participants
    lowered = {c.lower(): c for c in frame.columns}
    batch_column = lowered.get("scanner") or lowered.get("site")
    if batch_column is None:
        raise CohortError(
            "site harmonisation needs a 'site' or 'scanner' column", "the participants table", "add one, or turn site harmonisation off"
        )
    missing = [c for c in config.harmonise_protect if c.lower() not in lowered]
    if missing:
        raise CohortError(
            f"covariate(s) {', '.join(missing)} to protect during harmonisation are not in the table",
            "harmonise_protect",
            "name existing columns",
        )
    protect = frame[[lowered[c.lower()] for c in config.harmonise_protect]]
    out = combat(features, frame[batch_column], protect)
    sites = frame[batch_column].reindex(features.index).nunique()
    return out, Issue(
        "info",
        f"connectivity features harmonised across {sites} {batch_column}s with ComBat, protecting {', '.join(config.harmonise_protect) or 'nothing'}",
        M.CONNECTIVITY,
        "",
    )


def network_means(edges: np.ndarray, networks: tuple[str, ...], ids: np.ndarray) -> pd.DataFrame:
    """Mean connectivity within each network and between each pair of networks.

    Parameters
    ----------
    edges : ndarray of shape (n_participants, n_rois * (n_rois - 1) // 2)
        Lower triangles in nilearn's vectorised order.
    networks : tuple of str, length n_rois
    ids : ndarray of str, shape (n_participants,)

    Returns
    -------
    DataFrame indexed by participant
        Columns ``fc_<a>__<b>`` for networks a <= b in order of first appearance (within when a == b).
    """
    names = list(dict.fromkeys(networks))
    code = np.array([names.index(n) for n in networks])
    lower = np.tril_indices(len(networks), k=-1)
    a, b = np.minimum(code[lower[0]], code[lower[1]]), np.maximum(code[lower[0]], code[lower[1]])
    pairs = [(i, j) for i in range(len(names)) for j in range(i, len(names))]
    indicator = np.zeros((len(a), len(pairs)), dtype=np.float32)
    for k, (i, j) in enumerate(pairs):
        indicator[(a == i) & (b == j), k] = 1.0
    counts = indicator.sum(axis=0)
    keep = counts > 0
    means = (edges @ indicator[:, keep]) / counts[keep]
    columns = [f"fc_{names[i]}__{names[j]}" for (i, j), k in zip(pairs, keep, strict=True) if k]
    return pd.DataFrame(means.astype(np.float64), index=pd.Index(ids, name="participant"), columns=columns)


def wearable_features(cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
    """Per-participant summaries of the daily series (see :func:`analysis.wearables.wearable_summaries`), plus ``wear_`` table columns."""
    frame = cohort.participants
    table = frame[[c for c in cohort.columns_of(M.WEARABLES) if frame[c].dtype == np.float64]]
    table = table[table.notna().any(axis=1)]
    if cohort.wearables is None:
        return table, []
    summaries = wearable_summaries(cohort.wearables, config.wearable_min_valid_days)
    worn = cohort.wearables.days["participant"].nunique()
    notes = [
        Issue(
            "info",
            f"wearable summaries (mean, day-to-day SD, trend, adherence) for {len(summaries)} participant(s) with at least {config.wearable_min_valid_days} valid days",
            M.WEARABLES,
            "",
        )
    ]
    if len(summaries) < worn:
        notes.append(
            Issue(
                "warning",
                f"{worn - len(summaries)} participant(s) wore the device on fewer than {config.wearable_min_valid_days} valid days and count as having no wearable data",
                M.WEARABLES,
                "lower wearable_min_valid_days to keep them (their summaries are less reliable)",
            )
        )
    return summaries.join(table, how="outer"), notes


def screen_columns(raw: pd.DataFrame, modality: str, max_missing: float) -> tuple[pd.DataFrame, list[Issue]]:
    """Drop columns missing for too many of the block's participants, and constant columns; say so.

    Rows with no value left are dropped from the block (those participants lack the modality).
    """
    notes = []
    rows = raw.notna().any(axis=1)
    raw = raw[rows]
    missing = raw.isna().mean()
    too_sparse = missing.index[missing > max_missing].tolist()
    if too_sparse:
        notes.append(
            Issue(
                "warning",
                f"{len(too_sparse)} {modality} column(s) missing for more than {max_missing:.0%} of participants are not used: {', '.join(too_sparse[:8])}",
                modality,
                "raise max_missing_fraction to keep them",
            )
        )
    raw = raw.drop(columns=too_sparse)
    constant = [c for c in raw.columns if raw[c].nunique(dropna=True) <= 1]
    if constant:
        notes.append(Issue("info", f"constant {modality} column(s) not used: {', '.join(constant[:8])}", modality, ""))
    raw = raw.drop(columns=constant)
    return raw[raw.notna().any(axis=1)], notes


def impute_and_scale(raw: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, int]:
    """Fill missing values (median, KNN or iterative) and scale each feature (standard or robust).

    Returns
    -------
    values : DataFrame, same index and columns as ``raw``
    n_imputed : int
    """
    x = raw.to_numpy(dtype=np.float64)
    n_imputed = int(np.isnan(x).sum())
    if n_imputed:
        imputer = {
            "median": lambda: SimpleImputer(strategy="median"),
            "knn": lambda: KNNImputer(n_neighbors=5),
            "iterative": lambda: IterativeImputer(random_state=config.seed, max_iter=10),
        }[config.impute]()
        x = imputer.fit_transform(x)
    scaler = StandardScaler() if config.scale == "standard" else RobustScaler()
    x = scaler.fit_transform(x)
    return pd.DataFrame(x, index=raw.index, columns=raw.columns), n_imputed
