"""Biotype profiles page: how biotypes differ, what defines them, confound audits and outcomes."""

import streamlit as st

from components import cache, state
from components.profiles import category_figure, effect_heatmap_figure, effect_table, importance_figure, outcome_figure

st.title("Biotype profiles")
result, cohort = cache.require_run()

names = result.models["names"]
st.markdown("\n".join(f"- **{name}**" for _, name in sorted(names.items())))
st.plotly_chart(effect_heatmap_figure(result.profile, names), width="stretch")

st.subheader("Effect sizes")
modalities = sorted(result.profile["modality"].unique())
left, right = st.columns([3, 1])
chosen = left.multiselect("Modalities", modalities, default=modalities, key=state.PROFILES_MODALITIES)
max_q = right.select_slider("Kruskal-Wallis FDR q at most", [0.001, 0.01, 0.05, 0.1, 1.0], value=1.0, key=state.PROFILES_MAX_Q)
st.dataframe(effect_table(result.profile, names, chosen, max_q), hide_index=True, width="stretch")
st.caption("Cohen's d: biotype minus the other clustered participants, over the pooled SD. q: Benjamini-Hochberg over features.")

categories = result.categorical_profile
if len(categories):
    st.subheader("Categories")
    features = list(dict.fromkeys(categories["feature"]))
    columns = st.columns(min(len(features), 3))
    for k, feature in enumerate(features):
        columns[k % len(columns)].plotly_chart(category_figure(categories, feature, names), width="stretch")
    with st.expander("Category table (share of each biotype, Cramér's V against the rest, chi-square across biotypes)"):
        st.dataframe(categories, hide_index=True, width="stretch")

if len(result.group_profile):
    st.subheader("Custom groups")
    groups = list(dict.fromkeys(result.group_profile["group"]))
    group = st.selectbox("Group", groups, key=state.PROFILES_GROUP)
    rows = result.group_profile[result.group_profile["group"] == group]
    st.dataframe(rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index), hide_index=True, width="stretch")
    st.caption("The group against the other clustered participants: Cohen's d, Mann-Whitney U, Benjamini-Hochberg over features.")
    shares = result.group_categorical[result.group_categorical["group"] == group]
    if len(shares):
        st.dataframe(shares.sort_values(["chi2_q", "feature", "level"]), hide_index=True, width="stretch")
        st.caption("Categories: the group's share of each level against the rest's, Cramér's V, chi-square with BH q over features.")

st.subheader("What defines each biotype")
biotypes = sorted(result.importance["biotype"].unique())
columns = st.columns(min(len(biotypes), 2) or 1)
for k, biotype in enumerate(biotypes):
    columns[k % len(columns)].plotly_chart(importance_figure(result.importance, int(biotype), names), width="stretch")

st.subheader("Confound audits")
for row in result.audit[result.audit["flagged"]].itertuples():
    st.warning(f"Biotypes track {row.covariate} ({row.statistic} {row.value:.2f}; {row.detail}).", icon=":material/warning:")
st.dataframe(result.audit, hide_index=True, width="stretch")

outcomes = result.profile.loc[result.profile["modality"] == "outcome", "feature"].unique()
if len(outcomes):
    st.subheader("Outcomes by biotype")
    biotype_of = result.assignments.set_index(cohort.participants.index)["biotype"]
    columns = st.columns(min(len(outcomes), 3))
    for k, outcome in enumerate(outcomes):
        columns[k % len(columns)].plotly_chart(outcome_figure(cohort.participants[outcome], biotype_of, names), width="stretch")
