"""The 2-D map of participants and the figures that describe a run's biotypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.describe.density import DENSITY_FROM_POINTS, map_density, map_sample
from analysis.describe.groups import GROUP_LABEL_OFFSET
from analysis.engine.clustering import SPLIT_STABILITY_CAUTION, biotype_numbers
from analysis.engine.run import RunResult
from analysis.engine.stability import Stability
from analysis.errors import NAMED_IN_MESSAGE
from components.figure_memo import remembered
from components.tables import render_all_columns

#: Biotype colours (colour-blind-safe Tableau 10); noise is grey.
BIOTYPE_COLOURS = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC")
NOISE_COLOUR = "#C8C8C8"
#: Custom groups, when compared with biotypes: dark colours outside the biotype palette.
GROUP_COLOURS = ("#1B1B1B", "#5B3A8E", "#0B6E6E", "#8C4A12")
#: Participants drawn over the density view of a very large cohort, unless the page asks otherwise.
DEFAULT_SAMPLE_POINTS = 20_000


def rgba(hex_colour: str, alpha: float) -> str:
    """'#RRGGBB' as an ``rgba()`` colour with the given opacity (links, bands)."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def biotype_colour(biotype: int) -> str:
    """Colour of a biotype number (1-based, -1 noise), or of a custom group's comparison label."""
    if biotype >= GROUP_LABEL_OFFSET:
        return GROUP_COLOURS[(biotype - GROUP_LABEL_OFFSET) % len(GROUP_COLOURS)]
    return NOISE_COLOUR if biotype < 0 else BIOTYPE_COLOURS[(biotype - 1) % len(BIOTYPE_COLOURS)]


@remembered
def embedding_figure(
    assignments: pd.DataFrame,
    colour: pd.Series | None = None,
    colour_name: str = "biotype",
    sample_points: int = DEFAULT_SAMPLE_POINTS,
    dragmode: str = "lasso",
) -> go.Figure:
    """WebGL scatter of the clustered participants on the 2-D UMAP; a density view for very large cohorts.

    Parameters
    ----------
    assignments : DataFrame
        ``RunResult.assignments``; only included participants are drawn.
    colour : Series indexed like ``assignments``, optional
        A column to colour by: numeric values get a colour scale, text values one trace per level.
        None colours by biotype (one trace per biotype, noise last, in grey).
    colour_name : str
        Legend and hover label of ``colour``.
    sample_points : int
        With more than :data:`analysis.describe.density.DENSITY_FROM_POINTS` participants: how many of them
        (a seeded random sample) are drawn over the density; 0 draws the density alone.
    dragmode : {"lasso", "pan", "zoom", "select"}
        What dragging does when the map opens: "lasso" where participants are selected as a set
        (the Biotypes page), "pan" where one is picked by a click (the Wearables page).

    Returns
    -------
    go.Figure
        One Scattergl trace per biotype or level (or a single trace for a numeric colour); hover
        shows the participant id, biotype, membership probability and outlier score. Legend counts
        are of all participants, also when only a sample is drawn. With more than
        ``DENSITY_FROM_POINTS`` participants, a first Heatmap trace of participants per cell.
    """
    shown = assignments[assignments["included"]]
    values = None if colour is None else colour.loc[shown.index]
    fig = go.Figure()
    totals = shown["biotype"].value_counts() if values is None else values.fillna("(missing)").astype(str).value_counts()
    if len(shown) > DENSITY_FROM_POINTS:
        fig.add_trace(_density(shown))
        shown = shown.iloc[map_sample(len(shown), sample_points)]
        values = None if values is None else values.loc[shown.index]
    hover = "%{customdata[0]}<br>%{customdata[1]}<br>membership %{customdata[2]:.2f} · outlier %{customdata[3]:.2f}"
    if values is None:
        for biotype, rows in sorted(shown.groupby("biotype"), key=lambda item: (item[0] < 0, item[0])):
            name = f"{rows['biotype_name'].iloc[0]} (n={totals[biotype]:,})"
            fig.add_trace(_points(rows, name, hover, color=biotype_colour(int(biotype))))
    elif pd.api.types.is_numeric_dtype(values):
        fig.add_trace(
            _points(
                shown,
                colour_name,
                hover + f"<br>{colour_name} %{{marker.color:.3g}}",
                color=values.to_numpy(dtype=float),
                colorscale="Viridis",
                colorbar=dict(title=colour_name),
            )
        )
    else:
        for level, rows in shown.groupby(values.fillna("(missing)").astype(str)):
            fig.add_trace(_points(rows, f"{colour_name} = {level} (n={totals[level]:,})", hover))
    fig.update_layout(
        xaxis=dict(title="UMAP 1", showticklabels=False),
        yaxis=dict(title="UMAP 2", showticklabels=False),
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.08, x=0),
        height=620,
        margin=dict(l=10, r=10, t=30, b=10),
        dragmode=dragmode,
    )
    return fig


def _density(shown: pd.DataFrame) -> go.Heatmap:
    """Participants per map cell, shaded on a log scale (empty cells left blank)."""
    grid = map_density(shown["umap_1"].to_numpy(), shown["umap_2"].to_numpy())
    counts = grid.counts
    shade = np.where(counts > 0, np.log10(np.maximum(counts, 1)), np.nan).astype(np.float32)
    return go.Heatmap(
        x=grid.x_centres.astype(np.float32),
        y=grid.y_centres.astype(np.float32),
        z=shade,
        customdata=counts,
        colorscale="Greys",
        showscale=False,
        name=f"all {int(counts.sum()):,} participants (density)",
        showlegend=True,
        hovertemplate="%{customdata} participants<extra></extra>",
    )


def sample_points_control(assignments: pd.DataFrame, key: str) -> int:
    """How many participants to draw over the density view; shown only when the map is a density.

    Returns
    -------
    int
        The choice, or :data:`DEFAULT_SAMPLE_POINTS` when every participant is drawn anyway.
    """
    if int(assignments["included"].sum()) <= DENSITY_FROM_POINTS:
        return DEFAULT_SAMPLE_POINTS
    return st.select_slider(
        "Participants drawn over the density",
        options=[0, 5_000, DEFAULT_SAMPLE_POINTS, 50_000],
        value=DEFAULT_SAMPLE_POINTS,
        key=key,
        help=f"Above {DENSITY_FROM_POINTS:,} participants the map shows how many fall in each cell (grey, log scale) "
        "and a seeded random sample of participants in their biotype's colour; legend counts are of everyone. "
        "A lasso selects among the drawn participants only.",
    )


@remembered
def assigned_figure(reference: pd.DataFrame, assigned: pd.DataFrame) -> go.Figure:
    """New participants placed on the reference run's map: reference in light grey, new ones by biotype.

    Parameters
    ----------
    reference, assigned : DataFrame
        The reference run's and the new cohort's assignments (``assignments.csv`` columns).

    Returns
    -------
    go.Figure
        A first Scattergl trace of the reference participants, then one per assigned biotype (and
        "outside every biotype"), hover with id, biotype, membership and outlier score.
    """
    shown = reference[reference["included"]]
    fig = go.Figure(
        go.Scattergl(
            x=shown["umap_1"].to_numpy(np.float32),
            y=shown["umap_2"].to_numpy(np.float32),
            mode="markers",
            name=f"reference cohort (n={len(shown)})",
            marker=dict(size=4, color="#DDDDDD"),
            hoverinfo="skip",
        )
    )
    hover = "%{customdata[0]}<br>%{customdata[1]}<br>membership %{customdata[2]:.2f} · outlier %{customdata[3]:.2f}"
    new = assigned[assigned["included"]]
    for biotype, rows in sorted(new.groupby("biotype"), key=lambda item: (item[0] < 0, item[0])):
        name = "outside every biotype" if biotype < 0 else rows["biotype_name"].iloc[0]
        fig.add_trace(
            _points(rows, f"new: {name} (n={len(rows)})", hover, color=biotype_colour(int(biotype)), line=dict(width=1, color="#222222"))
        )
    fig.update_layout(
        xaxis=dict(title="UMAP 1", showticklabels=False),
        yaxis=dict(title="UMAP 2", showticklabels=False),
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.08, x=0),
        height=560,
        margin=dict(l=10, r=10, t=30, b=10),
    )
    return fig


def _points(rows: pd.DataFrame, name: str, hover: str, **marker) -> go.Scattergl:
    # Short biotype labels and two decimals keep the figure sent to the browser small (under 10 MB at
    # 100,000 points); the full names are in the legend.
    biotype = rows["biotype"].to_numpy(dtype=np.int64)
    custom = np.column_stack(
        [
            rows["participant_id"].astype(str),
            np.where(biotype < 0, "no biotype", np.char.add("B", biotype.astype(str))),
            rows["membership_probability"].round(2),
            rows["outlier_score"].round(2),
        ]
    )
    return go.Scattergl(
        x=rows["umap_1"].to_numpy(np.float32),
        y=rows["umap_2"].to_numpy(np.float32),
        mode="markers",
        name=name,
        marker=dict(size=5, opacity=0.8, **marker),
        customdata=custom,
        hovertemplate=hover + "<extra></extra>",
    )


@remembered
def sizes_figure(assignments: pd.DataFrame) -> go.Figure:
    """Bars of participants per biotype (noise and excluded included), largest biotype first.

    Returns
    -------
    go.Figure
        One bar per biotype, then noise, then excluded (when there are any).
    """
    included = assignments[assignments["included"]]
    counts = included.groupby(["biotype", "biotype_name"]).size().reset_index(name="n")
    counts = counts.assign(order=np.where(counts["biotype"] < 0, 10**6, counts["biotype"])).sort_values("order")
    labels = [name.split(" · ")[0] for name in counts["biotype_name"]]
    values = counts["n"].tolist()
    colours = [biotype_colour(int(b)) for b in counts["biotype"]]
    excluded = int((~assignments["included"]).sum())
    if excluded:
        labels.append("not clustered")
        values.append(excluded)
        colours.append("#EEEEEE")
    full = [*counts["biotype_name"], *(["participants excluded from clustering"] if excluded else [])]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=values,
            textposition="auto",
            customdata=full,
            hovertemplate="%{customdata}: %{x}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Participants per biotype",
        xaxis_title="participants",
        yaxis=dict(autorange="reversed"),
        height=90 + 32 * len(labels),
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


@remembered
def stability_figure(stability: Stability, names: dict[int, str]) -> go.Figure:
    """Box of each biotype's Jaccard index over the resamples, with Hennig's 0.5 and 0.75 lines.

    Parameters
    ----------
    stability : analysis.engine.stability.Stability
    names : dict of int to str
        Biotype number → name.

    Returns
    -------
    go.Figure
        One Box trace per biotype (all resample values drawn as points), y in [0, 1].
    """
    fig = go.Figure()
    for label in stability.jaccard.columns:
        values = stability.jaccard[label].dropna().to_numpy()
        number = int(biotype_numbers(np.array([label]))[0])
        fig.add_trace(
            go.Box(
                y=values,
                name=f"B{number}",
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker=dict(color=biotype_colour(number), size=5),
                hovertemplate=names.get(number, f"B{number}") + ": Jaccard %{y:.2f}<extra></extra>",
            )
        )
    for level, text in ((0.75, "stable above 0.75"), (0.5, "dissolves below 0.5")):
        fig.add_hline(y=level, line=dict(dash="dash", color="#555555", width=1), annotation_text=text, annotation_position="top left")
    fig.update_layout(
        title=f"Jaccard per biotype over {len(stability.jaccard)} subsamples (80%, re-embedded)",
        yaxis=dict(title="Jaccard index with the best-matching resample cluster", range=[0, 1.05]),
        showlegend=False,
        height=380,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


#: Columns of the candidate table, as the page heads them: the run's figures first, HDBSCAN's own after.
SELECTION_COLUMNS = {
    "min_cluster_size": "min_cluster_size",
    "min_samples": "min_samples",
    "n_biotypes": "biotypes",
    "noise_fraction": "noise %",
    "hdbscan_clusters": "HDBSCAN clusters",
    "hdbscan_noise_fraction": "HDBSCAN noise %",
    "dbcv": "DBCV",
    "stability": "split stability",
    "chosen": "chosen",
}


def selection_table(result: RunResult) -> pd.DataFrame:
    """The min_cluster_size candidates of the run (one row each), for display.

    ``biotypes`` and ``noise share`` are what the run reports with each size (after the
    neighbour-agreement check), so the chosen row agrees with the headline; HDBSCAN's own counts
    follow, labelled. Shares are percentages (0-100).
    """
    table = pd.DataFrame(list(result.clusters.selection))
    table = table.reindex(columns=[c for c in SELECTION_COLUMNS if c in table.columns])
    for share in ("noise_fraction", "hdbscan_noise_fraction"):
        if share in table.columns:
            table[share] = (100 * table[share]).round(1)
    return table.rename(columns=SELECTION_COLUMNS)


def render_run_summary(result: RunResult):
    """Headline figures and the run's notes, with a place for the structure verdict beside the number of biotypes.

    Returns
    -------
    (metric slot, box slot)
        Two ``st.empty`` placeholders: fill them with :func:`components.structure.render_verdict_slots`
        once the structure test has run (the map is drawn before it).
    """
    labels = result.clusters.labels
    a = result.assignments
    cols = st.columns(6)
    stability = result.clusters.chosen_split_stability
    unstable = bool(result.clusters.n_biotypes) and stability < SPLIT_STABILITY_CAUTION
    cols[0].metric(
        "Biotypes",
        result.clusters.n_biotypes,
        help=f"Split stability of the chosen min_cluster_size: median ARI {stability:.2f} over 80% subsamples"
        if np.isfinite(stability)
        else None,
    )
    if unstable:
        cols[0].caption(f":warning: split stability {stability:.2f} < {SPLIT_STABILITY_CAUTION}: tentative")
    cols[1].metric("Clustered", f"{int((labels >= 0).sum()):,}")
    cols[2].metric("Noise", f"{(labels < 0).mean():.1%}" if len(labels) else "-")
    cols[3].metric("Not clustered", f"{int((~a['included']).sum()):,}")
    cols[4].metric("min_cluster_size", result.config.min_cluster_size)
    slots = (cols[5].empty(), st.empty())
    for issue in result.issues:
        if issue.severity == "warning" and issue.where != "structure test":
            st.warning(issue.message, icon=":material/warning:")
            render_all_columns(issue)
    notes = [i for i in result.issues if i.severity != "warning"]
    if notes:
        with st.expander(f"What the run chose or set aside ({len(notes)})"):
            st.markdown(
                "\n".join(
                    f"- {n.message}" + (f" — all: {', '.join(n.columns)}" if len(n.columns) > NAMED_IN_MESSAGE else "") for n in notes
                )
            )
    return slots
