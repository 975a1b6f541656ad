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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analysis.errors import CohortError, Issue

#: Cell texts read as missing values (case-sensitive, after stripping blanks).
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "#N/A", ".", "-")
#: Accepted names of the participant id column, compared case-insensitively.
ID_COLUMN_NAMES = ("participant_id", "iid", "subject_id", "sub", "subject", "participant", "#iid")
_DELIMITERS = ("\t", ",", ";", "|")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "whitespace"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")

#: Largest magnitude accepted in a numeric column: beyond it a value is an export error, and its square
#: (in any variance) would overflow float64.
MAX_ABS_VALUE = 1e15
#: Text answers clustered as 1/0 (compared in lower case, surrounding spaces ignored).
YES_NO = {"yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0}


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

    Parsing runs in pyarrow's CSV reader (multi-threaded, quotes and quoted newlines respected);
    every cell is read as text, blanks are trimmed, :data:`MISSING_TOKENS` become missing, and a
    column becomes float64 when every remaining cell is a number.

    Parameters
    ----------
    name : str
        File name for messages.
    text : str
        Decoded text with ``\n`` newlines (see :func:`analysis.inputs.decode_text`).
    id_column : bool
        Whether the table must hold a participant id column (see :data:`ID_COLUMN_NAMES`);
        when it does, that column is renamed ``participant_id`` and kept as text, so that ``007``
        and ``7`` stay different ids.
    what : str
        What the table is, for messages (``"participants table"``).

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
        Numeric columns as float64, other columns as strings with missing cells as NA.
        ``df.attrs["delimiter"]`` holds the delimiter (``" "`` for whitespace) and
        ``df.attrs["line_numbers"]`` the 1-based line of each row in the file (for messages).
        Rows whose cells are all empty are left out.

    Raises
    ------
    CohortError
        Empty or header-only file, duplicate or empty column names, rows with too many or too
        few fields, a header repeated inside the data, or no id column.
    """
    first = next((line for line in text.split("\n", 50) if line.strip()), None)
    if first is None:
        raise CohortError(f"the {what} '{name}' holds no text", name, "choose the file that holds the data")
    delimiter = sniff_delimiter(first, name)
    if delimiter == " ":
        text = _WHITESPACE_RUNS.sub("\t", _EDGE_WHITESPACE.sub("", text))
    parse_delimiter = "\t" if delimiter == " " else delimiter
    header, body_start = _header(name, text, parse_delimiter)
    _check_header(name, header, what)
    if not text[body_start:].strip(" \t\n"):
        raise _header_only(name)
    columns = _parse_columns(name, text, body_start, parse_delimiter, header, delimiter)
    lines = _record_line_numbers(text, parse_delimiter, header, len(columns[0]))
    keep = ~np.logical_and.reduce([pc.is_null(c).to_numpy(zero_copy_only=False) for c in columns])
    if not keep.any():
        raise _header_only(name)
    _check_repeated_header(name, header, columns, lines)
    if id_column:
        id_name = find_id_column(name, header, what)
        header = ["participant_id" if col == id_name else col for col in header]
    frame = _columns_to_frame(header, columns, keep)
    frame.attrs["delimiter"] = delimiter
    frame.attrs["line_numbers"] = lines[keep]
    return frame


def _header_only(name: str) -> CohortError:
    return CohortError(
        f"'{name}' has a header but no data rows",
        name,
        "export the table again with its rows (the file holds only the column names)",
    )


_WHITESPACE_RUNS = re.compile(r"[ \t]+")
_EDGE_WHITESPACE = re.compile(r"(?m)^[ \t]+|[ \t]+$")


def _header(name: str, text: str, delimiter: str) -> tuple[list[str], int]:
    """The first record's fields, trimmed, and the offset in ``text`` where the data begin.

    csv rules apply: a quoted header name may hold the delimiter or a newline.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(fields for fields in reader if any(f.strip() for f in fields))
    except (StopIteration, csv.Error):
        raise CohortError(f"'{name}' holds no rows", name, "choose the file that holds the data") from None
    start = 0
    for _ in range(reader.line_num):
        start = text.find("\n", start) + 1
        if start == 0:
            start = len(text)
            break
    return [field.strip() for field in header], start


def _check_header(name: str, header: list[str], what: str) -> None:
    """Refuse empty or duplicate column names (compared ignoring case)."""
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


def _parse_columns(name: str, text: str, body_start: int, delimiter: str, header: list[str], shown_delimiter: str) -> list[pa.ChunkedArray]:
    """Data cells per column as trimmed strings with missing tokens as nulls; refuses ragged rows."""
    invalid: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.actual_columns == 1 and not row.text.strip():
            return "skip"
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text[body_start:].encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise CohortError(f"the file cannot be read as delimited text ({exc})", name, "check quotes and delimiters") from None
    if invalid:
        row = invalid[0]
        extra = "more" if row.actual_columns > len(header) else "fewer"
        raise CohortError(
            f"row has {row.actual_columns} fields but the header has {len(header)} ({extra} than the header; "
            f"the file is read as {_DELIMITER_NAMES[shown_delimiter]}-delimited)",
            f"{name} line {_line_of(text, row)}",
            "make every row have one value per column (quote values that contain the delimiter)",
        )
    missing = pa.array(MISSING_TOKENS)
    columns = []
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.is_in(trimmed, value_set=missing), pa.scalar(None, pa.string()), trimmed))
    return columns


def _line_of(text: str, row: pacsv.InvalidRow) -> int:
    """1-based line of an invalid row: found by its text, else pyarrow's row number."""
    at = ("\n" + text).find("\n" + row.text + "\n") if row.text else -1
    if at >= 0:
        return text.count("\n", 0, at) + 1
    return int(row.number) if row.number else 0


def _record_line_numbers(text: str, delimiter: str, header: list[str], n_rows: int) -> np.ndarray:
    """1-based file line of each data record, as pyarrow counted them (blank lines skipped)."""
    if '"' in text:
        return _record_line_numbers_quoted(text, delimiter, len(header))[:n_rows]
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    breaks = np.flatnonzero(data == 10)
    record = np.diff(np.concatenate(([-1], breaks, [len(data)]))) > 1
    if len(header) > 1:
        blank = re.compile(r"(?m)^ +$" if delimiter == "\t" else r"(?m)^[ \t]+$")
        for match in blank.finditer(text):
            record[text.count("\n", 0, match.start())] = False
    lines = np.flatnonzero(record) + 1
    return lines[1 : n_rows + 1].astype(np.int64)


def _record_line_numbers_quoted(text: str, delimiter: str, width: int) -> np.ndarray:
    """Line numbers by the csv module, for files with quotes (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines, previous_end = [], 0
    for fields in reader:
        if fields and not (width > 1 and len(fields) == 1 and not fields[0].strip()):
            lines.append(previous_end + 1)
        previous_end = reader.line_num
    return np.asarray(lines[1:], dtype=np.int64)


def _check_repeated_header(name: str, header: list[str], columns: list[pa.ChunkedArray], lines: np.ndarray) -> None:
    """Refuse a data row identical to the header (files concatenated together often carry one)."""
    same = np.logical_and.reduce(
        [pc.fill_null(pc.equal(c, h), False).to_numpy(zero_copy_only=False) for c, h in zip(columns, header, strict=True)]
    )
    if same.any():
        raise CohortError(
            "the header row is repeated inside the data",
            f"{name} line {lines[int(np.flatnonzero(same)[0])]}",
            "delete the repeated header line (files concatenated together often carry one)",
        )


def _columns_to_frame(header: list[str], columns: list[pa.ChunkedArray], keep: np.ndarray) -> pd.DataFrame:
    """A frame with float64 columns where every cell is a number, string columns otherwise."""
    mask = pa.array(keep)
    data = {}
    for name, column in zip(header, columns, strict=True):
        column = column.filter(mask)
        if name != "participant_id":
            try:
                data[name] = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
                continue
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        data[name] = pd.Series(column.to_pandas(), dtype="string").to_numpy()
    frame = pd.DataFrame(data)
    for name in header:
        if frame[name].dtype != np.float64:
            frame[name] = frame[name].astype("string")
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


def normalise_ids(raw: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_id` over a text column (same index)."""
    return raw.astype("string").str.strip().str.replace(r"^[sS][uU][bB]-(.)", r"\1", regex=True).astype(object)


def ids_in(values, ids) -> np.ndarray:
    """Boolean array: which of ``values`` (participant ids) are among ``ids`` (hashing in pyarrow).

    Parameters
    ----------
    values, ids : array-like of str

    Returns
    -------
    ndarray of bool, shape (len(values),)
    """
    values = pa.array(np.asarray(values, dtype=object), type=pa.string())
    value_set = pa.array(np.asarray(ids, dtype=object), type=pa.string())
    return pc.is_in(values, value_set=value_set).to_numpy(zero_copy_only=False)


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
    keys = normalise_ids(raw)
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


def check_finite(name: str, frame: pd.DataFrame, column: str) -> None:
    """Refuse infinite values and values beyond ±:data:`MAX_ABS_VALUE` (missing values are allowed and counted)."""
    values = frame[column].to_numpy()
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise CohortError(
            f"infinite value in column '{column}'",
            f"{name} line {frame.attrs['line_numbers'][row]}, column '{column}'",
            "replace it with the real value, or leave the cell empty if it is missing",
        )
    huge = np.abs(values) > MAX_ABS_VALUE
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise CohortError(
            f"value {values[row]:.3g} in column '{column}' is beyond ±{MAX_ABS_VALUE:.0e}, which no measure reaches (a unit or export error?)",
            f"{name} line {frame.attrs['line_numbers'][row]}, column '{column}'",
            "correct the value, or leave the cell empty if it is missing",
        )


def is_yes_no(values: pd.Series) -> bool:
    """Whether a text column holds only yes/no (y/n, true/false) answers, any case, and at least one."""
    levels = set(values.dropna().astype(str).str.strip().str.lower())
    return bool(levels) and levels <= set(YES_NO)
