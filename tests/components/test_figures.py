"""Figure builders of the Biotypes and Biotype profiles pages: every number drawn comes from the tables given."""

import numpy as np
import pandas as pd

from components.embedding import embedding_figure, sizes_figure
from components.profiles import (
    binary_outcome_figure,
    category_figure,
    effect_heatmap_figure,
    effect_table,
    importance_figure,
    modality_group_labels,
    outcome_figure,
)


def assignments_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    biotype = pd.array([1] * 5 + [2] * 3 + [-1] * 2 + [pd.NA] * 2, dtype="Int64")
    names = {1: "B1 · high x", 2: "B2 · low y", -1: "noise"}
    return pd.DataFrame(
        {
            "participant_id": [f"sub-{i:02d}" for i in range(12)],
            "biotype": biotype,
            "biotype_name": [names[b] if b is not pd.NA else "" for b in biotype],
            "membership_probability": rng.uniform(0, 1, 12),
            "outlier_score": rng.uniform(0, 1, 12),
            "umap_1": rng.normal(size=12),
            "umap_2": rng.normal(size=12),
            "included": [True] * 10 + [False] * 2,
            "exclusion_reason": [""] * 10 + ["no prs"] * 2,
        }
    )


def test_sizes_bars_count_biotypes_noise_and_excluded():
    fig = sizes_figure(assignments_frame())
    bar = fig.data[0]
    assert list(bar.y) == ["B1", "B2", "noise", "not clustered"]
    assert list(bar.x) == [5, 3, 2, 2]


def test_map_has_one_trace_per_biotype_with_its_participants():
    a = assignments_frame()
    fig = embedding_figure(a)
    assert [t.name for t in fig.data] == ["B1 · high x (n=5)", "B2 · low y (n=3)", "noise (n=2)"]
    first = fig.data[0]
    np.testing.assert_allclose(first.x, a.loc[:4, "umap_1"].astype(np.float32))
    assert list(first.customdata[:, 0]) == a.loc[:4, "participant_id"].tolist()
    numeric = embedding_figure(a, pd.Series(np.arange(12.0)), "age")
    assert len(numeric.data) == 1
    np.testing.assert_array_equal(numeric.data[0].marker.color, np.arange(10.0))
    text = embedding_figure(a, pd.Series(["A", "B"] * 6), "site")
    assert sorted(t.name for t in text.data) == ["site = A (n=5)", "site = B (n=5)"]


def profile_frame() -> pd.DataFrame:
    rows = []
    for biotype in (1, 2):
        for feature, modality, d, q in (
            ("phq9", "clinical", 1.2, 0.001),
            ("steps_mean", "wearables", -0.4, 0.2),
            ("prs_mdd", "prs", 0.1, 0.9),
        ):
            rows.append(
                dict(
                    biotype=biotype,
                    feature=feature,
                    modality=modality,
                    n=10,
                    mean=1.0,
                    median=1.0,
                    mean_rest=0.0,
                    cohens_d=d * (1 if biotype == 1 else -1),
                    kruskal_p=q / 2,
                    kruskal_q=q,
                )
            )
    return pd.DataFrame(rows)


def test_heat_map_shows_each_biotypes_cohens_d_grouped_by_modality():
    profile = profile_frame()
    fig = effect_heatmap_figure(profile, {1: "B1 · a", 2: "B2 · b"})
    heat = fig.data[0]
    assert list(heat.y) == ["B1", "B2"]
    # One column per modality: every full title would overlap its neighbours, so codes, explained in the title.
    assert list(heat.x[0]) == ["clin", "PRS", "wear"]
    assert "clin: Clinical / psychosocial · PRS: Genetics (PRS) · wear: Wearables" in fig.layout.title.text
    assert list(heat.x[1]) == ["phq9", "prs_mdd", "steps_mean"]
    np.testing.assert_allclose(heat.z, [[1.2, 0.1, -0.4], [-1.2, -0.1, 0.4]])


def test_heat_map_groups_wide_enough_keep_their_full_title():
    columns = pd.Series(["clinical"] * 15 + ["prs"] * 2 + ["outcome"] * 2)
    assert modality_group_labels(columns) == {"clinical": "Clinical / psychosocial", "prs": "PRS", "outcome": "out"}


def test_effect_table_filters_and_orders_by_effect_size():
    table = effect_table(profile_frame(), {1: "B1 · a"}, ["clinical", "wearables"], 0.5)
    assert table["feature"].tolist() == ["phq9", "phq9", "steps_mean", "steps_mean"]
    assert table["biotype"].tolist()[:2] == ["B1 · a", "B2"]


def importance_frame(distinguishable) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "biotype": [1, 1, 1, 2],
            "feature": ["a", "b", "c", "a"],
            "importance": [0.01, 0.05, 0.02, 0.3],
            "importance_sd": [0.001, 0.002, 0.003, 0.01],
            "ci_low": [0.009, 0.04, 0.01, 0.2],
            "ci_high": [0.011, 0.06, 0.03, 0.4],
            "distinguishable": distinguishable,
            "held_out_auc": [0.91, 0.91, 0.91, 0.8],
        }
    )


def test_importance_bars_are_the_distinguishable_features_only():
    fig = importance_figure(importance_frame([False, True, True, True]), profile_frame(), 1, {}, top=5)
    assert list(fig.data[0].y) == ["b", "c"]  # "a" is not told from zero: not drawn
    assert list(fig.data[0].x) == [0.05, 0.02]
    assert np.allclose(fig.data[0].error_x.array, [0.01, 0.01]) and np.allclose(fig.data[0].error_x.arrayminus, [0.01, 0.01])
    assert "2 of 3 features distinguishable from zero" in fig.layout.title.text and "0.91" in fig.layout.title.text


def test_importance_falls_back_to_effect_sizes_when_nothing_is_distinguishable():
    fig = importance_figure(importance_frame([False, False, False, True]), profile_frame(), 1, {})
    assert "none of 3 features" in fig.layout.title.text and "Cohen's d" in fig.layout.title.text
    assert list(fig.data[0].y) == ["phq9", "steps_mean", "prs_mdd"]  # largest |d| first
    assert list(fig.data[0].x) == [1.2, -0.4, 0.1]
    outcome = profile_frame().assign(modality=lambda f: f["modality"].where(f["feature"] != "phq9", "outcome"))
    fig = importance_figure(importance_frame([False, False, False, True]), outcome, 1, {})
    assert list(fig.data[0].y) == ["steps_mean", "prs_mdd"]  # an outcome did not define the biotype


def test_outcome_boxes_hold_each_biotypes_values():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, np.nan, 6.0], name="pain_6m")
    biotypes = pd.Series([1, 1, 2, 2, 2, -1])
    fig = outcome_figure(values, biotypes, {1: "B1 · a", 2: "B2 · b"})
    assert [t.name for t in fig.data] == ["B1", "B2"]  # short axis labels (full names squeezed the plot); names in hover
    assert fig.data[0].hovertext == "B1 · a"
    assert list(fig.data[0].y) == [1.0, 2.0]
    assert list(fig.data[1].y) == [3.0, 4.0]


def test_category_bars_stack_each_levels_share_per_biotype():
    categories = pd.DataFrame(
        {
            "biotype": [1, 1, 2, 2],
            "feature": ["sex"] * 4,
            "modality": ["covariate"] * 4,
            "level": ["F", "M", "F", "M"],
            "n": [40, 40, 20, 20],
            "count": [30, 10, 5, 15],
            "proportion": [0.75, 0.25, 0.25, 0.75],
            "proportion_rest": [0.25, 0.75, 0.75, 0.25],
            "cramers_v": [0.5, 0.5, 0.5, 0.5],
            "chi2_p": [1e-4] * 4,
            "chi2_q": [2e-4] * 4,
        }
    )
    fig = category_figure(categories, "sex", {1: "B1", 2: "B2"})
    assert [t.name for t in fig.data] == ["F", "M"]
    assert list(fig.data[0].y) == [0.75, 0.25] and list(fig.data[1].y) == [0.25, 0.75]
    assert list(fig.data[0].x) == ["B1", "B2"]
    assert fig.data[0].customdata[0][0] == 30 and fig.data[0].customdata[0][1] == 40
    assert "q = 0.0002" in fig.layout.title.text


def large_assignments(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    biotype = rng.integers(-1, 4, n)
    biotype[biotype == 0] = 1
    names = np.where(biotype < 0, "noise", np.char.add("B", biotype.astype(str)) + " · high pain_distress · low hrv_rmssd_ms_mean")
    return pd.DataFrame(
        {
            "participant_id": [f"sub-{i:06d}" for i in range(n)],
            "biotype": biotype,
            "biotype_name": names,
            "membership_probability": rng.uniform(0, 1, n),
            "outlier_score": rng.uniform(0, 1, n),
            "umap_1": rng.normal(size=n),
            "umap_2": rng.normal(size=n),
            "included": True,
        }
    )


def test_map_of_100k_participants_draws_every_point_in_under_10_mb():
    a = large_assignments(100_000)
    fig = embedding_figure(a)
    assert sum(len(t.x) for t in fig.data) == 100_000 and all(t.type == "scattergl" for t in fig.data)
    assert len(fig.to_json()) < 10 * 2**20


def test_map_of_500k_participants_is_a_density_with_a_sample_and_full_counts():
    from analysis.describe.density import DENSITY_FROM_POINTS

    a = large_assignments(500_000)
    assert len(a) > DENSITY_FROM_POINTS
    fig = embedding_figure(a, sample_points=5000)
    density, *points = fig.data
    assert density.type == "heatmap" and np.asarray(density.customdata).sum() == 500_000
    assert sum(len(t.x) for t in points) == 5000
    counts = a["biotype"].value_counts()
    for trace in points:
        biotype = -1 if trace.name.startswith("noise") else int(trace.name[1])
        assert trace.name.endswith(f"(n={counts[biotype]:,})")  # legend counts all participants, not the sample
    assert len(fig.to_json()) < 2 * 2**20
    assert [t.type for t in embedding_figure(a, sample_points=0).data] == ["heatmap"]


def test_binary_outcome_is_drawn_as_shares_with_intervals_not_boxes():
    shares = pd.DataFrame(
        {"biotype": [1, 2], "n": [40, 20], "cases": [10, 15], "proportion": [0.25, 0.75], "ci_low": [0.14, 0.53], "ci_high": [0.4, 0.89]}
    )
    fig = binary_outcome_figure(shares, "opioid_use", {1: "B1 · a"})
    (trace,) = fig.data
    assert trace.type == "scatter" and list(trace.x) == ["B1", "B2"] and list(trace.y) == [0.25, 0.75]
    assert np.allclose(trace.error_y.array, [0.15, 0.14]) and np.allclose(trace.error_y.arrayminus, [0.11, 0.22])
    assert fig.layout.yaxis.tickformat == ".0%" and "Wilson 95% CI" in fig.layout.title.text
    assert trace.customdata[0][0] == "B1 · a"


def test_effect_table_puts_cohens_d_in_view_and_p_values_are_scientific():
    from components.tables import P_VALUE_FORMAT, column_config

    table = effect_table(profile_frame(), {}, ["clinical", "wearables", "prs"], 1.0)
    assert list(table.columns[:5]) == ["biotype", "feature", "modality", "cohens_d", "kruskal_q"]
    config = column_config(table.assign(kruskal_p=[2.5e-25] * len(table)))
    assert config["kruskal_p"]["type_config"]["format"] == P_VALUE_FORMAT == "%.2g"
    assert config["kruskal_q"]["type_config"]["format"] == "%.2g" and config["cohens_d"]["type_config"]["format"] == "%.2f"
    assert "n" not in config and "feature" not in config
