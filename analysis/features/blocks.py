"""Feature blocks per modality: selection, screening, modality-specific reduction, imputation and scaling.

Each selected modality becomes one :class:`Block` holding only the participants who have that
modality; :mod:`analysis.features.fusion` then joins the blocks and decides, by the run configuration, what
happens to participants who lack one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import RobustScaler, StandardScaler

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.cohort.connectivity import Connectivity
from analysis.cohort.wearables import wearable_summaries
from analysis.config import RunConfig
from analysis.errors import CohortError, Issue, named_columns
from analysis.features.harmonisation import ComBatModel, apply_combat, combat
from analysis.io.tables import YES_NO, ids_in, is_yes_no

#: Most levels a text column may have to be one-hot encoded.
MAX_ONE_HOT_LEVELS = 10


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


@dataclass(frozen=True)
class BlockModel:
    """What a block learned from the reference cohort, to transform new participants the same way.

    Attributes
    ----------
    modality : str
    columns : tuple of str
        Feature columns after screening, in order.
    imputer, scaler : fitted scikit-learn transformers
    params : dict
        Modality-specific fitted values (PRS standardisation, connectivity PCA, yes/no columns).
    """

    modality: str
    columns: tuple[str, ...]
    imputer: object
    scaler: object
    params: dict


def build_blocks(
    cohort: Cohort, config: RunConfig, fitted: dict[str, BlockModel] | None = None
) -> tuple[dict[str, Block], list[Issue], dict[str, BlockModel]]:
    """Build the block of every selected modality the cohort has.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
    fitted : dict of str to BlockModel, optional
        A reference run's block models: features are then computed, imputed and scaled exactly as
        for the reference cohort (for assigning new participants) instead of being fitted.

    Returns
    -------
    blocks : dict of str to Block
        In the order of ``config.modalities``; modalities with no usable feature are left out.
    issues : list of Issue
        Modalities asked for but absent or empty, with the reason.
    models : dict of str to BlockModel
        The fitted (or given) block models.
    """
    extractors = {
        M.CLINICAL: clinical_features,
        M.PRS: prs_features,
        M.CONNECTIVITY: connectivity_features,
        M.WEARABLES: wearable_features,
    }
    blocks, issues, models = {}, [], {}
    for modality in config.modalities:
        model = fitted.get(modality) if fitted is not None else None
        if fitted is not None and model is None:
            continue
        raw, notes, params = extractors[modality](cohort, config, model.params if model else None)
        if model is None:
            raw = raw.drop(columns=[c for c in config.exclude_columns if c in raw.columns])
            raw, screened = screen_columns(raw, modality, config.max_missing_fraction)
            notes = notes + screened
        else:
            absent = [c for c in model.columns if c not in raw.columns]
            if absent:
                notes.append(
                    Issue(
                        "warning",
                        f"{len(absent)} {modality} feature(s) of the reference run are absent and imputed: {', '.join(absent[:6])}",
                        modality,
                        "give the same columns as the reference cohort",
                    )
                )
            raw = raw.reindex(columns=list(model.columns))
            raw = raw[raw.notna().any(axis=1)]
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
        if model is None:
            values, n_imputed, imputer, scaler = impute_and_scale(raw, config)
            model = BlockModel(modality, tuple(raw.columns), imputer, scaler, params)
        else:
            n_imputed = int(raw.isna().to_numpy().sum())
            values = pd.DataFrame(
                model.scaler.transform(model.imputer.transform(raw.to_numpy(dtype=np.float64, copy=True))),
                index=raw.index,
                columns=raw.columns,
            )
        if n_imputed:
            notes.append(Issue("info", f"{n_imputed} missing {modality} value(s) imputed ({config.impute})", modality, ""))
        blocks[modality] = Block(modality, values, raw, n_imputed, tuple(notes))
        models[modality] = model
    return blocks, issues, models


def clinical_features(cohort: Cohort, config: RunConfig, params: dict | None = None) -> tuple[pd.DataFrame, list[Issue], dict]:
    """Clinical/psychosocial columns, plus yes/no and true/false text columns as 0/1."""
    frame = cohort.participants
    columns = [c for c in cohort.columns_of(M.CLINICAL) if frame[c].dtype == np.float64]
    raw = frame[columns].copy()
    notes = []
    yes_no = []
    for column in cohort.columns_of(M.TEXT):
        levels = set(frame[column].dropna().str.strip().str.lower())
        wanted = column in params["yes_no"] if params is not None else is_yes_no(frame[column])
        if wanted:
            raw[column] = frame[column].str.strip().str.lower().map(YES_NO).astype(np.float64)
            yes_no.append(column)
            notes.append(Issue("info", f"text column '{column}' read as 0/1 ({'/'.join(sorted(levels))})", M.CLINICAL, ""))
    levels_of = params.get("one_hot", {}) if params is not None else {}
    for column in config.one_hot_columns:
        if column not in frame.columns or frame[column].dtype == np.float64:
            raise CohortError(
                f"'{column}' is not a text column of the participants table",
                "one_hot_columns",
                "name text columns such as a diagnosis or pain-site category",
            )
        values = frame[column].str.strip()
        levels = levels_of.get(column) or sorted(values.dropna().unique())
        if len(levels) > MAX_ONE_HOT_LEVELS:
            raise CohortError(
                f"'{column}' has {len(levels)} levels; one-hot encoding takes at most {MAX_ONE_HOT_LEVELS}",
                "one_hot_columns",
                "group rare levels first, or leave the column out",
            )
        for level in levels:
            raw[f"{column}={level}"] = (values == level).astype(np.float64).where(values.notna())
        levels_of[column] = list(levels)
        notes.append(Issue("info", f"'{column}' one-hot encoded ({len(levels)} levels)", M.CLINICAL, ""))
    return raw, notes, {"yes_no": yes_no, "one_hot": levels_of}


def prs_features(cohort: Cohort, config: RunConfig, params: dict | None = None) -> tuple[pd.DataFrame, list[Issue], dict]:
    """PRS columns, standardised within ancestry group or residualised on genetic PCs.

    Raw polygenic scores shift with ancestry when the GWAS was done in another population; left as
    they are, a "high-risk" biotype can simply be an ancestry group. With ``params`` (a reference
    run's), the reference's group means and SDs or regression coefficients are applied.
    """
    frame = cohort.participants
    raw = frame[[c for c in cohort.columns_of(M.PRS) if frame[c].dtype == np.float64]].copy()
    method = params["method"] if params is not None else config.prs_adjustment
    has_ancestry = "ancestry" in frame.columns
    pcs = [c for c in cohort.columns_of(M.COVARIATE) if re.fullmatch(r"(ancestry_|genetic_)?pc\d+", c, re.IGNORECASE)]
    if method == "auto":
        method = "within_ancestry" if has_ancestry else "none"
    if raw.empty or method == "none":
        notes = [Issue("info", "PRS used as given (no ancestry adjustment)", M.PRS, "")] if not raw.empty else []
        return raw, notes, {"method": "none"}
    if method == "within_ancestry":
        if not has_ancestry:
            fix = "add an ancestry column or choose prs_adjustment 'residualise_pcs' or 'none'"
            return (
                raw,
                [Issue("warning", "PRS ancestry adjustment asked for, but there is no 'ancestry' column", M.PRS, fix)],
                {"method": "none"},
            )
        return _standardised_within_ancestry(raw, frame["ancestry"].fillna("unknown").astype(str), params)
    if not pcs:
        fix = "add pc1, pc2, ... columns or choose another prs_adjustment"
        return (
            raw,
            [Issue("warning", "PRS residualisation on genetic PCs asked for, but there are no pc columns", M.PRS, fix)],
            {"method": "none"},
        )
    return _residualised_on_pcs(raw, frame, pcs, params)


def _standardised_within_ancestry(raw: pd.DataFrame, group: pd.Series, params: dict | None) -> tuple[pd.DataFrame, list[Issue], dict]:
    """z-scores within ancestry group, with the group means and SDs fitted here or taken from ``params``."""
    if params is None:
        stats = {c: {g: (float(v.mean()), float(v.std(ddof=0))) for g, v in raw[c].groupby(group)} for c in raw.columns}
        pooled = {c: (float(raw[c].mean()), float(raw[c].std(ddof=0))) for c in raw.columns}
        params = {"method": "within_ancestry", "stats": stats, "pooled": pooled}
    notes = []
    adjusted = raw.copy()
    for column in raw.columns:
        known = params["stats"].get(column, {})
        means = group.map(lambda g, k=known, c=column: k.get(g, params["pooled"][c])[0])
        sds = group.map(lambda g, k=known, c=column: k.get(g, params["pooled"][c])[1]).replace(0.0, 1.0)
        adjusted[column] = (raw[column] - means.astype(float)) / sds.astype(float)
    counts = group[raw.notna().any(axis=1)].value_counts()
    unseen = [g for g in counts.index if g not in next(iter(params["stats"].values()), {})]
    notes.append(Issue("info", f"PRS standardised within ancestry group ({', '.join(f'{g} {n}' for g, n in counts.items())})", M.PRS, ""))
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
    return adjusted, notes, params


def _residualised_on_pcs(
    raw: pd.DataFrame, frame: pd.DataFrame, pcs: list[str], params: dict | None
) -> tuple[pd.DataFrame, list[Issue], dict]:
    """Residuals of each score on the genetic PCs (coefficients fitted here or taken from ``params``)."""
    if params is not None:
        pcs = params["pcs"]
    design = frame[pcs].to_numpy(dtype=np.float64)
    betas = {} if params is None else params["betas"]
    adjusted = raw.copy()
    for column in raw.columns:
        ok = raw[column].notna().to_numpy() & np.isfinite(design).all(axis=1)
        x = np.column_stack([np.ones(ok.sum()), design[ok]])
        if params is None:
            betas[column], *_ = np.linalg.lstsq(x, raw[column].to_numpy()[ok], rcond=None)
        adjusted[column] = np.nan
        adjusted.loc[ok, column] = raw[column].to_numpy()[ok] - x @ np.asarray(betas[column])
    return (
        adjusted,
        [Issue("info", f"PRS residualised on {', '.join(pcs)}", M.PRS, "")],
        {"method": "residualise_pcs", "pcs": pcs, "betas": betas},
    )


def connectivity_features(cohort: Cohort, config: RunConfig, params: dict | None = None) -> tuple[pd.DataFrame, list[Issue], dict]:
    """Network-level mean connectivity and/or PCA components of the edges, plus ``fc_`` table columns."""
    frame = cohort.participants
    table = frame[[c for c in cohort.columns_of(M.CONNECTIVITY) if frame[c].dtype == np.float64]]
    table = table[table.notna().any(axis=1)]
    c = cohort.connectivity
    if c is None:
        return table, [], params or {}
    notes = []
    parts = []
    want = params["features"] if params is not None else config.connectivity_features
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
    pca = params.get("pca") if params is not None else None
    if want in ("pca", "both"):
        if pca is None:
            k = min(config.connectivity_pca_components, len(c.ids) - 1, c.edges.shape[1])
            # One float32 working copy, centred in place (copy=False); a float64 copy of 5,000 x
            # 264-ROI edges would be 1.4 GB, and PCA copies read-only input twice otherwise.
            pca = PCA(n_components=k, random_state=config.seed, copy=False).fit(np.array(c.edges))
        scores = pca.transform(c.edges).astype(np.float64)
        parts.append(
            pd.DataFrame(scores, index=pd.Index(c.ids, name="participant"), columns=[f"fc_pc{i + 1}" for i in range(scores.shape[1])])
        )
    matrices = pd.concat(parts, axis=1)
    combat_model = params.get("combat") if params is not None else None
    if config.harmonise_sites and (params is None or combat_model is not None):
        matrices, combat_model, harmonised = harmonised_features(cohort, matrices, config, combat_model)
        notes.append(harmonised)
    return matrices.join(table, how="outer"), notes, {"features": want, "pca": pca, "combat": combat_model}


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


def harmonisation_choice(cohort: Cohort, config: RunConfig) -> tuple[RunConfig, Issue | None]:
    """Resolve automatic site harmonisation (``harmonise_sites`` None) for this cohort.

    Harmonisation is turned on when connectivity is among the modalities, the cohort has
    connectivity, and its participants with connectivity come from two or more sites (``scanner``
    column, else ``site``), each with at least two of them and none with the site missing.
    Protected covariates the table lacks are dropped from ``harmonise_protect``.

    Returns
    -------
    config : RunConfig
        With ``harmonise_sites`` True or False (and ``harmonise_protect`` trimmed when on).
    note : Issue or None
        Why it was turned on or left off (None when the user decided).
    """
    if config.harmonise_sites is not None:
        return config, None
    frame = cohort.participants
    lowered = {c.lower(): c for c in frame.columns}
    batch_column = lowered.get("scanner") or lowered.get("site")
    if M.CONNECTIVITY not in config.modalities or cohort.connectivity is None:
        return config.with_(harmonise_sites=False), None
    imaging = ids_in(frame.index, cohort.connectivity.ids)
    if batch_column is None:
        return config.with_(harmonise_sites=False), Issue(
            "warning",
            "connectivity is clustered without site harmonisation: the table has no 'site' or 'scanner' column",
            "automatic harmonisation",
            "add a site or scanner column if the scans come from more than one site",
        )
    sites = frame.loc[np.asarray(imaging, dtype=bool), batch_column]
    counts = sites.value_counts()
    if sites.isna().any() or (counts < 2).any() or counts.size < 2:
        why = (
            f"{int(sites.isna().sum())} participant(s) with imaging have no {batch_column}"
            if sites.isna().any()
            else f"{batch_column}(s) {', '.join(map(str, counts.index[counts < 2]))} have a single participant with imaging"
            if (counts < 2).any()
            else f"all participants with imaging share one {batch_column}"
        )
        severity = "info" if counts.size < 2 and not sites.isna().any() else "warning"
        return config.with_(harmonise_sites=False), Issue(
            severity,
            f"connectivity is not harmonised across sites: {why}",
            "automatic harmonisation",
            "" if severity == "info" else "fix the site column, or set harmonisation on or off yourself",
        )
    protect = tuple(c for c in config.harmonise_protect if c.lower() in lowered)
    return config.with_(harmonise_sites=True, harmonise_protect=protect), Issue(
        "info",
        f"connectivity comes from {counts.size} {batch_column}s, so ComBat harmonisation was turned on (automatic; turn it off in the configuration)",
        "automatic harmonisation",
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


def wearable_features(cohort: Cohort, config: RunConfig, params: dict | None = None) -> tuple[pd.DataFrame, list[Issue], dict]:
    """Per-participant summaries of the daily series (see :func:`analysis.cohort.wearables.wearable_summaries`), plus ``wear_`` table columns."""
    frame = cohort.participants
    table = frame[[c for c in cohort.columns_of(M.WEARABLES) if frame[c].dtype == np.float64]]
    table = table[table.notna().any(axis=1)]
    if cohort.wearables is None:
        return table, [], {}
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
    return summaries.join(table, how="outer"), notes, {}


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
                f"{len(too_sparse)} {modality} column(s) missing for more than {max_missing:.0%} of participants are not used: {named_columns(too_sparse)}",
                modality,
                "raise max_missing_fraction to keep them",
                columns=tuple(too_sparse),
            )
        )
    raw = raw.drop(columns=too_sparse)
    constant = [c for c in raw.columns if raw[c].nunique(dropna=True) <= 1]
    if constant:
        notes.append(
            Issue("info", f"constant {modality} column(s) not used: {named_columns(constant)}", modality, "", columns=tuple(constant))
        )
    raw = raw.drop(columns=constant)
    return raw[raw.notna().any(axis=1)], notes


def impute_and_scale(raw: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, int, object, object]:
    """Fill missing values (median, KNN or iterative) and scale each feature (standard or robust).

    Returns
    -------
    values : DataFrame, same index and columns as ``raw``
    n_imputed : int
    imputer, scaler : the fitted transformers (to treat new participants the same way)
    """
    x = raw.to_numpy(dtype=np.float64, copy=True)  # a writable copy: some imputers fill in place
    n_imputed = int(np.isnan(x).sum())
    imputer = {
        "median": lambda: SimpleImputer(strategy="median", keep_empty_features=True),
        "knn": lambda: KNNImputer(n_neighbors=5, keep_empty_features=True),
        "iterative": lambda: IterativeImputer(random_state=config.seed, max_iter=10, keep_empty_features=True),
    }[config.impute]()
    x = imputer.fit_transform(x)
    scaler = StandardScaler() if config.scale == "standard" else RobustScaler()
    x = scaler.fit_transform(x)
    return pd.DataFrame(x, index=raw.index, columns=raw.columns), n_imputed, imputer, scaler


@dataclass(frozen=True)
class ShownConnectivity:
    """The connectivity a run's brain views summarise and test, and what was done to it.

    Attributes
    ----------
    connectivity : Connectivity
        The cohort's matrices, or a copy whose edges are ComBat-harmonised across sites.
    harmonised : bool
    description : str
        One line for captions and the report, e.g. "harmonised across 3 sites with ComBat on the edges".
    """

    connectivity: Connectivity
    harmonised: bool
    description: str


def shown_connectivity(cohort: Cohort, config: RunConfig, harmonise: bool = True) -> ShownConnectivity | None:
    """The connectivity to summarise per biotype: harmonised like the clustering features when the run harmonised sites.

    A run that harmonised sites clustered ComBat-corrected connectivity features; summaries, tests
    and glass brains of the raw matrices would show the scanner offsets the run removed (a biotype
    made of one site's participants then differs from the rest by that site's offset on every edge).
    So ComBat is fitted on the edges themselves, with the run's batch column and protected
    covariates (:func:`harmonised_features`), and those edges are shown.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
        The run's resolved configuration (``harmonise_sites`` True or False).
    harmonise : bool
        False gives the raw matrices even when the run harmonised (the labelled raw view).

    Returns
    -------
    ShownConnectivity or None
        None when the cohort has no matrices.
    """
    raw = cohort.connectivity
    if raw is None:
        return None
    if not (config.harmonise_sites and harmonise):
        what = "raw matrices, as uploaded" + (" (the run harmonised sites; this view does not)" if config.harmonise_sites else "")
        return ShownConnectivity(raw, False, what)
    edges = pd.DataFrame(np.asarray(raw.edges, dtype=np.float64), index=pd.Index(raw.ids, name="participant"))
    harmonised, model, _ = harmonised_features(cohort, edges, config)
    if model is None:
        return ShownConnectivity(raw, False, "raw matrices (one site: nothing to harmonise)")
    protect = ", ".join(config.harmonise_protect) or "nothing"
    return ShownConnectivity(
        replace(raw, edges=harmonised.to_numpy(dtype=np.float32)),
        True,
        f"harmonised across {len(model.batches)} sites with ComBat on the edges (as the clustering features were), protecting {protect}",
    )
