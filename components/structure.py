"""The structure verdict (are there biotypes at all?) on screen: the verdict line, the null distributions and the power curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from analysis.validity.structure import ALPHA, TOO_SMALL_SEPARATION, Structure
from components.figure_memo import remembered

VERDICT_WORDS = {"distinct": "distinct", "graded": "graded", "not_distinct": "not distinct", "untested": "not tested"}
OBSERVED_COLOUR = "#D62728"
NULL_COLOUR = "#7F7F7F"


def verdict_word(structure: Structure | None) -> str:
    """The verdict as the pages print it ("distinct", "not distinct", ...); "not tested yet" before the test."""
    return "not tested yet" if structure is None else VERDICT_WORDS[structure.verdict]


def render_verdict(structure: Structure | None, compact: bool = False, where=st) -> None:
    """The verdict beside the biotypes: a box with its headline and, unless ``compact``, its explanation.

    distinct is shown as information, every other verdict as a warning: biotypes that are not shown
    to be distinct are never drawn without saying so.
    """
    if structure is None:
        where.warning(
            "**Biotypes: not tested yet** — whether they are distinct subgroups is tested on the Biotypes page.",
            icon=":material/help:",
        )
        return
    text = f"**Biotypes: {structure.headline}.**"
    if compact:
        text += " " + (structure.explanation if structure.verdict != "distinct" else "See the Biotypes page for the test.")
    else:
        text += " " + structure.explanation
    box = where.info if structure.verdict == "distinct" else where.warning
    box(text, icon=":material/verified:" if structure.verdict == "distinct" else ":material/warning:")


def render_verdict_slots(structure: Structure | None, slots) -> None:
    """Fill the Biotypes page's placeholders (:func:`components.embedding.render_run_summary`): a metric and the verdict box."""
    metric_slot, box_slot = slots
    metric_slot.metric(
        "Distinct?",
        verdict_word(structure),
        help="The structure test: the same pipeline on cohorts with the fused features' mean and covariance but no subgroups.",
    )
    render_verdict(structure, where=box_slot)


@remembered
def null_figure(structure: Structure) -> go.Figure:
    """Where the cohort sits among its null cohorts: the verdict's statistic and the silhouette, one row each.

    Returns
    -------
    go.Figure
        Per row, one marker per null cohort (grey) and a red line at the cohort's value.
    """
    rows = [
        ("Largest dip between two biotypes (the verdict's statistic)", structure.gap_null),
        ("Mean silhouette in the fused features (reported only)", structure.separation),
    ]
    fig = make_subplots(rows=2, cols=1, subplot_titles=[title for title, _ in rows], vertical_spacing=0.3)
    for row, (_, comparison) in enumerate(rows, start=1):
        fig.add_trace(
            go.Scatter(
                x=list(comparison.null),
                y=[0] * len(comparison.null),
                mode="markers",
                marker=dict(color=NULL_COLOUR, size=10, opacity=0.6, symbol="line-ns-open", line=dict(width=2)),
                name="null cohorts",
                showlegend=row == 1,
                hovertemplate="null cohort: %{x:.3f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=[comparison.observed],
                y=[0],
                mode="markers+text",
                marker=dict(color=OBSERVED_COLOUR, size=14, symbol="diamond"),
                text=[f"this cohort {comparison.observed:.3f} (p = {comparison.p_value:.2g})"],
                textposition="top left" if comparison.observed >= float(np.median(comparison.null)) else "top right",
                name="this cohort",
                showlegend=row == 1,
                hovertemplate="this cohort: %{x:.3f}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        values = [*comparison.null, comparison.observed]
        pad = 0.08 * (max(values) - min(values) or 1.0)
        fig.update_xaxes(range=[min(values) - pad, max(values) + pad], row=row, col=1)
        fig.update_yaxes(visible=False, range=[-1, 1.5], row=row, col=1)
    fig.update_layout(
        title=dict(
            text=f"This cohort against {structure.n_null} null cohorts<br><sup>Gaussian, same means and covariance, no subgroups</sup>"
        ),
        height=340,
        margin=dict(l=10, r=10, t=80, b=30),
        legend=dict(orientation="h", y=-0.15),
    )
    return fig


@remembered
def power_figure(structure: Structure) -> go.Figure:
    """What the cohort can detect: share of planted two-subgroup cohorts called distinct, by their separation.

    Returns
    -------
    go.Figure
        One bar per separation (within-group SDs between the planted subgroups' centres).
    """
    power = structure.power
    fig = go.Figure(
        go.Bar(
            x=[f"{s:g} SD" for s in power.separations],
            y=[100 * share for share in power.distinct],
            marker_color=["#54A24B" if share == 1 else "#F58518" for share in power.distinct],
            text=[f"{share:.0%}" for share in power.distinct],
            textposition="auto",
            hovertemplate="separation %{x}: %{y:.0f}% called distinct<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text=f"What N = {structure.n_tested:,} can detect<br><sup>planted subgroups called distinct (p ≤ {ALPHA:g})</sup>"),
        xaxis_title="separation of the planted subgroups (within-group SDs)",
        yaxis=dict(title="% called distinct", range=[0, 105]),
        height=340,
        margin=dict(l=10, r=10, t=80, b=10),
    )
    return fig


def render_structure_details(structure: Structure) -> None:
    """The null distributions and the power curve, side by side, with what they show."""
    if structure.gap_null is None:
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(null_figure(structure), width="stretch")
    right.plotly_chart(power_figure(structure), width="stretch")
    subsample = f" on a seeded subsample of {structure.n_tested:,} participants" if structure.subsampled else ""
    st.caption(
        f"Each null cohort{subsample} is drawn from one Gaussian with the fused features' mean and covariance and clustered by the "
        "same pipeline; the verdict needs the cohort's largest dip (a gap along two biotypes' discriminant axis) above every null "
        "cohort's and the dip test to reject unimodality. Planted cohorts: two equal Gaussian subgroups with the same overall mean "
        "and covariance, run through the same pipeline and test; a cohort that misses subgroups "
        f"{TOO_SMALL_SEPARATION:g} SDs apart is too small to tell. Methods and limits: docs/methods.md."
    )
