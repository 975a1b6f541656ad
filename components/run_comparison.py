"""Two runs side by side: participants flowing between their biotypes (Sankey), and the runs' overview table."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.describe.run_comparison import NOT_CLUSTERED
from components.embedding import biotype_colour, rgba
from components.figure_memo import remembered
from components.profiles import biotype_label

#: Colour of the participants a run did not cluster.
NOT_CLUSTERED_COLOUR = "#d9d9d9"


def _node_name(label: int, names: dict[int, str]) -> str:
    if label == NOT_CLUSTERED:
        return "not clustered"
    return "noise" if label < 0 else biotype_label(label, names)


def _node_colour(label: int) -> str:
    return NOT_CLUSTERED_COLOUR if label == NOT_CLUSTERED else biotype_colour(label)


def _order(labels) -> list[int]:
    """Biotypes first (by number), then noise, then the participants not clustered."""
    return sorted(set(labels), key=lambda b: (b <= 0, b == NOT_CLUSTERED, b))


@remembered
def runs_sankey_figure(
    flows: pd.DataFrame, first: str, second: str, first_names: dict[int, str], second_names: dict[int, str], show_unclustered: bool = True
) -> go.Figure:
    """Sankey diagram of the participants moving from one run's biotypes (left) to another's (right).

    Parameters
    ----------
    flows : DataFrame
        :attr:`analysis.describe.run_comparison.LabellingAgreement.flows` (``first``, ``second``, ``n``).
    first, second : str
        The runs' labels (column headings).
    first_names, second_names : dict of int to str
        Each run's biotype names.
    show_unclustered : bool
        Draw the participants either run did not cluster (grey) too.

    Returns
    -------
    go.Figure
        One Sankey trace: a node per run and label (biotype, noise, not clustered) sized by its
        participants, coloured by biotype number; a link per non-empty pair.
    """
    shown = flows if show_unclustered else flows[(flows["first"] != NOT_CLUSTERED) & (flows["second"] != NOT_CLUSTERED)]
    left, right = _order(shown["first"]), _order(shown["second"])
    index = {("first", b): k for k, b in enumerate(left)} | {("second", b): len(left) + k for k, b in enumerate(right)}
    sizes_left = shown.groupby("first")["n"].sum()
    sizes_right = shown.groupby("second")["n"].sum()
    labels = [f"{_node_name(b, first_names)} (n={sizes_left[b]:,})" for b in left]
    labels += [f"{_node_name(b, second_names)} (n={sizes_right[b]:,})" for b in right]
    colours = [_node_colour(b) for b in (*left, *right)]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(
                label=labels,
                x=[0.001] * len(left) + [0.999] * len(right),
                color=colours,
                pad=10,
                thickness=18,
                line=dict(color="#333333", width=0.5),
                hovertemplate="%{label}<extra></extra>",
            ),
            link=dict(
                source=[index[("first", b)] for b in shown["first"]],
                target=[index[("second", b)] for b in shown["second"]],
                value=shown["n"].tolist(),
                color=[rgba(_node_colour(b), 0.35) for b in shown["first"]],
                hovertemplate="%{source.label} → %{target.label}: %{value} participants<extra></extra>",
            ),
        )
    )
    for x, text in ((0.0, first), (1.0, second)):
        fig.add_annotation(
            x=x, y=1.07, xref="paper", yref="paper", text=f"<b>{text}</b>", showarrow=False, xanchor="left" if x == 0 else "right"
        )
    fig.update_layout(title="Where each run's participants went", height=480, margin=dict(l=10, r=10, t=80, b=10))
    return fig
