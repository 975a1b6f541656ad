"""Tables as the pages show them: p- and q-values in scientific notation, effect sizes to two decimals."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import NAMED_IN_MESSAGE

#: Columns holding p- or q-values (exact names, and any name ending in one of the suffixes).
P_VALUE_COLUMNS = ("p_value", "q_value", "p", "q")
P_VALUE_SUFFIXES = ("_p", "_q")
#: Effect-size columns, shown to two decimals.
EFFECT_COLUMNS = ("cohens_d", "cramers_v", "value", "importance", "odds_ratio_per_sd", "auc")
#: printf formats (Streamlit's NumberColumn): %g switches to scientific notation for small values
#: (2.5e-25, not 0.0000000000000000000000002) and keeps 0.03 as it is.
P_VALUE_FORMAT = "%.2g"
EFFECT_FORMAT = "%.2f"


def is_p_value_column(name: str) -> bool:
    """Whether a column holds p- or q-values, by its name."""
    return name in P_VALUE_COLUMNS or name.endswith(P_VALUE_SUFFIXES)


def column_config(frame: pd.DataFrame) -> dict:
    """Streamlit column configuration for a results table: p/q values and effect sizes formatted.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    dict of str to streamlit column config
        One entry per numeric p/q or effect-size column of ``frame``.
    """
    config = {}
    for name in frame.columns:
        if not pd.api.types.is_float_dtype(frame[name]):
            continue
        if is_p_value_column(str(name)):
            config[name] = st.column_config.NumberColumn(format=P_VALUE_FORMAT)
        elif name in EFFECT_COLUMNS:
            config[name] = st.column_config.NumberColumn(format=EFFECT_FORMAT)
    return config


def render_table(frame: pd.DataFrame, container=st, **options) -> None:
    """Draw a results table (no index, full width) with :func:`column_config`; ``options`` go to ``st.dataframe``."""
    container.dataframe(frame, hide_index=True, width="stretch", column_config=column_config(frame), **options)


def render_all_columns(issue) -> None:
    """Under a finding whose message names only some of its columns, an expander listing them all."""
    if len(issue.columns) > NAMED_IN_MESSAGE:
        with st.expander(f"All {len(issue.columns)} columns"):
            st.markdown(", ".join(f"`{c}`" for c in issue.columns))
