"""Reading delimited tables: delimiters, encodings, structure, ids."""

import pytest

from analysis.cohort.participants import load_participants
from analysis.errors import CohortError
from analysis.io.inputs import InputFile, decode_text, decoded_text
from analysis.io.tables import normalise_id, read_table
from tests.conftest import frame_file, participants_frame, text_file

HEADER = "participant_id,pain,phq9\n"
ROWS = "".join(f"sub-{i:02d},{i % 10},{i}\n" for i in range(1, 13))


def read(text: str, name: str = "p.csv"):
    return read_table(name, text, what="participants table")


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
def test_delimiter_is_sniffed(sep):
    frame = read((HEADER + ROWS).replace(",", sep))
    assert list(frame.columns) == ["participant_id", "pain", "phq9"]
    assert frame.attrs["delimiter"] == sep
    assert frame["phq9"].sum() == sum(range(1, 13))


def test_whitespace_delimited_plink_style():
    frame = read_table("s.sscore", "#FID  IID   SCORE1_AVG\n1 1 0.5\n2 2 0.25\n", what="PRS score file")
    assert list(frame.columns) == ["#FID", "participant_id", "SCORE1_AVG"]
    assert frame["SCORE1_AVG"].tolist() == [0.5, 0.25]


def test_utf8_bom_and_crlf_are_accepted():
    data = ("\ufeff" + HEADER + ROWS).replace("\n", "\r\n").encode("utf-8")
    frame = read(decode_text("p.csv", data))
    assert frame.columns[0] == "participant_id"
    assert len(frame) == 12


def test_utf16_with_bom_is_decoded():
    text = decode_text("p.csv", (HEADER + ROWS).encode("utf-16"))
    assert text.startswith("participant_id")


def test_bytes_that_are_text_in_no_code_page_are_refused_naming_the_line():
    data = (HEADER + "sub-01,3,4\n").encode() + bytes(range(1, 256)) * 4
    with pytest.raises(CohortError, match=r"not UTF-8 text .* line 4\), nor text in a spreadsheet code page.*save the file as UTF-8"):
        decode_text("p.csv", data)


@pytest.mark.parametrize(
    ("encoding", "sites", "detected"),
    [
        ("cp1252", ["Zürich", "Genève", "Köln"], "cp1252"),
        ("latin-1", ["Zürich", "Málaga", "São Paulo"], "cp1252"),
        ("cp1252", ["5 €", "“quoted”", "Zürich"], "cp1252"),
        ("shift_jis", ["東京", "大阪", "京都"], "cp932"),
    ],
)
def test_a_windows_spreadsheet_is_read_in_its_code_page_and_says_which(encoding, sites, detected):
    table = participants_frame(12).assign(site=(sites * 4)[:12])
    data = table.to_csv(index=False).encode(encoding)
    participants = load_participants(InputFile("p.csv", data))
    assert participants.frame["site"].tolist() == table["site"].tolist()  # every value as written
    note = next(i for i in participants.issues if "is not UTF-8: read as" in i.message)
    assert note.severity == "warning" and decoded_text("p.csv", data).encoding == detected
    assert sites[0].split()[-1] in note.message  # the decoded example, for the user to check


def test_binary_file_is_refused():
    with pytest.raises(CohortError, match="binary file, not delimited text"):
        decode_text("p.csv", b"PK\x03\x04\x00\x00\x00binary")


def test_empty_file_and_header_only():
    with pytest.raises(CohortError, match="holds no text"):
        read("\n\n")
    with pytest.raises(CohortError, match="header but no data rows"):
        read(HEADER)


def test_duplicate_column_names_are_refused():
    with pytest.raises(CohortError, match=r"duplicate column name 'pain' and 'PAIN' \(compared ignoring case\) \(columns 2 and 4\)"):
        read("participant_id,pain,phq9,PAIN\nsub-01,1,2,3\n")


def test_column_without_name_is_refused():
    with pytest.raises(CohortError, match="column 3 of the participants table has no name"):
        read("participant_id,pain,,phq9\nsub-01,1,2,3\n")


def test_extra_field_in_first_data_row_is_refused_not_shifted():
    with pytest.raises(CohortError, match=r"row has 4 fields but the header has 3 .* in p.csv line 2"):
        read(HEADER + "sub-01,1,2,3\n" + ROWS)


def test_short_row_is_refused_with_its_line():
    with pytest.raises(CohortError, match=r"row has 2 fields but the header has 3 \(fewer.* line 4"):
        read(HEADER + "sub-01,1,2\nsub-02,1,2\nsub-03,1\n")


def test_header_repeated_mid_file_is_refused():
    with pytest.raises(CohortError, match=r"header row is repeated inside the data in p.csv line 4"):
        read(HEADER + "sub-01,1,2\nsub-02,1,2\n" + HEADER + "sub-03,1,2\n")


def test_quoted_fields_with_delimiters_and_newlines_keep_line_numbers():
    text = 'participant_id,note,pain\nsub-01,"a, b",1\nsub-02,"two\nlines",2\nsub-03,x\n'
    with pytest.raises(CohortError, match="p.csv line 5"):
        read(text)
    frame = read(text.replace("sub-03,x\n", "sub-03,x,3\n"))
    assert frame["note"].tolist() == ["a, b", "two\nlines", "x"]


def test_missing_id_column_lists_columns_and_names_accepted_ones():
    with pytest.raises(CohortError, match=r"no participant id column .*'person', 'pain'.*name the id column 'participant_id'"):
        read("person,pain\n1,2\n")


def test_unknown_delimiter_gives_hint():
    with pytest.raises(CohortError, match="the whole header is one column: the file is not comma, tab"):
        read("participant_id:pain\n1:2\n")


@pytest.mark.parametrize("name", ["IID", "subject_id", "SUB", "Participant_ID"])
def test_id_column_aliases_case_insensitive(name):
    frame = read(HEADER.replace("participant_id", name) + ROWS)
    assert "participant_id" in frame.columns


def test_bids_prefix_is_removed_for_matching_and_text_ids_stay_text():
    assert normalise_id(" sub-07 ") == "07"
    assert normalise_id("07") == "07"
    assert normalise_id("007") != normalise_id("7")
    frame = participants_frame()
    frame.loc[0, "participant_id"] = "007"
    frame.loc[1, "participant_id"] = "7"
    table = load_participants(frame_file("p.csv", frame))
    assert {"007", "7"} <= set(table.frame.index)
    assert table.frame.loc["007", "participant_id"] == "007"


def test_duplicate_ids_after_normalisation_name_both_lines():
    frame = participants_frame()
    frame.loc[3, "participant_id"] = "01"
    with pytest.raises(
        CohortError, match=r"duplicate participant_id '01' \('01' and 'sub-01' are the same participant\) in participants.csv lines 2 and 5"
    ):
        load_participants(frame_file("participants.csv", frame))


def test_missing_id_is_refused():
    frame = participants_frame()
    frame.loc[2, "participant_id"] = ""
    with pytest.raises(CohortError, match=r"missing participant id .* line 4"):
        load_participants(frame_file("participants.csv", frame))


def test_tsv_participants_load(participants):
    table = load_participants(frame_file("participants.tsv", participants, sep="\t"))
    assert len(table.frame) == len(participants)


def test_input_file_suffix_and_stem():
    file = InputFile("scores.all_score.gz", b"x")
    assert file.suffix == ".all_score"
    assert file.stem == "scores"
    assert text_file("a.csv", "x").size == 1


def test_vectorised_id_normalisation_matches_the_scalar_one():
    import pandas as pd

    from analysis.io.tables import normalise_ids

    raw = pd.Series([" sub-07", "SUB-7", "sub-", "007", "subject-1", "Sub-A1 "])
    assert normalise_ids(raw).tolist() == [normalise_id(v) for v in raw]


def test_blank_and_space_only_lines_keep_line_numbers_right():
    text = "participant_id,pain\n\nsub-01,1\n   \nsub-02,x\n"
    frame = read(text)
    assert frame.attrs["line_numbers"].tolist() == [3, 5]
    tsv = "participant_id\tpain\n\t\nsub-01\t1\n  \nsub-02\t2\n"
    assert read(tsv).attrs["line_numbers"].tolist() == [3, 5]


def test_leading_blank_lines_and_a_quoted_multiline_header():
    frame = read('\n\n"participant_id","pain\nscore"\nsub-01,1\nsub-02,2\n')
    assert list(frame.columns) == ["participant_id", "pain\nscore"]
    assert frame.attrs["line_numbers"].tolist() == [5, 6]
    with pytest.raises(CohortError, match="header but no data rows"):
        read("\n\x01")


def test_a_short_last_row_without_a_newline_is_named_by_its_line():
    with pytest.raises(CohortError, match=r"p.csv line 14"):
        read(HEADER + ROWS + "sub-13,4")
