"""The parameter sweep covers the grid and reports sensible figures for clear clusters."""

from sklearn.datasets import make_blobs

from analysis.config import RunConfig
from analysis.engine.sweep import parameter_sweep


def test_grid_cells_and_figures(warm_umap):
    x, _ = make_blobs(n_samples=[100, 80, 60], n_features=5, cluster_std=0.8, random_state=1)
    table = parameter_sweep(x, RunConfig(seed=0), [10, 20], [10, 30, 150])
    assert len(table) == 6
    assert set(zip(table["n_neighbors"], table["min_cluster_size"], strict=True)) == {(a, b) for a in (10, 20) for b in (10, 30, 150)}
    good = table[table["min_cluster_size"] < 100]
    assert (good["n_biotypes"] == 3).all()
    assert (good["stability"] > 0.9).all()
    assert (good["dbcv"] > 0.5).all()
    assert (table[table["min_cluster_size"] == 150]["n_biotypes"] <= 1).all()


def test_the_runs_column_of_the_sweep_repeats_its_candidates(warm_umap):
    import pytest

    from analysis.engine.clustering import candidate_min_cluster_sizes, find_biotypes

    x, _ = make_blobs(n_samples=[100, 80, 60], n_features=5, cluster_std=0.8, random_state=1)
    run, _ = find_biotypes(x, RunConfig(seed=0))
    table = parameter_sweep(x, RunConfig(seed=0), [run.n_neighbors], candidate_min_cluster_sizes(len(x)))
    for row, cell in zip(run.selection, table.itertuples(), strict=True):
        assert (cell.min_cluster_size, cell.min_samples) == (row["min_cluster_size"], row["min_samples"])
        assert cell.dbcv == pytest.approx(row["dbcv"], nan_ok=True) and cell.stability == pytest.approx(row["stability"])
