"""CSV cells a spreadsheet would run as formulas ("CSV injection"), made inert on export and read back as written.

Every CSV the tool writes goes through :func:`csv_bytes`; a file the tool writes and later reads
back (the edited data dictionary) is read through :func:`without_formula_guard`.
"""

from __future__ import annotations

import pandas as pd

#: First characters that make a spreadsheet evaluate a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What :func:`spreadsheet_safe` puts before such a cell; spreadsheets show the rest as text.
GUARD = "'"


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell a spreadsheet would run as a formula made inert.

    A text cell (or column name) that starts with one of :data:`FORMULA_STARTS` gets a leading
    apostrophe, which Excel, LibreOffice and Google Sheets show as text (``=HYPERLINK(...)`` in a
    participant id or biotype name would otherwise run when the CSV is opened). Numeric columns,
    missing values and text that is a plain number (``-1.5``) are left exactly as they are.

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing needed changing, else a changed copy.
    """
    changed = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            continue
        risky = column.str.startswith(FORMULA_STARTS, na=False).astype(bool)
        if risky.any():
            risky &= ~column.where(risky).map(_plain_number, na_action="ignore").fillna(False).astype(bool)
            changed[name] = column.mask(risky, GUARD + column.where(risky).astype(object).astype(str))
    names = {c: GUARD + c for c in frame.columns if isinstance(c, str) and c.startswith(FORMULA_STARTS) and not _plain_number(c)}
    if not changed and not names:
        return frame
    return frame.assign(**changed).rename(columns=names) if changed else frame.rename(columns=names)


def without_formula_guard(values: pd.Series) -> pd.Series:
    """Text cells as they were before :func:`spreadsheet_safe`: the apostrophe before a formula start removed.

    ``'=x`` → ``=x``, ``'-99;-`` → ``-99;-``; any other text (``'quoted``, ``o'clock``) is unchanged.
    """
    text = values.astype("string")
    guarded = text.str.startswith(GUARD, na=False) & text.str[1:2].isin(FORMULA_STARTS).fillna(False).astype(bool)
    return text.mask(guarded, text.str[1:])


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def csv_bytes(frame: pd.DataFrame) -> bytes:
    r"""A table as CSV bytes (no index, ``\n`` line ends), with formula-like text made inert (:func:`spreadsheet_safe`)."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n").encode()
