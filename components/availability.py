"""Who has which modality, before computing: an UpSet view of the combinations and what each choice would cluster."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from analysis.cohort.validation import MODALITY_TITLES
from analysis.config import RunConfig
from analysis.features.availability import ModalityAvailability
from components.figure_memo import remembered
from components.tables import render_table

#: Dots of a modality a combination lacks.
ABSENT_GREY = "#D9D9D9"
PRESENT_DARK = "#333333"


@remembered
def combinations_figure(availability: ModalityAvailability) -> go.Figure:
    """UpSet view: participants per combination of modalities (bars) over which modalities each holds (dots).

    Returns
    -------
    go.Figure
        Row 1: one bar per combination, largest first, labelled with its count. Row 2: one dot per
        combination and modality, dark where the combination has it, joined by a line.
    """
    table = availability.combinations()
    modalities = list(availability.modalities)
    x = list(range(len(table)))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.04)
    described = [" + ".join(MODALITY_TITLES[m] for m in modalities if row[m]) or "none" for _, row in table.iterrows()]
    fig.add_trace(
        go.Bar(
            x=x,
            y=table["n"],
            text=table["n"],
            textposition="outside",
            marker_color="#4C78A8",
            customdata=described,
            hovertemplate="%{customdata}: %{y} participants<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for k, row in table.iterrows():
        present = [m for m in modalities if row[m]]
        fig.add_trace(
            go.Scatter(
                x=[k] * len(modalities),
                y=[MODALITY_TITLES[m] for m in modalities],
                mode="markers",
                marker=dict(size=13, color=[PRESENT_DARK if row[m] else ABSENT_GREY for m in modalities]),
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
        if len(present) > 1:
            fig.add_trace(
                go.Scatter(
                    x=[k, k],
                    y=[MODALITY_TITLES[present[0]], MODALITY_TITLES[present[-1]]],
                    mode="lines",
                    line=dict(color=PRESENT_DARK, width=3),
                    hoverinfo="skip",
                ),
                row=2,
                col=1,
            )
    fig.update_layout(
        title="Participants per combination of modalities (as a run sees them)",
        showlegend=False,
        height=420,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    fig.update_yaxes(title_text="participants", range=[0, float(table["n"].max()) * 1.18], row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[MODALITY_TITLES[m] for m in reversed(modalities)], row=2, col=1)
    fig.update_xaxes(showticklabels=False, row=2, col=1)
    return fig


def choices_table(availability: ModalityAvailability, n_participants: int) -> pd.DataFrame:
    """Each choice of modalities with the participants it would cluster under each policy, for display."""
    choices = availability.choices()
    return pd.DataFrame(
        {
            "modalities": [", ".join(MODALITY_TITLES[m] for m in c) for c in choices["modalities"]],
            "clustered, lacking one excluded": [f"{n:,} of {n_participants:,}" for n in choices["exclude"]],
            "clustered, lacking ones imputed": [f"{n:,} of {n_participants:,}" for n in choices["impute"]],
        }
    )


def render_availability(availability: ModalityAvailability, n_participants: int, before_a_run: bool) -> None:
    """The default choice's count in one line, then every choice's counts in an expander.

    Before the cohort's first run the line is a notice and the expander is open with the UpSet view
    above the counts; afterwards the line is a caption and the expander holds the counts only.
    """
    if not availability.modalities:
        return
    every = availability.modalities
    excluded, imputed = availability.clustered(every, "exclude"), availability.clustered(every, "impute")
    named = ", ".join(MODALITY_TITLES[m] for m in every)
    message = (
        f"Clustering on every modality ({named}) would cluster **{excluded:,} of {n_participants:,}** participants: "
        f"those lacking one are excluded (with the reason). Imputing a missing modality from the others would cluster "
        f"{imputed:,}; fewer modalities cluster more people (below)."
    )
    if before_a_run and excluded < n_participants:
        st.info(message, icon=":material/group:")
    else:
        st.caption(message.replace("**", ""))
    with st.expander("Who has which modality, and what each choice would cluster", expanded=before_a_run):
        if before_a_run:
            st.plotly_chart(combinations_figure(availability), width="stretch", key="availability_upset")
        render_table(choices_table(availability, n_participants))
        st.caption(
            "A participant has a modality when its features would include them: at least one usable feature after "
            f"screening, and for wearables at least {RunConfig().wearable_min_valid_days} valid days. The files may hold more "
            "(the Data page counts any value)."
        )
