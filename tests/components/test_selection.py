"""Reading a plotly selection event: lists and the position-keyed objects plotly sends for typed arrays."""

from types import SimpleNamespace

from components.selection import point_customdata, selected_customdata


def event(*points):
    return SimpleNamespace(selection=SimpleNamespace(points=list(points)))


def test_customdata_as_list_or_position_keyed_object():
    assert point_customdata({"customdata": ["sub-01", "B1", 0.9]}) == ["sub-01", "B1", 0.9]
    # What the browser sends for a numeric 2-D customdata (plotly typed array): keys are positions, 10 after 9.
    keyed = {str(i): i * 10 for i in (10, 0, 2, 1, 3, 4, 5, 6, 7, 8, 9)}
    assert point_customdata({"customdata": keyed}) == [i * 10 for i in range(11)]
    assert point_customdata({"customdata": 7}) == [7]
    assert point_customdata({"x": 1}) == []


def test_selected_customdata_reads_every_point_at_a_position():
    chosen = event({"customdata": {"0": 15, "1": 20}}, {"customdata": [30, 5]}, {"x": 0})
    assert selected_customdata(chosen, 0) == [15, 30]
    assert selected_customdata(chosen, 1) == [20, 5]
    assert selected_customdata(chosen, 2) == []
    assert selected_customdata(None) == []
