"""The validation report on screen: headline figures, per-modality table, availability and missingness plots, problems."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from analysis.cohort.validation import MODALITY_TITLES, ValidationReport
from components.figure_memo import remembered
from components.tables import render_all_columns

MODALITY_COLOURS = {
    "clinical": "#4C78A8",
    "prs": "#F58518",
    "connectivity": "#54A24B",
    "wearables": "#B279A2",
    "outcome": "#9D755D",
    "validator": "#E45756",
}


@remembered
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


#: Most columns the missing-values chart shows (the most missing first when a table has more).
MAX_MISSINGNESS_BARS = 40


@remembered
def missingness_figure(report: ValidationReport) -> go.Figure:
    """Horizontal bars of the share of missing values per column, coloured by modality.

    Returns
    -------
    go.Figure
        One bar trace per modality that has columns; columns listed top to bottom in table order, or,
        for a table of more than :data:`MAX_MISSINGNESS_BARS` columns, the most missing of those that
        are not empty (empty ones are listed under the problems), most missing first; the title says
        how many are shown.
    """
    table = report.column_missingness
    title = "Missing values per column"
    if len(table) > MAX_MISSINGNESS_BARS:
        partly = table[table["missing_fraction"] < 1]
        table = partly.sort_values("missing_fraction", ascending=False, kind="stable").head(MAX_MISSINGNESS_BARS)
        empty = len(report.column_missingness) - len(partly)
        title = f"Missing values: the {len(table)} most missing of {len(partly)} columns" + (
            f" ({empty} empty ones not drawn)" if empty else ""
        )
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
        title=title,
        xaxis=dict(title="% missing", rangemode="tozero"),
        yaxis=dict(autorange="reversed", automargin=True, categoryorder="array", categoryarray=table["column"].tolist()),
        height=120 + 18 * len(table),
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(x=1.02, xanchor="left", y=1, yanchor="top"),
    )
    return fig


def render_validation_report(report: ValidationReport, roles_review: Callable[[], None] | None = None) -> None:
    """Draw the whole report: a summary first, then the roles review, then the details.

    Parameters
    ----------
    report : ValidationReport
    roles_review : callable, optional
        Draws the column roles table (:func:`components.roles.render_roles_editor`) between the
        summary and the details.
    """
    render_report_summary(report)
    if roles_review is not None:
        roles_review()
    render_report_details(report)


def render_report_summary(report: ValidationReport) -> None:
    """Headline figures, the findings counted per kind (with the CSV download) and the roles proposed."""
    warnings = report.warnings
    cols = st.columns(4)
    cols[0].metric("Participants", f"{report.n_participants:,}")
    cols[1].metric("Modalities", len(report.modalities))
    cols[2].metric("Warnings", len(warnings))
    cols[3].metric("Roles proposed", len(report.proposals))
    st.subheader("Summary")
    counts = report.problem_counts()
    if not counts.empty:
        st.dataframe(counts, hide_index=True, key="report_problem_counts", width="stretch")
    elif not warnings:
        st.success("No problems found.")
    st.download_button(
        "Download every finding (CSV)",
        report.issues_table().to_csv(index=False).encode(),
        file_name="validation_findings.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="report_findings_download",
    )
    if report.proposals:
        kinds = report.proposals_table()["looks like"].value_counts(sort=False)
        st.info(
            f"**Roles proposed for {len(report.proposals)} column(s)** ("
            + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
            + "): they are used as proposed unless you change them in the column roles table below. "
            "Confirm them there (the roles are then written as a data dictionary) or change any you disagree with.",
            icon=":material/rule:",
        )


def render_report_details(report: ValidationReport) -> None:
    """The per-modality table, availability and missingness plots, problems grouped by kind, notes and provenance."""
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
    if not report.warnings:
        st.success("No problems found.")
    for issue in report.single_warnings:
        st.warning(issue.message)
        render_all_columns(issue)
    counts = report.problem_counts()
    for row in counts[counts["severity"] == "warning"].itertuples():
        with st.expander(f":material/warning: {row.problem}: {row.columns} column(s)"):
            st.markdown(", ".join(f"`{c}`" for c in report.columns_of_problem("warning", row.problem)))
    notes = [i for i in report.issues if i.severity == "info" and not i.kind]
    counted = counts[counts["severity"] == "info"]
    if notes or not counted.empty:
        with st.expander(f"Notes ({len(notes) + int(counted['columns'].sum())})"):
            for row in counted.itertuples():
                st.markdown(
                    f"- **{row.problem}** ({row.columns}): " + ", ".join(f"`{c}`" for c in report.columns_of_problem("info", row.problem))
                )
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
