"""Progress of long work, with a Stop button beside it.

A click on Stop makes Streamlit rerun the page, which ends the work at its next progress update;
nothing the session holds is lost (the cohort, the runs, their names and groups), because a step
stores its result only when it finishes. The rerun then says what was stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import streamlit as st

STOP_HELP = (
    "Stops this step at its next progress update. Nothing else is lost: the cohort, the runs computed before, their "
    "names and groups stay as they were."
)


@contextlib.contextmanager
def progress_bar(text: str, stop_key: str) -> Iterator[Callable[[float, str], None]]:
    """A progress bar and a Stop button for the block's duration.

    Parameters
    ----------
    text : str
        What the work is doing, until its first update.
    stop_key : str
        The Stop button's widget key (:func:`was_stopped` reads it on the rerun a click starts).

    Yields
    ------
    callable(fraction, message)
        The progress callback analysis/ calls: fraction in [0, 1], message in words.
    """
    slot = st.empty()
    with slot.container():
        bar = st.progress(0.0, text=text)
        st.button("Stop", key=stop_key, icon=":material/stop_circle:", help=STOP_HELP)
    try:
        yield lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message)
    finally:
        slot.empty()


def was_stopped(stop_key: str) -> bool:
    """Whether this rerun was started by a click on the Stop button of ``stop_key``."""
    return bool(st.session_state.get(stop_key))


def render_stopped(stop_key: str, what: str) -> None:
    """Say that ``what`` was stopped, when this rerun was started by its Stop button."""
    if was_stopped(stop_key):
        st.warning(
            f"Stopped: {what} did not finish. Nothing else was lost: the cohort, the runs computed before, their names and "
            "groups are as they were.",
            icon=":material/stop_circle:",
        )
