"""Genetics (PRS) page: each score per biotype and ancestry, association with a binary outcome, deciles."""

import streamlit as st

from analysis.cohort import modalities as M
from analysis.describe.summaries import is_binary
from components import cache, state
from components.genetics import decile_make_up_figure, decile_prevalence_figure, odds_ratio_figure, prs_violin_figure
from components.profiles import biotype_label
from components.tables import render_table

st.title("Genetics (PRS)")
result, cohort = cache.require_run()
frame = cohort.participants
scores = [c for c in cohort.columns_of(M.PRS) if frame[c].dtype == "float64"]
if not scores:
    st.info(
        "This cohort has no polygenic scores. Upload a PLINK .sscore, PRSice .all_score or pgsc_calc file on the **Data** "
        "page (or add prs_ columns to the participants table) to compare scores across biotypes."
    )
    st.stop()

adjusted, notes, _ = cache.adjusted_prs(result, cohort)
normalisation = "; ".join(n.message for n in notes) or "PRS used as given"
names = result.names
biotypes = result.assignments["biotype"].set_axis(frame.index)
ancestry = frame["ancestry"] if "ancestry" in frame.columns else None

score = st.selectbox("Score", scores, key=state.GENETICS_SCORE)
title = f"{score} per biotype" + (" and ancestry" if ancestry is not None else "")
st.plotly_chart(prs_violin_figure(adjusted[score], biotypes, ancestry, title, "score"), width="stretch")
st.caption(
    f"Scores as clustered: {normalisation} (`prs_adjustment` = {result.config.prs_adjustment}). "
    "Standardising within ancestry keeps a 'high-risk' biotype from being an ancestry group in disguise."
)

binary = [c for c in cohort.columns_of(M.OUTCOME) if is_binary(frame[c])]
if not binary:
    st.info(
        "No binary (0/1) outcome or case column in the table, so odds ratios and AUCs are not computed. Add an outcome_ column with 0/1 values."
    )
    outcome_name = None
else:
    outcome_name = st.selectbox("Case or outcome column", binary, key=state.GENETICS_OUTCOME)

st.subheader("Deciles")
make_up, prevalence = cache.prs_deciles_of(result, cohort, score, outcome_name)
left, right = st.columns(2)
left.plotly_chart(decile_make_up_figure(make_up, names, score), width="stretch")
if outcome_name:
    right.plotly_chart(decile_prevalence_figure(prevalence, score, outcome_name), width="stretch")

if outcome_name:
    st.subheader(f"Association with {outcome_name}")
    with st.spinner("Logistic regressions and bootstrap AUC intervals..."):
        association = cache.prs_association(result, cohort, tuple(scores), outcome_name)
    if association.empty:
        st.info("Too few participants with both the outcome and a score (at least 10 and both classes per group).")
    else:
        st.plotly_chart(odds_ratio_figure(association, outcome_name), width="stretch")
        table = association.assign(group=association["biotype"].map(lambda b: "all clustered" if b == -2 else biotype_label(int(b), names)))
        render_table(table.drop(columns="biotype").set_index("group").reset_index())
        st.caption(
            "Odds ratio per SD: logistic regression of the outcome on the standardised score within each group (Wald 95% CI). "
            "AUC: the score alone as a classifier of the outcome (percentile bootstrap 95% CI, 1,000 resamples)."
        )
