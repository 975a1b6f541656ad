"""Brain connectivity figures: region × region heat maps ordered by network, network matrices, glass brains."""

from __future__ import annotations

import base64
import functools
import io
import re
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.cohort.atlas import UNASSIGNED, Atlas
from analysis.describe.summaries import network_order
from components.figure_memo import remembered


def region_labels(atlas: Atlas | None, n_rois: int) -> list[str]:
    """One distinct name per region, in matrix order: "12. label (network)" with an atlas, "region 12" without."""
    if atlas is None:
        return [f"region {i + 1}" for i in range(n_rois)]
    return [
        f"{i + 1}. {label}" + (f" ({network})" if network != UNASSIGNED else "")
        for i, (label, network) in enumerate(zip(atlas.labels, atlas.networks, strict=True))
    ]


@remembered
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
        One Heatmap trace; ``z`` is ``matrix`` reordered by :func:`analysis.describe.summaries.network_order`,
        ``x`` and ``y`` the regions' :func:`region_labels` in that order.
    """
    n = matrix.shape[0]
    order = network_order(atlas) if atlas is not None else np.arange(n)
    # float32 halves what is sent at every change; the hover shows three decimals.
    z = matrix[np.ix_(order, order)].astype(np.float32)
    labels = region_labels(atlas, n)
    labels = [labels[i] for i in order]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() and np.nanmax(np.abs(z)) > 0 else 1.0
    # The region names are the axes' categories, so that the hover names both regions without an
    # n × n array of strings in the figure (2 MB for 264 regions, sent again at every change).
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            hovertemplate="%{y} – %{x}<br>%{z:.3f}<extra></extra>",
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
        xaxis=dict(**ticks, type="category", tickangle=-45, constrain="domain", showgrid=False),
        yaxis=dict(**ticks, type="category", autorange="reversed", scaleanchor="x", showgrid=False),
        shapes=shapes,
        height=520,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
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


#: The Brain connectivity page's views (its tabs, in order).
GLASS_BRAIN, BY_NETWORK, BY_REGION = "Glass brain", "By network", "Region by region"


def brain_views(atlas: Atlas | None) -> tuple[str, ...]:
    """The Brain page's views (tab labels, in order) that a cohort's atlas (or ``None``) allows.

    The glass brain needs the atlas's region coordinates, the network summaries two or more networks;
    the region-by-region matrices need neither.
    """
    if atlas is None:
        return (BY_REGION,)
    return (GLASS_BRAIN, BY_NETWORK, BY_REGION) if len(atlas.network_names) > 1 else (GLASS_BRAIN, BY_REGION)


#: nilearn's ``display_mode="lzr"``: left sagittal, axial seen from above, right sagittal.
GLASS_BRAIN_VIEWS = ("l", "z", "r")
#: Edges are drawn in this many colour steps of the diverging scale (the exact value is in each edge's hover).
EDGE_COLOUR_STEPS = 24
#: Space between two views, in mm.
VIEW_GAP_MM = 6.0
_SCHEMATICS_LOCK = threading.Lock()


@dataclass(frozen=True)
class SchematicView:
    """nilearn's glass-brain outline of one view, as an image placed in MNI millimetres.

    Attributes
    ----------
    direction : {"l", "z", "r"}
    png : bytes
        The outline as nilearn draws it (white background, 16 grey levels), exactly the axes' area.
    x_range, y_range : tuple of float
        Millimetres at the image's left and right edges, and at its bottom and top edges, as nilearn's axes
        show them (a view seen from the left runs from front to back, so its first value is the larger).
    """

    direction: str
    png: bytes
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def source(self) -> str:
        """The image as a ``data:`` URI (a plotly layout image; nothing is fetched)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


@functools.cache
def schematic_views() -> tuple[SchematicView, ...]:
    """The outlines of :data:`GLASS_BRAIN_VIEWS` drawn once per process with nilearn's ``plot_glass_brain``.

    Drawing the outline (hundreds of matplotlib patches) is most of the cost of a nilearn glass brain;
    the edges are then drawn over these images by :func:`glass_brain_figure` without matplotlib.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from nilearn import plotting
    from PIL import Image

    with _SCHEMATICS_LOCK:
        figure = Figure(figsize=(10, 3.6), dpi=110)
        canvas = FigureCanvasAgg(figure)
        display = plotting.plot_glass_brain(None, display_mode="".join(GLASS_BRAIN_VIEWS), figure=figure, annotate=False)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        views = []
        for direction in GLASS_BRAIN_VIEWS:
            ax = display.axes[direction].ax
            box = ax.get_window_extent()
            top, bottom = pixels.shape[0] - round(box.y1), pixels.shape[0] - round(box.y0)
            buffer = io.BytesIO()
            # Grey outlines on white: 16 grey levels keep the look at a quarter of the bytes (sent at every change).
            outline = Image.fromarray(pixels[top:bottom, round(box.x0) : round(box.x1)]).convert("L").quantize(16)
            outline.save(buffer, format="png", optimize=True)
            views.append(SchematicView(direction, buffer.getvalue(), tuple(map(float, ax.get_xlim())), tuple(map(float, ax.get_ylim()))))
    return tuple(views)


def projected_coordinates(coords: np.ndarray, direction: str) -> np.ndarray:
    """MNI coordinates (n, 3) seen in one glass-brain view, shape (n, 2): (y, z) from the side, (x, y) from above."""
    return coords[:, [1, 2]] if direction in "lr" else coords[:, [0, 1]]


def in_view_hemisphere(x: np.ndarray, direction: str, strict_left: bool) -> np.ndarray:
    """Which points a side view shows: nilearn draws only the hemisphere facing the viewer there (every point from above).

    ``strict_left`` is nilearn's rule for edges (x < 0 on the left); nodes use x ≤ 0 there.
    """
    if direction == "l":
        return x < 0 if strict_left else x <= 0
    if direction == "r":
        return x >= 0
    return np.ones(len(x), dtype=bool)


def glass_brain_figure(
    matrix: np.ndarray, coords: np.ndarray, labels: tuple[str, ...], title: str, value_title: str = "difference"
) -> go.Figure:
    """Edges of a connectivity matrix on nilearn's glass brain (left, top and right views), drawn with plotly.

    The projections and the rule of which edges a side view shows follow nilearn's ``plot_connectome``
    (a side view shows the edges with both ends in the hemisphere facing it; the view from above shows
    all); the colour is the edge's value on a diverging scale symmetric about zero (red positive, blue
    negative), the width grows with its absolute value, stronger edges lie on top, and hovering over an
    edge's middle gives its two regions and exact value.

    Parameters
    ----------
    matrix : ndarray of shape (n_rois, n_rois)
        Symmetric; edges are the non-zero entries above the diagonal.
    coords : ndarray of shape (n_rois, 3)
        MNI coordinates in mm.
    labels : tuple of str, length n_rois
        Region names for the hover.
    title : str
    value_title : str
        Name of the value in the hover and on the colour bar.

    Returns
    -------
    go.Figure
        The three views side by side on one pair of axes (millimetres, each view shifted right; outlines
        as layout images): one line trace per colour step (segments separated by NaN), a marker trace of
        the drawn edges' midpoints named ``"edges"`` (``customdata`` = each edge's row and column, with
        the colour bar) and a marker trace of regions named ``"regions"``.
    """
    from plotly.colors import sample_colorscale

    rows, cols = np.nonzero(np.triu(matrix, 1))
    values = matrix[rows, cols].astype(float)
    limit = float(np.abs(values).max()) if len(values) else 0.0
    limit = limit or 1.0
    step = np.clip(((values + limit) / (2 * limit) * EDGE_COLOUR_STEPS).astype(int), 0, EDGE_COLOUR_STEPS - 1)
    step_centres = (np.arange(EDGE_COLOUR_STEPS) + 0.5) / EDGE_COLOUR_STEPS
    starts, ends, edge_shown, nodes, node_shown, images = [], [], [], [], [], []
    offset = 0.0
    for view in schematic_views():
        # Each view is placed to the right of the one before, on one pair of axes; a reversed axis
        # (nilearn's view from the left) is drawn as the negated coordinate, so that image and axis
        # both run left to right.
        sign = np.array([np.sign(view.x_range[1] - view.x_range[0]), np.sign(view.y_range[1] - view.y_range[0])])
        x_range = (sign[0] * view.x_range[0], sign[0] * view.x_range[1])
        shift = np.array([offset - x_range[0], 0.0])
        starts.append(projected_coordinates(coords[rows], view.direction) * sign + shift)
        ends.append(projected_coordinates(coords[cols], view.direction) * sign + shift)
        edge_shown.append(
            in_view_hemisphere(coords[rows, 0], view.direction, True) & in_view_hemisphere(coords[cols, 0], view.direction, True)
        )
        nodes.append(projected_coordinates(coords, view.direction) * sign + shift)
        node_shown.append(in_view_hemisphere(coords[:, 0], view.direction, False))
        images.append(
            dict(
                source=view.source,
                xref="x",
                yref="y",
                x=offset,
                y=max(view.y_range),
                sizex=x_range[1] - x_range[0],
                sizey=abs(view.y_range[1] - view.y_range[0]),
                xanchor="left",
                yanchor="top",
                sizing="stretch",
                layer="below",
            )
        )
        offset += x_range[1] - x_range[0] + VIEW_GAP_MM
    start, end, shown = np.concatenate(starts), np.concatenate(ends), np.concatenate(edge_shown)
    edge = np.tile(np.arange(len(values)), len(starts))
    traces = []
    for s in sorted(np.unique(step[edge[shown]]), key=lambda s: abs(step_centres[s] - 0.5)):
        drawn = np.flatnonzero(shown & (step[edge] == s))
        segments = np.full((len(drawn), 3, 2), np.nan)
        segments[:, 0], segments[:, 1] = start[drawn], end[drawn]
        traces.append(
            go.Scatter(
                x=segments[:, :, 0].ravel(),
                y=segments[:, :, 1].ravel(),
                mode="lines",
                line=dict(color=sample_colorscale("RdBu_r", [step_centres[s]])[0], width=1 + 4 * abs(step_centres[s] - 0.5)),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    middle = (start[shown] + end[shown]) / 2
    drawn = edge[shown]
    traces.append(
        go.Scatter(
            x=middle[:, 0],
            y=middle[:, 1],
            mode="markers",
            name="edges",
            marker=dict(
                size=5,
                color=values[drawn],
                colorscale="RdBu_r",
                cmin=-limit,
                cmax=limit,
                showscale=True,
                colorbar=dict(title=dict(text=value_title, side="right"), len=0.8),
                opacity=0.35,
            ),
            customdata=np.column_stack([rows[drawn], cols[drawn]]),
            text=[f"{labels[r]} – {labels[c]}" for r, c in zip(rows[drawn], cols[drawn], strict=True)],
            hovertemplate="%{text}<br>" + value_title + ": %{marker.color:.3f}<extra></extra>",
            showlegend=False,
        )
    )
    node_points = np.concatenate(nodes)[np.concatenate(node_shown)]
    node_index = np.tile(np.arange(len(coords)), len(nodes))[np.concatenate(node_shown)]
    traces.append(
        go.Scatter(
            x=node_points[:, 0],
            y=node_points[:, 1],
            mode="markers",
            name="regions",
            marker=dict(size=4, color="#444444"),
            text=[labels[i] for i in node_index],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    top = images[1]
    sides = [dict(x=top["x"] + 0.08 * top["sizex"], text="L"), dict(x=top["x"] + 0.92 * top["sizex"], text="R")]
    axis = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="", showline=False)
    y_low = min(min(v.y_range) for v in schematic_views())
    y_high = max(max(v.y_range) for v in schematic_views())
    fig = go.Figure(traces)
    fig.update_layout(
        title=title,
        images=images,
        annotations=[dict(**side, y=top["y"], xref="x", yref="y", showarrow=False, font=dict(size=14)) for side in sides],
        xaxis=dict(range=[0, offset - VIEW_GAP_MM], constrain="domain", **axis),
        yaxis=dict(range=[y_low, y_high], scaleanchor="x", **axis),
        height=400,
        margin=dict(l=10, r=10, t=50, b=10),
        plot_bgcolor="white",
        hovermode="closest",
    )
    return fig


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
