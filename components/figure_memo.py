"""Figures drawn once per session and inputs: a page rerun shows the figure built before instead of building it again.

Building a plotly figure (plotly validates every property) is most of a page's server time once the
run's results are cached; the same figure is asked for again at every page switch and every widget
change elsewhere on the page. :func:`remembered` memoises a figure builder in this session's state:

- arguments that are hashable values (numbers, strings, tuples of them) and dicts of them (biotype
  names) are compared by value;
- any other argument (a run's DataFrame, a result dataclass) by identity: the memo keeps a reference to
  it, so that its ``id`` cannot be reused by another object while the entry exists. The run's results
  are never changed in place (they are frozen dataclasses and tables that nothing writes to), so the
  same object means the same content.

The memo holds at most :data:`MAX_FIGURES` figures per session (least recently used dropped), so
arguments made afresh at every rerun cost a miss, never unbounded memory. Outside a Streamlit script
run (tests, the command line) the builder is simply called.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

T = TypeVar("T")

#: Figures kept per session.
MAX_FIGURES = 96
_MEMO_KEY = "_figure_memo"


def _key_part(value: Any) -> tuple[str, Hashable]:
    """How an argument is compared: (its type, value) when it is hashable by value, else ("object", id)."""
    if isinstance(value, dict):
        try:
            return ("dict", tuple(sorted(value.items())))
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


def _session_memo() -> OrderedDict | None:
    """The memo of the session running this script, or None outside a Streamlit script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.setdefault(_MEMO_KEY, OrderedDict())


def remembered(builder: Callable[..., T]) -> Callable[..., T]:
    """``builder`` memoised per session on its arguments (see the module docstring)."""
    name = f"{builder.__module__}.{builder.__qualname__}"

    @functools.wraps(builder)
    def wrapper(*args, **kwargs) -> T:
        memo = _session_memo()
        if memo is None:
            return builder(*args, **kwargs)
        key = (name, tuple(_key_part(a) for a in args), tuple((k, _key_part(v)) for k, v in sorted(kwargs.items())))
        if key in memo:
            memo.move_to_end(key)
            return memo[key][0]
        figure = builder(*args, **kwargs)
        memo[key] = (figure, args, kwargs)  # the arguments are kept so that their ids stay theirs
        while len(memo) > MAX_FIGURES:
            memo.popitem(last=False)
        return figure

    return wrapper
