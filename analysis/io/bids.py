"""BIDS tabular sidecars: a ``participants.json`` (or ``phenotype/*.json``) read as a data dictionary.

A BIDS sidecar describes each column of its TSV: ``Description``, ``Units``, and ``Levels`` (value →
meaning) for categorical columns (BIDS specification, "Tabular files"). It is read into the tool's
dictionary entries: the description and the unit are kept and shown, and ``Levels`` make the column a
category whose values are read as their labels. It says nothing about modality: the name rules and
the roles the tool proposes (analysis/cohort/roles.py) decide that, as for a CSV without a dictionary.
``n/a`` is a missing value and ``sub-`` is dropped from ids, as everywhere in the tool.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.errors import CohortError

#: The sidecar looked for beside a participants table called participants.tsv.
PARTICIPANTS_SIDECAR = "participants.json"


def is_sidecar(text: str) -> bool:
    """Whether a dictionary file's text is a JSON object (a BIDS sidecar) rather than a table."""
    return text.lstrip().startswith("{")


def sidecar_entries(name: str, text: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """The tool's dictionary entries and category levels for a BIDS sidecar.

    Parameters
    ----------
    name : str
        File name for messages.
    text : str
        The JSON text.

    Returns
    -------
    entries : DataFrame indexed by column
        ``modality`` (always missing), ``description``, ``unit``, ``min``, ``max`` (NaN),
        ``missing_codes``, ``event`` (missing).
    levels : dict of str to dict of str to str
        Column → value → label, for columns with ``Levels``.

    Raises
    ------
    CohortError
        Text that is not JSON, or JSON that is not an object of column objects.
    """
    try:
        sidecar = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CohortError(
            f"the sidecar '{name}' is not valid JSON ({exc.msg})",
            f"{name} line {exc.lineno}",
            "fix the JSON (a validator such as the BIDS validator shows where)",
        ) from None
    if not isinstance(sidecar, dict) or not all(isinstance(v, dict) for v in sidecar.values()):
        raise CohortError(
            f"the sidecar '{name}' is not an object of column descriptions",
            name,
            'give one object per column: {"age": {"Description": "...", "Units": "years"}, ...}',
        )
    rows, levels = [], {}
    for column, spec in sidecar.items():
        described = {k.lower(): v for k, v in spec.items()}
        given = described.get("levels")
        if isinstance(given, dict) and given:
            levels[column] = {str(code): _label(label) for code, label in given.items()}
        rows.append(
            {
                "column": column,
                "modality": pd.NA,
                "description": _text(described.get("description")) or _text(described.get("longname")) or pd.NA,
                "unit": _text(described.get("units")) or pd.NA,
                "min": np.nan,
                "max": np.nan,
                "missing_codes": pd.NA,
                "event": pd.NA,
            }
        )
    entries = pd.DataFrame(rows, columns=["column", "modality", "description", "unit", "min", "max", "missing_codes", "event"])
    return entries.set_index("column"), levels


def _label(value) -> str:
    """A level's label: text, or a BIDS term object's ``TermURL``-less description."""
    if isinstance(value, dict):
        return _text(value.get("Description") or value.get("description") or value.get("TermURL") or "")
    return _text(value)


def _text(value) -> str:
    return "" if value is None else str(value).strip()
