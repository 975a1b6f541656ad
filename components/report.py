"""The validation report on screen: headline figures, per-modality table, availability and missingness plots, problems."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analysis.validation import MODALITY_TITLES, ValidationReport

MODALITY_COLOURS = {
    "clinical": "#4C78A8",
    "prs": "#F58518",
    "connectivity": "#54A24B",
    "wearables": "#B279A2",
    "outcome": "#9D755D",
    "validator": "#E45756",
}


def availability_figure(report: ValidationReport) -> go.Figure:
    """Horizontal bars: participants with each modality, out of the cohort.

    Returns
    -------
    go.Figure
        One bar trace per modality present, in report order.
    """
    fig = go.Figure()
    for summary in report.modalities:
        fig.add_trace(
            go.Bar(
                x=[summary.n_participants],
                y=[MODALITY_TITLES[summary.modality]],
                orientation="h",
                name=MODALITY_TITLES[summary.modality],
                marker_color=MODALITY_COLOURS[summary.modality],
                text=[f"{summary.n_participants} ({summary.share:.0%})"],
                textposition="auto",
                hovertemplate="%{y}: %{x} participants<extra></extra>",
            )
        )
    fig.update_layout(
        title="Participants with each modality",
        xaxis=dict(title="participants", range=[0, report.n_participants]),
        yaxis=dict(autorange="reversed"),
        showlegend=False,
        height=80 + 45 * max(len(report.modalities), 1),
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


def missingness_figure(report: ValidationReport) -> go.Figure:
    """Horizontal bars of the share of missing values per column, coloured by modality.

    Returns
    -------
    go.Figure
        One bar trace per modality that has columns; columns listed top to bottom in table order.
    """
    table = report.column_missingness
    fig = go.Figure()
    for modality, rows in table.groupby("modality", sort=False):
        fig.add_trace(
            go.Bar(
                y=rows["column"],
                x=100 * rows["missing_fraction"],
                orientation="h",
                name=MODALITY_TITLES.get(modality, modality),
                marker_color=MODALITY_COLOURS.get(modality, "#888888"),
                hovertemplate="%{y}: %{x:.1f}% missing<extra></extra>",
            )
        )
    fig.update_layout(
        title="Missing values per column",
        xaxis=dict(title="% missing", rangemode="tozero"),
        yaxis=dict(autorange="reversed", automargin=True),
        height=120 + 18 * len(table),
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(x=1.02, xanchor="left", y=1, yanchor="top"),
    )
    return fig


def render_validation_report(report: ValidationReport) -> None:
    """Draw the whole report: headline, table, plots, problems, notes and provenance."""
    warnings = report.warnings
    cols = st.columns(4)
    cols[0].metric("Participants", f"{report.n_participants:,}")
    cols[1].metric("Modalities", len(report.modalities))
    cols[2].metric("Warnings", len(warnings))
    cols[3].metric("Usable", "yes")
    st.subheader("Modalities")
    st.dataframe(
        report.summary_table(),
        hide_index=True,
        key="report_summary_table",
        column_config={"details": st.column_config.TextColumn("details", width="large")},
    )
    left, right = st.columns([2, 3])
    left.plotly_chart(availability_figure(report), key="report_availability")
    if not report.column_missingness.empty:
        right.plotly_chart(missingness_figure(report), key="report_missingness")
    st.subheader("Problems found")
    if not warnings:
        st.success("No problems found.")
    for issue in warnings:
        st.warning(issue.message)
    notes = [i for i in report.issues if i.severity == "info"]
    if notes:
        with st.expander(f"Notes ({len(notes)})"):
            for issue in notes:
                st.markdown(f"- {issue.message}")
    if report.covariates:
        with st.expander("Covariates"):
            for name, text in report.covariates.items():
                st.markdown(f"- **{name}**: {text}")
    with st.expander("Files (provenance)"):
        st.dataframe(
            [{"role": r.role, "file": r.name, "bytes": r.size, "sha256": r.sha256} for r in report.provenance],
            hide_index=True,
            key="report_provenance",
        )
        st.caption(f"Cohort fingerprint: `{report.fingerprint}`")
