"""Figure builders of the Brain, Genetics and Wearables pages: every number drawn comes from the tables given."""

import numpy as np
import pandas as pd

from analysis.cohort.atlas import Atlas
from components.brain import brain_views, matrix_figure, network_figure
from components.genetics import decile_make_up_figure, odds_ratio_figure, prs_violin_figure
from components.wearables import adherence_figure, trajectory_figure


def test_brain_views_offer_only_what_the_atlas_allows():
    coords = np.zeros((3, 3))
    two_networks = Atlas("a", ("r1", "r2", "r3"), coords, ("dmn", "dmn", "sal"))
    one_network = Atlas("b", ("r1", "r2", "r3"), coords, ("unassigned",) * 3)
    assert brain_views(two_networks) == ("Glass brain", "By network", "Region by region")
    assert brain_views(one_network) == ("Glass brain", "Region by region")
    assert brain_views(None) == ("Region by region",)


def test_matrix_is_reordered_by_network_with_ticks_per_network():
    atlas = Atlas("toy", ("a", "b", "c"), np.zeros((3, 3)), ("X", "Y", "X"))
    m = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    fig = matrix_figure(m, atlas, "t", "r")
    assert np.array_equal(np.asarray(fig.data[0].z), m[np.ix_([0, 2, 1], [0, 2, 1])])
    assert list(fig.layout.xaxis.ticktext) == ["X", "Y"]
    assert list(fig.data[0].x) == list(fig.data[0].y) == ["1. a (X)", "3. c (X)", "2. b (Y)"]
    assert fig.data[0].hovertemplate.startswith("%{y} – %{x}")


def test_network_figure_writes_each_value():
    table = pd.DataFrame([[0.1, -0.2], [-0.2, np.nan]], index=["X", "Y"], columns=["X", "Y"])
    fig = network_figure(table, "t", "d")
    assert fig.data[0].text[0][1] == "-0.200" and fig.data[0].text[1][1] == ""


def test_violins_one_per_ancestry_with_every_clustered_score():
    ids = [f"p{i}" for i in range(8)]
    score = pd.Series(np.arange(8.0), index=ids)
    biotypes = pd.Series([1, 1, 2, 2, -1, 1, 2, pd.NA], index=ids, dtype="Int64")
    ancestry = pd.Series(["EUR", "AFR", "EUR", "EUR", "AFR", "EUR", "AFR", "EUR"], index=ids)
    fig = prs_violin_figure(score, biotypes, ancestry, "t", "z")
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name == {"AFR (n=2)": [1.0, 6.0], "EUR (n=4)": [0.0, 5.0, 2.0, 3.0]}


def test_forest_plot_rows_are_scores_and_points_are_odds_ratios():
    association = pd.DataFrame(
        {
            "score": ["a", "b", "a"],
            "n": [100, 100, 40],
            "cases": [30, 30, 12],
            "odds_ratio_per_sd": [1.5, 0.9, 2.0],
            "or_ci_low": [1.1, 0.7, 1.0],
            "or_ci_high": [2.0, 1.2, 4.0],
            "p_value": [0.01, 0.4, 0.05],
            "auc": [0.6, 0.5, 0.7],
            "auc_ci_low": [0.5, 0.4, 0.55],
            "auc_ci_high": [0.7, 0.6, 0.85],
            "biotype": [-2, -2, 1],
        }
    )
    fig = odds_ratio_figure(association, "y")
    overall, first = fig.data
    assert overall.name == "all clustered" and list(overall.x) == [1.5, 0.9]
    assert list(first.x) == [2.0] and round(first.y[0]) == 0  # row of score "a"
    assert np.allclose(overall.error_x.array, [0.5, 0.3])
    assert list(fig.layout.yaxis.ticktext) == ["a", "b"]
    # log ticks carry their values (plotly's default read "2 3 4 ... 1 2 3"): 0.2 is told from 2
    assert list(fig.layout.xaxis.tickvals) == [0.5, 1.0, 2.0, 5.0]
    assert list(fig.layout.xaxis.ticktext) == ["0.5", "1", "2", "5"]


def test_decile_bars_stack_biotype_shares():
    make_up = pd.DataFrame({"decile": [1, 1, 2], "biotype": [1, -1, 1], "n": [3, 1, 4], "share": [0.75, 0.25, 1.0]})
    fig = decile_make_up_figure(make_up, {}, "s")
    assert [t.name for t in fig.data] == ["B1", "noise"]
    assert list(fig.data[0].y) == [0.75, 1.0]


def test_trajectories_band_and_mean_per_biotype_skip_thin_days():
    traj = pd.DataFrame(
        {
            "biotype": [1, 1, 1, 2, -1],
            "day": [1, 2, 3, 1, 1],
            "n": [5, 5, 2, 4, 9],
            "mean": [10.0, 11.0, 50.0, 20.0, 0.0],
            "ci_low": [9.0, 10.0, 40.0, 18.0, -1.0],
            "ci_high": [11.0, 12.0, 60.0, 22.0, 1.0],
        }
    )
    fig = trajectory_figure(traj, "steps")
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["B1", "B2"]
    assert list(lines[0].y) == [10.0, 11.0]  # day 3 has 2 participants: not drawn
    band = fig.data[0]
    assert list(band.y) == [11.0, 12.0, 10.0, 9.0]


def test_adherence_boxes_hold_each_participant():
    per = pd.DataFrame(
        {"biotype": [1, 1, 2, -1], "valid_days": [5, 6, 7, 2], "span_days": [10, 10, 7, 4], "adherence": [0.5, 0.6, 1.0, 0.5]}
    )
    fig = adherence_figure(per, 0.03)
    assert [t.name for t in fig.data] == ["B1 (n=2)", "B2 (n=1)", "noise (n=1)"]
    assert list(fig.data[0].y) == [0.5, 0.6]
    assert "p = 0.03" in fig.layout.title.text


def test_sweep_grid_has_a_square_per_cell_and_outlines_the_run():
    from components.sweep import cell_values, sweep_figure

    table = pd.DataFrame(
        {
            "n_neighbors": [5, 5, 15, 15],
            "min_cluster_size": [10, 20, 10, 20],
            "min_samples": [5] * 4,
            "n_biotypes": [4, 3, 4, 2],
            "noise_fraction": [0.1, 0.05, 0.08, 0.02],
            "dbcv": [0.5, 0.6, 0.55, 0.7],
            "stability": [0.9, 0.95, 0.92, 0.99],
        }
    )
    fig = sweep_figure(table, "dbcv", current=(15, 20))
    cells, outline = fig.data
    assert list(cells.marker.color) == [0.5, 0.6, 0.55, 0.7]
    assert list(cells.x) == [0, 1, 0, 1] and list(cells.y) == [0, 0, 1, 1]
    assert [list(c[:2]) for c in cells.customdata] == [[5, 10], [5, 20], [15, 10], [15, 20]]
    assert (outline.x[0], outline.y[0]) == (1, 1)
    assert list(fig.layout.yaxis.ticktext) == ["5", "15"]
    assert cell_values(table, (15, 10))["n_biotypes"] == 4


def test_sweep_text_reads_on_dark_cells_and_a_constant_count_has_one_tick():
    from components.sweep import sweep_figure

    table = pd.DataFrame(
        {
            "n_neighbors": [5, 5, 15, 15],
            "min_cluster_size": [10, 20, 10, 20],
            "n_biotypes": [4, 4, 4, 4],
            "noise_fraction": [0.0, 0.3, 0.6, 0.9],
            "dbcv": [0.5] * 4,
            "stability": [0.9] * 4,
        }
    )
    counts = sweep_figure(table, "n_biotypes").data[0]
    assert (counts.marker.cmin, counts.marker.cmax) == (3, 5)
    assert list(counts.marker.colorbar.tickvals) == [4] and list(counts.marker.colorbar.ticktext) == ["4"]
    noise = sweep_figure(table, "noise_fraction").data[0]  # Reds: light at 0, dark red at the top
    assert list(noise.textfont.color) == ["black", "black", "white", "white"]
    assert (noise.marker.cmin, noise.marker.cmax) == (0.0, 0.9)
    viridis = sweep_figure(table.assign(n_biotypes=[2, 3, 4, 5]), "n_biotypes").data[0]  # dark purple at the bottom, yellow at the top
    assert viridis.textfont.color[0] == "white" and viridis.textfont.color[-1] == "black"
    assert list(viridis.marker.colorbar.tickvals) == [2, 3, 4, 5]


def test_the_3d_connectome_page_has_no_outside_link_and_no_stray_tag_text():
    """nilearn writes its favicon <link> over three lines; removing lines that name it left 'type="image/x-icon"' as text."""
    from components.brain import connectome_html

    matrix = np.zeros((4, 4))
    matrix[0, 1] = matrix[1, 0] = 0.5
    coords = np.array([[0, 0, 0], [10, 10, 10], [20, 0, 0], [0, 20, 0]], dtype=float)
    page = connectome_html(matrix, coords)
    assert "image/x-icon" not in page and "favicon" not in page
    import re

    markup = re.sub(r"<script\b.*?</script>", "", page, flags=re.DOTALL)  # plotly.js's own code names URLs it never fetches
    assert "<link" not in markup and "http" not in markup
    assert "<html" in markup.lower() and "</html>" in markup.lower()
