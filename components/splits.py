"""The split view: biotypes at each min_cluster_size as columns of nodes, participants flowing between them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.embedding import biotype_colour, rgba
from components.figure_memo import remembered
from components.profiles import biotype_label


@remembered
def split_figure(nodes: pd.DataFrame, flows: pd.DataFrame, run_size: int, names: dict[int, str]) -> go.Figure:
    """Sankey diagram of how biotypes split and merge from the largest min_cluster_size (left) to the smallest.

    Parameters
    ----------
    nodes : DataFrame
        :func:`analysis.engine.splits.split_nodes` output.
    flows : DataFrame
        :func:`analysis.engine.splits.split_flows` output.
    run_size : int
        The run's min_cluster_size (its column is headed "this run").
    names : dict of int to str
        Biotype number → name, for the run's biotypes.

    Returns
    -------
    go.Figure
        One Sankey trace: a node per (level, biotype), coloured by the run biotype most of its
        participants belong to (grey: noise), node value = participants; a link per non-empty flow.
        Column headings say each level's min_cluster_size and number of biotypes.
    """
    sizes = list(dict.fromkeys(nodes["size"]))
    ordered = nodes.assign(noise=nodes["biotype"] < 0).sort_values(
        ["size", "noise", "run_biotype", "biotype"], ascending=[False, True, True, True]
    )
    index = {(row.size, row.biotype): k for k, row in enumerate(ordered.itertuples())}
    x, y = [], []
    for size, level in ordered.groupby("size", sort=False):
        share = level["n"].to_numpy() / level["n"].sum()
        top = 0.0
        for fraction in share:
            x.append(0.001 + 0.998 * sizes.index(size) / max(len(sizes) - 1, 1))
            y.append(min(max(top + fraction / 2, 0.001), 0.999))
            top += fraction
    colours = [biotype_colour(int(b)) for b in ordered["run_biotype"]]
    labels = ["noise" if b < 0 else f"{int(b)}" for b in ordered["biotype"]]
    hover = [
        f"min_cluster_size {row.size}: {'noise' if row.biotype < 0 else f'biotype {row.biotype}'}, n={row.n}<br>"
        f"{row.run_share:.0%} of them are {'noise' if row.run_biotype < 0 else biotype_label(row.run_biotype, names)} in this run"
        for row in ordered.itertuples()
    ]
    source = [index[(r.from_size, r.from_biotype)] for r in flows.itertuples()]
    target = [index[(r.to_size, r.to_biotype)] for r in flows.itertuples()]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(
                label=labels,
                x=x,
                y=y,
                color=colours,
                pad=8,
                thickness=18,
                line=dict(color="#333333", width=0.5),
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
            ),
            link=dict(
                source=source,
                target=target,
                value=flows["n"].tolist(),
                color=[rgba(colours[t], 0.35) for t in target],
                hovertemplate="%{value} participants<extra></extra>",
            ),
        )
    )
    counts = nodes[nodes["biotype"] >= 0].groupby("size")["biotype"].nunique().reindex(sizes, fill_value=0)
    for k, size in enumerate(sizes):
        heading = f"{size}{' (this run)' if size == run_size else ''}<br>{counts[size]} biotypes"
        fig.add_annotation(
            x=k / max(len(sizes) - 1, 1), y=1.08, xref="paper", yref="paper", text=heading, showarrow=False, font=dict(size=11)
        )
    fig.update_layout(
        title="How biotypes split as min_cluster_size shrinks (left: largest)",
        height=460,
        margin=dict(l=10, r=10, t=90, b=10),
    )
    return fig
