"""The parameter sweep as a clickable grid, and adopting a cell's parameters into the run form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import sample_colorscale

from components import state
from components.figure_memo import remembered
from components.selection import selected_customdata

#: What each cell can be coloured by: column → (title, colour scale).
SWEEP_METRICS = {
    "n_biotypes": ("biotypes", "Viridis"),
    "noise_fraction": ("noise share", "Reds"),
    "dbcv": ("DBCV", "Blues"),
    "stability": ("stability (median ARI)", "Greens"),
}


@remembered
def sweep_figure(table: pd.DataFrame, metric: str, current: tuple[int, int] | None = None) -> go.Figure:
    """Grid of n_neighbors × min_cluster_size, each cell a square coloured by ``metric`` with its value written in.

    Drawn as a scatter of squares (not a heat map) so that a click selects a cell.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.engine.sweep.parameter_sweep` output.
    metric : str
        One of :data:`SWEEP_METRICS`.
    current : (int, int), optional
        (n_neighbors, min_cluster_size) of the run shown, outlined.

    Returns
    -------
    go.Figure
        One Scatter trace (one point per cell, ``customdata`` = [n_neighbors, min_cluster_size]),
        plus an outline trace for ``current`` when it is in the grid.
    """
    title, scale = SWEEP_METRICS[metric]
    sizes = sorted(table["min_cluster_size"].unique())
    neighbours = sorted(table["n_neighbors"].unique())
    x = [sizes.index(v) for v in table["min_cluster_size"]]
    y = [neighbours.index(v) for v in table["n_neighbors"]]
    values = table[metric].to_numpy(dtype=float)
    text = [f"{v:.0f}" if metric == "n_biotypes" else f"{v:.0%}" if metric == "noise_fraction" else f"{v:.2f}" for v in values]
    low, high, colour_bar = colour_range(values, integer=metric == "n_biotypes")
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text",
            text=text,
            textfont=dict(color=text_colours(values, scale, low, high)),
            textposition="middle center",
            marker=dict(
                symbol="square",
                size=46,
                color=values,
                colorscale=scale,
                cmin=low,
                cmax=high,
                showscale=True,
                colorbar=dict(title=title, **colour_bar),
            ),
            customdata=table[["n_neighbors", "min_cluster_size", "n_biotypes", "noise_fraction", "dbcv", "stability"]].to_numpy(),
            hovertemplate=(
                "n_neighbors %{customdata[0]}, min_cluster_size %{customdata[1]}<br>%{customdata[2]} biotypes, "
                "noise %{customdata[3]:.0%}, DBCV %{customdata[4]:.2f}, stability %{customdata[5]:.2f}<extra>click to pick</extra>"
            ),
            name="cells",
        )
    )
    if current is not None and current[0] in neighbours and current[1] in sizes:
        fig.add_trace(
            go.Scatter(
                x=[sizes.index(current[1])],
                y=[neighbours.index(current[0])],
                mode="markers",
                marker=dict(symbol="square-open", size=54, color="black", line=dict(width=3)),
                hoverinfo="skip",
                name="this run",
            )
        )
    fig.update_layout(
        title=f"Parameter sweep: {title} per cell (outlined: this run)",
        xaxis=dict(title="min_cluster_size", tickvals=list(range(len(sizes))), ticktext=[str(s) for s in sizes], showgrid=False),
        yaxis=dict(title="n_neighbors", tickvals=list(range(len(neighbours))), ticktext=[str(k) for k in neighbours], showgrid=False),
        showlegend=False,
        height=120 + 60 * len(neighbours),
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def colour_range(values: np.ndarray, integer: bool) -> tuple[float, float, dict]:
    """The colour scale's ends and colour-bar ticks for the cells' values.

    Counts (``integer``) get whole-number ticks; when every cell has the same value the bar spans
    ±1 around it with that one tick (plotly would otherwise label 3.6 … 4.4 around a 4).
    """
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high - low < 1e-12:
        return low - 1, high + 1, dict(tickvals=[low], ticktext=[f"{low:.0f}" if integer else f"{low:.2f}"])
    if integer:
        ticks = list(range(int(np.floor(low)), int(np.ceil(high)) + 1))
        return low, high, dict(tickvals=ticks, ticktext=[str(t) for t in ticks])
    return low, high, {}


def text_colours(values: np.ndarray, scale: str, low: float, high: float) -> list[str]:
    """Black or white for each cell's written value, whichever reads better on the cell's colour (WCAG relative luminance)."""
    position = np.clip((np.nan_to_num(values, nan=low) - low) / (high - low), 0, 1)
    colours = sample_colorscale(scale, position.tolist(), colortype="tuple")
    return ["white" if _luminance(c) < 0.4 else "black" for c in colours]


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an (r, g, b) colour with components in [0, 1]."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def picked_cell(event) -> tuple[int, int] | None:
    """(n_neighbors, min_cluster_size) of the cell the user clicked, from a plotly selection event."""
    neighbours, sizes = selected_customdata(event, 0), selected_customdata(event, 1)
    if not neighbours or not sizes:
        return None
    return int(neighbours[0]), int(sizes[0])


def adopt(cell: tuple[int, int]) -> None:
    """Put a cell's n_neighbors and min_cluster_size into the run form (a button callback, before the form is drawn)."""
    st.session_state[state.BIOTYPES_N_NEIGHBORS] = int(cell[0])
    st.session_state[state.BIOTYPES_MIN_CLUSTER_SIZE] = int(cell[1])
    st.session_state[state.BIOTYPES_ADOPTED] = cell


def cell_values(table: pd.DataFrame, cell: tuple[int, int]) -> dict:
    """The sweep's row of a cell as a dict."""
    row = table[(table["n_neighbors"] == cell[0]) & (table["min_cluster_size"] == cell[1])]
    return row.iloc[0].to_dict() if len(row) else {}
