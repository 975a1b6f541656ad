"""The survival and treatment-effect figures draw the numbers of the results they are given."""

import numpy as np
import pandas as pd

from analysis.outcomes.survival import survival_by_biotype
from analysis.outcomes.treatment import TreatmentInteraction
from components.embedding import biotype_colour
from components.survival import ratio_ticks, survival_figure, survival_table, treatment_figure


def a_survival():
    rng = np.random.default_rng(0)
    numbers = np.repeat([1, 2, -1], [60, 60, 10])
    times = rng.exponential(np.where(numbers == 1, 20.0, 5.0))
    return survival_by_biotype("months", "relapse", np.minimum(times, 24.0), (times <= 24.0).astype(float), numbers)


def test_the_survival_figure_draws_each_biotypes_curve_and_band_in_its_colour():
    survival = a_survival()
    fig = survival_figure(survival, {1: "B1 · mild", 2: "B2 · severe"})
    curves = [t for t in fig.data if t.fill != "toself"]
    assert [t.name for t in curves] == ["noise", "B1 · mild", "B2 · severe"]
    for trace, biotype in zip(curves, (-1, 1, 2), strict=True):
        expected = survival.curves[survival.curves["biotype"] == biotype]
        assert np.allclose(trace.y, expected["survival"]) and np.allclose(trace.x, expected["time"])
        assert trace.line.color == biotype_colour(biotype) and trace.line.shape == "hv"
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 3
    assert all(t.mode == "lines" for t in fig.data)  # Plotly marks the points of a short trace unless told
    b1 = survival.curves[survival.curves["biotype"] == 1]
    assert np.allclose(bands[1].y, [*b1["ci_high"], *b1["ci_low"][::-1]])
    assert f"{survival.events} events among {survival.n:,}" in fig.layout.title.text and "log-rank p" in fig.layout.title.text


def test_the_survival_table_names_biotypes_and_leaves_an_unreached_median_blank():
    table = survival_table(a_survival(), {1: "B1 · mild", 2: "B2 · severe"})
    assert table["biotype"].tolist() == ["noise", "B1 · mild", "B2 · severe"]
    mild = table.set_index("biotype").loc["B1 · mild"]
    assert np.isnan(mild["median"]) or mild["median"] > 10  # 20-month mean: often not reached within 24
    assert table.set_index("biotype").loc["B2 · severe", "median"] < 6


def an_interaction(effect: str) -> TreatmentInteraction:
    effects = pd.DataFrame(
        {"biotype": [1, 2], "n": [80, 70], "treated": [40, 35], "effect": [0.5, 1.1], "ci_low": [0.3, 0.7], "ci_high": [0.8, 1.7]}
    )
    return TreatmentInteraction("months", "relapse", "arm", "placebo", "drug", effect, effects, 9.0, 1, 0.0027)


def test_the_treatment_figure_draws_ratios_on_a_log_axis_around_1_and_differences_around_0():
    fig = treatment_figure(an_interaction("hazard ratio"), {1: "B1 · mild"})
    points = fig.data[0]
    assert list(points.y) == ["B2 (n = 70)", "B1 · mild (n = 80)"]  # the first biotype on top
    assert np.allclose(points.x, [1.1, 0.5])
    assert np.allclose(points.error_x.array, [0.6, 0.3]) and np.allclose(points.error_x.arrayminus, [0.4, 0.2])
    assert fig.layout.xaxis.type == "log" and fig.layout.shapes[0].x0 == 1.0
    assert list(fig.layout.xaxis.tickvals) == [0.2, 0.5, 1.0, 2.0]  # intervals 0.3 to 1.7
    assert "drug vs placebo on months, by biotype" in fig.layout.title.text and "p = 0.0027" in fig.layout.title.text
    fig = treatment_figure(an_interaction("mean difference"), {})
    assert fig.layout.xaxis.type == "linear" and fig.layout.shapes[0].x0 == 0.0


def test_ratio_ticks_run_1_2_5_per_decade_across_the_intervals_and_always_hold_1():
    assert ratio_ticks(0.02, 0.6) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert ratio_ticks(1.5, 40.0) == [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]


def test_a_biotype_whose_effect_is_not_estimable_is_named_so_and_the_axis_still_drawn():
    from dataclasses import replace

    interaction = an_interaction("odds ratio")
    effects = interaction.effects.copy()
    effects.loc[1, ["effect", "ci_low", "ci_high"]] = np.nan
    fig = treatment_figure(replace(interaction, effects=effects), {})
    assert list(fig.data[0].y) == ["B2 (n = 70): not estimable", "B1 (n = 80)"]
    assert list(fig.layout.xaxis.tickvals) == [0.2, 0.5, 1.0, 2.0]  # from the estimable interval 0.3 to 0.8
    effects.loc[0, ["effect", "ci_low", "ci_high"]] = np.nan
    fig = treatment_figure(replace(interaction, effects=effects), {})
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.tickvals is None
