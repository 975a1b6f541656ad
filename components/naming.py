"""Naming biotypes by hand: a small form under the map."""

from __future__ import annotations

import streamlit as st

from analysis.config import MAX_NAME_LENGTH
from components import state


def render_naming_form(names: dict[int, str], automatic: dict[int, str], given: dict[int, str]) -> dict[int, str] | None:
    """One text box per biotype; returns the names to give when 'Save names' is clicked.

    Parameters
    ----------
    names : dict of int to str
        Biotype number → current name.
    automatic : dict of int to str
        Biotype number → automatic name (shown as the placeholder).
    given : dict of int to str
        1-based biotype number → name given by hand so far.

    Returns
    -------
    dict of int to str or None
        1-based biotype number → name (empty restores the automatic one); None until submitted.
    """
    with st.expander("Name the biotypes (names appear on every page and in every export)"):
        with st.form(state.BIOTYPES_NAMING_FORM, border=False):
            values = {}
            columns = st.columns(2)
            for k, biotype in enumerate(sorted(names)):
                values[biotype] = columns[k % 2].text_input(
                    f"B{biotype}",
                    value=given.get(biotype, ""),
                    placeholder=automatic.get(biotype, ""),
                    max_chars=MAX_NAME_LENGTH,
                    key=f"{state.BIOTYPES_NAME_PREFIX}{biotype}",
                    help="Leave empty for the automatic name (from the largest effects).",
                )
            submitted = st.form_submit_button("Save names", key=state.BIOTYPES_SAVE_NAMES)
    return values if submitted else None
