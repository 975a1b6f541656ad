"""Replication and clinical value on screen: prediction strength per biotype, gain per outcome (survival and treatment: components.survival)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.outcomes.clinical_value import METRIC_NAMES, ClinicalValue
from analysis.validity.replication import PREDICTION_STRENGTH_THRESHOLD, SplitHalf
from analysis.validity.structure import p_text
from components.figure_memo import remembered
from components.survival import render_survival, render_treatment
from components.tables import render_table

REPLICATES_COLOUR = "#54A24B"
FAILS_COLOUR = "#F58518"


@remembered
def replication_figure(split_half: SplitHalf, names: dict[int, str]) -> go.Figure:
    """Prediction strength per biotype: the median over splits and directions, a bar to its range, a line at 0.8.

    Returns
    -------
    go.Figure
        One row per biotype, green markers for those that replicate, orange for those that do not.
    """
    rows = list(reversed(split_half.biotypes))
    labels = [f"B{b.biotype}" for b in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[b.prediction_strength for b in rows],
            y=labels,
            mode="markers",
            marker=dict(
                size=14,
                color=[REPLICATES_COLOUR if b.replicates else FAILS_COLOUR for b in rows],
                line=dict(color="#333333", width=1),
            ),
            error_x=dict(
                type="data",
                symmetric=False,
                array=[b.prediction_strength_range[1] - b.prediction_strength for b in rows],
                arrayminus=[b.prediction_strength - b.prediction_strength_range[0] for b in rows],
                color="#555555",
            ),
            customdata=[
                [b.in_group_proportion, b.p_value, "replicates" if b.replicates else "does not replicate", names.get(b.biotype, "")]
                for b in rows
            ],
            hovertemplate="%{customdata[3]}: prediction strength %{x:.2f}<br>in-group proportion %{customdata[0]:.2f} (p = %{customdata[1]:.2g})"
            "<br>%{customdata[2]}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_vline(
        x=PREDICTION_STRENGTH_THRESHOLD,
        line=dict(color="#333333", dash="dash"),
        annotation_text=f"{PREDICTION_STRENGTH_THRESHOLD:g}: replicates",
        annotation_position="bottom left",
    )
    fig.update_layout(
        title=dict(
            text=f"Found again in the other half?<br><sup>{split_half.n_splits} splits into halves of {split_half.n_per_half:,}, "
            "both directions: median and range</sup>"
        ),
        xaxis=dict(title="prediction strength", range=[-0.02, 1.05]),
        height=140 + 50 * len(rows),
        margin=dict(l=10, r=10, t=80, b=40),
    )
    return fig


def replication_table(split_half: SplitHalf, names: dict[int, str]) -> pd.DataFrame:
    """The per-biotype figures with the biotype's name, as the page shows them."""
    table = split_half.summary()
    table["name"] = [names.get(int(b), f"B{b}") for b in table["biotype"]]
    return table


def site_table(sites: tuple) -> pd.DataFrame:
    """One row per held-out site: its size, the ARI of its own biotypes with its placement, and each biotype's reading there (columns B1, B2, ...)."""
    rows = []
    for s in sites:
        row = {"site": s.site, "participants": s.n_site, "fitted on": s.n_training, "ARI": s.ari}
        for b, reading in s.found.items():
            row[f"B{b}"] = reading
        if s.note:
            row["note"] = s.note
        rows.append(row)
    return pd.DataFrame(rows)


def render_site_replication(sites: tuple, note: str, names: dict[int, str]) -> None:
    """Leave-one-site-out: per site, whether each biotype is found when the site is left out of the fit and clustered alone."""
    if not sites:
        st.caption(f"Leave-one-site-out: {note}.")
        return
    render_table(site_table(sites))
    st.caption(
        "Each site left out in turn: everything (site harmonisation included) fitted on the other sites, the site placed into "
        "those biotypes and clustered alone. **found**: one of the site's own biotypes matches the participants placed into "
        "it (Jaccard ≥ 0.5); **too few to tell**: at its share of the cohort the biotype would be smaller at this site than "
        "the site's own clustering can form; ARI: the site's own biotypes against its placement."
    )


def render_replication(split_half: SplitHalf | None, note: str, names: dict[int, str], sites: tuple = (), sites_note: str = "") -> None:
    """Split-half and leave-one-site-out replication beside the structure verdict: the figure, the tables and how to read them."""
    if split_half is None:
        st.caption(f"Split-half replication: {note}.")
        render_site_replication(sites, sites_note, names)
        return
    left, right = st.columns([2, 3])
    left.plotly_chart(replication_figure(split_half, names), width="stretch")
    render_table(replication_table(split_half, names), right)
    stratified = f", balanced within each {split_half.stratified_by}" if split_half.stratified_by else ""
    subsampled = " (each split drew a seeded subsample: the cohort is large)" if split_half.subsampled else ""
    st.caption(
        f"**{split_half.headline()}.** Each split{subsampled} halves the clustered participants{stratified}, clusters each half with "
        "this run's pipeline, and places each half into the other's biotypes through the saved model (as Assign does). "
        "Prediction strength: the share of a half's own biotype's pairs that the other half's model keeps together (0.8 or more: "
        "replicates; Tibshirani & Walther 2005). In-group proportion: the share whose nearest neighbour is classified with them, "
        "p against halves with no subgroups (Kapp & Tibshirani 2007). A consistent cut of a continuum can replicate too: read this "
        "beside the verdict above. Methods: docs/methods.md."
    )
    render_site_replication(sites, sites_note, names)


@remembered
def clinical_value_figure(value: ClinicalValue) -> go.Figure:
    """Gain per assessed outcome with its 95% interval, a line at 0 (no gain).

    Returns
    -------
    go.Figure
        One row per assessed outcome: green when the biotypes add to the baseline, grey otherwise.
    """
    assessed = [o for o in reversed(value.outcomes) if not o.note]
    fig = go.Figure(
        go.Scatter(
            x=[o.gain for o in assessed],
            y=[f"{o.outcome} ({METRIC_NAMES[o.metric]})" for o in assessed],
            mode="markers",
            marker=dict(size=13, color=[REPLICATES_COLOUR if o.adds_value else "#7F7F7F" for o in assessed]),
            error_x=dict(
                type="data",
                symmetric=False,
                array=[o.ci_high - o.gain for o in assessed],
                arrayminus=[o.gain - o.ci_low for o in assessed],
                color="#555555",
            ),
            customdata=[[o.baseline_score, o.with_biotypes_score, p_text(o.p_value)] for o in assessed],
            hovertemplate="%{y}: %{customdata[0]:.3f} → %{customdata[1]:.3f} (gain %{x:+.3f})<br>LR test p %{customdata[2]}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line=dict(color="#333333", dash="dash"))
    fig.add_annotation(x=0, y=1, yref="paper", yanchor="bottom", text="no gain", showarrow=False, font=dict(size=11, color="#333333"))
    fig.update_layout(
        title=dict(text="What the biotypes add to each outcome<br><sup>gain over the baseline, cross-validated, 95% interval</sup>"),
        xaxis_title="gain in AUC, R² or C-index from adding the biotypes",
        height=140 + 55 * max(len(assessed), 1),
        margin=dict(l=10, r=10, t=80, b=40),
    )
    return fig


def render_clinical_value(value: ClinicalValue | None, names: dict[int, str]) -> None:
    """Clinical value per outcome: the forest figure, the readings and the table; survival curves; treatment effects by biotype."""
    if value is None:
        st.caption("No outcome, validator or time-to-event column in the cohort (or no biotypes): nothing to assess.")
        return
    if any(not o.note for o in value.outcomes):
        st.plotly_chart(clinical_value_figure(value), width="stretch")
    for o in value.outcomes:
        st.markdown(f"- **{o.outcome}**: {o.reading()}")
    with st.expander("Clinical value table (both models' scores, the gain's interval, the likelihood-ratio test, the folds)"):
        render_table(value.table())
    baseline = next((o.baseline for o in value.outcomes), "the baseline")
    st.caption(
        f"Baseline: {baseline}, as many dimensions as the biotype indicators have, so that the comparison is of kind, not of size. "
        "Both models are cross-validated on the same folds (grouped by site where sites exist); the interval comes from "
        "out-of-bootstrap refits (how many: the table) and the p-value from a likelihood-ratio test of the biotype indicators. A gain whose interval "
        "includes 0 means the biotypes add nothing demonstrable beyond that summary. Methods: docs/methods.md."
    )
    render_survival(value.survival, names)
    render_treatment(value.interactions, names)
    for note in value.notes:
        st.warning(note)


def cohort_replication_table(replication, names: dict[int, str]) -> pd.DataFrame:
    """One row per reference biotype: its reading in the new cohort and the figures behind it."""
    table = pd.DataFrame([b.to_dict() for b in replication.biotypes])
    table.insert(1, "name", [names.get(int(b), f"B{b}") for b in table["biotype"]])
    return table[["biotype", "name", "reading", "n_placed", "expected", "counterpart", "jaccard", "prediction_strength",
                  "in_group_proportion", "p_value", "profile_correlation", "replicates"]]  # fmt: skip


def render_cohort_replication(replication, names: dict[int, str]) -> None:
    """An external cohort's replication: the verdict sentence, the per-biotype table and how to read it."""
    box = st.info if replication.replicated else st.warning
    box(f"**{replication.headline()}.**", icon=":material/verified:" if replication.replicated else ":material/warning:")
    render_table(cohort_replication_table(replication, names))
    st.caption(
        f"{replication.n_compared:,} of {replication.n_participants:,} new participants were both placed and clustered on their own "
        f"(own biotypes: {replication.own_biotypes}). **found**: one of the new cohort's own biotypes matches the participants "
        "placed into the reference biotype (Jaccard ≥ 0.5); **too few to tell**: at its reference share it would be smaller than "
        "the new cohort's clustering can form; prediction strength 0.8 or more with an in-group proportion above its null reads "
        "as replicated. Methods: docs/methods.md."
    )
