"""One biotype run: features → fusion → embedding and clustering → profiles → assignments."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.cohort.roles import BATCH, DATE_SHARE, KINDS, is_integer_code, share_of_dates
from analysis.config import AUTOMATIC_PARAMETERS, RunConfig
from analysis.describe.audits import codes_the_biotypes_nest_in, covariate_audit
from analysis.describe.groups import (
    GROUP_CATEGORICAL_COLUMNS,
    GROUP_PROFILE_COLUMNS,
    group_categorical_profile,
    group_members,
    group_profile,
    group_table,
)
from analysis.describe.importance import IMPORTANCE_COLUMNS, biotype_importance
from analysis.describe.profiling import biotype_names, categorical_columns, categorical_profile, pairwise_profile, profile_table
from analysis.engine.clustering import (
    SPLIT_STABILITY_CAUTION,
    ClusterResult,
    FittedModels,
    biotype_numbers,
    find_biotypes,
    prediction_data_alongside,
    recut_biotypes,
)
from analysis.engine.parallel import parallel_workers
from analysis.engine.stability import Stability, subsample_stability
from analysis.errors import CohortError, Issue
from analysis.features.blocks import build_blocks, harmonisation_choice
from analysis.features.fusion import FusedFeatures, fuse_blocks
from analysis.outcomes.clinical_value import ClinicalValue, clinical_value
from analysis.validity.replication import SplitHalf, site_column, split_half_replication
from analysis.validity.structure import Structure, structure_test

ASSIGNMENT_COLUMNS = (
    "participant_id",
    "biotype",
    "biotype_name",
    "membership_probability",
    "outlier_score",
    "umap_1",
    "umap_2",
    "included",
    "exclusion_reason",
)


@dataclass(frozen=True)
class RunFeatures:
    """What a run's biotypes are described with, besides the fused features they were clustered on.

    Attributes
    ----------
    block_models : dict of str to BlockModel
        Each clustered modality's fitted feature state (:func:`analysis.features.blocks.build_blocks`),
        applied unchanged to new participants.
    input_issues : tuple of Issue
        What building the features noted, before clustering.
    values : DataFrame
        Numeric features in natural units, one row per participant of the cohort
        (:func:`profiling_features`): the profiles are drawn from them.
    modality : dict of str to str
        Profiled column → its modality (categorical columns included once the run is profiled).
    clustered : tuple of str
        The profiled columns the biotypes were clustered on (:func:`clustered_features`): described, never tested.
    site_column : str
        The site column's name ("" without one).
    sites : ndarray of object, shape (n_clustered,), or None
        Each clustered participant's site as text ("missing" where empty); None without a site column.
    """

    block_models: dict
    input_issues: tuple[Issue, ...]
    values: pd.DataFrame
    modality: dict[str, str]
    clustered: tuple[str, ...]
    site_column: str
    sites: np.ndarray | None


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    config : RunConfig
        With n_neighbors, min_cluster_size and min_samples resolved to the values used.
    assignments : DataFrame
        One row per participant of the cohort, in cohort order, with :data:`ASSIGNMENT_COLUMNS`.
    profile : DataFrame
        Numeric features; see :func:`analysis.describe.profiling.profile_table`.
    categorical_profile : DataFrame
        Categorical features (sex, site, ...); see :func:`analysis.describe.profiling.categorical_profile`.
    pairwise : DataFrame
        See :func:`analysis.describe.profiling.pairwise_profile`.
    audit : DataFrame
        See :func:`analysis.describe.audits.covariate_audit`.
    importance : DataFrame
        See :func:`analysis.describe.importance.biotype_importance`.
    fused : FusedFeatures
    clusters : ClusterResult
    models : FittedModels
        The embeddings' and HDBSCAN's fitted objects; :func:`analysis.engine.model.biotype_model`
        packs them with ``features.block_models`` and ``fused.model`` for saving.
    features : RunFeatures
    names : dict of int to str
        Biotype number (1-based) → the name every table and page shows (given by hand, else automatic).
    automatic_names : dict of int to str
        Biotype number → the name drawn from its profile (:func:`analysis.describe.profiling.biotype_names`).
    stability : Stability or None
        Subsampling stability, when ``config.stability_resamples`` > 0.
    issues : tuple of Issue
        What the run set aside, dropped or chose, and why.
    timings : dict of str to float
        Seconds per step.
    created_utc : str
        When the run started (ISO 8601, UTC, seconds), as run.json records it.
    groups : DataFrame
        ``participant_id``, ``group`` of the custom groups (empty without any).
    group_profile : DataFrame
        Each custom group against the other clustered participants; see :func:`analysis.describe.groups.group_profile`.
    group_categorical : DataFrame
        The same on the categorical features; see :func:`analysis.describe.groups.group_categorical_profile`.
    structure : Structure or None
        Whether the biotypes are distinct subgroups (:func:`with_structure`); None until tested.
    split_half : SplitHalf or None
        Split-half replication (:func:`with_replication`); None until measured, or when it was off or
        the cohort too small (then ``replication_note`` says which).
    replication_note : str
        Why there is no split-half replication ("" when there is one or it has not been asked for).
    sites : tuple of SiteReplication
        Leave-one-site-out replication (:func:`analysis.validity.external.leave_one_site_out`), one per site;
        empty when not run (``sites_note`` says why when it was asked for).
    sites_note : str
    clinical_value : ClinicalValue or None
        What the biotypes add to each outcome beyond covariates and a dimensional summary
        (:func:`run_clinical_value`); None without biotypes or outcomes.
    """

    config: RunConfig
    assignments: pd.DataFrame
    profile: pd.DataFrame
    categorical_profile: pd.DataFrame
    pairwise: pd.DataFrame
    audit: pd.DataFrame
    importance: pd.DataFrame
    fused: FusedFeatures
    clusters: ClusterResult
    models: FittedModels
    features: RunFeatures
    names: dict[int, str]
    automatic_names: dict[int, str]
    stability: Stability | None
    issues: tuple[Issue, ...]
    timings: dict[str, float]
    created_utc: str = ""
    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["participant_id", "group"]))
    group_profile: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(GROUP_PROFILE_COLUMNS)))
    group_categorical: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(GROUP_CATEGORICAL_COLUMNS)))
    structure: Structure | None = None
    split_half: SplitHalf | None = None
    replication_note: str = ""
    sites: tuple = ()
    sites_note: str = ""
    clinical_value: ClinicalValue | None = None


def run_biotypes(
    cohort: Cohort,
    config: RunConfig,
    progress: Callable[[float, str], None] | None = None,
    *,
    for_saving: bool = False,
    structure: bool = True,
    replication: bool = True,
    outcomes: bool = True,
) -> RunResult:
    """Find biotypes in a cohort.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
    progress : callable(fraction, message), optional
        Driven through the long steps (the dashboard shows it as a progress bar).
    for_saving : bool
        The model will be saved (the command line): HDBSCAN's prediction data is built in a thread
        while the biotypes are profiled. The dashboard builds it only if a model is downloaded.
    structure : bool
        Also run the structure test (:func:`with_structure`; its own progress from 0 to 1). The
        dashboard runs it separately, after drawing the map.
    replication : bool
        Also measure split-half replication (:func:`with_replication`; its own progress), likewise.
    outcomes : bool
        Also measure what the biotypes add to outcomes (``clinical_value``) and which features define
        them (``importance``). The inner runs of the validity checks (a left-out site's training run, a
        new cohort clustered on its own) need only the biotypes: they pass False, and the result then
        has no clinical value and an empty importance table.

    Returns
    -------
    RunResult
    """
    say = progress or (lambda fraction, message: None)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    timings = {}
    started = time.perf_counter()
    say(0.0, "building features")
    config, fused, features = run_features(cohort, config)
    timings["features"] = time.perf_counter() - started

    started = time.perf_counter()
    clusters, models = find_biotypes(fused.matrix.to_numpy(), config, lambda f, m: say(0.1 + 0.8 * f, m))
    timings["embedding_and_clustering"] = time.perf_counter() - started
    with prediction_data_alongside(models.hdbscan if for_saving else None):
        result = finished_run(cohort, config, fused, clusters, models, features, timings, created, say, outcomes)
    result = with_structure(result, say) if structure else result
    return with_replication(result, cohort, say) if replication else result


def run_features(cohort: Cohort, config: RunConfig) -> tuple[RunConfig, FusedFeatures, RunFeatures]:
    """The features a run clusters on and describes its biotypes with.

    Modalities the cohort lacks are left out (with a note), the harmonisation is chosen, each
    modality's block is built and the blocks are fused.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig

    Returns
    -------
    config : RunConfig
        With the modalities resolved to the blocks built and the harmonisation chosen.
    fused : FusedFeatures
    features : RunFeatures
        Its ``modality`` holds the numeric profiled columns (:func:`finished_run` adds the categorical ones).
    """
    check_severity_score(cohort, config.severity_score)
    available = cohort.availability().any()
    modalities = tuple(m for m in config.modalities if available[m])
    issues = [Issue("info", f"{m} not in the cohort; left out of the run", m, "") for m in config.modalities if m not in modalities]
    config, harmonisation = harmonisation_choice(cohort, config.with_(modalities=modalities or config.modalities))
    issues += [harmonisation] if harmonisation else []
    blocks, block_issues, block_models = build_blocks(cohort, config)
    issues += block_issues + [i for b in blocks.values() for i in b.issues]
    fused = fuse_blocks(blocks, cohort.participants.index, config)
    config = config.with_(modalities=tuple(blocks))
    values, modality = profiling_features(cohort, blocks)
    column, sites = clustered_sites(cohort, fused)
    features = RunFeatures(block_models, tuple(issues), values, modality, clustered_features(blocks, config), column, sites)
    return config, fused, features


def with_fitted_models(result: RunResult, progress: Callable[[float, str], None] | None = None) -> RunResult:
    """``result`` with its fitted UMAP and HDBSCAN objects, refitted from its configuration when it has none.

    A run opened from its saved state (:mod:`analysis.io.run_state`) holds no fitted object (they
    would be pickles); placing new participants, re-cutting, resampling stability and saving a model
    need them. They are fitted again from the run's resolved configuration and fused features, which
    gives the same embedding and tree (same seed, n_neighbors, min_cluster_size and min_samples).

    Raises
    ------
    CohortError
        When the refitted models give other biotypes than the run's (another machine or package
        versions: see docs/methods.md, "Reproducibility").
    """
    if result.models.fitted:
        return result
    clusters, models = find_biotypes(result.fused.matrix.to_numpy(), result.config, progress)
    differ = int((clusters.labels != result.clusters.labels).sum())
    if differ:
        raise CohortError(
            f"refitting the run's UMAP and HDBSCAN from run.json gave {differ} participants another biotype",
            "the opened run",
            "compute the run again on the Run page (another machine or package versions than the run's own)",
        )
    return replace(result, models=models)


def check_severity_score(cohort: Cohort, column: str) -> None:
    """Refuse a ``severity_score`` that is not a numeric column of the participants table (CohortError)."""
    if not column:
        return
    frame = cohort.participants
    if column not in frame.columns:
        raise CohortError(
            f"severity_score {column!r} is not a column",
            "the participants table",
            "name a numeric column (a composite severity score), or leave it empty for principal components",
        )
    if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
        raise CohortError(
            f"severity_score {column!r} is not numeric",
            "the participants table",
            "name a numeric column, or leave it empty for principal components",
        )


def run_clinical_value(
    cohort: Cohort, config: RunConfig, fused: FusedFeatures, clusters: ClusterResult, sites: np.ndarray | None
) -> ClinicalValue | None:
    """What the biotypes add to each outcome, validator and time-to-event outcome (:func:`analysis.outcomes.clinical_value.clinical_value`).

    The baseline holds the covariate columns other than the site (folds are grouped by site instead)
    and the severity score, plus the dimensional summary; a treatment-arm column (the first, when
    the dictionary names several) joins it, and its interaction with the biotypes is reported.

    Returns
    -------
    ClinicalValue or None
        None when the run found no biotype or the cohort has no outcome, validator or duration column.
    """
    from analysis.outcomes.survival import time_to_event_pairs

    outcomes = cohort.columns_of(M.OUTCOME) + cohort.columns_of(M.VALIDATOR)
    pairs, notes = time_to_event_pairs(cohort.modality, cohort.time_to_event)
    if not clusters.n_biotypes or not (outcomes or pairs or notes):
        return None
    arms = cohort.columns_of(M.TREATMENT)
    if len(arms) > 1:
        notes.append(f"{len(arms)} treatment columns ({', '.join(arms)}): the interaction is assessed for '{arms[0]}' only")
    site = site_column(cohort.participants)
    covariates = [c for c in cohort.columns_of(M.COVARIATE) if c not in (site, config.severity_score)]
    frame = cohort.participants.loc[fused.included]
    return clinical_value(
        frame, outcomes, covariates, fused.matrix.to_numpy(), clusters.numbers, sites, config.seed, config.severity_score,
        tuple(pairs), arms[0] if arms else "", tuple(notes),
    )  # fmt: skip


def clustered_sites(cohort: Cohort, fused: FusedFeatures) -> tuple[str, np.ndarray | None]:
    """The site column's name and each clustered participant's site (as text, "missing" where empty), or ("", None) without one."""
    column = site_column(cohort.participants)
    if not column:
        return "", None
    values = cohort.participants.loc[fused.included, column]
    return column, values.astype("string").fillna("missing").to_numpy(dtype=object)


def finished_run(
    cohort: Cohort,
    config: RunConfig,
    fused: FusedFeatures,
    clusters: ClusterResult,
    models: FittedModels,
    features: RunFeatures,
    timings: dict[str, float],
    created: str,
    say: Callable[[float, str], None],
    outcomes: bool = True,
) -> RunResult:
    """Profiles, audits, importance, names, assignments (and stability and groups when configured) of clustered biotypes.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
        Modalities resolved to the blocks built.
    fused : FusedFeatures
    clusters : ClusterResult
    models : FittedModels
    features : RunFeatures
    timings : dict of str to float
        Seconds per step so far; profiling (and stability) are added.
    created : str
    say : callable(fraction, message)
    outcomes : bool
        Also measure clinical value and permutation importance (see :func:`run_biotypes`).

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    say(0.92, "profiling biotypes")
    issues = list(features.input_issues)
    labels = pd.Series(clusters.numbers, index=fused.included)
    categories = profiling_categories(cohort, features.values)
    features = replace(features, modality={**features.modality, **{c: cohort.modality[c] for c in categories.columns}})
    used = features.clustered
    profile = profile_table(features.values, features.modality, labels, used)
    category_profile = categorical_profile(categories, features.modality, labels, used)
    pairwise = pairwise_profile(features.values, features.modality, labels, categories, used)
    names, naming = given_names(biotype_names(profile), config.biotype_names)
    issues += naming
    audit = covariate_audit(labels, audit_covariates(cohort))
    if outcomes:
        say(0.94, "what defines each biotype (permutation importance)")
        importance = biotype_importance(fused.matrix, labels, seed=config.seed)
        say(0.95, "what the biotypes add to each outcome (clinical value)")
        value = run_clinical_value(cohort, config, fused, clusters, features.sites)
    else:
        importance, value = pd.DataFrame(columns=list(IMPORTANCE_COLUMNS)), None
    issues += audit_warnings(audit) + role_notes(cohort) + nesting_warnings(cohort, features, labels) + split_caution(clusters)
    issues += exclusion_warning(fused, config)
    timings = {**timings, "profiling": time.perf_counter() - started}
    assignments = assignment_table(cohort, fused, clusters, names)
    result = RunResult(
        config=resolved_config(config, clusters),
        assignments=assignments,
        profile=profile,
        categorical_profile=category_profile,
        pairwise=pairwise,
        audit=audit,
        importance=importance,
        fused=fused,
        clusters=clusters,
        models=models,
        features=features,
        names=names,
        automatic_names=biotype_names(profile),
        stability=None,
        issues=tuple(issues),
        timings=timings,
        created_utc=created,
        clinical_value=value,
    )
    if config.stability_resamples:
        result = with_stability(result, config.stability_resamples, lambda f, m: say(0.95 + 0.05 * f, m))
    say(1.0, "done")
    return with_groups(result, cohort, config.custom_groups) if config.custom_groups else result


def audit_warnings(audit: pd.DataFrame) -> list[Issue]:
    """A warning for every covariate the confound audit flags ("biotypes track site ...")."""
    return [
        Issue(
            "warning",
            f"biotypes track {row.covariate} ({row.statistic} {row.value:.2f}, q {row.q_value:.2g}): {row.detail}",
            "confound audit",
            f"check whether {row.covariate} rather than pain biology drives the split (harmonise sites, stratify, or adjust)",
        )
        for row in audit[audit["flagged"]].itertuples()
    ]


def nesting_warnings(cohort: Cohort, features: RunFeatures, labels: pd.Series) -> list[Issue]:
    """A warning for every clustered integer code whose levels the biotypes nest inside (:func:`codes_the_biotypes_nest_in`)."""
    clustered_codes = [c for c in features.clustered if c in features.values.columns and c in cohort.modality]
    return [
        Issue(
            "warning",
            f"the biotypes nest inside the levels of '{code.feature}', an integer code with {code.n_levels} values "
            f"(U(level | biotype) {code.uncertainty:.2f}; {code.detail})",
            "confound audit",
            f"if '{code.feature}' is a batch, a time point or a category rather than a measure, make it a covariate in the "
            "column roles table (or the data dictionary) and run again",
        )
        for code in codes_the_biotypes_nest_in(labels, features.values[clustered_codes])
    ]


def exclusion_warning(fused: FusedFeatures, config: RunConfig) -> list[Issue]:
    """A warning counting the participants not clustered (none when every one was)."""
    excluded = int((fused.exclusion_reason != "").sum())
    if not excluded:
        return []
    return [
        Issue(
            "warning",
            f"{excluded} participant(s) not clustered (reasons in the exclusion_reason column)",
            "missing_modality = " + config.missing_modality,
            "set missing_modality to 'impute' or select fewer modalities to include them",
        )
    ]


def resolved_config(config: RunConfig, clusters: ClusterResult) -> RunConfig:
    """``config`` with the parameters the run chose from the data filled in, and which they were."""
    chosen = tuple(n for n in AUTOMATIC_PARAMETERS if n in config.chosen_from_data or getattr(config, n) is None)
    return config.with_(
        n_neighbors=clusters.n_neighbors,
        min_cluster_size=clusters.min_cluster_size,
        min_samples=clusters.min_samples,
        chosen_from_data=chosen,
    )


def split_caution(clusters: ClusterResult) -> list[Issue]:
    """A warning when the chosen split is unstable under subsampling (median ARI below :data:`SPLIT_STABILITY_CAUTION`)."""
    stability = clusters.chosen_split_stability
    if not clusters.n_biotypes or not stability < SPLIT_STABILITY_CAUTION:
        return []
    return [
        Issue(
            "warning",
            f"the split into {clusters.n_biotypes} biotype(s) is unstable: HDBSCAN re-fitted on 80% subsamples of the embedding "
            f"agrees with it at a median ARI of {stability:.2f} (below {SPLIT_STABILITY_CAUTION}, poor agreement)",
            "min_cluster_size selection",
            "treat the number of biotypes as tentative; measure stability under resampling, or try another min_cluster_size",
        )
    ]


def recut(
    result: RunResult,
    cohort: Cohort,
    min_cluster_size: int,
    method: str,
    epsilon: float,
    progress: Callable[[float, str], None] | None = None,
) -> RunResult:
    """The run with its HDBSCAN tree cut at another min_cluster_size, selection method or epsilon.

    Features, fusion and both embeddings are the run's; only the clusters are re-selected from the
    tree (:func:`analysis.engine.clustering.recut_biotypes`, well under a second at 100,000 participants),
    then profiles, audits, importance and assignments are computed for the new biotypes. The result
    equals :func:`run_biotypes` with the returned run's configuration (tested), so its run.json
    reproduces it. Names given by hand and measured stability belong to the old biotypes and are
    dropped; custom groups are kept.

    Parameters
    ----------
    result : RunResult
    cohort : Cohort
        The run's cohort.
    min_cluster_size : int
        At least 2.
    method : {"eom", "leaf"}
    epsilon : float
        At least 0.
    progress : callable(fraction, message), optional

    Returns
    -------
    RunResult
    """
    say = progress or (lambda fraction, message: None)
    config = result.config.with_(
        min_cluster_size=int(min_cluster_size),
        cluster_selection_method=method,
        cluster_selection_epsilon=float(epsilon),
        stability_resamples=0,
        biotype_names=(),
        chosen_from_data=tuple(n for n in result.config.chosen_from_data if n == "n_neighbors"),
    )
    created = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    say(0.0, f"cutting the tree at min_cluster_size {min_cluster_size}")
    clusters, models = recut_biotypes(result.clusters, result.models, config)
    timings = {
        **{k: v for k, v in result.timings.items() if k in ("features", "embedding_and_clustering")},
        "recut": time.perf_counter() - started,
    }
    return finished_run(cohort, config, result.fused, clusters, models, result.features, timings, created, say)


def with_stability(
    result: RunResult, n_resamples: int, progress: Callable[[float, str], None] | None = None, subsample: int | None = None
) -> RunResult:
    """The same run with its stability under resampling measured (the biotypes are not changed).

    Each resample re-embeds and re-clusters a random 80% of the clustered participants (or
    ``subsample`` of them, the others placed by ``approximate_predict``) with the run's resolved
    parameters (see :func:`analysis.engine.stability.subsample_stability`); the subsamples depend only on
    the seed, so a run configured with the same ``stability_resamples`` and ``stability_subsample``
    gives the same figures.

    Parameters
    ----------
    result : RunResult
    n_resamples : int
        At least 1.
    progress : callable(fraction, message), optional
        Called once per resample.
    subsample : int, optional
        Participants per resample (``RunConfig.stability_subsample``); None keeps the run's setting.

    Returns
    -------
    RunResult
        ``stability`` set, ``config.stability_resamples = n_resamples``, a warning for each biotype
        that dissolves under resampling and the time taken in ``timings["stability"]``.
    """
    config = result.config.with_(stability_resamples=int(n_resamples))
    if subsample is not None:
        config = config.with_(stability_subsample=int(subsample))
    if not result.clusters.n_biotypes:
        return replace(result, config=config)
    started = time.perf_counter()
    x = result.fused.matrix.to_numpy()
    workers = parallel_workers(len(x)) if n_resamples > 1 else 1
    stability = subsample_stability(x, result.clusters.labels, config, int(n_resamples), n_jobs=workers, progress=progress)
    issues = [i for i in result.issues if i.where != "stability"]
    for row in stability.summary().itertuples():
        if row.verdict == "dissolves":
            issues.append(
                Issue(
                    "warning",
                    f"biotype B{row.biotype} dissolves under resampling (median Jaccard {row.median_jaccard:.2f})",
                    "stability",
                    "treat it as tentative; try a larger min_cluster_size",
                )
            )
    timings = {**result.timings, "stability": time.perf_counter() - started}
    return replace(result, config=config, stability=stability, issues=tuple(issues), timings=timings)


def with_structure(result: RunResult, progress: Callable[[float, str], None] | None = None) -> RunResult:
    """The same run with its structure test (are there biotypes at all?); the biotypes are not changed.

    ``result.config.null_cohorts`` Gaussian null cohorts with the fused features' mean and covariance
    and eight planted ones go through the run's pipeline (:func:`analysis.validity.structure.structure_test`),
    side by side where :func:`analysis.engine.parallel.parallel_workers` allows. Seeded by the run's seed:
    the run.json of the result reproduces the verdict.

    Returns
    -------
    RunResult
        ``structure`` set, a warning unless the verdict is distinct, and ``timings["structure"]``.
    """
    started = time.perf_counter()
    x = result.fused.matrix.to_numpy()
    # The null cohorts are small (at most 1,000 participants each) but many: they go to the
    # worker processes whenever the run itself is large enough to have used them (then the workers'
    # compiled code is already loaded; starting fresh workers costs more than a small run's test).
    workers = parallel_workers(len(x)) if result.config.null_cohorts else 1
    structure = structure_test(x, result.clusters.numbers, result.config, n_jobs=workers, progress=progress)
    issues = [i for i in result.issues if i.where != "structure test"]
    if structure.verdict != "distinct":
        issues.append(Issue("warning", structure.explanation, "structure test", STRUCTURE_ADVICE[structure.verdict]))
    timings = {**result.timings, "structure": time.perf_counter() - started}
    return replace(result, structure=structure, issues=tuple(issues), timings=timings)


def with_replication(result: RunResult, cohort: Cohort, progress: Callable[[float, str], None] | None = None) -> RunResult:
    """The same run with its split-half and leave-one-site-out replication measured (the biotypes are not changed).

    ``result.config.replication_splits`` random splits of the clustered participants (balanced by
    site when the cohort has one) are each clustered with the run's pipeline and placed into each
    other's biotypes (:func:`analysis.validity.replication.split_half_replication`), side by side where
    :func:`analysis.engine.parallel.parallel_workers` allows. With ``site_replication`` and two or more
    sites, each site is then held out in turn (:func:`analysis.validity.external.leave_one_site_out`).
    Seeded by the run's seed: the run.json of the result reproduces the figures.

    Returns
    -------
    RunResult
        ``split_half`` and ``sites`` set (or ``replication_note`` and ``sites_note`` saying why
        not), a warning for each biotype that does not replicate or is missing at a site, and
        ``timings["replication"]``.
    """
    from analysis.validity.replication import MIN_REPLICATION_PARTICIPANTS

    say = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    x = result.fused.matrix.to_numpy()
    issues = [i for i in result.issues if i.where not in ("replication", "leave-one-site-out")]
    splits = result.config.replication_splits
    split_half, note = None, ""
    if not result.clusters.n_biotypes:
        note = "no biotypes to replicate"
    elif not splits:
        note = "split-half replication off (replication_splits 0)"
    elif len(x) < MIN_REPLICATION_PARTICIPANTS:
        note = f"split-half replication needs at least {MIN_REPLICATION_PARTICIPANTS} clustered participants ({len(x)} here)"
        issues.append(Issue("info", note, "replication", "collect more participants, or replicate in an external cohort"))
    else:
        column, strata = result.features.site_column, result.features.sites
        workers = parallel_workers(len(x)) if splits > 1 else 1  # in the run's workers, as the structure test
        split_half = split_half_replication(x, result.clusters.labels, result.config, strata, column, workers, lambda f, m: say(0.5 * f, m))
        for b in split_half.biotypes:
            if not b.replicates:
                issues.append(
                    Issue(
                        "warning",
                        f"biotype B{b.biotype} does not replicate across halves (prediction strength {b.prediction_strength:.2f}, "
                        f"in-group proportion {b.in_group_proportion:.2f}, p = {b.p_value:.2g})",
                        "replication",
                        "treat it as tentative: it may be found only with every participant, or only by chance; replicate it in an external cohort",
                    )
                )
    sites, sites_note = site_replication(result, cohort, lambda f, m: say(0.5 + 0.5 * f, m))
    for b in sorted({b for s in sites for b in s.found}):
        missing = [s.site for s in sites if not s.note and s.found.get(b, "").startswith("not found")]
        if missing:
            issues.append(
                Issue(
                    "warning",
                    f"biotype B{b} is not found at {', '.join(missing)} when that site is left out of the fit and clustered alone",
                    "leave-one-site-out",
                    "a site clustered alone may be too small to separate it; otherwise check whether it is specific to some sites "
                    "(recruitment, scanner) rather than a biotype of the population",
                )
            )
    timings = {**result.timings, "replication": time.perf_counter() - started}
    say(1.0, "replication: done")
    return replace(
        result, split_half=split_half, replication_note=note, sites=sites, sites_note=sites_note, issues=tuple(issues), timings=timings
    )


def site_replication(result: RunResult, cohort: Cohort, progress: Callable[[float, str], None]) -> tuple[tuple, str]:
    """Leave-one-site-out replication when configured and the clustered participants come from two or more sites; else ((), why not)."""
    from analysis.validity.external import leave_one_site_out

    strata = result.features.sites
    if not result.config.site_replication:
        return (), "leave-one-site-out off (site_replication false)"
    if not result.clusters.n_biotypes:
        return (), "no biotypes to replicate"
    if strata is None or len(set(strata.tolist())) < 2:
        return (), "one site or none: no site to leave out"
    return leave_one_site_out(result, cohort, progress), ""


#: What to do about each verdict other than distinct.
STRUCTURE_ADVICE = {
    "graded": "describe them as levels of one dimension (a severity score may serve as well), not as distinct types",
    "not_distinct": "do not report these biotypes as subgroups; describe the continuum, or collect more participants if the cohort is too small to tell",
    "untested": "set null_cohorts (for example 19) to test them",
}


def participant_stability(result: RunResult) -> pd.Series:
    """Per clustered participant, how often resampling kept them in (the match of) their own biotype.

    Returns
    -------
    Series of float, indexed like ``result.fused.included`` (cohort participant index)
        Share in [0, 1] of the resamples containing the participant in which they fell in the cluster
        matched to their biotype (noise participants: left as noise); NaN for a participant in no
        resample, and everywhere when stability was not measured.
    """
    if result.stability is None:
        return pd.Series(float("nan"), index=result.fused.included)
    return pd.Series(result.stability.participant, index=result.fused.included)


def given_names(automatic: dict[int, str], given: tuple[tuple[int, str], ...]) -> tuple[dict[int, str], list[Issue]]:
    """The biotype names of a run: the automatic ones, replaced by names given by hand.

    Parameters
    ----------
    automatic : dict of int to str
        Biotype number → automatic name.
    given : tuple of (int, str)
        1-based biotype number → name (``RunConfig.biotype_names``).

    Returns
    -------
    names : dict of int to str
        Biotype number → name.
    issues : list of Issue
        A note for each given name whose biotype the run did not find.
    """
    names = dict(automatic)
    issues = []
    for number, name in given:
        if number in names:
            names[number] = hand_name(number, name)
        else:
            issues.append(Issue("info", f"name '{name}' for B{number} ignored: this run has {len(names)} biotypes", "biotype_names", ""))
    return names, issues


def with_groups(result: RunResult, cohort: Cohort, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> RunResult:
    """The same run with these custom groups, profiled against the other clustered participants (nothing is re-clustered).

    Parameters
    ----------
    result : RunResult
    cohort : Cohort
        The run's cohort.
    groups : tuple of (str, tuple of str)
        Group name → participant ids, as ``RunConfig.custom_groups``.

    Returns
    -------
    RunResult
        ``config.custom_groups``, ``groups``, ``group_profile`` and ``group_categorical`` set; a warning
        for ids not in the cohort.
    """
    ids = cohort.participants["participant_id"]
    members, issues = group_members(ids, groups)
    features, modality, used = result.features.values, result.features.modality, result.features.clustered
    profile = group_profile(features, modality, result.fused.included, members, used)
    categories = profiling_categories(cohort, features)
    categorical = group_categorical_profile(categories, modality, result.fused.included, members, used)
    old = [i for i in result.issues if i.where != "custom_groups"]
    return replace(
        result,
        config=result.config.with_(custom_groups=tuple(groups)),
        groups=group_table(ids, members),
        group_profile=profile,
        group_categorical=categorical,
        issues=tuple(old + issues),
    )


def hand_name(number: int, name: str) -> str:
    """A name given by hand, prefixed with its number ("B2 · high distress") unless it already starts with it."""
    name = name.strip()
    return name if name.split(" ")[0] == f"B{number}" else f"B{number} · {name}"


def renamed(result: RunResult, given: dict[int, str]) -> RunResult:
    """The same run with biotypes named by hand (nothing is recomputed).

    Parameters
    ----------
    result : RunResult
    given : dict of int to str
        1-based biotype number → name; an empty name restores the automatic one.

    Returns
    -------
    RunResult
        ``config.biotype_names``, ``names`` and the assignments' ``biotype_name`` updated,
        so that every table, page and export shows the names, and run.json reproduces them.
    """
    kept = {number: name.strip() for number, name in {**dict(result.config.biotype_names), **given}.items() if name.strip()}
    config = result.config.with_(biotype_names=tuple(sorted(kept.items())))
    automatic = result.automatic_names
    names = {**automatic, **{n: hand_name(n, name) for n, name in kept.items() if n in automatic}}
    assignments = result.assignments.copy()
    biotype = assignments["biotype"].fillna(0).to_numpy(dtype=int)
    assignments["biotype_name"] = [
        names.get(b, old) if b >= 1 else old for b, old in zip(biotype, assignments["biotype_name"], strict=True)
    ]
    return replace(result, config=config, assignments=assignments, names=names)


def role_notes(cohort: Cohort) -> list[Issue]:
    """Run notes on the roles the tool proposed and the run used: batch or time covariates by name, the others counted."""
    used = [p for p in cohort.proposals if cohort.modality.get(p.column) == p.role]
    notes = []
    batch = [p.column for p in used if p.kind == BATCH]
    if batch:
        notes.append(
            Issue(
                "info",
                f"batch or time column(s) {', '.join(repr(c) for c in batch)} kept as covariates, not clustered; the confound "
                "audit checks whether the biotypes track them",
                "column roles",
                "make them features in the column roles table (or the data dictionary) to cluster them",
            )
        )
    others = Counter(p.kind for p in used if p.kind != BATCH)
    if others:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(others.items(), key=lambda kv: KINDS.index(kv[0])))
        notes.append(
            Issue(
                "info",
                f"roles proposed from column names and values and used in this run: {counts} (listed in run.json role_proposals)",
                "column roles",
                "confirm or change them in the column roles table (or the data dictionary)",
            )
        )
    return notes


def audit_covariates(cohort: Cohort) -> pd.DataFrame:
    """Covariates the audits look at: every covariate but the genetic principal components.

    Site, scanner, sex, ancestry and age, and also batch or time variables (year, wave, visit, batch,
    a scan date) and integer-coded categories that the column roles make covariates. Integer columns
    with at most :data:`analysis.cohort.roles.MAX_CODE_LEVELS` values are audited as categories (a year
    2007-2009, a race code 1-4) and dates as decimal years; the cohort's own values are not changed.

    Returns
    -------
    DataFrame indexed by participant
        Text columns are categorical, float columns numeric (as :func:`analysis.describe.audits.covariate_audit` reads them).
    """
    frame = cohort.participants
    wanted = [c for c in cohort.columns_of(M.COVARIATE) if not re.fullmatch(r"(ancestry_|genetic_)?pc\d+", c, re.IGNORECASE)]
    out = {}
    for column in wanted:
        values = frame[column]
        if is_integer_code(column, values):
            out[column] = values.map(lambda v: f"{v:g}", na_action="ignore").astype("string")
        elif values.dtype != np.float64 and share_of_dates(values) >= DATE_SHARE:
            dates = pd.to_datetime(values, errors="coerce", format="mixed", dayfirst=False)
            out[column] = (dates.dt.year + (dates.dt.dayofyear - 1) / 365.25).astype("float64")
        else:
            out[column] = values
    return pd.DataFrame(out, index=frame.index)


def profiling_features(cohort: Cohort, blocks: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric features in natural units for profiling: every block's raw features, other clinical and PRS columns, outcomes and numeric covariates."""
    parts, modality = [], {}
    for name, block in blocks.items():
        parts.append(block.raw)
        modality.update({c: name for c in block.raw.columns})
    frame = cohort.participants
    for kind in (M.CLINICAL, M.PRS, M.OUTCOME, M.VALIDATOR, M.COVARIATE):
        extra = [c for c in cohort.columns_of(kind) if frame[c].dtype == np.float64 and c not in modality]
        if extra:
            parts.append(frame[extra])
            modality.update({c: kind for c in extra})
    features = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return features.loc[:, ~features.columns.duplicated()], modality


def clustered_features(blocks: dict, config: RunConfig) -> tuple[str, ...]:
    """Profiled columns the biotypes were clustered on: every block's raw features, and the one-hot text columns of a clustered clinical block.

    Their differences between biotypes are described (effect sizes), never tested: the clustering chose
    the biotypes to differ on them.
    """
    columns = [c for block in blocks.values() for c in block.raw.columns]
    if M.CLINICAL in blocks:
        columns += list(config.one_hot_columns)
    return tuple(dict.fromkeys(columns))


def profiling_categories(cohort: Cohort, features: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns to profile: text columns of every kind but ``ignore`` with 2 to 20 levels.

    Columns already among the numeric ``features`` (yes/no columns read as 0/1) are left to them.
    """
    frame = cohort.participants
    candidates = [c for c in frame.columns if c != "participant_id" and cohort.modality.get(c) not in (None, M.IGNORE)]
    return frame[categorical_columns(frame, candidates)].drop(columns=list(features.columns), errors="ignore")


def assignment_table(cohort: Cohort, fused: FusedFeatures, clusters: ClusterResult, names: dict[int, str]) -> pd.DataFrame:
    """One row per participant of the cohort: biotype (1-based, -1 noise, empty if excluded) and the rest of the contract.

    ``names`` maps biotype numbers (1-based) to names.
    """
    index = cohort.participants.index
    position = pd.Series(np.arange(len(fused.included)), index=fused.included).reindex(index)
    included = position.notna().to_numpy()
    rows = position.to_numpy()[included].astype(int)
    biotype = pd.array([pd.NA] * len(index), dtype="Int64")
    numbers = biotype_numbers(clusters.labels[rows])
    biotype[included] = numbers
    name = np.full(len(index), "", dtype=object)
    name[included] = [names.get(int(number), f"B{number}") if number >= 1 else "noise" for number in numbers]
    out = pd.DataFrame(
        {
            "participant_id": cohort.participants["participant_id"].to_numpy(),
            "biotype": biotype,
            "biotype_name": name,
            "membership_probability": _at(clusters.probabilities, rows, included),
            "outlier_score": _at(clusters.outlier_scores, rows, included),
            "umap_1": _at(clusters.display[:, 0], rows, included),
            "umap_2": _at(clusters.display[:, 1], rows, included),
            "included": included,
            "exclusion_reason": fused.exclusion_reason.reindex(index).fillna("").to_numpy(),
        }
    )
    return out


def _at(values: np.ndarray, rows: np.ndarray, included: np.ndarray) -> np.ndarray:
    """Per-participant values for included rows, NaN for the excluded."""
    out = np.full(len(included), np.nan)
    out[included] = np.asarray(values, dtype=np.float64)[rows]
    return out
