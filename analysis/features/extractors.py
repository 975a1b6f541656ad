"""Each modality's features, fitted on the reference cohort and applied unchanged to new participants.

One class per modality, in the manner of scikit-learn's transformers: ``fit_transform(cohort,
config)`` learns what the modality's features need from the reference cohort (which yes/no columns
and one-hot levels, the PRS ancestry adjustment, the connectivity PCA and ComBat estimates) and
returns the fitted object with the features; ``transform(cohort, config)`` computes the same
features for new participants with that fitted state, refitting nothing. The fitted objects are
frozen and travel in a saved model (:class:`analysis.features.blocks.BlockModel`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.cohort.wearables import wearable_summaries
from analysis.config import RunConfig
from analysis.errors import CohortError, Issue
from analysis.features.harmonisation import ComBatModel, apply_combat, combat
from analysis.io.tables import YES_NO, is_yes_no

#: Most levels a text column may have to be one-hot encoded.
MAX_ONE_HOT_LEVELS = 10


@dataclass(frozen=True)
class ClinicalFeatures:
    """Clinical/psychosocial columns, yes/no and true/false text columns as 0/1, and one-hot encoded text columns.

    Attributes
    ----------
    yes_no : tuple of str
        Text columns read as 0/1 (those holding only yes/no or true/false in the reference cohort).
    one_hot : tuple of (str, tuple of str)
        Each one-hot encoded column with its levels in the reference cohort, in the configuration's order.
    """

    yes_no: tuple[str, ...]
    one_hot: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def fit_transform(cls, cohort: Cohort, config: RunConfig) -> tuple[ClinicalFeatures, pd.DataFrame, list[Issue]]:
        """Learn the yes/no columns and one-hot levels of ``cohort`` and return them with its features."""
        frame = cohort.participants
        yes_no = tuple(c for c in cohort.columns_of(M.TEXT) if is_yes_no(frame[c]))
        one_hot = []
        for column in config.one_hot_columns:
            levels = sorted(_text_column(frame, column).dropna().unique())
            if len(levels) > MAX_ONE_HOT_LEVELS:
                raise CohortError(
                    f"'{column}' has {len(levels)} levels; one-hot encoding takes at most {MAX_ONE_HOT_LEVELS}",
                    "one_hot_columns",
                    "group rare levels first, or leave the column out",
                )
            one_hot.append((column, tuple(levels)))
        fitted = cls(yes_no, tuple(one_hot))
        return fitted, *fitted.transform(cohort, config)

    def transform(self, cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
        """The clinical features of ``cohort``: shape (n_participants, n_features), float64, and notes on what was encoded."""
        frame = cohort.participants
        raw = frame[[c for c in cohort.columns_of(M.CLINICAL) if frame[c].dtype == np.float64]].copy()
        notes = []
        for column in cohort.columns_of(M.TEXT):
            if column in self.yes_no:
                levels = set(frame[column].dropna().str.strip().str.lower())
                raw[column] = frame[column].str.strip().str.lower().map(YES_NO).astype(np.float64)
                notes.append(Issue("info", f"text column '{column}' read as 0/1 ({'/'.join(sorted(levels))})", M.CLINICAL, ""))
        for column, levels in self.one_hot:
            values = _text_column(frame, column)
            for level in levels:
                raw[f"{column}={level}"] = (values == level).astype(np.float64).where(values.notna())
            notes.append(Issue("info", f"'{column}' one-hot encoded ({len(levels)} levels)", M.CLINICAL, ""))
        return raw, notes


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column of the participants table, stripped; a missing or numeric column is a user error."""
    if column not in frame.columns or frame[column].dtype == np.float64:
        raise CohortError(
            f"'{column}' is not a text column of the participants table",
            "one_hot_columns",
            "name text columns such as a diagnosis or pain-site category",
        )
    return frame[column].str.strip()


@dataclass(frozen=True)
class PrsAsGiven:
    """Polygenic scores used as they are (no ancestry adjustment)."""

    def apply(self, raw: pd.DataFrame, cohort: Cohort) -> tuple[pd.DataFrame, list[Issue]]:
        """``raw`` unchanged, with a note saying so."""
        return raw, [Issue("info", "PRS used as given (no ancestry adjustment)", M.PRS, "")]


@dataclass(frozen=True)
class PrsWithinAncestry:
    """Polygenic scores as z-scores within ancestry group.

    Attributes
    ----------
    stats : dict of str to dict of str to (float, float)
        Per score and ancestry group of the reference cohort: mean and SD (ddof 0).
    pooled : dict of str to (float, float)
        Per score: mean and SD over the whole reference cohort, used for a group it did not have.
    """

    stats: dict[str, dict[str, tuple[float, float]]]
    pooled: dict[str, tuple[float, float]]

    @classmethod
    def fit(cls, raw: pd.DataFrame, frame: pd.DataFrame) -> PrsWithinAncestry:
        """Group means and SDs of every score in ``raw`` (rows of ``frame``, which has an ``ancestry`` column)."""
        group = _ancestry(frame)
        stats = {c: {g: (float(v.mean()), float(v.std(ddof=0))) for g, v in raw[c].groupby(group)} for c in raw.columns}
        pooled = {c: (float(raw[c].mean()), float(raw[c].std(ddof=0))) for c in raw.columns}
        return cls(stats, pooled)

    def apply(self, raw: pd.DataFrame, cohort: Cohort) -> tuple[pd.DataFrame, list[Issue]]:
        """The scores standardised with the reference's group means and SDs, with notes on unseen and small groups."""
        if "ancestry" not in cohort.participants.columns:
            return raw, [_NO_ANCESTRY]
        group = _ancestry(cohort.participants)
        notes = []
        adjusted = raw.copy()
        for column in raw.columns:
            known = self.stats.get(column, {})
            means = group.map(lambda g, k=known, c=column: k.get(g, self.pooled[c])[0])
            sds = group.map(lambda g, k=known, c=column: k.get(g, self.pooled[c])[1]).replace(0.0, 1.0)
            adjusted[column] = (raw[column] - means.astype(float)) / sds.astype(float)
        counts = group[raw.notna().any(axis=1)].value_counts()
        unseen = [g for g in counts.index if g not in next(iter(self.stats.values()), {})]
        notes.append(
            Issue("info", f"PRS standardised within ancestry group ({', '.join(f'{g} {n}' for g, n in counts.items())})", M.PRS, "")
        )
        if unseen:
            notes.append(
                Issue(
                    "warning",
                    f"ancestry group(s) {', '.join(unseen)} are not in the reference cohort; pooled mean and SD used",
                    M.PRS,
                    "interpret their PRS with care",
                )
            )
        small = counts[counts < 20]
        if len(small):
            notes.append(
                Issue(
                    "warning",
                    f"ancestry group(s) {', '.join(small.index)} have fewer than 20 participants: their PRS standardisation is unstable",
                    M.PRS,
                    "interpret their PRS with care, or use residualise_pcs",
                )
            )
        return adjusted, notes


def _ancestry(frame: pd.DataFrame) -> pd.Series:
    """The ancestry group of every participant as text, 'unknown' where missing."""
    return frame["ancestry"].fillna("unknown").astype(str)


@dataclass(frozen=True)
class PrsOnPcs:
    """Polygenic scores as residuals of their regression on the genetic principal components.

    Attributes
    ----------
    pcs : tuple of str
        The PC columns of the reference cohort, in order.
    betas : dict of str to ndarray of shape (1 + n_pcs,)
        Per score: intercept and coefficients fitted by least squares on the reference cohort.
    """

    pcs: tuple[str, ...]
    betas: dict[str, np.ndarray]

    @classmethod
    def fit(cls, raw: pd.DataFrame, frame: pd.DataFrame, pcs: tuple[str, ...]) -> PrsOnPcs:
        """Least-squares coefficients of every score in ``raw`` on the columns ``pcs`` of ``frame``."""
        design = frame[list(pcs)].to_numpy(dtype=np.float64)
        betas = {}
        for column in raw.columns:
            ok = raw[column].notna().to_numpy() & np.isfinite(design).all(axis=1)
            x = np.column_stack([np.ones(ok.sum()), design[ok]])
            betas[column], *_ = np.linalg.lstsq(x, raw[column].to_numpy()[ok], rcond=None)
        return cls(tuple(pcs), betas)

    def apply(self, raw: pd.DataFrame, cohort: Cohort) -> tuple[pd.DataFrame, list[Issue]]:
        """The scores minus what the reference's coefficients predict from the PCs (missing where a PC is)."""
        if not _pc_columns(cohort):
            return raw, [_NO_PCS]
        design = cohort.participants[list(self.pcs)].to_numpy(dtype=np.float64)
        adjusted = raw.copy()
        for column in raw.columns:
            ok = raw[column].notna().to_numpy() & np.isfinite(design).all(axis=1)
            x = np.column_stack([np.ones(ok.sum()), design[ok]])
            adjusted[column] = np.nan
            adjusted.loc[ok, column] = raw[column].to_numpy()[ok] - x @ np.asarray(self.betas[column])
        return adjusted, [Issue("info", f"PRS residualised on {', '.join(self.pcs)}", M.PRS, "")]


def _pc_columns(cohort: Cohort) -> tuple[str, ...]:
    """Covariate columns named like genetic principal components (pc1, ancestry_pc2, genetic_pc3, ...)."""
    return tuple(c for c in cohort.columns_of(M.COVARIATE) if re.fullmatch(r"(ancestry_|genetic_)?pc\d+", c, re.IGNORECASE))


_NO_ANCESTRY = Issue(
    "warning",
    "PRS ancestry adjustment asked for, but there is no 'ancestry' column",
    M.PRS,
    "add an ancestry column or choose prs_adjustment 'residualise_pcs' or 'none'",
)
_NO_PCS = Issue(
    "warning",
    "PRS residualisation on genetic PCs asked for, but there are no pc columns",
    M.PRS,
    "add pc1, pc2, ... columns or choose another prs_adjustment",
)


@dataclass(frozen=True)
class PrsFeatures:
    """Polygenic scores adjusted for ancestry as the reference cohort was.

    Raw polygenic scores shift with ancestry when the GWAS was done in another population; left as
    they are, a "high-risk" biotype can simply be an ancestry group.

    Attributes
    ----------
    adjustment : PrsAsGiven, PrsWithinAncestry or PrsOnPcs
    """

    adjustment: PrsAsGiven | PrsWithinAncestry | PrsOnPcs

    @classmethod
    def fit_transform(cls, cohort: Cohort, config: RunConfig) -> tuple[PrsFeatures, pd.DataFrame, list[Issue]]:
        """Fit ``config.prs_adjustment`` ('auto': within ancestry when there is an ancestry column) and adjust the scores."""
        frame = cohort.participants
        raw = _prs_columns(cohort)
        method = config.prs_adjustment
        if method == "auto":
            method = "within_ancestry" if "ancestry" in frame.columns else "none"
        pcs = _pc_columns(cohort)
        if raw.empty or method == "none":
            fitted = cls(PrsAsGiven())
        elif method == "within_ancestry" and "ancestry" not in frame.columns:
            return cls(PrsAsGiven()), raw, [_NO_ANCESTRY]  # asked for but impossible: said, and the scores used as given
        elif method == "residualise_pcs" and not pcs:
            return cls(PrsAsGiven()), raw, [_NO_PCS]
        elif method == "within_ancestry":
            fitted = cls(PrsWithinAncestry.fit(raw, frame))
        else:
            fitted = cls(PrsOnPcs.fit(raw, frame, pcs))
        return fitted, *fitted.transform(cohort, config)

    def transform(self, cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
        """The adjusted scores of ``cohort``: shape (n_participants, n_scores), float64, with notes."""
        raw = _prs_columns(cohort)
        if raw.empty:
            return raw, []
        return self.adjustment.apply(raw, cohort)


def _prs_columns(cohort: Cohort) -> pd.DataFrame:
    """The numeric polygenic-score columns of the participants table (a copy)."""
    frame = cohort.participants
    return frame[[c for c in cohort.columns_of(M.PRS) if frame[c].dtype == np.float64]].copy()


@dataclass(frozen=True)
class ConnectivityFeatures:
    """Network-level mean connectivity and/or PCA components of the edges, ComBat-harmonised across sites, plus ``fc_`` table columns.

    Attributes
    ----------
    features : {"networks", "pca", "both"} or None
        What the matrices gave the reference run (None: it had no matrices, only ``fc_`` columns).
    pca : sklearn.decomposition.PCA or None
        Fitted on the reference cohort's edges when ``features`` is "pca" or "both".
    combat : ComBatModel or None
        The reference run's ComBat estimates (None: sites were not harmonised, or there was one site).
    """

    features: str | None
    pca: PCA | None
    combat: ComBatModel | None

    @classmethod
    def fit_transform(cls, cohort: Cohort, config: RunConfig) -> tuple[ConnectivityFeatures, pd.DataFrame, list[Issue]]:
        """Fit the PCA of the edges and ComBat (as ``config`` says) on ``cohort`` and return its features."""
        table = _connectivity_table(cohort)
        c = cohort.connectivity
        if c is None:
            return cls(None, None, None), table, []
        want, notes = _usable_features(cohort, config.connectivity_features)
        pca = None
        if want in ("pca", "both"):
            k = min(config.connectivity_pca_components, len(c.ids) - 1, c.edges.shape[1])
            # One float32 working copy, centred in place (copy=False); a float64 copy of 5,000 x
            # 264-ROI edges would be 1.4 GB, and PCA copies read-only input twice otherwise.
            pca = PCA(n_components=k, random_state=config.seed, copy=False).fit(np.array(c.edges))
        matrices = _matrix_features(cohort, want, pca)
        combat_model = None
        if config.harmonise_sites:
            matrices, combat_model, harmonised = harmonised_features(cohort, matrices, config)
            notes.append(harmonised)
        return cls(want, pca, combat_model), matrices.join(table, how="outer"), notes

    def transform(self, cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
        """The connectivity features of ``cohort`` with the reference's PCA and ComBat estimates."""
        table = _connectivity_table(cohort)
        if cohort.connectivity is None or self.features is None:
            return table, []
        want, notes = _usable_features(cohort, self.features)
        if want in ("pca", "both") and self.pca is None:
            notes.append(
                Issue(
                    "warning",
                    "the reference run used atlas network means, and these matrices have no atlas networks: they are not used",
                    M.CONNECTIVITY,
                    "give the new matrices the reference run's atlas",
                )
            )
            return table, notes
        matrices = _matrix_features(cohort, want, self.pca)
        if self.combat is not None:
            matrices, _, harmonised = harmonised_features(cohort, matrices, config, self.combat)
            notes.append(harmonised)
        return matrices.join(table, how="outer"), notes


def _connectivity_table(cohort: Cohort) -> pd.DataFrame:
    """The numeric ``fc_`` columns of the participants table, rows with at least one value."""
    frame = cohort.participants
    table = frame[[c for c in cohort.columns_of(M.CONNECTIVITY) if frame[c].dtype == np.float64]]
    return table[table.notna().any(axis=1)]


def _usable_features(cohort: Cohort, want: str) -> tuple[str, list[Issue]]:
    """``want``, or "pca" with a warning when network means are wanted and the matrices have no atlas networks."""
    atlas = cohort.connectivity.atlas
    if want in ("networks", "both") and not (atlas is not None and len(atlas.network_names) >= 2):
        return "pca", [
            Issue(
                "warning",
                "no atlas networks for the matrices: PCA components are used instead of network means",
                M.CONNECTIVITY,
                "choose an atlas with networks (dosenbach_2010, seitzman_2018) or a coordinates CSV with a network column",
            )
        ]
    return want, []


def _matrix_features(cohort: Cohort, want: str, pca: PCA | None) -> pd.DataFrame:
    """Network means and/or the fitted PCA's components of the cohort's edges, indexed by participant."""
    c = cohort.connectivity
    parts = []
    if want in ("networks", "both"):
        parts.append(network_means(c.edges, c.atlas.networks, c.ids))
    if want in ("pca", "both"):
        scores = pca.transform(c.edges).astype(np.float64)
        parts.append(
            pd.DataFrame(scores, index=pd.Index(c.ids, name="participant"), columns=[f"fc_pc{i + 1}" for i in range(scores.shape[1])])
        )
    return pd.concat(parts, axis=1)


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
    # In blocks of participants: edges read in place from a file's bytes can be unaligned, and BLAS
    # would copy all of them at once for one product.
    weights = indicator[:, keep] / counts[keep]
    means = (
        np.concatenate([edges[start : start + 512] @ weights for start in range(0, len(edges), 512)])
        if len(edges)
        else np.zeros((0, int(keep.sum())))
    )
    columns = [f"fc_{names[i]}__{names[j]}" for (i, j), k in zip(pairs, keep, strict=True) if k]
    return pd.DataFrame(means.astype(np.float64), index=pd.Index(ids, name="participant"), columns=columns)


def harmonised_features(
    cohort: Cohort, features: pd.DataFrame, config: RunConfig, fitted: ComBatModel | None = None
) -> tuple[pd.DataFrame, ComBatModel | None, Issue]:
    """ComBat across sites (the ``scanner`` column if there is one, else ``site``), protecting chosen covariates.

    With ``fitted`` (a reference run's estimates) the new participants are harmonised with those
    estimates instead of fitting ComBat again.

    Returns
    -------
    harmonised : DataFrame, same shape as ``features``
    model : ComBatModel or None
        The estimates used (None with a single site, where nothing is changed).
    note : Issue
    """
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
    if fitted is None:
        out, model = combat(features, frame[batch_column], protect)
        how = "ComBat"
    else:
        out, model = apply_combat(fitted, features, frame[batch_column], protect), fitted
        how = "the reference run's ComBat estimates"
    sites = frame[batch_column].reindex(features.index).nunique()
    return (
        out,
        model,
        Issue(
            "info",
            f"connectivity features harmonised across {sites} {batch_column}s with {how}, protecting {', '.join(config.harmonise_protect) or 'nothing'}",
            M.CONNECTIVITY,
            "",
        ),
    )


@dataclass(frozen=True)
class WearableFeatures:
    """Per-participant summaries of the daily series (:func:`analysis.cohort.wearables.wearable_summaries`), plus ``wear_`` table columns.

    Nothing is learned from the reference cohort: the summaries of a new participant are computed
    the same way, with the reference run's minimum of valid days.
    """

    @classmethod
    def fit_transform(cls, cohort: Cohort, config: RunConfig) -> tuple[WearableFeatures, pd.DataFrame, list[Issue]]:
        """The (stateless) fitted object and the features of ``cohort``."""
        fitted = cls()
        return fitted, *fitted.transform(cohort, config)

    def transform(self, cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue]]:
        """Summaries of the participants with at least ``config.wearable_min_valid_days`` valid days, with notes."""
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


#: The features of each modality.
EXTRACTORS = {M.CLINICAL: ClinicalFeatures, M.PRS: PrsFeatures, M.CONNECTIVITY: ConnectivityFeatures, M.WEARABLES: WearableFeatures}


def prs_features(cohort: Cohort, config: RunConfig) -> tuple[pd.DataFrame, list[Issue], PrsFeatures]:
    """The cohort's polygenic scores adjusted as a run with ``config`` adjusts them, with notes and the fitted adjustment."""
    fitted, adjusted, notes = PrsFeatures.fit_transform(cohort, config)
    return adjusted, notes, fitted


def features_from_saved_params(modality: str, params: dict) -> ClinicalFeatures | PrsFeatures | ConnectivityFeatures | WearableFeatures:
    """The fitted features of a block saved before they were typed, from its dict of fitted values.

    Models written by earlier versions of the tool hold, per modality, ``{"yes_no": [...], "one_hot": {column:
    [levels]}}`` (clinical), ``{"method": ..., "stats"/"pooled" or "pcs"/"betas"}`` (PRS),
    ``{"features", "pca", "combat"}`` or ``{}`` (connectivity) and ``{}`` (wearables).
    """
    if modality == M.CLINICAL:
        return ClinicalFeatures(tuple(params["yes_no"]), tuple((c, tuple(levels)) for c, levels in params.get("one_hot", {}).items()))
    if modality == M.PRS:
        if params["method"] == "within_ancestry":
            return PrsFeatures(PrsWithinAncestry(params["stats"], params["pooled"]))
        if params["method"] == "residualise_pcs":
            return PrsFeatures(PrsOnPcs(tuple(params["pcs"]), params["betas"]))
        return PrsFeatures(PrsAsGiven())
    if modality == M.CONNECTIVITY:
        return ConnectivityFeatures(params.get("features"), params.get("pca"), params.get("combat"))
    return WearableFeatures()
