"""Excel workbooks and Parquet tables read like the CSV they hold: ids as text, sheets by name, formulas never run."""

import datetime as dt
import io
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.errors import CohortError
from analysis.io.inputs import InputFile, text_of
from analysis.io.workbooks import PARQUET, XLSX, table_format
from tests.conftest import participants_frame


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A workbook written by openpyxl, one sheet per entry (rows of cell values, formulas as '=...')."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rows_of(frame: pd.DataFrame) -> list[list]:
    return [list(frame.columns)] + [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_a_workbook_gives_the_same_cohort_as_its_csv_and_names_the_sheet_read():
    frame = participants_frame(15)
    frame.loc[3, "phq9"] = np.nan
    from_csv = load_cohort(CohortFiles(participants=InputFile("p.csv", frame.to_csv(index=False).encode())))
    workbook = xlsx_bytes({"Baseline": rows_of(frame), "Week 12": [["participant_id", "pain"], ["sub-01", 3]]})
    assert table_format(workbook) == XLSX
    cohort = load_cohort(CohortFiles(participants=InputFile("p.xlsx", workbook)))
    pd.testing.assert_frame_equal(cohort.participants, from_csv.participants)
    assert cohort.modality == from_csv.modality
    note = next(i for i in cohort.issues if "read sheet" in i.message)
    assert note.what == "read sheet 'Baseline' of the workbook (it also holds 'Week 12')"


def test_a_sheet_is_chosen_by_name_and_a_missing_one_is_one_clear_error():
    frame = participants_frame(12)
    workbook = xlsx_bytes({"Notes": [["written by", "the site"]], "Baseline": rows_of(frame)})
    chosen = load_cohort(CohortFiles(participants=InputFile("p.xlsx", workbook, sheet="Baseline")))
    assert chosen.participants["participant_id"].tolist() == frame["participant_id"].tolist()
    assert chosen.provenance[0].sheet == "Baseline"
    first = CohortFiles(participants=InputFile("p.xlsx", workbook))
    assert first.fingerprint() != CohortFiles(participants=InputFile("p.xlsx", workbook, sheet="Baseline")).fingerprint()
    with pytest.raises(
        CohortError,
        match=r"'p.xlsx' has a header but no data rows \(sheet 'Notes'\) in p.xlsx: if the table is on another sheet \('Baseline'\)",
    ):
        load_cohort(first)  # the first sheet is the notes
    with pytest.raises(CohortError, match=r"has no sheet 'Week 2' in p.xlsx: choose one of its sheets: 'Notes', 'Baseline'"):
        load_cohort(CohortFiles(participants=InputFile("p.xlsx", workbook, sheet="Week 2")))


def test_cells_keep_their_values_ids_stay_text_and_formulas_are_read_as_their_saved_values_never_run(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "visit_date", "score", "flag", "total"])
    sheet.append(["007", dt.datetime(2021, 3, 4), 2.5, True, "=C2*2"])
    sheet.append(["7", dt.datetime(2021, 3, 5, 14, 30), 3.0, False, '=HYPERLINK("http://example.org","x")'])
    path = tmp_path / "book.xlsx"
    book.save(path)
    text = text_of(InputFile.from_path(path))
    # openpyxl saves no values for formulas: they are read as missing (and counted), never evaluated
    assert text.splitlines() == [
        "participant_id,visit_date,score,flag,total",
        "007,2021-03-04,2.5,true,",
        "7,2021-03-05 14:30:00,3,false,",
    ]
    saved = _with_saved_values(path.read_bytes(), {"E2": "5", "E3": "x"})
    assert text_of(InputFile("book.xlsx", saved)).splitlines()[1:] == ["007,2021-03-04,2.5,true,5", "7,2021-03-05 14:30:00,3,false,x"]


def test_formulas_without_saved_values_are_said_to_be_missing():
    rows = rows_of(participants_frame(12))
    rows[1][-1] = "=1+1"
    cohort = load_cohort(CohortFiles(participants=InputFile("p.xlsx", xlsx_bytes({"Sheet": rows}))))
    warning = next(i for i in cohort.issues if "formula" in i.message)
    assert warning.severity == "warning" and warning.what.startswith("1 formula cell(s) of sheet 'Sheet' have no saved value")
    assert np.isnan(cohort.participants["outcome_pain_12m"].iloc[0])


def test_a_parquet_table_keeps_its_column_types_and_gives_the_csvs_cohort():
    frame = participants_frame(14)
    frame["participant_id"] = [f"{i:03d}" for i in range(14)]  # text ids with leading zeros
    frame.loc[2, "pcs_total"] = np.nan
    data = parquet_bytes(frame)
    assert table_format(data) == PARQUET
    cohort = load_cohort(CohortFiles(participants=InputFile("p.parquet", data)))
    from_csv = load_cohort(CohortFiles(participants=InputFile("p.csv", frame.to_csv(index=False).encode())))
    assert cohort.participants["participant_id"].tolist()[:3] == ["000", "001", "002"]
    pd.testing.assert_frame_equal(cohort.participants, from_csv.participants)
    floats = pd.DataFrame({"participant_id": ["a", "b"], "x": [0.1 + 0.2, 1e-300]})
    assert text_of(InputFile("f.parquet", parquet_bytes(floats))).splitlines()[1:] == ["a,0.30000000000000004", "b,1e-300"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("p.xlsx", b"PK\x03\x04" + b"\x00" * 40, "is a binary file, not delimited text"),  # not even a zip
        ("p.parquet", b"PAR1" + b"\x00" * 20 + b"PAR1", "is a damaged Parquet file"),
    ],
)
def test_damaged_workbooks_and_parquet_files_are_one_clear_error(name, data, message):
    with pytest.raises(CohortError, match=message):
        load_cohort(CohortFiles(participants=InputFile(name, data)))


def test_a_cut_workbook_is_one_clear_error():
    workbook = xlsx_bytes({"Sheet": rows_of(participants_frame(12))})
    broken = _without_member(workbook, "xl/worksheets/sheet1.xml")
    with pytest.raises(CohortError, match="damaged Excel workbook|has no worksheet"):
        load_cohort(CohortFiles(participants=InputFile("p.xlsx", broken)))


def test_a_sheet_for_a_file_that_is_not_a_workbook_is_refused():
    file = InputFile("p.csv", participants_frame(12).to_csv(index=False).encode())
    with pytest.raises(CohortError, match="not an Excel workbook"):
        load_cohort(CohortFiles(participants=replace(file, sheet="Baseline")))


def test_the_command_line_reads_a_workbook_sheet_and_a_workbook_dictionary(tmp_path, capsys):
    frame = participants_frame(15)
    (tmp_path / "p.xlsx").write_bytes(xlsx_bytes({"Read me": [["about"]], "Baseline": rows_of(frame)}))
    (tmp_path / "d.xlsx").write_bytes(xlsx_bytes({"Dictionary": [["column", "modality"], ["pcs_total", "ignore"]]}))
    args = ["validate", "--participants", str(tmp_path / "p.xlsx"), "--participants-sheet", "Baseline"]
    assert main([*args, "--dictionary", str(tmp_path / "d.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "Cohort: 15 participants" in out and "read sheet 'Baseline' of the workbook (it also holds 'Read me')" in out
    assert main(["validate", "--participants", str(tmp_path / "p.xlsx"), "--participants-sheet", "Week 12"]) == 2
    assert "error: the workbook 'p.xlsx' has no sheet 'Week 12'" in capsys.readouterr().err


def _with_saved_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook with a saved value written beside each formula, as Excel does when it saves."""
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = member.decode()
                for cell, value in values.items():
                    kind = "" if value.replace(".", "").isdigit() else ' t="str"'
                    # An empty saved value is <v/> (openpyxl without lxml) or <v></v> (with lxml).
                    text = re.sub(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f>(?:<v ?/>|<v></v>)', rf'<c r="{cell}"\1{kind}><f>\2</f><v>{value}</v>', text
                    )
                member = text.encode()
            target.writestr(info, member)
    return out.getvalue()


def _without_member(data: bytes, name: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()
