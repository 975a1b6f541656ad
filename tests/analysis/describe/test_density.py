"""Density view of very large maps: every participant counted once, a seeded sample."""

import numpy as np

from analysis.describe.density import map_density, map_sample


def test_every_participant_is_counted_in_its_cell():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=5000), rng.normal(2, 3, size=5000)
    grid = map_density(x, y, bins=40)
    assert grid.counts.shape == (40, 40) and grid.counts.sum() == 5000
    # the cell holding the first participant counts every participant within that cell's bounds
    step_x, step_y = np.diff(grid.x_centres)[0], np.diff(grid.y_centres)[0]
    j = int(np.argmin(np.abs(grid.x_centres - x[0])))
    i = int(np.argmin(np.abs(grid.y_centres - y[0])))
    inside = (np.abs(x - grid.x_centres[j]) <= step_x / 2) & (np.abs(y - grid.y_centres[i]) <= step_y / 2)
    assert grid.counts[i, j] == inside.sum() >= 1


def test_cells_are_rows_by_y_and_columns_by_x():
    grid = map_density(np.array([0.0, 0.0, 10.0]), np.array([0.0, 5.0, 5.0]), bins=2)
    # two participants at y = 5 (top row): one at x = 0, one at x = 10; one at the bottom left
    assert grid.counts.tolist() == [[1, 0], [1, 1]]


def test_sample_is_seeded_sorted_and_without_repeats():
    first, again = map_sample(100_000, 500), map_sample(100_000, 500)
    assert np.array_equal(first, again) and len(np.unique(first)) == 500 and (np.diff(first) > 0).all()
    assert not np.array_equal(first, map_sample(100_000, 500, seed=1))
    assert np.array_equal(map_sample(10, 50), np.arange(10))
