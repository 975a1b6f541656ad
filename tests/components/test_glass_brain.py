"""The plotly glass brain draws what nilearn's plot_connectome draws: the same segments in each view, coloured alike."""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from analysis.cohort.atlas import bundled_atlas
from components.brain import GLASS_BRAIN_VIEWS, glass_brain_figure, schematic_views

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def atlas():
    return bundled_atlas("power_2011")


def random_edges(n_rois: int, n_edges: int, seed: int) -> np.ndarray:
    """A symmetric matrix with ``n_edges`` non-zero edges of both signs (zero diagonal)."""
    rng = np.random.default_rng(seed)
    upper = np.flatnonzero(np.triu(np.ones((n_rois, n_rois)), 1))
    matrix = np.zeros((n_rois, n_rois))
    matrix.flat[rng.choice(upper, n_edges, replace=False)] = rng.normal(size=n_edges)
    return matrix + matrix.T


def plotly_segments_by_view(fig) -> dict[str, list[tuple[tuple[float, ...], tuple[float, float, float]]]]:
    """Each view's segments in nilearn's millimetres, ((x0, y0, x1, y1) rounded, rgb), undoing the figure's shifts and flips."""
    views = schematic_views()
    by_view = {view.direction: [] for view in views}
    for trace in fig.data:
        if trace.mode != "lines":
            continue
        rgb = tuple(float(v) / 255 for v in trace.line.color[4:-1].split(","))
        xy = np.column_stack([trace.x, trace.y]).astype(float).reshape(-1, 3, 2)[:, :2]
        for segment in xy:
            for image, view in zip(fig.layout.images, views, strict=True):
                if image.x <= segment[0, 0] <= image.x + image.sizex:
                    sign_x = np.sign(view.x_range[1] - view.x_range[0])
                    sign_y = np.sign(view.y_range[1] - view.y_range[0])
                    x = sign_x * (segment[:, 0] - image.x) + view.x_range[0]
                    y = sign_y * segment[:, 1]
                    by_view[view.direction].append((tuple(np.round([x[0], y[0], x[1], y[1]], 3)), rgb))
    return by_view


def nilearn_segments_by_view(matrix: np.ndarray, coords: np.ndarray) -> dict[str, list]:
    import matplotlib.pyplot as plt
    from nilearn import plotting

    limit = float(np.abs(matrix).max())
    figure = plt.figure(figsize=(10, 3.6))
    display = plotting.plot_connectome(
        matrix, coords, edge_cmap="RdBu_r", edge_vmin=-limit, edge_vmax=limit, display_mode="".join(GLASS_BRAIN_VIEWS), figure=figure
    )
    by_view = {}
    for direction in GLASS_BRAIN_VIEWS:
        by_view[direction] = [
            (
                tuple(np.round([line.get_xdata()[0], line.get_ydata()[0], line.get_xdata()[1], line.get_ydata()[1]], 3)),
                to_rgba(line.get_color())[:3],
            )
            for line in display.axes[direction].ax.lines
        ]
    plt.close(figure)
    return by_view


@pytest.mark.parametrize("seed", [0, 1])
def test_each_view_draws_nilearns_segments_in_nilearns_colours(atlas, seed):
    matrix = random_edges(atlas.n_rois, 80, seed)
    ours = plotly_segments_by_view(glass_brain_figure(matrix, atlas.coords, atlas.labels, "t"))
    theirs = nilearn_segments_by_view(matrix, atlas.coords)
    assert {d: len(v) for d, v in ours.items()} == {d: len(v) for d, v in theirs.items()}
    assert len(ours["z"]) == 80 and 0 < len(ours["l"]) < 80 and 0 < len(ours["r"]) < 80  # side views: one hemisphere each
    for direction in GLASS_BRAIN_VIEWS:
        ours_by_segment = dict(ours[direction])
        for segment, colour in theirs[direction]:
            reverse = (segment[2], segment[3], segment[0], segment[1])
            drawn = ours_by_segment.get(segment, ours_by_segment.get(reverse))
            assert drawn is not None, f"{direction} view: nilearn draws {segment}, we do not"
            assert np.allclose(drawn, colour, atol=0.12), (direction, segment, drawn, colour)


def test_the_hover_gives_each_drawn_edge_its_regions_and_exact_value(atlas):
    matrix = random_edges(atlas.n_rois, 30, 3)
    fig = glass_brain_figure(matrix, atlas.coords, atlas.labels, "t", value_title="difference")
    (edges,) = [t for t in fig.data if t.name == "edges"]
    rows, cols = np.asarray(edges.customdata).T
    assert np.array_equal(np.asarray(edges.marker.color, dtype=float), matrix[rows, cols])
    assert list(edges.text) == [f"{atlas.labels[r]} – {atlas.labels[c]}" for r, c in zip(rows, cols, strict=True)]
    assert len(edges.x) == sum(len(v) for v in plotly_segments_by_view(fig).values())
    assert (edges.marker.cmin, edges.marker.cmax) == (-np.abs(matrix).max(), np.abs(matrix).max())


def test_side_views_show_the_regions_of_their_own_hemisphere(atlas):
    fig = glass_brain_figure(random_edges(atlas.n_rois, 5, 4), atlas.coords, atlas.labels, "t")
    (regions,) = [t for t in fig.data if t.name == "regions"]
    left, right = (atlas.coords[:, 0] <= 0).sum(), (atlas.coords[:, 0] >= 0).sum()
    assert len(regions.x) == left + atlas.n_rois + right


def test_no_edges_draws_the_outlines_and_regions_only(atlas):
    fig = glass_brain_figure(np.zeros((atlas.n_rois, atlas.n_rois)), atlas.coords, atlas.labels, "t")
    assert [t.name for t in fig.data] == ["edges", "regions"] and len(fig.data[0].x) == 0
    assert len(fig.layout.images) == 3 and all(image.source.startswith("data:image/png;base64,") for image in fig.layout.images)
