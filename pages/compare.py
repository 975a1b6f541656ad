"""Compare side by side: two or more biotypes or custom groups, one row per modality, and what distinguishes them."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis.cohort import modalities as M
from analysis.describe.groups import MIN_COMPARE_N, comparison_labels, comparison_sizes, group_label, group_members
from analysis.describe.summaries import network_matrix
from components import cache, state
from components.brain import network_figure
from components.genetics import prs_violin_figure
from components.profiles import biotype_label, effect_heatmap_figure, pairwise_effects_figure, short_label
from components.tables import render_table
from components.wearables import trajectory_figure

#: Network maps side by side (more are wrapped onto further rows, so that each stays readable).
MAPS_PER_ROW = 2

st.title("Compare side by side")
result, cohort = cache.require_run()
group_names = list(dict.fromkeys(result.groups["group"]))
names = {**result.names, **{group_label(group_names, g): f"group · {g}" for g in group_names}}
biotypes = sorted(result.names)
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
run_labels = cache.run_labels(result)
labels, members = run_labels, None
if groups:
    members, _ = group_members(cohort.participants["participant_id"], result.config.custom_groups)
    labels, moved = comparison_labels(run_labels, members, groups)
    st.caption(
        "Each participant is counted once: in the group (first chosen first) rather than in their biotype. "
        + "; ".join(
            f"{short_label(group_label(group_names, g))} = {g}, holding "
            + ", ".join(f"{n} {'noise' if b < 0 else biotype_label(b, names).split(' · ')[0]}" for b, n in moved[g].items())
            for g in groups
        )
        + "."
    )
sizes = comparison_sizes(run_labels, labels, chosen, members).set_index("label")
shown = {b: f"{short_label(b)} (n={sizes.at[b, 'n']}{'*' if sizes.at[b, 'reduced'] else ''})" for b in chosen}
render_table(
    pd.DataFrame(
        {
            "set": [biotype_label(b, names) for b in chosen],
            "n": sizes["n"].to_numpy(),
            "n before overlaps": sizes["n_before"].to_numpy(),
            "reduced by overlap": sizes["reduced"].to_numpy(),
            "statistics": ["shown" if t else f"not shown (n < {MIN_COMPARE_N})" for t in sizes["tested"]],
        }
    )
)
st.caption(
    f"Sets marked * lost participants to a group chosen with them. Tests, effect sizes, network maps and trajectories are "
    f"shown only for sets of at least {MIN_COMPARE_N} participants; score distributions are drawn for every set with its n."
)
tested = [b for b in chosen if sizes.at[b, "tested"]]

st.subheader("What distinguishes them")
if len(tested) < 2:
    st.info(f"Fewer than two of the chosen sets have {MIN_COMPARE_N} or more participants, so no statistics are shown.")
elif not groups and len(tested) == 2:
    st.plotly_chart(pairwise_effects_figure(result.pairwise, tested[0], tested[1], names, labels=shown), width="stretch")
    st.caption(
        "Features the biotypes were clustered on: Cohen's d, descriptive (no test: the clustering chose the biotypes to differ "
        "on them). Other features: Mann-Whitney U, Benjamini-Hochberg over every pair and tested feature (profile_pairwise.csv)."
    )
elif not groups:
    st.plotly_chart(effect_heatmap_figure(result.profile[result.profile["biotype"].isin(tested)], names, shown), width="stretch")
    st.caption("Each biotype against all other clustered participants (Cohen's d, profile.csv).")
elif len(tested) == 2:
    pair = cache.group_pairwise(result, cohort, tuple(groups), tuple(tested))
    st.plotly_chart(pairwise_effects_figure(pair, tested[0], tested[1], names, labels=shown), width="stretch")
    st.caption(
        "Features the biotypes were clustered on: Cohen's d, descriptive (groups drawn on the map were chosen on them too). "
        "Other features: Mann-Whitney U, Benjamini-Hochberg over the tested features."
    )
else:
    profile = cache.group_profile(result, cohort, tuple(groups))
    st.plotly_chart(effect_heatmap_figure(profile[profile["biotype"].isin(tested)], names, shown), width="stretch")
    st.caption("Each against all other clustered participants (Cohen's d).")

view = cache.connectivity_shown(result, cohort)
connectivity = view.connectivity if view is not None else None
if connectivity is not None and connectivity.atlas is not None and len(connectivity.atlas.network_names) > 1:
    summaries = {s.biotype: s for s in cache.connectivity_by_biotype(result, cohort, groups=tuple(groups))}
    drawn = [b for b in tested if b in summaries and summaries[b].n >= MIN_COMPARE_N]
    tables = {b: network_matrix(summaries[b].difference, connectivity.atlas) for b in drawn}
    limit = max((float(np.nanmax(np.abs(t.to_numpy()))) for t in tables.values()), default=1.0) or 1.0
    st.subheader("Brain: difference from the rest, by network")
    st.caption(f"Connectivity shown: {view.description}.")
    for start in range(0, len(chosen), MAPS_PER_ROW):
        for column, biotype in zip(st.columns(MAPS_PER_ROW), chosen[start : start + MAPS_PER_ROW], strict=False):
            if biotype in tables:
                title = f"{biotype_label(biotype, names)[:40]} (n={summaries[biotype].n} with a matrix)"
                column.plotly_chart(network_figure(tables[biotype], title, "difference", limit), width="stretch")
            else:
                with_matrix = summaries[biotype].n if biotype in summaries else 0
                column.info(f"{shown[biotype]}: {with_matrix} with a matrix, fewer than {MIN_COMPARE_N}: not shown.")
else:
    st.subheader("Brain")
    st.info("No connectivity matrices with atlas networks in this cohort (upload them on the Data page).")

scores = [c for c in cohort.columns_of(M.PRS) if cohort.participants[c].dtype == "float64"]
st.subheader("Genetics (PRS)")
if scores:
    adjusted, notes, _ = cache.adjusted_prs(result, cohort)
    score = st.selectbox("Score", scores, key=state.COMPARE_SCORE)
    biotype_of = labels.reindex(cohort.participants.index)
    only_chosen = biotype_of.where(biotype_of.isin(chosen), pd.NA)
    st.plotly_chart(
        prs_violin_figure(adjusted[score], only_chosen, None, f"{score} in the chosen sets", "score", labels=shown), width="stretch"
    )
    st.caption("; ".join(n.message for n in notes) or "PRS used as given")
else:
    st.info("No polygenic scores in this cohort.")

st.subheader("Wearables")
wearables = cohort.wearables
if wearables is not None:
    metric = st.selectbox("Metric", list(wearables.metrics), key=state.COMPARE_METRIC)
    trajectories = cache.trajectories(result, cohort, metric, tuple(groups))
    st.plotly_chart(trajectory_figure(trajectories[trajectories["biotype"].isin(tested)], metric, labels=shown), width="stretch")
else:
    st.info("No wearable data in this cohort.")
