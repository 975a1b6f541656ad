"""Input files: size limits, empty files, gzip bombs, missing paths."""

import gzip

import pytest

from analysis.errors import CohortError
from analysis.io.inputs import InputFile, maybe_gunzip


def test_file_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 3 * 2**20)
    with pytest.raises(CohortError, match=r"'big.csv' is 3 MB, over the 2 MB limit .*--max-file-mb"):
        InputFile.from_path(path, max_bytes=2 * 2**20)


def test_empty_and_missing_files_are_refused(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(CohortError, match=r"'empty.csv' is empty \(0 bytes\)"):
        InputFile.from_path(tmp_path / "empty.csv")
    with pytest.raises(CohortError, match="does not exist"):
        InputFile.from_path(tmp_path / "nope.csv")


def test_gzip_is_read_and_gzip_bomb_refused():
    assert maybe_gunzip(InputFile("a.csv.gz", gzip.compress(b"a,b\n1,2\n"))) == b"a,b\n1,2\n"
    with pytest.raises(CohortError, match="expands to more than"):
        maybe_gunzip(InputFile("bomb.csv.gz", gzip.compress(b"0" * 50_000_000)))
    with pytest.raises(CohortError, match="damaged gzip"):
        maybe_gunzip(InputFile("bad.csv.gz", b"\x1f\x8b\x08\x00garbage"))


def test_sha256_identifies_content():
    assert InputFile("a", b"1").sha256 == InputFile("b", b"1").sha256 != InputFile("a", b"2").sha256


def test_size_messages_of_small_archives_say_kilobytes_not_zero_megabytes():
    import io
    import zipfile

    from analysis.io.inputs import read_zip_members

    with pytest.raises(CohortError, match=r"expands to more than [\d.]+ kB") as gz:
        maybe_gunzip(InputFile("small.csv.gz", gzip.compress(b"0" * 2_000_000)))
    assert " 0 MB" not in str(gz.value)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sub-01_relmat.tsv", b"0" * 2_000_000)
    with pytest.raises(CohortError, match=r"expands to 1.91 MB, over the [\d.]+ kB allowed") as zipped:
        read_zip_members(InputFile("fc.zip", buffer.getvalue()))
    assert " 0 MB" not in str(zipped.value)
