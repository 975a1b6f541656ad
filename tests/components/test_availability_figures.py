"""The UpSet view of modality combinations and the table of choices, drawn from a ModalityAvailability."""

import numpy as np
import pandas as pd

from analysis.features.availability import ModalityAvailability
from components.availability import ABSENT_GREY, PRESENT_DARK, choices_table, combinations_figure


def availability() -> ModalityAvailability:
    has = pd.DataFrame(
        {
            "clinical": [True] * 6 + [False] * 2,
            "prs": [True, True, True, False, False, False, True, False],
            "wearables": [True, False, False, True, True, False, False, False],
        },
        index=[f"p{i}" for i in range(8)],
    )
    return ModalityAvailability(has)


def test_bars_count_each_combination_and_the_dots_say_which_it_is():
    figure = combinations_figure(availability())
    bars = figure.data[0]
    assert list(bars.y) == [2, 2, 1, 1, 1, 1]  # (clinical, prs), (clinical, wearables), then single rows by modality order
    assert sum(bars.y) == 8
    dots = [t for t in figure.data[1:] if t.mode == "markers"]
    assert len(dots) == len(bars.y)
    first = dict(zip(dots[0].y, dots[0].marker.color, strict=True))
    assert first == {"Clinical / psychosocial": PRESENT_DARK, "Genetics (PRS)": PRESENT_DARK, "Wearables": ABSENT_GREY}
    none = [d for d in dots if all(c == ABSENT_GREY for c in d.marker.color)]
    assert len(none) == 1  # the participant with no modality has a bar of their own
    assert list(bars.customdata).count("none") == 1


def test_the_table_gives_each_choice_under_both_policies():
    table = choices_table(availability(), 8).set_index("modalities")
    assert len(table) == 7
    assert table.loc["Clinical / psychosocial, Genetics (PRS), Wearables"].tolist() == ["1 of 8", "7 of 8"]
    assert table.loc["Clinical / psychosocial"].tolist() == ["6 of 8", "6 of 8"]
    assert table.loc["Genetics (PRS), Wearables"].tolist() == ["1 of 8", "6 of 8"]
    assert np.array_equal(table.index[:1], ["Clinical / psychosocial, Genetics (PRS), Wearables"])
