"""A methods paragraph for one run: what was done, with the values this run used (for the HTML report)."""

from __future__ import annotations

import numpy as np

from analysis.cohort.validation import MODALITY_TITLES
from analysis.engine.clustering import neighbour_graph_kind
from analysis.validity.structure import p_text


def methods_paragraphs(result, cohort) -> list[str]:
    """Plain-text paragraphs describing a run, every number taken from the run.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    cohort : analysis.cohort.cohort.Cohort

    Returns
    -------
    list of str
        Cohort and inclusion; features and fusion; embedding and clustering; profiling and audits;
        the structure test; split-half replication; clinical value (with outcomes); stability (when measured);
        reproducibility. docs/methods.md gives the references and defaults.
    """
    config = result.config
    labels = result.clusters.labels
    n_included = len(labels)
    modalities = [MODALITY_TITLES.get(m, m).lower() for m in config.modalities]
    shares = ", ".join(f"{MODALITY_TITLES.get(m, m).lower()} {share:.0%}" for m, share in result.fused.variance_share.items())
    n_features = {m: len(columns) for m, columns in result.fused.blocks.items()}
    excluded = cohort.n_participants - n_included
    paragraphs = [
        f"Of {cohort.n_participants:,} participants, {n_included:,} were clustered"
        + (
            f"; {excluded:,} were not ({'they lacked a selected modality' if config.missing_modality == 'exclude' else 'they had none of the selected modalities'}; "
            "each is listed with the reason in assignments.csv)."
            if excluded
            else "."
        ),
        f"Participants were clustered on {', '.join(modalities)} features "
        f"({', '.join(f'{n} {MODALITY_TITLES.get(m, m).lower()}' for m, n in n_features.items())}). Within each modality, missing "
        f"values were imputed ({config.impute}) and features scaled ({config.scale}); polygenic scores were adjusted with "
        f"'{config.prs_adjustment}'; connectivity entered as {config.connectivity_features} features"
        + (
            f" after ComBat harmonisation across sites protecting {', '.join(config.harmonise_protect) or 'no covariate'}"
            if config.harmonise_sites
            else " without site harmonisation"
        )
        + f". Each modality block was weighted so that its share of the fused variance was: {shares}.",
        f"The fused features were embedded with UMAP (n_neighbors {config.n_neighbors}, min_dist {config.min_dist:g}, "
        f"{config.n_components} dimensions, seed {config.seed}; {neighbour_graph_kind(n_included)} k-nearest-neighbour graph) and clustered with HDBSCAN (min_cluster_size "
        f"{config.min_cluster_size}, min_samples {config.min_samples}, cluster_selection_method '{config.cluster_selection_method}', "
        f"epsilon {config.cluster_selection_epsilon:g})"
        + (
            f"; min_cluster_size was chosen among {len(result.clusters.selection)} candidates as the best exact DBCV (Moulavi et al. 2014) "
            "among those whose split was stable under subsampling (median ARI at least 0.65 over five 80% subsamples)"
            if len(result.clusters.selection) > 1
            else ""
        )
        + f". Participants whose nearest neighbours mostly belonged to other biotypes (agreement below {config.neighbour_agreement:g}) "
        f"were labelled noise. The run found {result.clusters.n_biotypes} biotypes; {float((labels < 0).mean()) if n_included else 0:.1%} "
        "of clustered participants were noise.",
        "Each biotype was compared with the other clustered participants on every numeric feature (Cohen's d) and every "
        "categorical one (share per level, Cramér's V). On the features used for clustering these differences are descriptive "
        "only: the clustering chose the biotypes to differ on them, so no test of them is reported. Features not used for "
        "clustering (outcomes, validators, covariates and modalities left out of the run) were tested across biotypes "
        "(Kruskal-Wallis or chi-square, Benjamini-Hochberg FDR over the tested features; Cohen's d with a 95% interval). "
        "Automatic names list the largest effect sizes on clustering features; random-forest permutation importance "
        "described what defines each biotype; biotypes were audited (bias-corrected Cramér's V or Kruskal-Wallis eta-squared; "
        "chi-square, Kruskal-Wallis or label-permutation p-values, Benjamini-Hochberg q; flagged at a large effect with q < 0.05) against "
        + (", ".join(result.audit["covariate"]) if len(result.audit) else "no covariate (none in the table)")
        + (
            f"; flagged: {', '.join(result.audit.loc[result.audit['flagged'], 'covariate'])}."
            if len(result.audit) and result.audit["flagged"].any()
            else "; none was flagged."
        ),
    ]
    used = [p for p in cohort.proposals if cohort.modality.get(p.column) == p.role]
    if used:
        kinds: dict[str, list[str]] = {}
        for proposal in used:
            kinds.setdefault(proposal.kind, []).append(proposal.column)
        paragraphs.append(
            "Columns that no data dictionary described were given roles proposed from their names and values and not "
            "changed by the researcher (docs/input_formats.md): "
            + "; ".join(f"{kind}: {', '.join(columns)}" for kind, columns in kinds.items())
            + ". None of them was clustered."
        )
    paragraphs.append(structure_paragraph(result.structure))
    paragraphs.append(replication_paragraph(result.split_half, result.replication_note))
    if result.sites:
        paragraphs.append(site_paragraph(result.sites))
    if result.clinical_value is not None:
        paragraphs.append(clinical_value_paragraph(result.clinical_value))
    if result.stability is not None:
        summary = result.stability.summary()
        paragraphs.append(
            f"Stability was assessed by re-clustering {config.stability_resamples} random 80% subsamples: "
            + ", ".join(f"B{row.biotype} median Jaccard {row.median_jaccard:.2f} ({row.verdict})" for row in summary.itertuples())
            + f"; median adjusted Rand index with the full-cohort labels {float(np.median(result.stability.ari)) if len(result.stability.ari) else float('nan'):.2f}."
        )
    paragraphs.append(
        f"The run (cohort fingerprint {cohort.fingerprint[:12]}, created {result.created_utc}) is reproduced exactly by "
        "'python -m analysis cluster --config run.json' with the same input files and package versions on the same kind of "
        "processor; run.json lists every parameter, the SHA-256 of each input file, the package versions and the processor."
    )
    return paragraphs


def structure_paragraph(structure) -> str:
    """What the structure test did and found, with this run's numbers (see :mod:`analysis.validity.structure`).

    Parameters
    ----------
    structure : analysis.validity.structure.Structure or None
        None when the test had not run.
    """
    if structure is None or structure.verdict == "untested":
        return (
            "Whether the biotypes are distinct subgroups was not tested (no null cohorts): UMAP and HDBSCAN find clusters in "
            "data that have none, so these biotypes are not evidence of subgroups."
        )
    if structure.gap_null is None:
        return f"Structure: {structure.explanation}"
    # A run saved before the epochs were recorded has None: its epochs are not known, so not stated.
    epochs = f"; these clusterings' UMAP layouts ran {structure.layout_epochs} epochs" if structure.layout_epochs is not None else ""
    subsample = (
        f" A seeded subsample of {structure.n_tested:,} clustered participants was re-clustered and tested, and every null cohort had "
        f"{structure.n_tested:,} participants{epochs}."
        if structure.subsampled
        else f" Every null cohort had the {structure.n_tested:,} clustered participants' number of rows."
    )
    power = structure.power
    detected = (
        f"from a separation of {power.smallest_detected:g} within-group SDs"
        if power.smallest_detected is not None
        else f"at none of the separations up to {max(power.separations):g} SDs"
    )
    return (
        f"Whether the biotypes are distinct subgroups was tested against {structure.n_null} null cohorts drawn from one "
        "multivariate Gaussian with the fused features' mean and covariance (the null of SigClust and M3C), each run through "
        "the same pipeline (the same UMAP settings, HDBSCAN and automatic choices)." + subsample + " The statistic is the "
        "largest Hartigan dip of every participant's projection on a Fisher discriminant axis (each pair of biotypes, and each against the rest); "
        "the biotypes are called distinct when it exceeds every null cohort's (empirical p) and the dip test rejects unimodality "
        "(Bonferroni over the axes), the p-value being the larger of the two (an intersection-union test); they are called graded "
        "when, in addition, one axis carries at least 90% of the between-biotype variance of three or more biotypes. "
        f"Verdict: {structure.verdict.replace('_', ' ')} (p = {structure.p_value:.2g}; largest dip {structure.gap_null.observed:.3f} "
        f"against a null median of {structure.gap_null.summary()['median']:.3f}; dip test p {p_text(structure.gap.p_value)}; "
        f"{structure.graded.axis_share:.0%} of the between-biotype variance on one axis). Mean silhouette in the fused features "
        f"was {structure.separation.observed:.2f} (null median {structure.separation.summary()['median']:.2f}). Two planted "
        f"Gaussian subgroups with the same mean and covariance and {structure.n_tested:,} participants were called distinct "
        f"{detected}."
    )


def replication_paragraph(split_half, note: str = "") -> str:
    """What the split-half replication did and found (see :mod:`analysis.validity.replication`).

    Parameters
    ----------
    split_half : analysis.validity.replication.SplitHalf or None
    note : str
        Why there is none (``RunResult.replication_note``).
    """
    if split_half is None:
        return f"Split-half replication: not measured ({note or 'it had not run'}); the biotypes have not been shown to recur in other participants."
    halves = (
        f"{split_half.n_splits} random splits of {'a seeded subsample of ' if split_half.subsampled else ''}the clustered participants "
        f"into halves of {split_half.n_per_half:,}"
        + (f", balanced within each {split_half.stratified_by}" if split_half.stratified_by else "")
        + (
            f" (their UMAP layouts ran {split_half.layout_epochs} epochs)"
            if split_half.subsampled and split_half.layout_epochs is not None
            else ""
        )
    )
    per_biotype = "; ".join(
        f"B{b.biotype} prediction strength {b.prediction_strength:.2f} (range {b.prediction_strength_range[0]:.2f}-{b.prediction_strength_range[1]:.2f}), "
        f"in-group proportion {b.in_group_proportion:.2f} (p {p_text(b.p_value)}), {'replicates' if b.replicates else 'does not replicate'}"
        for b in split_half.biotypes
    )
    return (
        f"Split-half replication: {halves}. Each half was clustered with the run's pipeline (automatic choices made again) and each "
        "half's participants were placed into the other half's biotypes through the saved-model path (UMAP transform, HDBSCAN "
        "approximate_predict, neighbour agreement), in both directions. Per biotype, the prediction strength (Tibshirani & Walther "
        "2005; 0.8 or more reads as replicated) and the in-group proportion (Kapp & Tibshirani 2007), the latter tested against null "
        "test halves drawn from one Gaussian with the half's mean and covariance, are medians over splits and directions. "
        f"{per_biotype}. Median ARI between each half's own biotypes and those it was placed into: "
        f"{float(np.median(split_half.ari)):.2f}. A consistent cut of a continuum can replicate as well as a distinct subgroup does, "
        "so replication is read beside the structure verdict, not instead of it."
    )


def clinical_value_paragraph(value) -> str:
    """What the clinical-value comparison did and found (see :mod:`analysis.outcomes.clinical_value`).

    Parameters
    ----------
    value : analysis.outcomes.clinical_value.ClinicalValue
    """
    assessed = [o for o in value.outcomes if not o.note]
    baseline = assessed[0].baseline if assessed else (value.outcomes[0].baseline if value.outcomes else "the baseline")
    findings = "; ".join(f"{o.outcome}: {o.reading()}" for o in value.outcomes)
    text = (
        f"Clinical value: for each outcome and validator column, a model of {baseline} was compared with the same model plus "
        "biotype indicators (noise as its own level), both cross-validated on the same folds (L2-penalised logistic regression, "
        "AUC, for two-valued outcomes; ridge regression, R², otherwise; a Cox proportional-hazards model with the same L2 "
        "penalty, Harrell's C-index, for time-to-event outcomes; every step fitted on training folds only). The gain's 95% "
        "interval comes from 200 out-of-bootstrap refits (100 for a time-to-event outcome, each of at most 5,000 participants, "
        "which widens it above that size); the p-value is the likelihood-ratio test of the indicators in the nested "
        f"models fitted on everyone. {findings}."
    )
    if value.survival:
        text += (
            " Time-to-event outcomes: Kaplan-Meier curves per biotype with pointwise 95% intervals (Greenwood variance, log(−log S) scale) and the log-rank test across "
            "biotypes (scikit-survival, Pölsterl 2020; Kaplan & Meier 1958; Mantel 1966), Cox models (Cox 1972; likelihood-ratio "
            "tests with statsmodels' PHReg, Breslow ties) and Harrell's C-index (Harrell et al. 1982). "
            + "; ".join(s.reading() for s in value.survival)
            + "."
        )
    if value.interactions:
        first = value.interactions[0]
        text += (
            f" Treatment: the arm column '{first.treatment}' ({first.treated} against {first.reference}) joined the baseline above, "
            "so the gains are prognostic value beyond the arm. Separately, the biotype × arm interaction was tested (likelihood "
            "ratio of the biotype × arm terms in a model that already holds the arm, the dimensional summary and its interaction "
            "with the arm, and the biotypes): a significant interaction means the treatment effect differs between biotypes, "
            "i.e. the biotypes are predictive of response, which is a causal reading only when the arm was randomised. "
            + "; ".join(i.reading() for i in value.interactions)
            + "."
        )
    if value.notes:
        text += " " + " ".join(f"{note[0].upper()}{note[1:]}." for note in value.notes)
    return text


def site_paragraph(sites) -> str:
    """What leave-one-site-out did and found (see :mod:`analysis.validity.external`).

    Parameters
    ----------
    sites : tuple of analysis.validity.external.SiteReplication
    """
    per_site = "; ".join(
        f"{s.site} ({s.n_site:,} participants): {s.note}"
        if s.note
        else f"{s.site} ({s.n_site:,} participants, ARI {s.ari:.2f}): " + ", ".join(f"B{b} {reading}" for b, reading in s.found.items())
        for s in sites
    )
    return (
        "Leave-one-site-out: each site was left out in turn; the whole pipeline, site harmonisation included, was fitted on the "
        "other sites, and the held-out site was placed into those biotypes (its ComBat site effects estimated from its own "
        "participants) and clustered alone with the same configuration. A biotype was found at a site when one of the site's "
        "own biotypes matched the participants placed into it (Jaccard at least 0.5), and too few to tell when at its share of "
        f"the cohort it would be smaller than the site's own clustering could form. {per_site}."
    )
