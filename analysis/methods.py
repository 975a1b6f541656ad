"""A methods paragraph for one run: what was done, with the values this run used (for the HTML report)."""

from __future__ import annotations

import numpy as np

from analysis.structure import p_text
from analysis.validation import MODALITY_TITLES


def methods_paragraphs(result, cohort) -> list[str]:
    """Plain-text paragraphs describing a run, every number taken from the run.

    Parameters
    ----------
    result : analysis.biotypes.RunResult
    cohort : analysis.cohort.Cohort

    Returns
    -------
    list of str
        Cohort and inclusion; features and fusion; embedding and clustering; profiling and audits;
        the structure test; stability (when measured); reproducibility. docs/methods.md gives the references and defaults.
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
        f"{config.n_components} dimensions, seed {config.seed}) and clustered with HDBSCAN (min_cluster_size "
        f"{config.min_cluster_size}, min_samples {config.min_samples}, cluster_selection_method '{config.cluster_selection_method}', "
        f"epsilon {config.cluster_selection_epsilon:g})"
        + (
            f"; min_cluster_size was chosen among {len(result.clusters.selection)} candidates by DBCV plus the stability of the split under subsampling"
            if result.clusters.selection
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
        "described what defines each biotype; biotypes were audited against "
        + (", ".join(result.audit["covariate"]) if len(result.audit) else "no covariate (none in the table)")
        + (
            f"; flagged: {', '.join(result.audit.loc[result.audit['flagged'], 'covariate'])}."
            if len(result.audit) and result.audit["flagged"].any()
            else "; none was flagged."
        ),
    ]
    paragraphs.append(structure_paragraph(result.structure))
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
    """What the structure test did and found, with this run's numbers (see :mod:`analysis.structure`).

    Parameters
    ----------
    structure : analysis.structure.Structure or None
        None when the test had not run.
    """
    if structure is None or structure.verdict == "untested":
        return (
            "Whether the biotypes are distinct subgroups was not tested (no null cohorts): UMAP and HDBSCAN find clusters in "
            "data that have none, so these biotypes are not evidence of subgroups."
        )
    if structure.gap_null is None:
        return f"Structure: {structure.explanation}"
    subsample = (
        f" A seeded subsample of {structure.n_tested:,} clustered participants was re-clustered and tested, and every null cohort had "
        f"{structure.n_tested:,} participants."
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
