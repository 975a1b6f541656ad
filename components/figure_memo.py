"""Figures drawn once per session and inputs: a page rerun shows the figure built before instead of building it again.

Building a plotly figure (plotly validates every property) is most of a page's server time once the
run's results are cached; the same figure is asked for again at every page switch and every widget
change elsewhere on the page. :func:`remembered` memoises a figure builder in this session's state:

- arguments that are hashable values (numbers, strings, tuples of them) and dicts of them (biotype
  names) are compared by value;
- NumPy arrays and pandas Series and DataFrames by content (a digest of their values, index, column
  names and dtypes), so that a table a page selects afresh at every rerun finds its figure; the digest
  of an object, and of a table's index on its own, is computed once and kept beside a weak reference
  to it (at most :data:`MAX_DIGESTS`), so a run's own tables, passed again at every rerun, are not
  hashed again, a table made afresh on the cohort's index hashes only its values, and a table made
  for one rerun is not kept alive by the memo;
- any other argument (a result dataclass, an atlas) by identity: the memo keeps a reference to it, so
  that its ``id`` cannot be reused by another object while the entry exists. The run's results are
  never changed in place (they are frozen dataclasses and tables that nothing writes to), so the same
  object means the same content.

The memo holds at most :data:`MAX_FIGURES` figures per session (least recently used dropped), so
arguments made afresh at every rerun cost a miss, never unbounded memory. Outside a Streamlit script
run (tests, the command line) the builder is simply called.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

T = TypeVar("T")

#: Figures kept per session.
MAX_FIGURES = 96
#: Content digests of arrays and tables kept per session (each beside a weak reference to its object).
MAX_DIGESTS = 256
#: Where a session keeps its figures, and the digests of their arrays and tables, in st.session_state.
MEMO_KEY = "_figure_memo"
DIGESTS_KEY = "_figure_memo_digests"


def _content_digest(value: np.ndarray | pd.Index | pd.Series | pd.DataFrame, digests: OrderedDict | None = None) -> bytes | None:
    """A digest of an array's or a table's values, labels and dtypes; None where they cannot be hashed (object arrays).

    A table's index is digested on its own (:func:`_remembered_digest`, with ``digests``): tables
    made afresh at a rerun usually share the cohort's index object, whose string ids are most of
    the hashing (about 40 ms of 43 at 100,000 participants here).
    """
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return None
        digest.update(repr((value.dtype.str, value.shape)).encode())
        digest.update(np.ascontiguousarray(value).view(np.uint8).data)
        return digest.digest()
    try:
        rows = pd.util.hash_pandas_object(value, **({} if isinstance(value, pd.Index) else {"index": False})).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts)
        return None
    if isinstance(value, pd.Index):
        digest.update(repr(("Index", str(value.dtype), value.names, len(value))).encode())
        digest.update(rows.data)
        return digest.digest()
    index = _remembered_digest(value.index, digests)
    if index is None:
        return None
    labels = (value.name, value.dtype) if isinstance(value, pd.Series) else (tuple(value.columns), tuple(value.dtypes))
    digest.update(repr((type(value).__name__, labels, len(value))).encode())
    digest.update(index)
    digest.update(rows.data)
    return digest.digest()


def _remembered_digest(value: np.ndarray | pd.Index | pd.Series | pd.DataFrame, digests: OrderedDict | None) -> bytes | None:
    """:func:`_content_digest`, computed once per object while it lives: a run's tables are seen again at every rerun."""
    if digests is None:
        return _content_digest(value)
    entry = digests.get(id(value))
    if entry is not None and entry[0]() is value:  # the same object, not a later one given its id
        digests.move_to_end(id(value))
        return entry[1]
    digest = _content_digest(value, digests)
    digests[id(value)] = (weakref.ref(value), digest)
    digests.move_to_end(id(value))
    while len(digests) > MAX_DIGESTS:
        digests.popitem(last=False)
    return digest


def _key_part(value: Any, digests: OrderedDict | None = None) -> tuple[str, Hashable]:
    """How an argument is compared: by value, by content (arrays and tables) or, for anything else, by identity."""
    if isinstance(value, np.ndarray | pd.Series | pd.DataFrame):
        content = _remembered_digest(value, digests)
        return ("object", id(value)) if content is None else (type(value).__name__, content)
    if isinstance(value, dict):
        try:
            items = tuple(sorted(value.items()))
            hash(items)
            return ("dict", items)
        except TypeError:
            return ("object", id(value))
    if isinstance(value, str | int | float | bool | type(None)):
        return (type(value).__name__, value)
    if isinstance(value, tuple):
        try:
            hash(value)
            return ("tuple", value)
        except TypeError:
            return ("object", id(value))
    return ("object", id(value))


def _session_memo() -> tuple[OrderedDict, OrderedDict] | None:
    """The figures and the content digests of the session running this script; None outside a script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.setdefault(MEMO_KEY, OrderedDict()), st.session_state.setdefault(DIGESTS_KEY, OrderedDict())


def remembered(builder: Callable[..., T]) -> Callable[..., T]:
    """``builder`` memoised per session on its arguments (see the module docstring)."""
    name = f"{builder.__module__}.{builder.__qualname__}"

    @functools.wraps(builder)
    def wrapper(*args, **kwargs) -> T:
        session = _session_memo()
        if session is None:
            return builder(*args, **kwargs)
        memo, digests = session
        names = sorted(kwargs)
        values = (*args, *(kwargs[k] for k in names))
        parts = [_key_part(v, digests) for v in values]
        key = (name, tuple(parts[: len(args)]), tuple(zip(names, parts[len(args) :], strict=True)))
        if key in memo:
            memo.move_to_end(key)
            return memo[key][0]
        figure = builder(*args, **kwargs)
        by_identity = [v for v, part in zip(values, parts, strict=True) if part[0] == "object"]
        memo[key] = (figure, by_identity)  # kept so that their ids stay theirs while the entry exists
        while len(memo) > MAX_FIGURES:
            memo.popitem(last=False)
        return figure

    return wrapper
