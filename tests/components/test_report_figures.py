"""The validation report's figures: a wide export's missing values drawn so that they can be read."""

import numpy as np
import pandas as pd

from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.cohort.validation import validation_report
from analysis.io.inputs import InputFile
from components.validation_report import MAX_MISSINGNESS_BARS, missingness_figure


def report_of(frame: pd.DataFrame):
    return validation_report(load_cohort(CohortFiles(participants=InputFile("t.csv", frame.to_csv(index=False).encode()))))


def bars(fig) -> dict[str, float]:
    return {y: x for trace in fig.data for y, x in zip(trace.y, trace.x, strict=True)}


def test_a_narrow_table_draws_every_column_in_table_order():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"participant_id": [f"p{i}" for i in range(20)], **{f"c{j}": rng.normal(size=20) for j in range(5)}})
    frame.loc[:3, "c2"] = np.nan
    fig = missingness_figure(report_of(frame))
    assert list(bars(fig)) == [f"c{j}" for j in range(5)] and bars(fig)["c2"] == 20.0
    assert fig.layout.title.text == "Missing values per column"


def test_a_wide_table_draws_the_most_missing_partly_filled_columns_and_says_how_many():
    rng = np.random.default_rng(0)
    n = 50
    columns = {f"full{j}": rng.normal(size=n) for j in range(30)}
    columns |= {f"empty{j}": np.full(n, np.nan) for j in range(20)}
    columns |= {f"part{j}": np.where(np.arange(n) < j + 1, np.nan, 1.0 + rng.random(n)) for j in range(45)}
    frame = pd.DataFrame({"participant_id": [f"p{i}" for i in range(n)], **columns})
    fig = missingness_figure(report_of(frame))
    drawn = bars(fig)
    assert len(drawn) == MAX_MISSINGNESS_BARS and not any(c.startswith("empty") for c in drawn)
    assert list(drawn)[:3] == ["part44", "part43", "part42"] and drawn["part44"] == 90.0
    assert fig.layout.title.text == f"Missing values: the {MAX_MISSINGNESS_BARS} most missing of 75 columns (20 empty ones not drawn)"
