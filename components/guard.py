"""Keep a failure inside one page inside that page."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from analysis.errors import CohortError

LOG = logging.getLogger("pain_biotype_explorer")


@contextlib.contextmanager
def page_guard(page_title: str) -> Iterator[None]:
    """Run a page; a user error or a bug in it becomes one message in that page, and the app goes on.

    A :class:`~analysis.errors.CohortError` the page did not handle itself is shown as it is (what,
    where, how to fix). Any other exception is a bug: the browser gets its type and where it
    happened, never its message or traceback (they can quote cell values of health data); the full
    traceback goes to the server's log. Streamlit's own rerun and stop signals are not exceptions
    of this kind and pass through. Session state (the cohort, runs) is never touched here, so every
    other page keeps working.
    """
    try:
        yield
    except CohortError as error:
        st.error(str(error), icon=":material/error:")
    except Exception as error:  # the point is to contain whatever a page raises
        LOG.exception("the page '%s' failed", page_title)
        st.error(
            f"The page **{page_title}** stopped on an unexpected error ({type(error).__name__}): this is a bug in the tool, "
            "not in your data. Your cohort and results are kept and the other pages work; the details are in the server's log.",
            icon=":material/bug_report:",
        )
