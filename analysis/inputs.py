"""Input files as bytes: size limits, provenance hashes, text decoding, gzip and zip handling.

Every loader takes an :class:`InputFile`, whether the bytes came from disk (the command line)
or from a browser upload (the dashboard), so both paths run the same checks.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from analysis.errors import CohortError

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
    """

    name: str
    data: bytes = field(repr=False)

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
        if not path.is_file():
            raise CohortError(f"file '{path}' does not exist", str(path.parent), "check the path and the file name")
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
    """A size for messages: ``"6.94 kB"``, ``"3 MB"``."""
    return f"{n_bytes / 1024:.3g} kB" if n_bytes < 2**20 else f"{n_bytes / 2**20:.3g} MB"


def maybe_gunzip(file: InputFile) -> bytes:
    """Return the file's bytes, decompressed if they are gzip (checked by magic number, bounded in size)."""
    if not file.data.startswith(b"\x1f\x8b"):
        return file.data
    limit = min(MAX_EXPANDED_BYTES, max(len(file.data), 1) * MAX_EXPANSION_RATIO)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(file.data)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise CohortError(
            f"'{file.name}' is a damaged gzip file ({exc})", file.name, "compress it again or upload it uncompressed"
        ) from None
    if len(data) > limit:
        raise CohortError(
            f"'{file.name}' expands to more than {limit / 2**20:.0f} MB",
            file.name,
            "upload it uncompressed or split it",
        )
    return data


def decode_text(name: str, data: bytes) -> str:
    """Decode a text file: UTF-8 with or without a byte-order mark, or UTF-16 with one.

    Parameters
    ----------
    name : str
        File name for messages.
    data : bytes
        Raw bytes.

    Returns
    -------
    str
        The text with universal newlines (``\\r\\n`` and ``\\r`` become ``\\n``).

    Raises
    ------
    CohortError
        For binary content or bytes that are not valid UTF-8, naming the line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CohortError(f"'{name}' starts like UTF-16 but is not valid UTF-16", name, "save it as UTF-8 CSV") from None
    else:
        if b"\x00" in data[:8192]:
            raise CohortError(
                f"'{name}' is a binary file, not delimited text",
                name,
                "export the table as CSV or TSV (in Excel: File > Save As > CSV UTF-8)",
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            bad = data[exc.start : exc.start + 4]
            raise CohortError(
                f"'{name}' is not UTF-8 text (byte {bad!r} on line {line})",
                f"{name} line {line}",
                "save the file as UTF-8 (in Excel: File > Save As > CSV UTF-8; in R: write.csv(..., fileEncoding='UTF-8'))",
            ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
        or contents that expand beyond the size limits (zip bombs).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
    except zipfile.BadZipFile:
        raise CohortError(f"'{file.name}' is not a valid zip archive", file.name, "create the zip again") from None
    infos = [info for info in archive.infolist() if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
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
            f"'{file.name}' expands to {total / 2**20:.0f} MB, over the {limit / 2**20:.0f} MB allowed for this archive",
            file.name,
            "zip only the connectivity matrices, or upload them as one .npz stack",
        )
    members = {}
    for info in infos:
        with archive.open(info) as stream:
            data = stream.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise CohortError(f"zip member '{info.filename}' is larger than its header says", file.name, "create the zip again")
        members[info.filename] = data
    return members
