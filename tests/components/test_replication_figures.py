"""The replication and clinical-value figures draw the numbers of the results they are given."""

import numpy as np

from analysis.outcomes.clinical_value import ClinicalValue, OutcomeValue
from analysis.validity.replication import BiotypeReplication, SplitHalf
from components.replication import (
    FAILS_COLOUR,
    REPLICATES_COLOUR,
    clinical_value_figure,
    replication_figure,
    replication_table,
)


def a_split_half() -> SplitHalf:
    return SplitHalf(
        n_splits=3,
        n_per_half=150,
        subsampled=False,
        stratified_by="site",
        ari=(0.8, 0.7, 0.9, 0.85, 0.75, 0.8),
        biotypes=(
            BiotypeReplication(1, 0.95, (0.9, 1.0), 0.97, (0.95, 0.99), 0.01, 0.96, 1.0),
            BiotypeReplication(2, 0.55, (0.2, 0.8), 0.85, (0.7, 0.9), 0.3, 0.8, 0.5),
        ),
    )


def test_the_replication_figure_draws_each_biotypes_median_and_range_against_08():
    fig = replication_figure(a_split_half(), {1: "High impact", 2: "Low impact"})
    points = fig.data[0]
    assert list(points.y) == ["B2", "B1"]  # first biotype on top
    assert [c[3] for c in points.customdata] == ["Low impact", "High impact"]
    np.testing.assert_allclose(points.x, [0.55, 0.95])
    np.testing.assert_allclose(points.error_x.array, [0.25, 0.05])
    np.testing.assert_allclose(points.error_x.arrayminus, [0.35, 0.05])
    assert list(points.marker.color) == [FAILS_COLOUR, REPLICATES_COLOUR]
    assert fig.layout.shapes[0].x0 == 0.8
    assert "3 splits into halves of 150" in fig.layout.title.text


def test_the_replication_table_names_the_biotypes_and_says_which_replicate():
    table = replication_table(a_split_half(), {1: "High impact"})
    assert table["name"].tolist() == ["High impact", "B2"]
    assert table["replicates"].tolist() == [True, False]
    assert table["prediction_strength_low"].tolist() == [0.9, 0.2]


def outcome(name: str, gain: float, low: float, high: float, p: float, note: str = "") -> OutcomeValue:
    return OutcomeValue(name, "r2", 300, 0.2, 0.2 + gain, gain, low, high, p, 10.0, 3, "the first 3 principal components", "5 folds", note)


def test_the_clinical_value_figure_draws_assessed_outcomes_with_their_intervals():
    nan = float("nan")
    value = ClinicalValue(
        (
            outcome("outcome_a", 0.10, 0.05, 0.15, 0.001),
            outcome("outcome_b", -0.01, -0.03, 0.01, 0.6),
            outcome("outcome_c", nan, nan, nan, nan, note="recorded for 12 clustered participants (at least 30 needed)"),
        )
    )
    points = clinical_value_figure(value).data[0]
    assert list(points.y) == ["outcome_b (R²)", "outcome_a (R²)"]  # the unassessed one is not drawn
    np.testing.assert_allclose(points.x, [-0.01, 0.10])
    np.testing.assert_allclose(points.error_x.array, [0.02, 0.05])
    np.testing.assert_allclose(points.error_x.arrayminus, [0.02, 0.05])
    assert list(points.marker.color) == ["#7F7F7F", REPLICATES_COLOUR]
    assert value.outcomes[2].reading().startswith("not assessed: recorded for 12")
