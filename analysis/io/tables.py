"""Delimited text tables: delimiter sniffing, structural checks with line numbers, id columns.

The participants table, score files, wearable exports, data dictionaries and atlas coordinate files
all go through :func:`read_table`, so that every one of them refuses the same broken inputs with the
same kind of message.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analysis.errors import CohortError, Issue

#: Cell texts read as missing values (case-sensitive, after stripping blanks).
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "#N/A", ".", "-")
#: Accepted names of the participant id column, compared case-insensitively.
ID_COLUMN_NAMES = (
    "participant_id",
    "iid",
    "subject_id",
    "sub",
    "subject",
    "participant",
    "#iid",
    "record_id",
    "patient_id",
    "usubjid",
    "subjid",
    "eid",
)
_DELIMITERS = ("\t", ",", ";", "|")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "whitespace"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")

#: Largest magnitude accepted in a numeric column: beyond it a value is an export error, and its square
#: (in any variance) would overflow float64.
MAX_ABS_VALUE = 1e15
# The csv module (header and line numbers; pyarrow parses the cells) refuses fields over 131,072
# characters by default; a long quoted note is valid, and inputs are bounded by their size limit.
csv.field_size_limit(2**31 - 1)

#: Longest header row read, in characters (20,000 columns of 100 characters); longer is not a table.
MAX_HEADER_CHARS = 2_000_000

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
    r"""Parse delimited text into a DataFrame of strings and numbers, checking its structure.

    Parsing runs in pyarrow's CSV reader (multi-threaded, quotes and quoted newlines respected);
    every cell is read as text, blanks are trimmed, :data:`MISSING_TOKENS` become missing, and a
    column becomes float64 when every remaining cell is a number.

    Parameters
    ----------
    name : str
        File name for messages.
    text : str
        Decoded text with ``\n`` newlines (see :func:`analysis.io.inputs.decode_text`).
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
        ``df.attrs["line_numbers"]`` the 1-based line of each row in the file (for messages), and
        ``df.attrs["multiline_records"]`` the (first, last) lines of rows whose quoted values hold
        line breaks (see :func:`multiline_issue`). Rows whose cells are all empty are left out.

    Raises
    ------
    CohortError
        Empty or header-only file, duplicate or empty column names, rows with too many or too
        few fields, a header repeated inside the data, a quoted value that swallows rows (a quote
        left open), or no id column.
    """
    first_line_length = text.find("\n") if "\n" in text else len(text)
    if first_line_length > MAX_HEADER_CHARS:
        raise CohortError(
            f"the first line of the {what} '{name}' is {first_line_length:,} characters long: "
            "not a header row (is the file one long line, or not a table?)",
            f"{name} line 1",
            "give a table with one header row and one row per line",
        )
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
    lines, spans = _record_line_numbers(text, parse_delimiter, header, len(columns[0]))
    _check_quoted_line_breaks(name, text, parse_delimiter, len(header), spans)
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
    frame.attrs["multiline_records"] = spans
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
        if row.text.count('"') % 2 == 1:
            raise CohortError(
                "a quoted value is never closed, so every line after it is read into one cell",
                _where_row(name, text, row),
                'close the quote (a cell that starts with " must end with "), or write a quote inside a value as ""',
            )
        extra = "more" if row.actual_columns > len(header) else "fewer"
        raise CohortError(
            f"row has {row.actual_columns} fields but the header has {len(header)} ({extra} than the header; "
            f"the file is read as {_DELIMITER_NAMES[shown_delimiter]}-delimited)",
            _where_row(name, text, row),
            "make every row have one value per column (quote values that contain the delimiter)",
        )
    missing = pa.array(MISSING_TOKENS)
    columns = []
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.is_in(trimmed, value_set=missing), pa.scalar(None, pa.string()), trimmed))
    return columns


def _where_row(name: str, text: str, row: pacsv.InvalidRow) -> str:
    """Where an invalid row is, for messages: its 1-based line, found by its text or pyarrow's row number."""
    at = ("\n" + text + "\n").find("\n" + row.text + "\n") if row.text else -1  # the last line may lack its newline
    if at >= 0:
        return f"{name} line {text.count(chr(10), 0, at) + 1}"
    if row.number and row.number > 0:
        return f"{name} line {int(row.number) + 1}"
    return f"{name}, the row that begins {row.text[:40]!r}"


def _record_line_numbers(text: str, delimiter: str, header: list[str], n_rows: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """1-based file line of each data record, as pyarrow counted them (blank lines skipped).

    Returns
    -------
    lines : ndarray of int64, shape (n_rows,)
    spans : list of (first line, last line)
        Data records whose quoted values hold line breaks, so that they span several lines.
    """
    if '"' in text:
        lines, spans = _record_line_numbers_quoted(text, delimiter, len(header))
        return lines[:n_rows], spans
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    breaks = np.flatnonzero(data == 10)
    record = np.diff(np.concatenate(([-1], breaks, [len(data)]))) > 1
    if len(header) > 1:
        blank = re.compile(r"(?m)^ +$" if delimiter == "\t" else r"(?m)^[ \t]+$")
        for match in blank.finditer(text):
            record[text.count("\n", 0, match.start())] = False
    lines = np.flatnonzero(record) + 1
    return lines[1 : n_rows + 1].astype(np.int64), []


def _record_line_numbers_quoted(text: str, delimiter: str, width: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Line numbers by the csv module, for files with quotes (a quoted value may span lines), and the multi-line records."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines, spans, previous_end = [], [], 0
    for fields in reader:
        if fields and not (width > 1 and len(fields) == 1 and not fields[0].strip()):
            lines.append(previous_end + 1)
            if reader.line_num > previous_end + 1 and len(lines) > 1:
                spans.append((previous_end + 1, reader.line_num))
        previous_end = reader.line_num
    return np.asarray(lines[1:], dtype=np.int64), spans


def _check_quoted_line_breaks(name: str, text: str, delimiter: str, width: int, spans: list[tuple[int, int]]) -> None:
    """Refuse a quoted value that swallows rows: a quote left open folds the rows after it into one cell.

    A line of a multi-line record other than its last that holds as many delimiters as a whole row
    (``width - 1``) is a row of its own, not part of a note.
    """
    if not spans or width < 2:
        return
    all_lines = text.split("\n")
    for first, last in spans:
        whole_rows = [line for line in range(first, last) if all_lines[line - 1].count(delimiter) >= width - 1]
        if whole_rows:
            raise CohortError(
                f"a quoted value opened on line {first} closes only on line {last}, so lines {first}-{last} would be read as "
                f"one row; line(s) {', '.join(map(str, whole_rows[:5]))} hold a whole row's fields each",
                f"{name} lines {first}-{last}",
                f'close the quote opened on line {first} (a cell that starts with " must end with "), or write a quote inside '
                'a value as ""',
            )


def multiline_issue(name: str, frame: pd.DataFrame) -> Issue | None:
    """A warning naming the rows of :func:`read_table`'s table whose quoted values span several lines, or None."""
    spans = frame.attrs.get("multiline_records") or []
    if not spans:
        return None
    shown = ", ".join(f"{a}-{b}" for a, b in spans[:5]) + (", ..." if len(spans) > 5 else "")
    return Issue(
        "warning",
        f"{len(spans)} row(s) hold quoted values with line breaks, each read as one row of several lines (lines {shown}); "
        f"the table has {len(frame)} rows",
        name,
        "check those cells: if a quote was left open, close it; if the line breaks belong there, nothing is wrong",
    )


def refuse_multiline(name: str, frame: pd.DataFrame, what: str) -> None:
    """Refuse line breaks inside quoted values in a table that has no free-text cells (scores, daily rows, ids)."""
    spans = frame.attrs.get("multiline_records") or []
    if spans:
        first, last = spans[0]
        raise CohortError(
            f"a quoted value in the {what} spans lines {first}-{last}; its cells hold no text with line breaks",
            f"{name} lines {first}-{last}",
            "close the quote on line " + str(first) + ' (a cell that starts with " must end with ")',
        )


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
        "name the id column 'participant_id' (IID, subject_id, sub, record_id, patient_id and USUBJID are accepted too)",
    )


#: Characters that do not show: zero-width space, joiners, word joiner, byte-order mark, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise_id(raw: str) -> str:
    """Return the matching key of a participant id.

    Unicode NFC (a composed and a decomposed "é" are one character), invisible characters
    (:data:`_INVISIBLE`) and surrounding blanks removed, case folded (``P001`` and ``p001`` are one
    id), and a BIDS ``sub-`` prefix removed. Ids stay text: ``"007"`` and ``"7"`` are different
    participants.
    """
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", raw)).strip().casefold()
    return text[4:].strip() if text.startswith("sub-") and text[4:].strip() else text


def normalise_ids(raw: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_id` over a text column (same index)."""
    text = raw.astype("string").str.replace(_INVISIBLE.pattern, "", regex=True).str.normalize("NFC").str.strip().str.casefold()
    return text.str.replace(r"^sub-\s*(\S)", r"\1", regex=True).astype(object)


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
            f"{name} line {_line(lines, row)}",
            "give every row an id (or delete rows that are not participants)",
        )
    keys = normalise_ids(raw)
    empty = (keys == "").to_numpy(dtype=bool)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise CohortError(
            f"participant id {_shown_id(str(raw.iloc[row]))} in the {what} holds only invisible characters",
            f"{name} line {_line(lines, row)}",
            "give every row an id (or delete rows that are not participants)",
        )
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = keys[duplicated].iloc[0]
        rows = np.flatnonzero((keys == first).to_numpy())
        where = " and ".join(str(_line(lines, r)) for r in rows[:3])
        originals = sorted({str(v) for v in raw.iloc[rows]})
        same = f" ({' and '.join(_shown_id(o) for o in originals)} are the same participant)" if len(originals) > 1 else ""
        raise CohortError(
            f"duplicate participant_id '{first}'{same}",
            f"{name} lines {where}",
            "make ids unique (merge or remove the repeated rows)",
        )
    return keys


def _line(lines: np.ndarray | None, row: int) -> int:
    """The file line of a row: from read_table's line numbers, else counted (header on line 1)."""
    return int(lines[row]) if lines is not None else row + 2


def _shown_id(raw: str) -> str:
    """An id for messages, with its code points spelled out when it holds more than plain printable ASCII."""
    return repr(raw) if raw.isascii() and raw.isprintable() else f"{raw!r} (written {ascii(raw)})"


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
        f"{name} line {_line(lines, row)}, column '{column}'",
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
