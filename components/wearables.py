"""Wearable figures: trajectories per biotype with 95% bands, one participant's days, adherence per biotype."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.embedding import biotype_colour, rgba
from components.figure_memo import remembered
from components.profiles import short_label


@remembered
def trajectory_figure(trajectories: pd.DataFrame, metric: str, min_n: int = 3, labels: dict[int, str] | None = None) -> go.Figure:
    """Mean of a daily metric per biotype and study day, with its 95% confidence band.

    Parameters
    ----------
    trajectories : DataFrame
        :func:`analysis.describe.summaries.wearable_trajectories` output.
    metric : str
    min_n : int
        Days where a biotype has fewer participants with a value are not drawn (their mean is noise).
    labels : dict of int to str, optional
        Legend label of each biotype or set (e.g. with its n); default B1, B2, ...

    Returns
    -------
    go.Figure
        Per biotype (noise left out): a filled band trace (upper then lower bound) and a mean line.
    """
    fig = go.Figure()
    for biotype in sorted(b for b in trajectories["biotype"].unique() if b >= 0):
        rows = trajectories[(trajectories["biotype"] == biotype) & (trajectories["n"] >= min_n)].sort_values("day")
        colour = biotype_colour(int(biotype))
        label = (labels or {}).get(int(biotype), short_label(int(biotype)))
        band = rows.dropna(subset=["ci_low", "ci_high"])
        fig.add_trace(
            go.Scatter(
                x=list(band["day"]) + list(band["day"][::-1]),
                y=list(band["ci_high"]) + list(band["ci_low"][::-1]),
                fill="toself",
                fillcolor=rgba(colour, 0.18),
                line=dict(width=0),
                hoverinfo="skip",
                showlegend=False,
                legendgroup=label,
                name=f"{label} 95% CI",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=rows["day"],
                y=rows["mean"],
                mode="lines",
                name=label,
                legendgroup=label,
                line=dict(color=colour, width=2),
                customdata=rows[["n", "ci_low", "ci_high"]].to_numpy(),
                hovertemplate="day %{x}: %{y:.1f} (95% CI %{customdata[1]:.1f}-%{customdata[2]:.1f}; n=%{customdata[0]})<extra>"
                + label
                + "</extra>",
            )
        )
    fig.update_layout(
        title=f"{metric} by study day (mean and 95% CI per biotype)",
        xaxis_title="study day",
        yaxis_title=metric,
        legend=dict(orientation="h", y=-0.18),
        height=420,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
def participant_figure(
    days: pd.DataFrame, metric: str, participant: str, biotype_mean: pd.DataFrame | None, biotype: int | None
) -> go.Figure:
    """One participant's daily values, over their biotype's mean when they have one.

    Parameters
    ----------
    days : DataFrame
        The participant's rows of the wearable table (``day`` and ``metric``).
    biotype_mean : DataFrame or None
        Their biotype's rows of :func:`analysis.describe.summaries.wearable_trajectories`.
    biotype : int or None
        Biotype number, None for noise or not clustered.

    Returns
    -------
    go.Figure
        A markers+lines trace of the participant, and a dashed line of the biotype mean.
    """
    fig = go.Figure()
    if biotype_mean is not None and biotype is not None and len(biotype_mean):
        fig.add_trace(
            go.Scatter(
                x=biotype_mean["day"],
                y=biotype_mean["mean"],
                mode="lines",
                name=f"{short_label(biotype)} mean",
                line=dict(color=biotype_colour(biotype), dash="dash"),
            )
        )
    rows = days.sort_values("day")
    fig.add_trace(go.Scatter(x=rows["day"], y=rows[metric], mode="lines+markers", name=participant, line=dict(color="#222222")))
    fig.update_layout(
        title=f"{participant}: {metric}",
        xaxis_title="study day",
        yaxis_title=metric,
        legend=dict(orientation="h", y=-0.2),
        height=360,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
def adherence_figure(per_participant: pd.DataFrame, p_value: float) -> go.Figure:
    """Box plots (with points) of each participant's adherence per biotype.

    Parameters
    ----------
    per_participant : DataFrame
        :func:`analysis.describe.summaries.adherence_by_biotype` first output.
    p_value : float
        Kruskal-Wallis p across biotypes (in the title).

    Returns
    -------
    go.Figure
        One Box trace per biotype (noise last).
    """
    fig = go.Figure()
    for biotype in sorted(per_participant["biotype"].unique(), key=lambda b: (b < 0, b)):
        rows = per_participant[per_participant["biotype"] == biotype]
        label = "noise" if biotype < 0 else short_label(int(biotype))
        fig.add_trace(
            go.Box(
                y=rows["adherence"],
                name=f"{label} (n={len(rows)})",
                boxpoints="all" if len(rows) <= 500 else "outliers",
                jitter=0.4,
                pointpos=0,
                marker=dict(size=3, color=biotype_colour(int(biotype))),
                line=dict(color=biotype_colour(int(biotype))),
            )
        )
    fig.update_layout(
        title=f"Wear adherence per biotype (valid days / days in the monitoring span; Kruskal-Wallis p = {p_value:.2g})",
        yaxis=dict(title="adherence", tickformat=".0%", range=[0, 1.05]),
        showlegend=False,
        height=380,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig
