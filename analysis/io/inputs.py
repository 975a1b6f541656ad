"""Input files as bytes: size limits, provenance hashes, text decoding, gzip and zip handling.

Every loader takes an :class:`InputFile`, whether the bytes came from disk (the command line)
or from a browser upload (the dashboard), so both paths run the same checks.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from analysis.errors import CohortError, Issue

#: Largest input accepted, in bytes (the dashboard's upload limit is the same, see .streamlit/config.toml).
MAX_INPUT_BYTES = 1024 * 2**20
#: Largest total size a zip or gzip may expand to, in bytes, and the largest expansion ratio.
MAX_EXPANDED_BYTES = 4 * 1024 * 2**20
MAX_EXPANSION_RATIO = 200


@dataclass(frozen=True)
class InputFile:
    """One input file held in memory.

    Attributes
    ----------
    name : str
        The file name shown in messages (no folders), e.g. ``"participants.csv"``.
    data : bytes
        The raw bytes as uploaded or read.
    sheet : str
        For an Excel workbook, the worksheet to read (empty: the first).
    event : str
        For a longitudinal REDCap export, the ``redcap_event_name`` whose rows to read (empty: every
        row). Sheet and event are part of the cohort's fingerprint and provenance.
    """

    name: str
    data: bytes = field(repr=False)
    sheet: str = ""
    event: str = ""

    @classmethod
    def from_path(cls, path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> InputFile:
        """Read a file from disk, refusing missing, unreadable or oversized files.

        Parameters
        ----------
        path : str or Path
            The file to read.
        max_bytes : int
            Largest size accepted, in bytes.

        Returns
        -------
        InputFile
        """
        path = Path(path)
        try:
            kind = path.stat().st_mode
        except FileNotFoundError:
            raise CohortError(f"file '{path}' does not exist", str(path.parent), "check the path and the file name") from None
        except OSError as exc:
            raise CohortError(
                f"cannot open '{path}' ({exc.strerror})", "the path given", "check the path (shorter names, no odd characters)"
            ) from None
        if stat.S_ISDIR(kind):
            raise CohortError(f"'{path}' is a folder, not a file", str(path), "give the path of the file inside it")
        if not stat.S_ISREG(kind):
            raise CohortError(
                f"'{path}' is not a regular file (a pipe, device or socket)", str(path), "save the data to a file and give its path"
            )
        size = path.stat().st_size
        check_size(path.name, size, max_bytes)
        try:
            return cls(path.name, path.read_bytes())
        except OSError as exc:
            raise CohortError(f"cannot read '{path.name}' ({exc.strerror})", str(path), "check its permissions") from None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    @functools.cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes, used for provenance and cache keys (computed once per object)."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        """Lower-case file extension with its dot, ``.gz`` looked through (``"scores.tsv.gz"`` → ``".tsv"``)."""
        suffixes = PurePosixPath(self.name.lower()).suffixes
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        return suffixes[-1] if suffixes else ""

    @property
    def stem(self) -> str:
        """File name without its extensions (``"msp.sscore"`` → ``"msp"``)."""
        return self.name.split(".")[0]


def check_size(name: str, size: int, max_bytes: int = MAX_INPUT_BYTES, limit_set_by: str = "--max-file-mb") -> None:
    """Raise a CohortError for an empty file or one larger than ``max_bytes`` (``limit_set_by`` says how to raise it)."""
    if size == 0:
        raise CohortError(f"'{name}' is empty (0 bytes)", name, "choose the file that holds the data")
    if size > max_bytes:
        raise CohortError(
            f"'{name}' is {readable_size(size)}, over the {readable_size(max_bytes)} limit",
            name,
            f"split the file, drop unused columns, or raise the limit with {limit_set_by}",
        )


def readable_size(n_bytes: int) -> str:
    """A size for messages: ``"6.94 kB"``, ``"3 MB"``, ``"12,207 MB"``."""
    if n_bytes < 2**20:
        return f"{n_bytes / 1024:.3g} kB"
    megabytes = n_bytes / 2**20
    return f"{megabytes:.3g} MB" if megabytes < 1000 else f"{megabytes:,.0f} MB"


def maybe_gunzip(file: InputFile) -> bytes:
    """Return the file's bytes, decompressed if they are gzip (checked by magic number, bounded in size)."""
    if not file.data.startswith(b"\x1f\x8b"):
        return file.data
    limit = min(MAX_EXPANDED_BYTES, max(len(file.data), 1) * MAX_EXPANSION_RATIO)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(file.data)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CohortError(
            f"'{file.name}' is a damaged gzip file ({exc})", file.name, "compress it again or upload it uncompressed"
        ) from None
    if len(data) > limit:
        raise CohortError(
            f"'{file.name}' expands to more than {readable_size(limit)}",
            file.name,
            "upload it uncompressed or split it",
        )
    return data


def text_of(file: InputFile) -> str:
    """The decoded text of a table input, gzip looked through (see :func:`decoded_text_of`)."""
    return decoded_text_of(file).text


def decoded_text_of(file: InputFile) -> DecodedText:
    """The text of a table input and how it was read.

    An Excel workbook (its chosen sheet) or a Parquet table is read as CSV text
    (:mod:`analysis.io.workbooks`, detected by content); any other file is decoded as text
    (:func:`decoded_text`), gzip looked through.
    """
    from analysis.io import workbooks

    data = maybe_gunzip(file)
    kind = workbooks.table_format(data)
    if kind == workbooks.XLSX:
        text, sheet, sheets, no_value = workbooks.xlsx_as_csv(file.name, data, file.sheet)
        return DecodedText(text, "xlsx", sheet=sheet, sheets=sheets, formulas_without_value=no_value)
    if file.sheet:
        raise CohortError(
            f"a sheet ('{file.sheet}') was chosen for '{file.name}', which is not an Excel workbook",
            file.name,
            "choose a sheet only for an .xlsx file",
        )
    if kind == workbooks.PARQUET:
        return DecodedText(workbooks.parquet_as_csv(file.name, data)[0], "parquet")
    return decoded_text(file.name, data)


#: The code pages spreadsheet programs write when not told to write UTF-8 (Excel's "CSV" on Windows writes the
#: system's ANSI code page): the Windows Western, Central European, Cyrillic, Greek, Turkish and Baltic pages,
#: and the Japanese, Chinese and Korean ones. Detection is limited to these: on a short table, an unrestricted
#: guess names unrelated DOS or Mac pages.
SPREADSHEET_ENCODINGS = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp932", "gb18030", "big5", "cp949")
_ENCODING_NAMES = {
    "utf_8": "UTF-8", "utf_16": "UTF-16", "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)", "cp1251": "Windows-1251 (Cyrillic)", "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)", "cp1257": "Windows-1257 (Baltic)", "cp932": "Shift JIS (Japanese)",
    "gb18030": "GB18030 (Chinese)", "big5": "Big5 (Traditional Chinese)", "cp949": "Windows-949 (Korean)",
}  # fmt: skip


@dataclass(frozen=True)
class DecodedText:
    """A text file's content and how it was decoded.

    Attributes
    ----------
    text : str
        With universal newlines.
    encoding : str
        Python's codec name: ``utf_8`` (with or without a byte-order mark), ``utf_16`` (with one), or one
        of :data:`SPREADSHEET_ENCODINGS`, detected by charset-normalizer.
    example : str
        For a detected encoding, the first few words holding characters outside ASCII, as decoded (for the
        user to check); empty otherwise.
    """

    text: str
    encoding: str
    example: str = ""
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    formulas_without_value: int = 0

    def in_sheet(self, error: CohortError) -> CohortError:
        """A table's error read from one sheet of a workbook with other sheets, saying so and naming the others."""
        others = [s for s in self.sheets if s != self.sheet]
        if self.encoding != "xlsx" or not others:
            return error
        return CohortError(
            f"{error.what} (sheet '{self.sheet}')",
            error.where,
            f"if the table is on another sheet ({', '.join(repr(s) for s in others)}), choose it with --participants-sheet "
            f"/ --dictionary-sheet or the sheet box under the upload; otherwise {error.fix}",
        )

    def notes(self, name: str) -> list[Issue]:
        """What the reading needs said: the sheet of a workbook, or the encoding detected (with the decoded example).

        Nothing for UTF-8, UTF-16 and Parquet. A detected encoding is a warning, not a note: it is
        inferred from the bytes, and on a short table two code pages can both look plausible, so the
        researcher should see the decoded characters. So is a formula saved without its value.
        """
        if self.encoding == "xlsx":
            others = [s for s in self.sheets if s != self.sheet]
            notes = [
                Issue(
                    "info",
                    f"read sheet '{self.sheet}' of the workbook"
                    + (f" (it also holds {', '.join(repr(s) for s in others)})" if others else ""),
                    name,
                    "choose another sheet with --participants-sheet / --dictionary-sheet, or the sheet box under the upload"
                    if others
                    else "",
                )
            ]
            if self.formulas_without_value:
                notes.append(
                    Issue(
                        "warning",
                        f"{self.formulas_without_value} formula cell(s) of sheet '{self.sheet}' have no saved value and are read as missing "
                        "(formulas are never run here)",
                        name,
                        "open the workbook in Excel or LibreOffice and save it, so that each formula's value is saved with it",
                    )
                )
            return notes
        if self.encoding in ("utf_8", "utf_16", "parquet"):
            return []
        return [
            Issue(
                "warning",
                f"'{name}' is not UTF-8: read as {_ENCODING_NAMES.get(self.encoding, self.encoding)}, detected by "
                f"charset-normalizer (for example: {self.example})",
                name,
                "if those characters look wrong, save the file as UTF-8 (in Excel: File > Save As > CSV UTF-8)",
            )
        ]


def decode_text(name: str, data: bytes) -> str:
    """Decode a text file; the text of :func:`decoded_text`."""
    return decoded_text(name, data).text


def decoded_text(name: str, data: bytes) -> DecodedText:
    """Decode a text file: UTF-8 with or without a byte-order mark, UTF-16 with one, else a spreadsheet code page.

    A file that is not UTF-8 is read in the code page charset-normalizer finds most plausible among
    :data:`SPREADSHEET_ENCODINGS`: of the code pages charset-normalizer finds least garbled (within 0.01 of
    its lowest "chaos"), the one whose letters best fit a language ("coherence"), then the first in that
    list, so that Windows-1252, Excel's default, wins a tie;
    :meth:`DecodedText.notes` says which, with an example of the decoded characters.

    Parameters
    ----------
    name : str
        File name for messages.
    data : bytes
        Raw bytes.

    Returns
    -------
    DecodedText

    Raises
    ------
    CohortError
        For binary content, or bytes that are neither UTF-8 nor text in any of those code pages, naming the line
        of the first byte that is not UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(_universal_newlines(data.decode("utf-16")), "utf_16")
        except UnicodeDecodeError:
            raise CohortError(f"'{name}' starts like UTF-16 but is not valid UTF-16", name, "save it as UTF-8 CSV") from None
    if b"\x00" in data[:8192]:
        raise CohortError(
            f"'{name}' is a binary file, not delimited text",
            name,
            "export the table as CSV or TSV (in Excel: File > Save As > CSV UTF-8)",
        )
    try:
        return DecodedText(_universal_newlines(data.decode("utf-8-sig")), "utf_8")
    except UnicodeDecodeError as exc:
        detected = _spreadsheet_code_page(data)
        if detected is not None:
            return detected
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4]
        raise CohortError(
            f"'{name}' is not UTF-8 text (byte {bad!r} on line {line}), nor text in a spreadsheet code page",
            f"{name} line {line}",
            "save the file as UTF-8 (in Excel: File > Save As > CSV UTF-8; in R: write.csv(..., fileEncoding='UTF-8'))",
        ) from None


def _universal_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _spreadsheet_code_page(data: bytes) -> DecodedText | None:
    """The most plausible of :data:`SPREADSHEET_ENCODINGS` for bytes that are not UTF-8, or None (not text)."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=list(SPREADSHEET_ENCODINGS)))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    plausible = [m for m in matches if m.chaos <= least + 0.01]
    best = min(plausible, key=lambda m: (-round(m.coherence, 2), SPREADSHEET_ENCODINGS.index(m.encoding)))
    text, encoding = str(best), best.encoding
    if encoding != "cp1252" and data.decode("cp1252", errors="replace") == text:
        encoding = "cp1252"  # the same text: name the code page Excel writes, not its look-alike
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None
    words = [w for w in text.replace(",", " ").replace(";", " ").replace("\t", " ").split() if not w.isascii()]
    return DecodedText(_universal_newlines(text), encoding, ", ".join(list(dict.fromkeys(words))[:3]))


#: Compression methods Python's zipfile reads (Deflate64, PPMd and others are not).
_READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: What reading a damaged member raises (zlib for a flipped byte, EOFError for a cut one).
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)


def checked_zip_members(name: str, archive: zipfile.ZipFile, kind: str = "zip archive") -> list[zipfile.ZipInfo]:
    """The archive's members, refusing ones that cannot be read safely and unambiguously.

    Parameters
    ----------
    name : str
        File name for messages.
    archive : zipfile.ZipFile
    kind : str
        What the archive is, for messages (``"zip archive"``, ``".npz file"``).

    Returns
    -------
    list of ZipInfo
        Every member, in archive order.

    Raises
    ------
    CohortError
        Two members with the same name (a reader keeps one of them, silently), an encrypted
        (password-protected) member, or one compressed with a method Python cannot read (Deflate64, ...).
    """
    infos = archive.infolist()
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise CohortError(
                f"the {kind} '{name}' holds two members named '{info.filename}'; which one is meant cannot be told",
                name,
                "create the archive again with each file once",
            )
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise CohortError(
                f"member '{info.filename}' of '{name}' is password-protected",
                name,
                "create the archive again without a password (the files are read in memory here and never leave this machine)",
            )
        if info.compress_type not in _READABLE_COMPRESSION:
            raise CohortError(
                f"member '{info.filename}' of '{name}' uses a compression method that cannot be read here (zip method "
                f"{info.compress_type}, e.g. Deflate64 from Windows Explorer for large files)",
                name,
                "create the archive again with standard Deflate compression (zip -r, Python's zipfile, 7-Zip with Deflate)",
            )
    return infos


def read_zip_members(file: InputFile) -> dict[str, bytes]:
    """Read the members of a zip archive into memory, never extracting to disk.

    Parameters
    ----------
    file : InputFile
        The archive.

    Returns
    -------
    dict of str to bytes
        Member path (POSIX, as stored) to its bytes, for every regular file; folders and
        macOS ``__MACOSX/`` resource forks are left out.

    Raises
    ------
    CohortError
        For a damaged archive, a member path that escapes its folder (absolute or ``..``),
        contents that expand beyond the size limits (zip bombs), a damaged member, or any member
        :func:`checked_zip_members` refuses.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
    except ZIP_READ_ERRORS as exc:
        raise CohortError(f"'{file.name}' is not a valid zip archive ({exc})", file.name, "create the zip again") from None
    infos = [info for info in checked_zip_members(file.name, archive) if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts:
            raise CohortError(
                f"zip member '{info.filename}' points outside the archive's folder",
                file.name,
                "create the zip from inside the derivatives folder so that members have relative paths",
            )
    total = sum(info.file_size for info in infos)
    limit = min(MAX_EXPANDED_BYTES, max(file.size, 1) * MAX_EXPANSION_RATIO)
    if total > limit:
        raise CohortError(
            f"'{file.name}' expands to {readable_size(total)}, over the {readable_size(limit)} allowed for this archive",
            file.name,
            "zip only the connectivity matrices, or upload them as one .npz stack",
        )
    members = {}
    for info in infos:
        try:
            with archive.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except ZIP_READ_ERRORS as exc:
            raise CohortError(
                f"zip member '{info.filename}' of '{file.name}' is damaged ({exc})",
                file.name,
                "create the zip again from the original files",
            ) from None
        if len(data) > info.file_size:
            raise CohortError(f"zip member '{info.filename}' is larger than its header says", file.name, "create the zip again")
        members[info.filename] = data
    return members
