"""Reading what a user clicked or lassoed in a plotly chart (``st.plotly_chart(..., on_select="rerun")``)."""

from __future__ import annotations


def point_customdata(point: dict) -> list:
    """A selected point's ``customdata`` as a list, whatever form the browser sent it in.

    plotly sends numeric 2-D ``customdata`` as a typed array, and its selection event then gives each point's row
    as an object keyed by position (``{"0": 15, "1": 20}``) instead of a list; object columns come back as lists.

    Returns
    -------
    list
        The row's values in column order; empty when the point has none.
    """
    data = point.get("customdata")
    if data is None:
        return []
    if isinstance(data, dict):
        return [data[key] for key in sorted(data, key=int)]
    if isinstance(data, (list, tuple)):
        return list(data)
    return [data]


def selected_customdata(event, position: int = 0) -> list:
    """``customdata[position]`` of every selected point, in selection order (empty when nothing is selected)."""
    points = event.selection.points if event else []
    rows = [point_customdata(p) for p in points]
    return [row[position] for row in rows if len(row) > position]
