"""The structure test's figures and verdict box draw the numbers of the Structure they are given."""

import numpy as np

from analysis.validity.structure import Gap, GradedCheck, NullComparison, Power, Structure
from components.structure import null_figure, power_figure, verdict_word


def a_structure(verdict: str = "not_distinct") -> Structure:
    return Structure(
        verdict,
        "Not distinct: a sentence.",
        p_value=0.4,
        n_null=19,
        n_tested=300,
        separation=NullComparison(0.12, tuple(np.linspace(0.05, 0.2, 19)), 0.3),
        gap=Gap(0.7, (1, 2), 0.021),
        gap_null=NullComparison(0.021, tuple(np.linspace(0.015, 0.03, 19)), 0.4),
        null_biotypes=(3,) * 19,
        graded=GradedCheck(0.6, (2, 1, 3), np.ones(3) / np.sqrt(3), False),
        power=Power((3.0, 4.0, 5.0, 6.0), (0.0, 0.5, 1.0, 1.0), 5.0),
    )


def test_the_null_figure_draws_every_null_cohort_and_the_cohort_on_each_statistic():
    structure = a_structure()
    fig = null_figure(structure)
    nulls = [t for t in fig.data if t.name == "null cohorts"]
    cohort = [t for t in fig.data if t.name == "this cohort"]
    np.testing.assert_allclose(nulls[0].x, structure.gap_null.null)
    np.testing.assert_allclose(nulls[1].x, structure.separation.null)
    assert [t.x[0] for t in cohort] == [0.021, 0.12]
    assert "p = 0.4" in cohort[0].text[0] and "19 null cohorts" in fig.layout.title.text and "Gaussian" in fig.layout.title.text


def test_the_power_figure_draws_the_share_called_distinct_per_separation():
    fig = power_figure(a_structure())
    assert list(fig.data[0].x) == ["3 SD", "4 SD", "5 SD", "6 SD"]
    assert list(fig.data[0].y) == [0.0, 50.0, 100.0, 100.0]
    assert "N = 300" in fig.layout.title.text


def test_verdict_words():
    assert verdict_word(None) == "not tested yet"
    assert verdict_word(a_structure("not_distinct")) == "not distinct"
    assert a_structure("graded").headline == "graded (p = 0.4, 19 null cohorts)"
