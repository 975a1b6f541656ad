"""The run configuration as a form; returns a RunConfig when the user clicks 'Compute biotypes'."""

from __future__ import annotations

import streamlit as st

from analysis.cohort.cohort import Cohort
from analysis.cohort.validation import MODALITY_TITLES
from analysis.config import IMPUTERS, MISSING_MODALITY_POLICIES, SELECTION_METHODS, RunConfig
from analysis.validity.replication import MIN_REPLICATION_PARTICIPANTS
from components import cache, state

AUTOMATIC = 0
HARMONISE_CHOICES = {"auto": "automatic (on with connectivity from 2+ sites)", "on": "on", "off": "off"}


def render_run_form(cohort: Cohort) -> RunConfig | None:
    """Draw the run form; on submit build and check the configuration.

    Parameters
    ----------
    cohort : Cohort
        Offers the modalities it has; the other defaults are RunConfig's.

    Returns
    -------
    RunConfig or None
        None until 'Compute biotypes' is clicked. Raises CohortError for an impossible combination.
    """
    defaults = RunConfig()
    available = list(cache.modalities_in_files(cohort))
    with st.form(state.BIOTYPES_FORM, border=True):
        st.markdown("**Run configuration** — defaults are chosen from the data; see docs/methods.md.")
        adopted = st.session_state.pop(state.BIOTYPES_ADOPTED, None)
        if adopted is not None:
            st.info(
                f"n_neighbors {adopted[0]} and min_cluster_size {adopted[1]} from the sweep are set below "
                "(under Block weights, UMAP and HDBSCAN): click **Compute biotypes** to run with them.",
                icon=":material/tune:",
            )
        chosen = st.multiselect(
            "Modalities to cluster on",
            available,
            default=available,
            format_func=MODALITY_TITLES.get,
            key=state.BIOTYPES_MODALITIES,
            help="Participants lacking a selected modality are excluded (with the reason) or imputed, as set below.",
        )
        left, middle, right = st.columns(3)
        missing_modality = left.selectbox(
            "Participants missing a modality",
            MISSING_MODALITY_POLICIES,
            format_func={"exclude": "exclude (listed with reason)", "impute": "impute from other modalities"}.get,
            key=state.BIOTYPES_MISSING_MODALITY,
        )
        impute = middle.selectbox("Missing values inside a modality", IMPUTERS, key=state.BIOTYPES_IMPUTE)
        harmonise = right.selectbox(
            "Harmonise imaging sites (ComBat)",
            HARMONISE_CHOICES,
            format_func=HARMONISE_CHOICES.get,
            key=state.BIOTYPES_HARMONISE,
            help="Removes site/scanner effects from connectivity features, protecting age and sex.",
        )
        with st.expander("Block weights, UMAP and HDBSCAN"):
            weights = {}
            for column, modality in zip(st.columns(max(len(available), 1)), available, strict=False):
                weights[modality] = column.number_input(
                    f"{MODALITY_TITLES[modality]} weight",
                    min_value=0.05,
                    max_value=20.0,
                    value=1.0,
                    step=0.25,
                    key=state.BIOTYPES_WEIGHT_PREFIX + modality,
                )
            a, b, c, d = st.columns(4)
            # Defaults go through session state: the sweep's "use these parameters" button sets these two.
            st.session_state.setdefault(state.BIOTYPES_N_NEIGHBORS, 15)
            st.session_state.setdefault(state.BIOTYPES_MIN_CLUSTER_SIZE, AUTOMATIC)
            n_neighbors = a.number_input("n_neighbors", 2, 500, key=state.BIOTYPES_N_NEIGHBORS)
            n_components = b.number_input("UMAP dimensions for clustering", 2, 20, defaults.n_components, key=state.BIOTYPES_N_COMPONENTS)
            min_cluster_size = c.number_input(
                "min_cluster_size (0 = choose from the data)", 0, 100_000, key=state.BIOTYPES_MIN_CLUSTER_SIZE
            )
            min_samples = d.number_input("min_samples (0 = automatic)", 0, 10_000, AUTOMATIC, key=state.BIOTYPES_MIN_SAMPLES)
            a, b, c, d = st.columns(4)
            method = a.selectbox("cluster_selection_method", SELECTION_METHODS, key=state.BIOTYPES_METHOD)
            epsilon = b.number_input("cluster_selection_epsilon", 0.0, 100.0, 0.0, key=state.BIOTYPES_EPSILON)
            agreement = c.slider(
                "neighbour agreement",
                0.0,
                1.0,
                defaults.neighbour_agreement,
                0.05,
                key=state.BIOTYPES_AGREEMENT,
                help="Share of a participant's nearest neighbours that must share their biotype; 0 turns the check off.",
            )
            resamples = d.number_input("stability resamples (0 = skip)", 0, 200, 0, key=state.BIOTYPES_STABILITY)
        left, middle, right, last = st.columns(4)
        seed = left.number_input("Seed", 0, 2**31 - 1, defaults.seed, key=state.BIOTYPES_SEED)
        null_cohorts = middle.number_input(
            "Null cohorts of the structure test (0 = not tested)",
            0,
            999,
            defaults.null_cohorts,
            key=state.BIOTYPES_NULL_COHORTS,
            help="Are the biotypes distinct subgroups? Cohorts with the fused features' mean and covariance but no subgroups go "
            "through the same pipeline; 19 or more (the smallest p-value is 1 / (n + 1)). Runs after the map is drawn.",
        )
        replication_splits = right.number_input(
            "Split-half replications (0 = off)",
            0,
            50,
            defaults.replication_splits,
            key=state.BIOTYPES_REPLICATION_SPLITS,
            help="Are the biotypes found again in other people? Each split clusters two halves of the cohort on their own and "
            "places each into the other's biotypes (prediction strength per biotype). Runs after the structure test; "
            f"skipped below {MIN_REPLICATION_PARTICIPANTS} clustered participants.",
        )
        site_replication = right.checkbox(
            "Leave each site out in turn",
            defaults.site_replication,
            key=state.BIOTYPES_SITE_REPLICATION,
            help="With two or more sites: fit everything (harmonisation included) on the other sites, place the site into those "
            "biotypes and cluster it alone, for each site. Runs after the split halves.",
        )
        severity_columns = [c for c in cohort.participants.columns if c != "participant_id" and _numeric(cohort.participants[c])]
        severity = last.selectbox(
            "Clinical value: compare the biotypes with",
            ["", *severity_columns],
            format_func=lambda c: c or "principal components",
            key=state.BIOTYPES_SEVERITY_SCORE,
            help="What each outcome is predicted from without the biotypes (beside the covariates): the clustered features' "
            "first principal components (as many as the biotype indicators), or a composite severity score you name.",
        )
        submitted = st.form_submit_button("Compute biotypes", type="primary", key=state.BIOTYPES_COMPUTE)
    if not submitted:
        return None
    return RunConfig(
        modalities=tuple(chosen),
        impute=impute,
        missing_modality=missing_modality,
        harmonise_sites={"auto": None, "on": True, "off": False}[harmonise],
        block_weights=tuple(sorted((m, float(w)) for m, w in weights.items() if m in chosen and w != 1.0)),
        n_neighbors=int(n_neighbors),
        n_components=int(n_components),
        min_cluster_size=int(min_cluster_size) or None,
        min_samples=int(min_samples) or None,
        cluster_selection_method=method,
        cluster_selection_epsilon=float(epsilon),
        neighbour_agreement=float(agreement),
        stability_resamples=int(resamples),
        null_cohorts=int(null_cohorts),
        replication_splits=int(replication_splits),
        site_replication=bool(site_replication),
        severity_score=str(severity),
        seed=int(seed),
    )


def _numeric(values) -> bool:
    """A numeric, non-boolean column (what a severity score can be)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
