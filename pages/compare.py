"""Compare side by side: two or more biotypes or custom groups, one row per modality, and what distinguishes them."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis import modalities as M
from analysis.features import prs_features
from analysis.groups import comparison_labels, group_label, group_members
from analysis.profiling import pairwise_profile, profile_table
from analysis.summaries import biotype_connectivity, network_matrix, wearable_trajectories
from components import cache, state
from components.brain import network_figure
from components.genetics import prs_violin_figure
from components.profiles import biotype_label, effect_heatmap_figure, pairwise_effects_figure, short_label
from components.wearables import trajectory_figure

st.title("Compare side by side")
result, cohort = cache.require_run()
group_names = list(dict.fromkeys(result.groups["group"]))
names = {**result.models["names"], **{group_label(group_names, g): f"group · {g}" for g in group_names}}
biotypes = sorted(result.models["names"])
if len(biotypes) + len(group_names) < 2:
    st.info(
        "This run found fewer than two biotypes, so there is nothing to compare. Try a smaller min_cluster_size on the "
        "Biotypes page, or save a group from the map there."
    )
    st.stop()

chosen = st.multiselect(
    "Biotypes or custom groups to compare",
    biotypes + [group_label(group_names, g) for g in group_names],
    default=biotypes[:2],
    format_func=lambda b: biotype_label(b, names),
    key=state.COMPARE_BIOTYPES,
    help="Custom groups are saved from a lasso on the Biotypes page's map.",
)
if len(chosen) < 2:
    st.info("Pick two or more biotypes or groups.")
    st.stop()
groups = [g for g in group_names if group_label(group_names, g) in chosen]
chosen = sorted(chosen)
labels = cache.run_labels(result)
key = ""
if groups:
    members, _ = group_members(cohort.participants["participant_id"], result.config.custom_groups)
    labels, moved = comparison_labels(labels, members, groups)
    key = ":groups=" + "|".join(groups)
    st.caption(
        "Each participant is counted once: in the group (first chosen first) rather than in their biotype. "
        + "; ".join(
            f"{short_label(group_label(group_names, g))} = {g}, holding "
            + ", ".join(f"{n} {'noise' if b < 0 else biotype_label(b, names).split(' · ')[0]}" for b, n in moved[g].items())
            for g in groups
        )
        + "."
    )

st.subheader("What distinguishes them")
if not groups and len(chosen) == 2:
    st.plotly_chart(pairwise_effects_figure(result.pairwise, chosen[0], chosen[1], names), width="stretch")
    st.caption("Mann-Whitney U between the two biotypes, Benjamini-Hochberg over every pair and feature (profile_pairwise.csv).")
elif not groups:
    st.plotly_chart(effect_heatmap_figure(result.profile[result.profile["biotype"].isin(chosen)], names), width="stretch")
    st.caption("Each biotype against all other clustered participants (Cohen's d, profile.csv).")
elif len(chosen) == 2:
    features, modality = result.models["profiling"]
    pair = cache.derived(f"pairwise{key}:{chosen}", lambda: pairwise_profile(features, modality, labels[labels.isin(chosen)]))
    st.plotly_chart(pairwise_effects_figure(pair, chosen[0], chosen[1], names), width="stretch")
    st.caption("Mann-Whitney U between the two, Benjamini-Hochberg over their features.")
else:
    features, modality = result.models["profiling"]
    profile = cache.derived(f"profile{key}", lambda: profile_table(features, modality, labels))
    st.plotly_chart(effect_heatmap_figure(profile[profile["biotype"].isin(chosen)], names), width="stretch")
    st.caption("Each against all other clustered participants (Cohen's d).")


def row(title: str) -> list:
    """A subheader and one column per chosen biotype."""
    st.subheader(title)
    return st.columns(len(chosen))


connectivity = cohort.connectivity
if connectivity is not None and connectivity.atlas is not None and len(connectivity.atlas.network_names) > 1:
    summaries = {s.biotype: s for s in cache.derived(f"connectivity{key}", lambda: biotype_connectivity(connectivity, labels))}
    tables = {b: network_matrix(summaries[b].difference, connectivity.atlas) for b in chosen if b in summaries}
    limit = max((float(np.nanmax(np.abs(t.to_numpy()))) for t in tables.values()), default=1.0) or 1.0
    for column, biotype in zip(row("Brain: difference from the rest, by network"), chosen, strict=True):
        if biotype in tables:
            column.plotly_chart(
                network_figure(tables[biotype], f"{biotype_label(biotype, names)[:40]}", "difference", limit), width="stretch"
            )
        else:
            column.info("Fewer than two of these participants have a matrix.")
else:
    st.subheader("Brain")
    st.info("No connectivity matrices with atlas networks in this cohort (upload them on the Data page).")

scores = [c for c in cohort.columns_of(M.PRS) if cohort.participants[c].dtype == "float64"]
st.subheader("Genetics (PRS)")
if scores:
    adjusted, notes, _ = cache.derived("prs:adjusted", lambda: prs_features(cohort, result.config))
    score = st.selectbox("Score", scores, key=state.COMPARE_SCORE)
    biotype_of = labels.reindex(cohort.participants.index)
    only_chosen = biotype_of.where(biotype_of.isin(chosen), pd.NA)
    st.plotly_chart(prs_violin_figure(adjusted[score], only_chosen, None, f"{score} in the chosen sets", "score"), width="stretch")
    st.caption("; ".join(n.message for n in notes) or "PRS used as given")
else:
    st.info("No polygenic scores in this cohort.")

st.subheader("Wearables")
wearables = cohort.wearables
if wearables is not None:
    metric = st.selectbox("Metric", list(wearables.metrics), key=state.COMPARE_METRIC)
    trajectories = cache.derived(f"wearables:{metric}{key}", lambda: wearable_trajectories(wearables.days, metric, labels))
    st.plotly_chart(trajectory_figure(trajectories[trajectories["biotype"].isin(chosen)], metric), width="stretch")
else:
    st.info("No wearable data in this cohort.")
