"""Biotype profiles page: how biotypes differ, what defines them, confound audits and outcomes."""

import streamlit as st

from analysis.describe.summaries import is_binary
from components import cache, state
from components.profiles import (
    AUDIT_CAPTION,
    binary_outcome_figure,
    category_figure,
    effect_heatmap_figure,
    effect_table,
    importance_figure,
    outcome_figure,
)
from components.replication import render_clinical_value
from components.tables import render_table

st.title("Biotype profiles")
result, cohort = cache.require_run()

names = result.names
st.markdown("\n".join(f"- **{name}**" for _, name in sorted(names.items())))
st.plotly_chart(effect_heatmap_figure(result.profile, names), width="stretch")

st.subheader("Effect sizes")
modalities = sorted(result.profile["modality"].unique())
left, right = st.columns([3, 1])
chosen = left.multiselect("Modalities", modalities, default=modalities, key=state.PROFILES_MODALITIES)
max_q = right.select_slider(
    "Tested features: Kruskal-Wallis FDR q at most", [0.001, 0.01, 0.05, 0.1, 1.0], value=1.0, key=state.PROFILES_MAX_Q
)
render_table(effect_table(result.profile, names, chosen, max_q))
st.caption(
    "Cohen's d: biotype minus the other clustered participants, over the pooled SD. Features the biotypes were clustered on are "
    "**descriptive**: the clustering chose the biotypes to differ on them, so a test of that difference is circular and none is "
    "shown. Features not clustered on (outcomes, validators, covariates, modalities left out of the run) are **tested**: "
    "Kruskal-Wallis across biotypes, Benjamini-Hochberg q over the tested features, d with its 95% interval. Automatic names "
    "come from the largest effect sizes on clustered-on features (descriptive)."
)

categories = result.categorical_profile
if len(categories):
    st.subheader("Categories")
    features = list(dict.fromkeys(categories["feature"]))
    columns = st.columns(min(len(features), 3))
    for k, feature in enumerate(features):
        columns[k % len(columns)].plotly_chart(category_figure(categories, feature, names), width="stretch")
    with st.expander("Category table (share of each biotype, Cramér's V against the rest, chi-square across biotypes)"):
        render_table(categories)

if len(result.group_profile):
    st.subheader("Custom groups")
    groups = list(dict.fromkeys(result.group_profile["group"]))
    group = st.selectbox("Group", groups, key=state.PROFILES_GROUP)
    rows = result.group_profile[result.group_profile["group"] == group]
    render_table(rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index))
    st.caption(
        "The group against the other clustered participants: Cohen's d; Mann-Whitney U with Benjamini-Hochberg q only for features "
        "not clustered on (a group drawn on the map was chosen on the clustered ones, so they are descriptive)."
    )
    shares = result.group_categorical[result.group_categorical["group"] == group]
    if len(shares):
        render_table(shares.sort_values(["chi2_q", "feature", "level"]))
        st.caption("Categories: the group's share of each level against the rest's, Cramér's V, chi-square with BH q over features.")

st.subheader("What defines each biotype")
biotypes = sorted(result.importance["biotype"].unique())
columns = st.columns(min(len(biotypes), 2) or 1)
for k, biotype in enumerate(biotypes):
    columns[k % len(columns)].plotly_chart(importance_figure(result.importance, result.profile, int(biotype), names), width="stretch")
st.caption(
    "Only features whose drop in held-out AUC is distinguishable from zero (its 95% interval over the shuffles above 0) are drawn. "
    "Where none is, the biotype's largest effect sizes are shown instead: a forest that can separate a biotype on many features "
    "at once loses nothing when one is shuffled, so importance cannot rank them. Both describe the features that defined the "
    "biotypes; neither is evidence that the biotypes differ."
)

st.subheader("Confound audits")
for issue in result.issues:
    if issue.where == "confound audit":
        st.warning(issue.message, icon=":material/warning:")
render_table(result.audit)
st.caption(AUDIT_CAPTION)

outcomes = result.profile.loc[result.profile["modality"] == "outcome", "feature"].unique()
if len(outcomes):
    st.subheader("Outcomes by biotype")
    biotype_of = result.assignments.set_index(cohort.participants.index)["biotype"]
    columns = st.columns(min(len(outcomes), 3))
    for k, outcome in enumerate(outcomes):
        values = cohort.participants[outcome]
        if is_binary(values):
            shares = cache.outcome_shares(result, cohort, outcome)
            figure = binary_outcome_figure(shares, outcome, names)
        else:
            figure = outcome_figure(values, biotype_of, names)
        columns[k % len(columns)].plotly_chart(figure, width="stretch")

st.subheader("Do the biotypes matter beyond severity?")
render_clinical_value(result.clinical_value, names)
