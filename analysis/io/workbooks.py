"""Excel workbooks (.xlsx) and Parquet tables read as the delimited text every table loader parses.

A workbook's sheet or a Parquet table becomes CSV text, one line per sheet row (so that "line N" in a
message is row N of the sheet), and then goes through the same checks as a CSV: ids as text,
missing tokens, numbers with typos, ranges. Detection is by content, never by the file name: an
.xlsx is a zip archive holding ``xl/workbook.xml``, a Parquet file starts and ends with ``PAR1``.
Formulas are never run: openpyxl returns the value the spreadsheet program saved with each formula
(a formula saved without one, as some writers do, is read as missing and said so).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from analysis.errors import CohortError
from analysis.io.inputs import MAX_EXPANDED_BYTES, MAX_EXPANSION_RATIO, ZIP_READ_ERRORS, checked_zip_members, readable_size

XLSX = "xlsx"
PARQUET = "parquet"


def table_format(data: bytes) -> str:
    """``"xlsx"``, ``"parquet"`` or ``""`` (anything else), from the bytes alone."""
    if data[:4] == b"PAR1" and data[-4:] == b"PAR1" and len(data) >= 12:
        return PARQUET
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except ZIP_READ_ERRORS:
            return ""
        if "xl/workbook.xml" in names:
            return XLSX
    return ""


def sheet_names(name: str, data: bytes) -> list[str]:
    """The workbook's worksheet names, in workbook order (chart sheets left out)."""
    return list(_workbook(name, data).sheetnames)


def xlsx_as_csv(name: str, data: bytes, sheet: str = "") -> tuple[str, str, tuple[str, ...], int]:
    """One worksheet as CSV text.

    Parameters
    ----------
    name : str
        File name for messages.
    data : bytes
        The .xlsx bytes.
    sheet : str
        The worksheet to read; empty: the first.

    Returns
    -------
    text : str
        CSV, one line per sheet row from row 1, every line as wide as the widest row's last value
        (empty columns and rows after the table left out). Numbers are
        written exactly (a whole number without ``.0``), dates as ISO 8601, TRUE/FALSE as true/false.
    sheet : str
        The worksheet read.
    sheets : tuple of str
        Every worksheet of the workbook, in order.
    no_saved_value : int
        Formula cells that had no saved value (read as missing).

    Raises
    ------
    CohortError
        A damaged workbook, one that expands beyond the size limits, or a sheet it does not hold.
    """
    workbook = _workbook(name, data)
    names = list(workbook.sheetnames)
    if not names:
        raise CohortError(f"the workbook '{name}' has no worksheet", name, "save the table in a worksheet")
    chosen = sheet or names[0]
    if chosen not in names:
        raise CohortError(
            f"the workbook '{name}' has no sheet '{chosen}'",
            name,
            f"choose one of its sheets: {', '.join(repr(n) for n in names)}",
        )
    try:
        rows = [[_cell_text(v) for v in row] for row in workbook[chosen].iter_rows(values_only=True)]
    except Exception as exc:  # a damaged sheet raises XML parse errors, zlib errors, KeyError, ...
        raise CohortError(
            f"'{name}' is a damaged Excel workbook (sheet '{chosen}': {type(exc).__name__})",
            name,
            "open it in Excel or LibreOffice and save it again",
        ) from None
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, cell in enumerate(row) if cell), default=0) for row in rows), default=0)
    rows = [(row + [""] * width)[:width] for row in rows]
    formulas = _formulas_without_value(data, chosen, rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue(), chosen, tuple(names), formulas


def parquet_as_csv(name: str, data: bytes) -> tuple[str, int]:
    """A Parquet table as CSV text and its number of rows.

    Text columns stay text (an id ``007`` stays ``007``), integers stay whole, floats are written
    exactly, timestamps as ISO 8601, nulls as empty cells.

    Raises
    ------
    CohortError
        A damaged file, or one that expands beyond the size limits.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        expanded = sum(parquet.metadata.row_group(i).total_byte_size for i in range(parquet.metadata.num_row_groups))
        _check_expansion(name, len(data), expanded)
        table = parquet.read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CohortError(f"'{name}' is a damaged Parquet file ({exc})", name, "write the table again (pandas: df.to_parquet)") from None
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in frame.columns:
        kind = frame[column].dtype.pyarrow_dtype
        if pa.types.is_floating(kind):
            frame[column] = frame[column].map(repr, na_action="ignore")
        elif pa.types.is_boolean(kind):
            frame[column] = frame[column].map(lambda v: "true" if v else "false", na_action="ignore")
        elif not (pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            frame[column] = frame[column].map(_cell_text, na_action="ignore")
    return frame.to_csv(index=False, lineterminator="\n"), len(frame)


def _workbook(name: str, data: bytes):
    """The workbook opened read-only with the saved values of formulas, after the zip's size checks."""
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = checked_zip_members(name, archive, "workbook")
        _check_expansion(name, len(data), sum(info.file_size for info in infos))
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except CohortError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file (KeyError, ValueError, XML errors)
        raise CohortError(
            f"'{name}' is a damaged Excel workbook ({type(exc).__name__})", name, "open it in Excel or LibreOffice and save it again"
        ) from None


def _check_expansion(name: str, size: int, expanded: int) -> None:
    limit = min(MAX_EXPANDED_BYTES, max(size, 1) * MAX_EXPANSION_RATIO)
    if expanded > limit:
        raise CohortError(
            f"'{name}' expands to {readable_size(expanded)}, over the {readable_size(limit)} allowed for this file",
            name,
            "save only the table's sheet, or split the table",
        )


def _cell_text(value) -> str:
    """A cell's value as the text a CSV of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _formulas_without_value(data: bytes, sheet: str, rows: list[list[str]]) -> int:
    """Formula cells of the sheet whose saved value is missing (they are read as missing)."""
    import openpyxl

    if not _holds_formulas(data):
        return 0
    formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)[sheet]
    count = 0
    for r, row in enumerate(formulas.iter_rows(values_only=True)):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("="):
                shown = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
                count += shown == ""
    return count


def _holds_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula element (``<f>``)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheets = (archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    return any(b"<f>" in xml or b"<f " in xml for xml in sheets)
