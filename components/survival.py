"""Time-to-event outcomes and treatment effects on screen: Kaplan-Meier curves per biotype, effects per biotype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.outcomes.survival import SurvivalByBiotype
from analysis.outcomes.treatment import TreatmentInteraction
from analysis.validity.structure import p_text
from components.embedding import biotype_colour
from components.figure_memo import remembered
from components.tables import render_table


def _label(biotype: int, names: dict[int, str]) -> str:
    return "noise" if biotype < 0 else names.get(biotype, f"B{biotype}")


def _translucent(colour: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


@remembered
def survival_figure(survival: SurvivalByBiotype, names: dict[int, str]) -> go.Figure:
    """Kaplan-Meier curves per biotype (steps) with their 95% intervals (bands), the log-rank test in the title.

    Parameters
    ----------
    survival : SurvivalByBiotype
        An assessed outcome (``curves`` not empty).
    names : dict of int to str
        Biotype number → name.

    Returns
    -------
    go.Figure
        Two traces per biotype: the interval band (no legend entry) and the curve.
    """
    fig = go.Figure()
    for biotype, curve in survival.curves.groupby("biotype", sort=True):
        colour = biotype_colour(int(biotype))
        label = _label(int(biotype), names)
        fig.add_trace(
            go.Scatter(
                x=[*curve["time"], *curve["time"][::-1]],
                y=[*curve["ci_high"], *curve["ci_low"][::-1]],
                fill="toself",
                fillcolor=_translucent(colour),
                mode="lines",
                line=dict(width=0, shape="hv"),
                hoverinfo="skip",
                showlegend=False,
                legendgroup=label,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=curve["time"],
                y=curve["survival"],
                mode="lines",
                line=dict(color=colour, width=2.5, shape="hv"),
                name=label,
                legendgroup=label,
                customdata=curve[["at_risk"]].to_numpy(),
                hovertemplate=f"{label}<br>time %{{x:g}}: %{{y:.0%}} event-free<br>%{{customdata[0]}} at risk<extra></extra>",
            )
        )
    fig.update_layout(
        title=dict(
            text=f"{survival.outcome}: free of '{survival.event}' by biotype<br><sup>Kaplan-Meier with 95% interval; "
            f"{survival.events} events among {survival.n:,}; log-rank p {p_text(survival.logrank_p)}</sup>"
        ),
        xaxis_title=survival.outcome,
        yaxis=dict(title="share without the event", range=[0, 1.02], tickformat=".0%"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
        height=480,
        margin=dict(l=10, r=10, t=80, b=40),
    )
    return fig


def survival_table(survival: SurvivalByBiotype, names: dict[int, str]) -> pd.DataFrame:
    """Per biotype: participants, events, the median time to the event and its 95% interval (blank where not reached)."""
    table = survival.medians.copy()
    table.insert(0, "biotype", table.pop("biotype").map(lambda b: _label(int(b), names)))
    return table.rename(columns={"median_low": "median 95% low", "median_high": "median 95% high"})


def ratio_ticks(low: float, high: float) -> list[float]:
    """Tick values 1, 2, 5 per decade (…, 0.1, 0.2, 0.5, 1, 2, 5, …) spanning ``[low, high]``, for a log-scaled ratio axis.

    Plotly labels every digit of a narrow log axis (2 3 4 … 9), which crowds; one decade's 1, 2 and 5 read cleanly.
    """
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    ticks = [m * 10.0**e for e in range(first, last + 1) for m in (1, 2, 5)]
    inside = [t for t in ticks if low / 2.5 <= t <= high * 2.5]
    return inside if 1.0 in inside else sorted({*inside, 1.0})


@remembered
def treatment_figure(interaction: TreatmentInteraction, names: dict[int, str]) -> go.Figure:
    """The treatment effect in each biotype with its 95% interval, a line at no effect; the interaction test in the title.

    Ratios (odds and hazard) are drawn on a log axis, with the no-effect line at 1; mean differences
    on a linear axis with it at 0.
    """
    rows = interaction.effects.iloc[::-1]
    ratio = interaction.effect != "mean difference"
    labels = [
        f"{_label(int(b), names)} (n = {n})" + ("" if np.isfinite(e) else ": not estimable")
        for b, n, e in zip(rows["biotype"], rows["n"], rows["effect"], strict=True)
    ]
    fig = go.Figure(
        go.Scatter(
            x=rows["effect"],
            y=labels,
            mode="markers",
            marker=dict(size=13, color=[biotype_colour(int(b)) for b in rows["biotype"]], line=dict(color="#333333", width=1)),
            error_x=dict(
                type="data",
                symmetric=False,
                array=(rows["ci_high"] - rows["effect"]).to_numpy(),
                arrayminus=(rows["effect"] - rows["ci_low"]).to_numpy(),
                color="#555555",
            ),
            customdata=rows[["ci_low", "ci_high", "treated"]].to_numpy(),
            hovertemplate=f"%{{y}}: {interaction.effect} %{{x:.2f}} (95% %{{customdata[0]:.2f}} to %{{customdata[1]:.2f}})"
            "<br>%{customdata[2]} treated<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_vline(x=1.0 if ratio else 0.0, line=dict(color="#333333", dash="dash"))
    if ratio and rows["effect"].notna().any():
        ticks = ratio_ticks(float(rows["ci_low"].min()), float(rows["ci_high"].max()))
        fig.update_xaxes(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_layout(
        title=dict(
            text=f"{interaction.treated} vs {interaction.reference} on {interaction.outcome}, by biotype"
            f"<br><sup>biotype × treatment interaction p {p_text(interaction.p_value)}; 95% Wald intervals</sup>"
        ),
        xaxis=dict(title=f"{interaction.effect} ({interaction.treated} vs {interaction.reference})", type="log" if ratio else "linear"),
        height=140 + 50 * max(len(rows), 1),
        margin=dict(l=10, r=10, t=80, b=40),
    )
    return fig


def render_survival(survival: tuple[SurvivalByBiotype, ...], names: dict[int, str]) -> None:
    """Each time-to-event outcome: its curves, the log-rank reading and the medians table."""
    if survival:
        st.markdown("**Time to an event, by biotype**")
    for outcome in survival:
        if outcome.note:
            st.markdown(f"- **{outcome.outcome}**: {outcome.reading()}")
            continue
        st.plotly_chart(survival_figure(outcome, names), width="stretch")
        st.markdown(f"- {outcome.reading()}")
        with st.expander(f"Median time to '{outcome.event}' per biotype"):
            render_table(survival_table(outcome, names))


def render_treatment(interactions: tuple[TreatmentInteraction, ...], names: dict[int, str]) -> None:
    """The biotype × treatment interaction of each outcome: the effects figure and its reading, prognosis kept apart."""
    if not interactions:
        return
    first = interactions[0]
    st.markdown(f"**Does the treatment work differently by biotype?** (`{first.treatment}`: {first.treated} vs {first.reference})")
    for interaction in interactions:
        if not interaction.note:
            st.plotly_chart(treatment_figure(interaction, names), width="stretch")
        st.markdown(f"- {interaction.reading()}")
    st.caption(
        "Prognostic and predictive are different claims. The gains above say whether the biotypes predict the outcome beyond "
        "the arm and the severity summary (prognosis). This section tests whether the treatment effect itself differs between "
        "biotypes (the biotype × arm interaction, beyond the summary's own interaction with the arm): only that makes a biotype "
        "predictive of response, and only when the arm was randomised."
    )
