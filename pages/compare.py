"""Compare side by side: two or more biotypes, one row per modality, and what distinguishes them."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis import modalities as M
from analysis.features import prs_features
from analysis.summaries import biotype_connectivity, network_matrix, wearable_trajectories
from components import cache, state
from components.brain import network_figure
from components.genetics import prs_violin_figure
from components.profiles import biotype_label, effect_heatmap_figure, pairwise_effects_figure
from components.wearables import trajectory_figure

st.title("Compare side by side")
result, cohort = cache.require_run()
names = result.models["names"]
biotypes = sorted(names)
if len(biotypes) < 2:
    st.info("This run found fewer than two biotypes, so there is nothing to compare. Try a smaller min_cluster_size on the Biotypes page.")
    st.stop()

chosen = st.multiselect(
    "Biotypes to compare",
    biotypes,
    default=biotypes[:2],
    format_func=lambda b: biotype_label(b, names),
    key=state.COMPARE_BIOTYPES,
)
if len(chosen) < 2:
    st.info("Pick two or more biotypes.")
    st.stop()
chosen = sorted(chosen)
labels = cache.run_labels(result)

st.subheader("What distinguishes them")
if len(chosen) == 2:
    st.plotly_chart(pairwise_effects_figure(result.pairwise, chosen[0], chosen[1], names), width="stretch")
    st.caption("Mann-Whitney U between the two biotypes, Benjamini-Hochberg over every pair and feature (profile_pairwise.csv).")
else:
    st.plotly_chart(effect_heatmap_figure(result.profile[result.profile["biotype"].isin(chosen)], names), width="stretch")
    st.caption("Each biotype against all other clustered participants (Cohen's d, profile.csv).")


def row(title: str) -> list:
    """A subheader and one column per chosen biotype."""
    st.subheader(title)
    return st.columns(len(chosen))


connectivity = cohort.connectivity
if connectivity is not None and connectivity.atlas is not None and len(connectivity.atlas.network_names) > 1:
    summaries = {s.biotype: s for s in cache.derived("connectivity", lambda: biotype_connectivity(connectivity, labels))}
    tables = {b: network_matrix(summaries[b].difference, connectivity.atlas) for b in chosen if b in summaries}
    limit = max((float(np.nanmax(np.abs(t.to_numpy()))) for t in tables.values()), default=1.0) or 1.0
    for column, biotype in zip(row("Brain: difference from the rest, by network"), chosen, strict=True):
        if biotype in tables:
            column.plotly_chart(
                network_figure(tables[biotype], f"{biotype_label(biotype, names)[:40]}", "difference", limit), width="stretch"
            )
        else:
            column.info("Fewer than two participants of this biotype have a matrix.")
else:
    st.subheader("Brain")
    st.info("No connectivity matrices with atlas networks in this cohort (upload them on the Data page).")

scores = [c for c in cohort.columns_of(M.PRS) if cohort.participants[c].dtype == "float64"]
st.subheader("Genetics (PRS)")
if scores:
    adjusted, notes, _ = cache.derived("prs:adjusted", lambda: prs_features(cohort, result.config))
    score = st.selectbox("Score", scores, key=state.COMPARE_SCORE)
    biotype_of = result.assignments["biotype"].set_axis(cohort.participants.index)
    only_chosen = biotype_of.where(biotype_of.isin([b + 1 for b in chosen]), pd.NA)
    st.plotly_chart(prs_violin_figure(adjusted[score], only_chosen, None, f"{score} in the chosen biotypes", "score"), width="stretch")
    st.caption("; ".join(n.message for n in notes) or "PRS used as given")
else:
    st.info("No polygenic scores in this cohort.")

st.subheader("Wearables")
wearables = cohort.wearables
if wearables is not None:
    metric = st.selectbox("Metric", list(wearables.metrics), key=state.COMPARE_METRIC)
    trajectories = cache.derived(f"wearables:{metric}", lambda: wearable_trajectories(wearables.days, metric, labels))
    st.plotly_chart(trajectory_figure(trajectories[trajectories["biotype"].isin(chosen)], metric), width="stretch")
else:
    st.info("No wearable data in this cohort.")
