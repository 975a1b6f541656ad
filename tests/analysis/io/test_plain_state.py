"""Typed values written as JSON and pickle-free .npy files come back equal, dtype for dtype; nothing else is built."""

import io
import json
import os
import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from analysis.errors import CohortError
from analysis.io.plain_state import INLINE_MAX, plain_files, plain_value


@dataclass(frozen=True)
class Inner:
    values: tuple
    table: pd.DataFrame


@dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner | None
    by_number: dict


@dataclass(frozen=True)
class NotAllowed:
    x: int


class WritesAFile:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def every_kind_of_table() -> pd.DataFrame:
    n = 5
    frame = pd.DataFrame(
        {
            "float": [0.1, np.nan, 1e-300, -2.5, np.inf],
            "float32": np.array([1.5, 2.25, np.nan, 0, 1], dtype=np.float32),
            "int": np.arange(n, dtype=np.int64),
            "int8": np.arange(n, dtype=np.int8),
            "bool": [True, False, True, True, False],
            "Int64": pd.array([1, None, 3, 4, None], dtype="Int64"),
            "Float64": pd.array([0.5, None, 1.0, np.nan, 2.0], dtype="Float64"),
            "boolean": pd.array([True, None, False, True, None], dtype="boolean"),
            "str": pd.Series(["a", None, "ç", "", "x"], dtype="str"),
            "string": pd.Series(["a", None, "b", "c", "d"], dtype=pd.StringDtype("python")),
            "category": pd.Categorical(["lo", "hi", None, "lo", "mid"], categories=["lo", "mid", "hi"], ordered=True),
            "object": pd.Series(["x", 1, None, 2.5, (1, "a")], dtype=object),
            "when": pd.to_datetime(["2026-01-01", None, "2026-03-01", "2026-04-01", "2026-05-01"]),
        },
        index=pd.Index([10, 20, 30, 40, 50], name="row"),
    )
    frame[7] = np.arange(n) * 1.0  # a column named by a number
    return frame


def round_trip(value, types=(Inner, Outer)):
    files = plain_files(value, types, "state")
    return plain_value(files, types, "state", "run.zip"), files


def test_every_table_dtype_and_index_comes_back_equal():
    frame = every_kind_of_table()
    back, _ = round_trip(frame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert list(back.dtypes.astype(str)) == list(frame.dtypes.astype(str))
    assert list(back.columns) == list(frame.columns) and back.index.name == "row"

    empty = pd.DataFrame(columns=["participant_id", "group"])
    pd.testing.assert_frame_equal(round_trip(empty)[0], empty)
    multi = pd.DataFrame({"n": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "v"]))
    pd.testing.assert_frame_equal(round_trip(multi)[0], multi)
    series = pd.Series([0.5, np.nan], index=pd.RangeIndex(3, 5, name="i"), name="s")
    pd.testing.assert_series_equal(round_trip(series)[0], series)


def test_scalars_containers_and_arrays_keep_their_types():
    big = np.random.default_rng(0).normal(size=(INLINE_MAX + 1, 3)).astype(np.float32)
    value = {
        2: "int key",
        "2": "str key",
        (1, 2): [np.float32(0.1), np.int64(7), np.bool_(True), 0.1, float("nan"), pd.NA, None, np.float64(0.5)],
        "small": np.array([[1, 2], [3, 4]], dtype=np.int32),
        "big": big,
        "text": np.array(["a", "bc"]),
        "objects": np.array(["x", None, 3], dtype=object),
    }
    back, files = round_trip(value)
    assert list(back) == [2, "2", (1, 2), "small", "big", "text", "objects"]
    first = back[(1, 2)]
    assert type(first[0]) is np.float32 and first[0] == np.float32(0.1)
    assert type(first[1]) is np.int64 and type(first[2]) is np.bool_ and type(first[3]) is float
    assert np.isnan(first[4]) and first[5] is pd.NA and first[6] is None and type(first[7]) is np.float64
    assert back["small"].dtype == np.int32 and np.array_equal(back["small"], value["small"])
    assert back["big"].dtype == np.float32 and np.array_equal(back["big"], big)
    assert sorted(files) == ["state/arrays/0.npy", "state/state.json"]  # only the large array is its own file
    assert back["text"].tolist() == ["a", "bc"] and back["objects"].tolist() == ["x", None, 3]


def test_allowed_dataclasses_are_built_again_and_others_refused():
    value = Outer("run", Inner((1, (2.5, "a")), every_kind_of_table()), {1: "B1", 2: "B2"})
    back, files = round_trip(value)
    assert isinstance(back, Outer) and isinstance(back.inner, Inner)
    assert back.inner.values == (1, (2.5, "a")) and back.by_number == {1: "B1", 2: "B2"}
    pd.testing.assert_frame_equal(back.inner.table, value.inner.table, check_exact=True)
    assert plain_files(back, (Inner, Outer), "state") == files  # written again, byte for byte

    with pytest.raises(TypeError, match="NotAllowed is not among the types"):
        plain_files(NotAllowed(1), (Inner, Outer), "state")
    with pytest.raises(TypeError, match="cannot be saved as plain state"):
        plain_files({"model": object()}, (), "state")
    renamed = {k: v.replace(b"Outer", b"NotAllowed") for k, v in files.items()}
    with pytest.raises(CohortError, match="names a type this tool does not build") as error:
        plain_value(renamed, (Inner, Outer), "state", "run.zip")
    assert "run.zip" in str(error.value)


def test_an_array_that_would_need_unpickling_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "the_pickle_ran"
    files = plain_files({"big": np.zeros(INLINE_MAX + 1)}, (), "state")
    buffer = io.BytesIO()
    np.save(buffer, np.array([WritesAFile(marker)], dtype=object), allow_pickle=True)
    files["state/arrays/0.npy"] = buffer.getvalue()
    with pytest.raises(CohortError, match=r"state/arrays/0.npy is not a plain NumPy array"):
        plain_value(files, (), "state", "run.zip")
    assert not marker.exists()
    np.load(io.BytesIO(buffer.getvalue()), allow_pickle=True)  # the test's own check that loading it would run it
    assert marker.exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no state/state.json"),
        ({"state/state.json": b"{nope"}, "not valid JSON"),
        ({"state/state.json": b'{"value": 1}'}, "not a saved state this tool wrote"),
        (
            {"state/state.json": json.dumps({"plain_state": 1, "value": {"~": "npy", "file": "9.npy"}}).encode()},
            "state/arrays/9.npy is missing",
        ),
        ({"state/state.json": json.dumps({"plain_state": 1, "value": {"~": "weird"}}).encode()}, "could not be read"),
    ],
)
def test_a_broken_state_is_one_clear_error(files, message):
    with pytest.raises(CohortError, match=message):
        plain_value(files, (), "state", "run.zip")


def test_pickle_module_is_not_what_reads_the_state():
    # The reader is json and numpy.load(allow_pickle=False) only: a pickled state.json is not valid JSON.
    with pytest.raises(CohortError, match="not valid JSON"):
        plain_value({"state/state.json": pickle.dumps({"value": 1})}, (), "state", "run.zip")
