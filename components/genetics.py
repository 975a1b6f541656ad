"""Polygenic score figures: distributions per biotype and ancestry, odds ratios and AUCs, deciles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.embedding import biotype_colour
from components.figure_memo import remembered
from components.profiles import short_label

#: Colour-blind-safe colours for ancestry groups (Okabe-Ito, without the biotype palette's order).
ANCESTRY_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


@remembered
def prs_violin_figure(
    score: pd.Series, biotypes: pd.Series, ancestry: pd.Series | None, title: str, unit: str, labels: dict[int, str] | None = None
) -> go.Figure:
    """Violins of one score per biotype, one violin per ancestry group inside each biotype.

    Parameters
    ----------
    score : Series of float indexed by participant
    biotypes : Series of int (1-based, -1 noise) indexed like ``score``; noise and excluded are left out
    ancestry : Series of str indexed like ``score``, or None
    title, unit : str
    labels : dict of int to str, optional
        x label of each biotype or set (e.g. with its n); default B1, B2, ...

    Returns
    -------
    go.Figure
        One Violin trace per ancestry group (or one in all), x = biotype labels.
    """
    data = pd.DataFrame({"score": score, "biotype": biotypes})
    data["ancestry"] = ancestry.fillna("unknown").astype(str) if ancestry is not None else "all"
    data = data.dropna(subset=["score", "biotype"])
    data = data[data["biotype"] >= 1].sort_values("biotype", kind="stable")
    fig = go.Figure()
    many = len(data) > 3000
    for k, (group, part) in enumerate(data.groupby("ancestry", sort=True)):
        fig.add_trace(
            go.Violin(
                x=[(labels or {}).get(int(b), short_label(int(b))) for b in part["biotype"]],
                y=part["score"],
                name=f"{group} (n={len(part)})",
                line_color=ANCESTRY_COLOURS[k % len(ANCESTRY_COLOURS)],
                points="outliers" if many else "all",
                pointpos=0,
                jitter=0.3,
                marker=dict(size=3),
                box_visible=True,
                meanline_visible=True,
                spanmode="hard",
            )
        )
    fig.update_layout(
        title=title,
        violinmode="group",
        yaxis_title=unit,
        legend=dict(title="ancestry", orientation="h", y=-0.15),
        height=440,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
def odds_ratio_figure(association: pd.DataFrame, outcome: str) -> go.Figure:
    """Forest plot of the odds ratio per SD (95% CI) for each score, in all clustered participants and per biotype.

    Parameters
    ----------
    association : DataFrame
        :func:`analysis.describe.summaries.prs_association_by_biotype` output.

    Returns
    -------
    go.Figure
        One Scatter trace per group (all clustered, then biotypes); each score is a row, the groups
        are drawn side by side within it; log-scaled x axis, dashed line at 1.
    """
    scores = list(dict.fromkeys(association["score"])) if len(association) else []
    groups = sorted(association["biotype"].unique()) if len(association) else []
    fig = go.Figure()
    for k, group in enumerate(groups):
        rows = association[association["biotype"] == group]
        label = "all clustered" if group == -2 else short_label(int(group))
        offset = 0.6 * (k - (len(groups) - 1) / 2) / max(len(groups), 1)
        fig.add_trace(
            go.Scatter(
                x=rows["odds_ratio_per_sd"],
                y=[scores.index(s) + offset for s in rows["score"]],
                mode="markers",
                name=label,
                marker=dict(
                    size=9,
                    color="#333333" if group == -2 else biotype_colour(int(group)),
                    symbol="diamond" if group == -2 else "circle",
                ),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=rows["or_ci_high"] - rows["odds_ratio_per_sd"],
                    arrayminus=rows["odds_ratio_per_sd"] - rows["or_ci_low"],
                    thickness=1.2,
                    width=3,
                ),
                customdata=np.stack(
                    [rows["score"], rows["auc"], rows["auc_ci_low"], rows["auc_ci_high"], rows["n"], rows["cases"]], axis=1
                ),
                hovertemplate=(
                    "%{customdata[0]}: OR per SD %{x:.2f}<br>AUC %{customdata[1]:.2f} (%{customdata[2]:.2f}-%{customdata[3]:.2f})"
                    "<br>n %{customdata[4]}, cases %{customdata[5]}<extra>" + label + "</extra>"
                ),
            )
        )
    fig.add_vline(x=1, line_dash="dash", line_color="grey")
    ticks = log_ticks(association[["or_ci_low", "or_ci_high", "odds_ratio_per_sd"]].to_numpy(dtype=float)) if len(association) else [1.0]
    fig.update_layout(
        title=f"Odds ratio of {outcome} per SD of each score (95% CI)",
        xaxis=dict(type="log", title="odds ratio per SD (log scale)", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks]),
        yaxis=dict(tickvals=list(range(len(scores))), ticktext=scores, autorange="reversed", zeroline=False),
        legend=dict(orientation="h", y=-0.2),
        height=200 + 70 * max(len(scores), 1),
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


#: Tick values of a log-scaled odds-ratio axis (each labelled with its value).
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def log_ticks(values: np.ndarray) -> list[float]:
    """The :data:`LOG_TICKS` that cover the finite positive ``values`` (one beyond each end), 1 always included."""
    finite = values[np.isfinite(values) & (values > 0)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 1.0)
    below = [t for t in LOG_TICKS if t <= low][-1:] or [LOG_TICKS[0]]
    above = [t for t in LOG_TICKS if t >= high][:1] or [LOG_TICKS[-1]]
    return [t for t in LOG_TICKS if below[0] <= t <= above[0]]


@remembered
def decile_make_up_figure(make_up: pd.DataFrame, names: dict[int, str], score: str) -> go.Figure:
    """Stacked bars: which biotypes the participants of each score decile belong to.

    Returns
    -------
    go.Figure
        One Bar trace per biotype (noise last), x = decile 1-10, y = share of the decile.
    """
    fig = go.Figure()
    for biotype in sorted(make_up["biotype"].unique(), key=lambda b: (b < 0, b)):
        rows = make_up[make_up["biotype"] == biotype]
        fig.add_trace(
            go.Bar(
                x=rows["decile"],
                y=rows["share"],
                name="noise" if biotype < 0 else short_label(int(biotype)),
                marker_color=biotype_colour(int(biotype)),
                customdata=rows["n"],
                hovertemplate="decile %{x}: %{y:.0%} (n=%{customdata})<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title=f"Biotypes within each decile of {score}",
        xaxis=dict(title="decile (1 = lowest score)", dtick=1),
        yaxis=dict(title="share of the decile", tickformat=".0%"),
        height=380,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
def decile_prevalence_figure(prevalence: pd.DataFrame, score: str, outcome: str) -> go.Figure:
    """Outcome prevalence per score decile with Wilson 95% intervals.

    Returns
    -------
    go.Figure
        One Scatter trace (lines and markers with error bars), x = decile.
    """
    fig = go.Figure(
        go.Scatter(
            x=prevalence["decile"],
            y=prevalence["prevalence"],
            mode="lines+markers",
            error_y=dict(
                type="data",
                symmetric=False,
                array=prevalence["ci_high"] - prevalence["prevalence"],
                arrayminus=prevalence["prevalence"] - prevalence["ci_low"],
            ),
            customdata=np.stack([prevalence["cases"], prevalence["n"]], axis=1) if len(prevalence) else None,
            hovertemplate="decile %{x}: %{y:.0%} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
            line_color="#333333",
        )
    )
    fig.update_layout(
        title=f"{outcome} by decile of {score} (Wilson 95% CI)",
        xaxis=dict(title="decile (1 = lowest score)", dtick=1),
        yaxis=dict(title="prevalence", tickformat=".0%"),
        height=380,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig
