"""Delimited text tables: delimiter sniffing, structural checks with line numbers, id columns.

The participants table, score files, wearable exports, data dictionaries and atlas coordinate files
all go through :func:`read_table`, so that every one of them refuses the same broken inputs with the
same kind of message.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from analysis.errors import CohortError, Issue

#: Cell texts read as missing values (case-sensitive, after stripping blanks).
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "#N/A", ".", "-")
#: Accepted names of the participant id column, compared case-insensitively.
ID_COLUMN_NAMES = ("participant_id", "iid", "subject_id", "sub", "subject", "participant", "#iid")
_DELIMITERS = ("\t", ",", ";", "|")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "whitespace"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def sniff_delimiter(header_line: str, name: str) -> str:
    """Return the delimiter of a table from its header line.

    The most frequent of tab, comma, semicolon and pipe wins; a header with none of them but
    runs of spaces (PLINK, PRSice) is read as whitespace-delimited (returned as ``" "``).
    """
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    if counts[best] > 0:
        return best
    if len(header_line.split()) > 1:
        return " "
    return ","


def read_table(name: str, text: str, *, id_column: bool = True, what: str = "table") -> pd.DataFrame:
    """Parse delimited text into a DataFrame of strings and numbers, checking its structure.

    Parameters
    ----------
    name : str
        File name for messages.
    text : str
        Decoded text (see :func:`analysis.inputs.decode_text`).
    id_column : bool
        Whether the table must hold a participant id column (see :data:`ID_COLUMN_NAMES`);
        when it does, that column is renamed ``participant_id`` and read as text, so that ``007``
        and ``7`` stay different ids.
    what : str
        What the table is, for messages (``"participants table"``).

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
        Numeric columns as float64, other columns as strings with missing cells as NA.
        ``df.attrs["delimiter"]`` holds the delimiter used and ``df.attrs["line_numbers"]``
        the 1-based line of each row in the file (for messages).

    Raises
    ------
    CohortError
        Empty or header-only file, duplicate or empty column names, rows with too many or too
        few fields, a header repeated inside the data, or no id column.
    """
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise CohortError(f"the {what} '{name}' holds no text", name, "choose the file that holds the data")
    delimiter = sniff_delimiter(lines[first], name)
    header, records = _parse_records(name, text, delimiter)
    _check_header(name, header, delimiter, what)
    _check_records(name, header, records, delimiter)
    if id_column:
        id_name = find_id_column(name, header, what)
        header = ["participant_id" if col == id_name else col for col in header]
    frame = _records_to_frame(header, records)
    frame.attrs["delimiter"] = delimiter
    frame.attrs["line_numbers"] = np.array([line for line, _ in records], dtype=np.int64)
    return frame


def _parse_records(name: str, text: str, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Split text into a header and (line number, fields) records, skipping blank lines."""
    if delimiter == " ":
        rows = ((i + 1, line.split()) for i, line in enumerate(text.split("\n")))
    else:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
        rows = _numbered(reader)
    records = [(line, [field.strip() for field in fields]) for line, fields in rows if any(f.strip() for f in fields)]
    if not records:
        raise CohortError(f"'{name}' holds no rows", name, "choose the file that holds the data")
    (_, header), *body = records
    if not body:
        raise CohortError(
            f"'{name}' has a header but no data rows",
            name,
            "export the table again with its rows (the file holds only the column names)",
        )
    return header, body


def _numbered(reader) -> list[tuple[int, list[str]]]:
    """Yield csv records with the file line on which each starts (quoted newlines respected)."""
    out = []
    previous_end = 0
    try:
        for fields in reader:
            out.append((previous_end + 1, fields))
            previous_end = reader.line_num
    except csv.Error as exc:
        raise CohortError(f"malformed quoting near line {reader.line_num} ({exc})", "the file", "check the quotes on that line") from None
    return out


def _check_header(name: str, header: list[str], delimiter: str, what: str) -> None:
    """Refuse empty or duplicate column names."""
    seen: dict[str, tuple[int, str]] = {}
    for position, column in enumerate(header, start=1):
        if not column:
            raise CohortError(
                f"column {position} of the {what} has no name",
                f"{name} line 1",
                "give every column a name in the header row (or delete the empty column)",
            )
        key = column.lower()
        if key in seen:
            first, name_before = seen[key]
            names = f"'{column}'" if name_before == column else f"'{name_before}' and '{column}' (compared ignoring case)"
            raise CohortError(
                f"duplicate column name {names} (columns {first} and {position})",
                f"{name} line 1",
                "rename one of the two columns so that every column name is unique",
            )
        seen[key] = (position, column)


def _check_records(name: str, header: list[str], records: list[tuple[int, list[str]]], delimiter: str) -> None:
    """Refuse rows whose field count differs from the header and header lines repeated in the data."""
    width = len(header)
    for line, fields in records:
        if len(fields) != width:
            extra = "more" if len(fields) > width else "fewer"
            raise CohortError(
                f"row has {len(fields)} fields but the header has {width} ({extra} than the header; "
                f"the file is read as {_DELIMITER_NAMES[delimiter]}-delimited)",
                f"{name} line {line}",
                "make every row have one value per column (quote values that contain the delimiter)",
            )
        if fields == header:
            raise CohortError(
                "the header row is repeated inside the data",
                f"{name} line {line}",
                "delete the repeated header line (files concatenated together often carry one)",
            )


def _records_to_frame(header: list[str], records: list[tuple[int, list[str]]]) -> pd.DataFrame:
    """Build a frame of text columns with missing tokens as NA, then numeric columns as float64."""
    columns = list(zip(*(fields for _, fields in records), strict=True))
    missing = set(MISSING_TOKENS)
    data = {}
    for column, values in zip(header, columns, strict=True):
        text = pd.Series([None if v in missing else v for v in values], dtype="string")
        data[column] = text
    frame = pd.DataFrame(data)
    for column in header:
        if column == "participant_id":
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum():
            frame[column] = numbers.astype("float64")
    return frame


def find_id_column(name: str, header: list[str], what: str = "table") -> str:
    """Return the header's participant id column (first of :data:`ID_COLUMN_NAMES` present)."""
    lowered = {column.lower(): column for column in header}
    for candidate in ID_COLUMN_NAMES:
        if candidate in lowered:
            return lowered[candidate]
    shown = ", ".join(f"'{c}'" for c in header[:6]) + (", ..." if len(header) > 6 else "")
    hint = ""
    if len(header) == 1:
        hint = " (the whole header is one column: the file is not comma, tab, semicolon or pipe delimited)"
    raise CohortError(
        f"no participant id column in the {what}; found columns {shown}{hint}",
        f"{name} line 1",
        "name the id column 'participant_id' (IID, subject_id and sub are accepted too)",
    )


def normalise_id(raw: str) -> str:
    """Return the matching key of a participant id: blanks stripped and a BIDS ``sub-`` prefix removed.

    Ids stay text: ``"007"`` and ``"7"`` are different participants.
    """
    text = raw.strip()
    return text[4:] if text.lower().startswith("sub-") and len(text) > 4 else text


def normalised_ids(name: str, frame: pd.DataFrame, what: str = "table") -> pd.Series:
    """Return the normalised ids of ``frame["participant_id"]``, refusing missing or duplicate ids.

    Returns
    -------
    Series of str, same index as ``frame``.
    """
    lines = frame.attrs.get("line_numbers")
    raw = frame["participant_id"]
    if raw.isna().any():
        row = int(np.flatnonzero(raw.isna().to_numpy())[0])
        raise CohortError(
            f"missing participant id in the {what}",
            f"{name} line {lines[row] if lines is not None else row + 2}",
            "give every row an id (or delete rows that are not participants)",
        )
    keys = raw.astype(str).map(normalise_id)
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = keys[duplicated].iloc[0]
        rows = np.flatnonzero((keys == first).to_numpy())
        where = " and ".join(str(lines[r]) if lines is not None else str(r + 2) for r in rows[:3])
        originals = sorted({str(v) for v in raw.iloc[rows]})
        same = f" ({' and '.join(repr(o) for o in originals)} are the same participant)" if len(originals) > 1 else ""
        raise CohortError(
            f"duplicate participant_id '{first}'{same}",
            f"{name} lines {where}",
            "make ids unique (merge or remove the repeated rows)",
        )
    return keys


def coerce_numeric(name: str, frame: pd.DataFrame, column: str, delimiter: str) -> tuple[pd.Series, list[Issue]]:
    """Convert a mostly numeric text column to float64, or explain the cell that blocks it.

    Decimal commas (``3,5``) are accepted, with a warning, when the file is not comma-delimited
    and every number in the column is written that way.

    Returns
    -------
    values : Series of float64
    issues : list of Issue

    Raises
    ------
    CohortError
        Naming the first cell that is not a number (line and column).
    """
    text = frame[column]
    present = text.dropna()
    if delimiter != "," and len(present) and present.str.match(_DECIMAL_COMMA.pattern).any():
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        if numbers.notna().sum() == len(present):
            issue = Issue(
                "info",
                f"column '{column}' uses decimal commas; read as decimal points",
                name,
                "check the values; export with '.' decimals to avoid the conversion",
            )
            return numbers.astype("float64"), [issue]
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna()
    row = int(np.flatnonzero(bad.to_numpy())[0])
    lines = frame.attrs.get("line_numbers")
    raise CohortError(
        f"'{text.iloc[row]}' in column '{column}' is not a number",
        f"{name} line {lines[row] if lines is not None else row + 2}, column '{column}'",
        "correct the value, or leave the cell empty if it is missing (NA and . are read as missing too)",
    )


def numeric_fraction(series: pd.Series) -> float:
    """Fraction of the non-missing cells of a text column that parse as numbers (decimal commas allowed)."""
    present = series.dropna()
    if present.empty:
        return 0.0
    numbers = pd.to_numeric(present.str.replace(",", ".", regex=False), errors="coerce")
    return float(numbers.notna().mean())
