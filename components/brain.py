"""Brain connectivity figures: region × region heat maps ordered by network, network matrices, glass brains."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.cohort.atlas import Atlas
from analysis.describe.summaries import network_order


def matrix_figure(matrix: np.ndarray, atlas: Atlas | None, title: str, colour_title: str, diverging: bool = True) -> go.Figure:
    """Region × region heat map, regions grouped by network when the atlas has networks.

    Parameters
    ----------
    matrix : ndarray of shape (n_rois, n_rois)
    atlas : Atlas or None
        Gives region labels (hover), the network order and the network ticks.
    title, colour_title : str
    diverging : bool
        Blue-white-red centred on 0 (differences, correlations); otherwise a sequential scale.

    Returns
    -------
    go.Figure
        One Heatmap trace; ``z`` is ``matrix`` reordered by :func:`analysis.describe.summaries.network_order`.
    """
    n = matrix.shape[0]
    order = network_order(atlas) if atlas is not None else np.arange(n)
    z = matrix[np.ix_(order, order)]
    labels = [f"{atlas.labels[i]} ({atlas.networks[i]})" for i in order] if atlas is not None else [f"region {i + 1}" for i in order]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() and np.nanmax(np.abs(z)) > 0 else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(n)),
            y=list(range(n)),
            customdata=np.array([[f"{labels[i]} – {labels[j]}" for j in range(n)] for i in range(n)], dtype=object),
            hovertemplate="%{customdata}<br>%{z:.3f}<extra></extra>",
            colorscale="RdBu_r" if diverging else "Viridis",
            zmid=0 if diverging else None,
            zmin=-limit if diverging else None,
            zmax=limit if diverging else None,
            colorbar=dict(title=dict(text=colour_title, side="right")),
        )
    )
    ticks = dict(showticklabels=False)
    shapes = []
    if atlas is not None and len(atlas.network_names) > 1:
        networks = np.array(atlas.networks)[order]
        starts = [0] + [i for i in range(1, n) if networks[i] != networks[i - 1]]
        ends = starts[1:] + [n]
        ticks = dict(tickvals=[(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)], ticktext=[networks[a] for a in starts])
        for edge in starts[1:]:
            shapes.append(dict(type="line", x0=edge - 0.5, x1=edge - 0.5, y0=-0.5, y1=n - 0.5, line=dict(color="black", width=0.6)))
            shapes.append(dict(type="line", y0=edge - 0.5, y1=edge - 0.5, x0=-0.5, x1=n - 0.5, line=dict(color="black", width=0.6)))
    fig.update_layout(
        title=title,
        xaxis=dict(**ticks, tickangle=-45, constrain="domain", showgrid=False),
        yaxis=dict(**ticks, autorange="reversed", scaleanchor="x", showgrid=False),
        shapes=shapes,
        height=520,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def network_figure(table: pd.DataFrame, title: str, colour_title: str, limit: float | None = None) -> go.Figure:
    """Networks × networks heat map with each cell's value written in it.

    Parameters
    ----------
    table : DataFrame, shape (n_networks, n_networks)
        From :func:`analysis.describe.summaries.network_matrix`.
    limit : float, optional
        Colour range ±limit (the same for figures shown side by side); default the largest |value|.

    Returns
    -------
    go.Figure
        One Heatmap trace whose ``z`` is ``table``'s values.
    """
    z = table.to_numpy(dtype=float)
    if limit is None:
        limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() and np.nanmax(np.abs(z)) > 0 else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(table.columns),
            y=list(table.index),
            text=np.vectorize(lambda v: "" if not np.isfinite(v) else f"{v:+.3f}")(z),
            texttemplate="%{text}",
            colorscale="RdBu_r",
            zmid=0,
            zmin=-limit,
            zmax=limit,
            colorbar=dict(title=dict(text=colour_title, side="right")),
            hovertemplate="%{y} – %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(title=title, yaxis=dict(autorange="reversed"), height=440, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def glass_brain_png(matrix: np.ndarray, coords: np.ndarray, title: str) -> bytes:
    """nilearn's glass-brain connectome (left, top and right views) as PNG bytes.

    Parameters
    ----------
    matrix : ndarray of shape (n_rois, n_rois)
        Edges to draw (zeros are not drawn); red positive, blue negative.
    coords : ndarray of shape (n_rois, 3)
        MNI coordinates in mm.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nilearn import plotting

    figure = plt.figure(figsize=(10, 3.6))
    limit = float(np.abs(matrix).max()) or 1.0
    display = plotting.plot_connectome(
        matrix,
        coords,
        node_size=8,
        node_color="#444444",
        edge_cmap="RdBu_r",
        edge_vmin=-limit,
        edge_vmax=limit,
        edge_kwargs=dict(linewidth=1.4),
        display_mode="lzr",
        colorbar=True,
        title=title,
        figure=figure,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    display.close()
    plt.close(figure)
    return buffer.getvalue()


#: A ``<link rel="icon" ...>`` tag, whatever its line breaks.
ICON_LINK = re.compile(r"<link\b[^>]*\brel=[\"']icon[\"'][^>]*>", re.IGNORECASE | re.DOTALL)


def connectome_html(matrix: np.ndarray, coords: np.ndarray) -> str:
    """nilearn's interactive 3-D connectome (``view_connectome``) as a standalone HTML page.

    nilearn inlines its JavaScript; the one outside reference (a favicon ``<link>`` tag, written over
    several lines) is removed whole so that the page makes no network request and shows none of it.
    """
    from nilearn import plotting

    view = plotting.view_connectome(matrix, coords, edge_cmap="RdBu_r", symmetric_cmap=True, linewidth=4, node_size=4)
    return ICON_LINK.sub("", view.get_standalone())
