"""Typed values saved as plain files: JSON, and NumPy ``.npy`` arrays written without pickles.

A run's results (frozen dataclasses holding tables, arrays, tuples and dicts) are written so that
reading them back runs no code from the file: :func:`plain_files` encodes a value as one JSON
document in which every container says what it is (``{"~": "tuple", ...}``, ``{"~": "frame", ...}``),
with numeric arrays larger than :data:`INLINE_MAX` values as separate ``.npy`` files;
:func:`plain_value` reads them back with :func:`json.loads` and ``numpy.load(allow_pickle=False)``,
building only the dataclasses it is given by the caller. Every value comes back equal, dtype and
all: pandas' extension dtypes (``Int64``, ``Float64``, ``boolean``, ``str``/``string``,
``category``), index types and names, NumPy scalar types, dict key types and order, NaN.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.errors import CohortError

#: The key that marks an encoded container's kind.
TAG = "~"
#: Numeric arrays with more values than this are written as their own .npy file.
INLINE_MAX = 256
FIX = "upload the zip the Export page or `python -m analysis cluster --out` wrote, unchanged"


def plain_files(value: object, types: Iterable[type], folder: str) -> dict[str, bytes]:
    """Encode ``value`` as plain files.

    Parameters
    ----------
    value : object
        Built of None, bool, int, float, str, NumPy scalars and arrays (not of objects), pandas
        Series, DataFrames and indexes, tuples, lists, dicts, ``pd.NA`` and instances of ``types``.
    types : iterable of dataclass types
        The only dataclasses that may appear (and that :func:`plain_value` will build).
    folder : str
        Folder of the files inside the run folder (e.g. ``"state"``).

    Returns
    -------
    dict of str to bytes
        ``<folder>/state.json`` and ``<folder>/arrays/<k>.npy`` for each large array.

    Raises
    ------
    TypeError
        For a value of any other type (a fitted model, a dataclass not in ``types``).
    """
    encoder = _Encoder({_type_name(t): t for t in types})
    document = json.dumps({"plain_state": 1, "value": encoder.encode(value)}, allow_nan=True, separators=(",", ":")).encode()
    files = {f"{folder}/state.json": document}
    for name, array in encoder.arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        files[f"{folder}/arrays/{name}"] = buffer.getvalue()
    return files


def plain_value(files: Mapping[str, bytes], types: Iterable[type], folder: str, where: str) -> object:
    """Read back what :func:`plain_files` wrote.

    Parameters
    ----------
    files : mapping of str to bytes
        At least ``<folder>/state.json`` and the arrays it names.
    types : iterable of dataclass types
        The dataclasses that may be built; a file naming any other is refused.
    folder : str
    where : str
        The archive's name, for messages.

    Raises
    ------
    CohortError
        When a file is missing or not what this module writes (an array holding Python objects,
        which NumPy could only read by unpickling, is refused, never read).
    """
    name = f"{folder}/state.json"
    if name not in files:
        raise CohortError(f"no {name}", where, FIX)
    try:
        document = json.loads(files[name])
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CohortError(f"{name} is not valid JSON", where, FIX) from None
    if not isinstance(document, dict) or document.get("plain_state") != 1 or "value" not in document:
        raise CohortError(f"{name} is not a saved state this tool wrote", where, FIX)
    decoder = _Decoder({_type_name(t): t for t in types}, files, folder, where)
    try:
        return decoder.decode(document["value"])
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CohortError(f"{name} could not be read ({type(error).__name__}: {error})", where, FIX) from None


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _Encoder:
    def __init__(self, types: dict[str, type]):
        self.types = types
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value):
        if isinstance(value, np.generic):  # before float: np.float64 is a float and keeps its type
            return {TAG: "scalar", "dtype": value.dtype.str, "v": self._scalar(value)}
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if value is pd.NA:
            return {TAG: "NA"}
        if value is pd.NaT:
            return {TAG: "NaT"}
        if isinstance(value, tuple):
            return {TAG: "tuple", "v": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {TAG: "dict", "items": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, pd.DataFrame):
            return {
                TAG: "frame",
                "index": self.encode(value.index),
                "columns": self.encode(value.columns),
                "data": [self._column(value.iloc[:, i]) for i in range(value.shape[1])],
            }
        if isinstance(value, pd.Series):
            return {TAG: "series", "index": self.encode(value.index), "values": self._column(value), "name": self.encode(value.name)}
        if isinstance(value, pd.RangeIndex):
            return {TAG: "range", "start": value.start, "stop": value.stop, "step": value.step, "name": self.encode(value.name)}
        if isinstance(value, pd.MultiIndex):
            levels = [self._column(value.get_level_values(i)) for i in range(value.nlevels)]
            return {TAG: "multiindex", "levels": levels, "names": [self.encode(n) for n in value.names]}
        if isinstance(value, pd.Index):
            return {TAG: "index", "values": self._column(value), "name": self.encode(value.name)}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            name = _type_name(type(value))
            if self.types.get(name) is not type(value):
                raise TypeError(f"{name} is not among the types this state may hold")
            fields = {f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return {TAG: "dataclass", "type": name, "v": fields}
        raise TypeError(f"a {type(value).__module__}.{type(value).__qualname__} cannot be saved as plain state")

    @staticmethod
    def _scalar(value: np.generic):
        if value.dtype.kind in "mM":
            return int(value.view(np.int64))
        return value.item()

    def _array(self, array: np.ndarray) -> dict:
        kind = array.dtype.kind
        if kind == "O":
            return {TAG: "objects", "shape": list(array.shape), "v": [self.encode(v) for v in array.ravel()]}
        if kind in "biufc" and array.size > INLINE_MAX:
            name = f"{len(self.arrays)}.npy"
            self.arrays[name] = np.ascontiguousarray(array)
            return {TAG: "npy", "file": name}
        if kind in "mM":
            return {TAG: "array", "dtype": array.dtype.str, "shape": list(array.shape), "v": array.view(np.int64).ravel().tolist()}
        if kind == "c":
            pairs = [[v.real, v.imag] for v in array.ravel().tolist()]
            return {TAG: "array", "dtype": array.dtype.str, "shape": list(array.shape), "v": pairs}
        if kind not in "biufUS":
            raise TypeError(f"an array of dtype {array.dtype} cannot be saved as plain state")
        values = array.ravel().tolist()
        if kind == "S":
            values = [v.decode("latin-1") for v in values]
        return {TAG: "array", "dtype": array.dtype.str, "shape": list(array.shape), "v": values}

    def _column(self, values) -> dict:
        """One column's values with its dtype (a Series, an Index or an array)."""
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categorical = pd.Categorical(values)
            return {
                TAG: "categorical",
                "categories": self.encode(pd.Index(categorical.categories)),
                "ordered": bool(dtype.ordered),
                "codes": self._array(np.asarray(categorical.codes)),
            }
        if isinstance(dtype, pd.StringDtype):
            array = pd.array(values, dtype=dtype)
            return {
                TAG: "strings",
                "storage": dtype.storage,
                "na": "nan" if dtype.na_value is np.nan else "NA",
                "v": [None if pd.isna(v) else str(v) for v in array],
            }
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            array = pd.array(values, dtype=dtype)
            if not isinstance(array, pd.api.extensions.ExtensionArray) or not hasattr(array, "_mask"):
                raise TypeError(f"a column of dtype {dtype} cannot be saved as plain state")
            mask = np.asarray(pd.isna(array), dtype=bool)
            data = array.to_numpy(dtype=dtype.numpy_dtype, na_value=dtype.numpy_dtype.type(0))
            return {TAG: "masked", "dtype": str(dtype), "mask": self._array(mask), "v": self._array(data)}
        return {TAG: "column", "v": self._array(np.asarray(values))}


class _Decoder:
    def __init__(self, types: dict[str, type], files: Mapping[str, bytes], folder: str, where: str):
        self.types = types
        self.files = files
        self.folder = folder
        self.where = where

    def decode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or TAG not in value:
            raise ValueError("an untagged object")
        kind = value[TAG]
        if kind == "scalar":
            dtype = np.dtype(value["dtype"])
            if dtype.kind in "mM":
                return np.array(value["v"], dtype=np.int64).view(dtype)[()]
            return dtype.type(value["v"])
        if kind == "NA":
            return pd.NA
        if kind == "NaT":
            return pd.NaT
        if kind == "tuple":
            return tuple(self.decode(v) for v in value["v"])
        if kind == "dict":
            return {self.decode(k): self.decode(v) for k, v in value["items"]}
        if kind in ("array", "objects", "npy"):
            return self._array(value)
        if kind == "frame":
            index = self.decode(value["index"])
            columns = self.decode(value["columns"])
            data = [self._column(c) for c in value["data"]]
            frame = pd.DataFrame(dict(enumerate(data)), index=index) if data else pd.DataFrame(index=index)
            frame.columns = columns
            return frame
        if kind == "series":
            return pd.Series(self._column(value["values"]), index=self.decode(value["index"]), name=self.decode(value["name"]), copy=False)
        if kind == "range":
            return pd.RangeIndex(value["start"], value["stop"], value["step"], name=self.decode(value["name"]))
        if kind == "multiindex":
            return pd.MultiIndex.from_arrays([self._column(c) for c in value["levels"]], names=[self.decode(n) for n in value["names"]])
        if kind == "index":
            return pd.Index(self._column(value["values"]), name=self.decode(value["name"]), copy=False)
        if kind == "dataclass":
            cls = self.types.get(value["type"])
            if cls is None:
                raise CohortError(f"the saved state names a type this tool does not build ({value['type']!r})", self.where, FIX)
            return cls(**{name: self.decode(v) for name, v in value["v"].items()})
        raise ValueError(f"unknown kind {kind!r}")

    def _array(self, value: dict) -> np.ndarray:
        kind = value[TAG]
        if kind == "npy":
            name = f"{self.folder}/arrays/{value['file']}"
            if name not in self.files:
                raise CohortError(f"{name} is missing", self.where, FIX)
            try:
                return np.load(io.BytesIO(self.files[name]), allow_pickle=False)
            except ValueError as error:
                raise CohortError(f"{name} is not a plain NumPy array ({error})", self.where, FIX) from None
        shape = tuple(value["shape"])
        if kind == "objects":
            array = np.empty(len(value["v"]), dtype=object)
            array[:] = [self.decode(v) for v in value["v"]] if value["v"] else []
            return array.reshape(shape)
        dtype = np.dtype(value["dtype"])
        if dtype.kind == "O":
            raise ValueError("an object array written as numbers")
        if dtype.kind in "mM":
            return np.array(value["v"], dtype=np.int64).view(dtype).reshape(shape)
        if dtype.kind == "c":
            return np.array([complex(re, im) for re, im in value["v"]], dtype=dtype).reshape(shape)
        if dtype.kind == "S":
            return np.array([v.encode("latin-1") for v in value["v"]], dtype=dtype).reshape(shape)
        return np.array(value["v"], dtype=dtype).reshape(shape)

    def _column(self, value: dict):
        kind = value[TAG]
        if kind == "column":
            return self._array(value["v"])
        if kind == "categorical":
            categories = self.decode(value["categories"])
            return pd.Categorical.from_codes(self._array(value["codes"]), categories=categories, ordered=value["ordered"])
        if kind == "strings":
            dtype = pd.StringDtype(storage=value["storage"], na_value=np.nan if value["na"] == "nan" else pd.NA)
            return pd.array(value["v"], dtype=dtype)
        if kind == "masked":
            dtype = pd.api.types.pandas_dtype(value["dtype"])
            if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
                raise ValueError(f"{value['dtype']} is not a masked dtype")
            data, mask = self._array(value["v"]), self._array(value["mask"])
            array = pd.array(data, dtype=dtype)
            array[mask] = pd.NA
            return array
        raise ValueError(f"unknown column kind {kind!r}")
