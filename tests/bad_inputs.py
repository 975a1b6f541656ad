"""The bad-input corpus: broken, hostile and merely awkward files of all four input kinds, made in code.

Each :class:`Case` is a set of input files (the valid base cohort with one thing wrong or unusual)
and what must happen: ``refused`` cases give one clear message (``expect`` is part of it) — the
command line exits 2 with one ``error:`` line, the dashboard shows one ``st.error`` and keeps the
cohort loaded before; ``read`` cases load, and ``check`` says what must be true of the cohort
(awkward but valid files are read correctly, not refused and not misread).

Used by tests/analysis/test_bad_input_corpus.py (command line) and
tests/pages/test_bad_input_corpus.py (the Data page's uploads).
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tests.conftest import participants_frame

N = 24
ROLES = ("participants", "prs", "connectivity", "connectivity_ids", "atlas", "wearables", "dictionary")


@dataclass(frozen=True)
class Case:
    """One corpus entry.

    Attributes
    ----------
    name : str
    files : dict of role to (file name, bytes)
        Roles of :data:`ROLES`; participants always present (``atlas`` is a coordinates CSV).
    outcome : {"refused", "read"}
    expect : str
        For refused cases, text the one message must contain.
    atlas : str or None
        A bundled atlas name for the connectivity.
    check : callable(Cohort) -> None, optional
        For read cases: asserts what must be true of the loaded cohort.
    max_file_mb : float, optional
        The size limit to run the case under (command line ``--max-file-mb``, the server's upload limit).
    """

    name: str
    files: dict[str, tuple[str, bytes]]
    outcome: str
    expect: str = ""
    atlas: str | None = None
    check: Callable | None = field(default=None, compare=False)
    max_file_mb: float | None = None


def base_participants(n: int = N) -> pd.DataFrame:
    """The shared valid participants table (seed 7) without its PRS and outcome columns."""
    return participants_frame(n, seed=7).drop(columns=["prs_mcp", "outcome_pain_12m"])


def csv(frame: pd.DataFrame, sep: str = ",") -> bytes:
    return frame.to_csv(index=False, sep=sep).encode()


def sscore(ids: list[str], rng_seed: int = 3) -> bytes:
    rng = np.random.default_rng(rng_seed)
    lines = ["#IID\tALLELE_CT\tNAMED_ALLELE_DOSAGE_SUM\tSCORE1_AVG"]
    lines += [f"{i}\t2000\t500.5\t{rng.normal(0, 0.001):.6f}" for i in ids]
    return ("\n".join(lines) + "\n").encode()


def wearables(ids: list[str], days: int = 10, hrv: str = "hrv_rmssd_ms") -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for pid in ids:
        for d in range(days):
            rows.append(
                {
                    "participant_id": pid,
                    "date": (pd.Timestamp("2025-03-01") + pd.Timedelta(days=d)).date().isoformat(),
                    "steps": float(rng.integers(2000, 12000)),
                    hrv: round(float(rng.normal(40, 8)), 1),
                    "sleep_minutes": float(rng.integers(300, 520)),
                }
            )
    return pd.DataFrame(rows)


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def vectorised_edges(n: int, n_rois: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.tanh(rng.normal(0.2, 0.2, size=(n, n_rois * (n_rois - 1) // 2))).astype(np.float32)


def symmetric_stack(n: int, n_rois: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.3, size=(n, n_rois, n_rois))
    stack = np.tanh((a + a.transpose(0, 2, 1)) / 2)
    stack[:, np.arange(n_rois), np.arange(n_rois)] = 1.0
    return stack


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def cases() -> list[Case]:
    """Every corpus case (at least 40), the base cohort with one thing wrong or unusual each."""
    base = base_participants()
    ids = base["participant_id"].tolist()
    text = _text(base)
    lines = text.splitlines()
    good = csv(base)
    out: list[Case] = []

    def refused(name: str, expect: str, bundled_atlas: str | None = None, **files) -> None:
        files.setdefault("participants", ("participants.csv", good))
        out.append(Case(name, files, "refused", expect, bundled_atlas))

    def read(name: str, check: Callable, bundled_atlas: str | None = None, **files) -> None:
        files.setdefault("participants", ("participants.csv", good))
        out.append(Case(name, files, "read", "", bundled_atlas, check))

    # --- participants table: encodings, delimiters, structure -------------------------------
    refused("empty file (0 bytes)", "empty", participants=("participants.csv", b""))
    refused("header only, no rows", "no data rows", participants=("participants.csv", (lines[0] + "\n").encode()))
    refused("PNG image renamed .csv", "binary file", participants=("participants.csv", b"\x89PNG\r\n\x1a\n" + bytes(64)))
    refused(
        "Excel workbook renamed .csv",
        "Excel",
        participants=("participants.csv", zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})),
    )
    read("gzip renamed .csv", lambda c: _n(c, N), participants=("participants.csv", gzip.compress(good)))
    _workbook_cases(base, refused, read)
    _redcap_cases(base, refused, read)
    _sidecar_cases(base, refused, read)
    read(
        "Latin-1 text (Excel on Windows): read as Windows-1252, said",
        lambda c: (_warned(c, "read as Windows-1252"), _ids_include(c, {"müller"})),
        participants=("participants.csv", (text + "sub-99,A,F,30,1,2,3\n").replace("sub-99", "sub-Müller").encode("latin-1")),
    )
    refused(
        "bytes that are text in no code page",
        "nor text in a spreadsheet code page",
        participants=("participants.csv", text.encode() + bytes(range(1, 256)) * 4),
    )
    read("UTF-16 with a byte-order mark", lambda c: _n(c, N), participants=("participants.csv", text.encode("utf-16")))
    read(
        "UTF-8 byte-order mark",
        lambda c: (_n(c, N), _has_column(c, "pain_intensity")),
        participants=("participants.csv", b"\xef\xbb\xbf" + good),
    )
    read("semicolon-delimited", lambda c: (_n(c, N), _has_column(c, "phq9")), participants=("participants.csv", csv(base, ";")))
    read("tab-delimited .tsv", lambda c: (_n(c, N), _has_column(c, "phq9")), participants=("participants.tsv", csv(base, "\t")))
    quoted = base.copy()
    quoted.insert(1, "note", ["line one\nline two, with a comma"] + [""] * (N - 1))
    read("quoted field with embedded newline and delimiter", lambda c: _n(c, N), participants=("participants.csv", csv(quoted)))
    ragged = lines[:3] + [",".join(lines[3].split(",")[:-2])] + lines[4:]
    refused("ragged row (fields missing)", "line 4", participants=("participants.csv", ("\n".join(ragged) + "\n").encode()))
    extra = lines[:1] + [lines[1] + ",surplus"] + lines[2:]
    refused("extra field in the first data row", "line 2", participants=("participants.csv", ("\n".join(extra) + "\n").encode()))
    repeated = lines[:10] + [lines[0]] + lines[10:]
    refused("header row repeated mid-file", "line 11", participants=("participants.csv", ("\n".join(repeated) + "\n").encode()))
    thousands = base.astype({"pcs_total": object})
    thousands.loc[0, "pcs_total"] = "1,234"
    refused("number with a thousands separator", "pcs_total", participants=("participants.csv", csv(thousands)))
    percent = base.astype({"phq9": object})
    percent.loc[2, "phq9"] = "45%"
    refused("number with a percent sign", "phq9", participants=("participants.csv", csv(percent)))
    units = base.astype({"pain_intensity": object})
    units.loc[1, "pain_intensity"] = "12 ms"
    refused("number with a unit", "pain_intensity", participants=("participants.csv", csv(units)))
    yes_no = base.copy()
    yes_no["opioid_use"] = ["yes", "no"] * (N // 2)
    read(
        "booleans written yes/no",
        lambda c: (_values(c, "opioid_use", {"yes", "no"}), _noted(c, "opioid_use' holds yes/no answers: clustered as 1 = yes")),
        participants=("participants.csv", csv(yes_no)),
    )
    case_ids = base.copy()
    case_ids.loc[1, "participant_id"] = "SUB-01"
    refused("ids that differ only by case", "are the same participant", participants=("participants.csv", csv(case_ids)))
    space_ids = base.copy()
    space_ids.loc[1, "participant_id"] = " sub-01 "
    refused(
        "ids that differ only by surrounding spaces", "duplicate participant_id '01'", participants=("participants.csv", csv(space_ids))
    )
    zero_ids = base.copy()
    zero_ids["participant_id"] = [f"{i:03d}" for i in range(1, N + 1)]
    zero_ids.loc[1, "participant_id"] = "1"
    read(
        "ids 001 and 1 in one file stay two participants",
        lambda c: (_n(c, N), _ids_include(c, {"001", "1"})),
        participants=("participants.csv", csv(zero_ids)),
    )
    numeric_ids = base.copy()
    numeric_ids["participant_id"] = [f"{i:03d}" for i in range(1, N + 1)]
    refused(
        "PRS ids 7 where the table says 007 (never merged)",
        "no id in the PRS file matches",
        participants=("participants.csv", csv(numeric_ids)),
        prs=("scores.sscore", sscore([str(i) for i in range(1, N + 1)])),
    )
    refused(
        "duplicate participant ids",
        "duplicate participant_id '03'",
        participants=("participants.csv", csv(pd.concat([base, base.iloc[[2]]]))),
    )
    refused(
        "no participant id column",
        "participant_id",
        participants=("participants.csv", csv(base.rename(columns={"participant_id": "patient"}))),
    )
    refused("two participants only", "has 2 participant(s)", participants=("participants.csv", csv(base.head(2))))
    constant = base.assign(pain_intensity=5.0, phq9=5.0, pcs_total=5.0)
    refused("every feature constant", "no feature differs between participants", participants=("participants.csv", csv(constant)))
    wide = base.copy()
    for k in range(N + 6):
        wide[f"item_{k:02d}"] = np.random.default_rng(k).integers(0, 5, N).astype(float)
    read(
        "more features than participants",
        lambda c: (_n(c, N), _has_column(c, f"item_{N + 5:02d}")),
        participants=("participants.csv", csv(wide)),
    )
    sentinels = base.astype({"phq9": object, "pcs_total": object, "pain_intensity": object})
    sentinels.loc[0, "phq9"], sentinels.loc[1, "pcs_total"], sentinels.loc[2, "pain_intensity"] = "-99", ".", "NAN"
    dictionary = pd.DataFrame(
        {
            "column": ["phq9", "pcs_total", "pain_intensity"],
            "modality": ["clinical"] * 3,
            "description": [""] * 3,
            "unit": [""] * 3,
            "min": [0, 0, 0],
            "max": [27, 52, 10],
            "missing_codes": ["-99", ".", "NA;NAN"],
        }
    )
    read(
        "sentinel missing codes declared in the dictionary",
        lambda c: _missing(c, [("sub-01", "phq9"), ("sub-02", "pcs_total"), ("sub-03", "pain_intensity")]),
        participants=("participants.csv", csv(sentinels)),
        dictionary=("data_dictionary.csv", csv(dictionary)),
    )
    # 101 MB against a limit of 100 MB: refused by its size before a byte is parsed.
    out.append(
        Case(
            "file of 101 MB over a 100 MB limit",
            {"participants": ("participants.csv", good + b"\n" * (101 * 2**20))},
            "refused",
            "over the 100 MB limit",
            max_file_mb=100,
        )
    )
    # --- dictionary -----------------------------------------------------------------------
    refused(
        "dictionary with an unknown modality",
        "modality",
        dictionary=("data_dictionary.csv", csv(pd.DataFrame({"column": ["phq9"], "modality": ["psychology"]}))),
    )
    refused(
        "dictionary without a column column",
        "'column'",
        dictionary=("data_dictionary.csv", csv(pd.DataFrame({"name": ["phq9"], "modality": ["clinical"]}))),
    )
    # --- PRS ---------------------------------------------------------------------------------
    refused("PRS file without an id column", "id", prs=("scores.sscore", b"ALLELE_CT\tSCORE1_AVG\n2000\t0.1\n"))
    refused(
        "PRS file without a score column",
        "score",
        prs=("scores.sscore", ("#IID\tALLELE_CT\n" + "".join(f"{i}\t2000\n" for i in ids)).encode()),
    )
    refused(
        "PRS score that is text",
        "SCORE1_AVG",
        prs=("scores.sscore", sscore(ids).replace(b"\t-0.", b"\tabc", 1).replace(b"\t0.", b"\tabc", 1)),
    )
    refused("PRS id listed twice", "duplicate participant_id '02'", prs=("scores.sscore", sscore(ids + ["sub-02"])))
    # --- wearables -------------------------------------------------------------------------
    day_first = wearables(ids[:6])
    day_first["date"] = pd.to_datetime(day_first["date"]).dt.strftime("%d/%m/%Y")
    refused("wearable dates written day/month/year", "date", wearables=("wearables.csv", csv(day_first)))
    mixed = wearables(ids[:6])
    mixed.loc[3, "date"] = "March 4, 2025"
    refused("wearable dates in mixed formats", "line 5", wearables=("wearables.csv", csv(mixed)))
    refused("wearables without a date or day column", "date", wearables=("wearables.csv", csv(wearables(ids[:6]).drop(columns="date"))))
    unnamed_hrv = wearables(ids[:6]).rename(columns={"hrv_rmssd_ms": "hrv_ms"})
    read(
        "HRV without its measure (SDNN or RMSSD): kept apart, with a warning",
        lambda c: _warned(c, "does not say which HRV measure"),
        wearables=("wearables.csv", csv(unnamed_hrv)),
    )
    sdnn = base.assign(wear_hrv_sdnn_ms=np.linspace(30, 60, N))
    read(
        "HRV as SDNN in the table and RMSSD in the wearables file (never pooled)",
        lambda c: (_has_column(c, "wear_hrv_sdnn_ms"), _wearable_metric(c, "hrv_rmssd_ms")),
        participants=("participants.csv", csv(sdnn)),
        wearables=("wearables.csv", csv(wearables(ids[:6]))),
    )
    read(
        "the same participant and day twice, identical (a device that synced twice): one row kept, said",
        lambda c: (_noted(c, "1 participant-day(s) had identical repeated rows"), _n_wearable_days(c, 60)),
        wearables=("wearables.csv", csv(pd.concat([wearables(ids[:6]), wearables(ids[:1]).head(1)]))),
    )
    read(
        "the same participant and day twice with different values (overlapping exports): averaged, with a warning",
        lambda c: (_warned(c, "each metric is the mean of those rows"), _n_wearable_days(c, 60)),
        wearables=("wearables.csv", csv(pd.concat([wearables(ids[:6]), wearables(ids[:1]).head(1).assign(steps=1.0)]))),
    )
    refused(
        "intraday rows (every day three times)",
        "repeat a participant and day",
        wearables=("wearables.csv", csv(pd.concat([wearables(ids[:6])] * 3))),
    )
    all_missing = wearables(ids[:6]).assign(steps=np.nan, hrv_rmssd_ms=np.nan, sleep_minutes=np.nan)
    refused("every wearable value missing", "every value of the wearable metrics", wearables=("wearables.csv", csv(all_missing)))
    # --- connectivity ----------------------------------------------------------------------
    refused(
        "matrices with the wrong ROI count for the atlas",
        "160",
        bundled_atlas="dosenbach_2010",
        connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 20), participant_id=np.array(ids))),
    )
    asym = symmetric_stack(N, 12)
    asym[3, 2, 5] += 0.5
    refused("a matrix that is not symmetric", "not symmetric", connectivity=("fc.npz", npz(matrices=asym, participant_id=np.array(ids))))
    nonfinite = vectorised_edges(N, 12)
    nonfinite[4, 7] = np.inf
    refused(
        "a matrix with an infinite value",
        "participant '05'",
        connectivity=("fc.npz", npz(matrices=nonfinite, participant_id=np.array(ids))),
    )
    refused("an npz without participant ids", "no participant ids", connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 12))))
    refused(
        "an npz with pickled ids",
        "pickled",
        connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 12), participant_id=np.array(ids, dtype=object))),
    )
    relmat = _relmats()
    refused(
        "a zip member path that escapes its folder",
        "outside",
        connectivity=("fc.zip", zipped({**relmat, "../../etc/sub-99_relmat.tsv": b"1\t0\n0\t1\n"})),
    )
    refused("a zip bomb", "expands", connectivity=("fc.zip", zipped({**relmat, "sub-50_task-rest_relmat.tsv": b"0" * 50_000_000})))
    refused("a 0-byte connectivity file", "empty (0 bytes)", connectivity=("fc.npz", b""))
    refused("a text file renamed .npz", "not valid NumPy data", connectivity=("fc.npz", good))
    for make in (_quoting_cases, _naming_cases, _archive_cases, _matrix_cases, _dictionary_cases, _id_cases, _time_and_key_cases):
        make(base, refused, read)
    return out


# --- quoted values ----------------------------------------------------------------------------
def xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook (openpyxl) with one sheet per table."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _workbook_cases(base, refused, read) -> None:
    """Excel workbooks and Parquet tables: read like their CSV, or one clear error when damaged."""
    workbook = xlsx({"Baseline": base})
    read("Excel workbook (.xlsx)", lambda c: (_n(c, N), _noted(c, "read sheet 'Baseline'")), participants=("participants.xlsx", workbook))
    read("Excel workbook renamed .csv: read by content", lambda c: _n(c, N), participants=("participants.csv", workbook))
    with_formula = base.astype(object)
    with_formula.loc[0, "phq9"] = "=2*3"
    read(
        "workbook formula without a saved value: missing, said",
        lambda c: (_warned(c, "1 formula cell(s)"), _n_missing(c, "phq9", 1)),
        participants=("participants.xlsx", xlsx({"Sheet": with_formula})),
    )
    members = zipfile.ZipFile(io.BytesIO(workbook))
    cut = {n: members.read(n) for n in members.namelist()}
    cut["xl/worksheets/sheet1.xml"] = cut["xl/worksheets/sheet1.xml"][:200]
    refused("damaged .xlsx (a sheet cut short)", "damaged", participants=("participants.xlsx", zipped(cut)))
    refused("truncated .xlsx", "not delimited text", participants=("participants.xlsx", workbook[: len(workbook) // 2]))
    table = parquet(base)
    read("Parquet table", lambda c: (_n(c, N), _ids_include(c, {"01"})), participants=("participants.parquet", table))
    refused("damaged .parquet", "damaged Parquet", participants=("participants.parquet", table[:4] + bytes(40) + table[-8:]))
    read(
        "data dictionary as .xlsx",
        lambda c: _modality(c, "pcs_total", "ignore"),
        dictionary=("dictionary.xlsx", xlsx({"Dictionary": pd.DataFrame({"column": ["pcs_total"], "modality": ["ignore"]})})),
    )


def _redcap_cases(base, refused, read) -> None:
    """REDCap exports: without their dictionary, longitudinal, and a dictionary that lacks choices."""
    export = base.rename(columns={"participant_id": "record_id"})
    export["baseline_complete"] = 2
    export["pain_site___1"] = np.arange(N) % 2
    read(
        "REDCap export without its dictionary",
        lambda c: (_n(c, N), _modality(c, "baseline_complete", "ignore"), _modality(c, "pain_site___1", "clinical")),
        participants=("Project_DATA.csv", csv(export)),
    )
    longitudinal = pd.concat([export.assign(redcap_event_name="baseline_arm_1"), export.assign(redcap_event_name="week_12_arm_1")])
    refused(
        "longitudinal REDCap export with no event chosen",
        "choose one event: --event baseline_arm_1",
        participants=("Project_DATA.csv", csv(longitudinal)),
    )
    header = 'Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels"\n'
    refused(
        "REDCap dictionary with a radio field and no choices",
        "radio field 'phq9' of the REDCap data dictionary has no choices",
        dictionary=("DataDictionary.csv", (header + "phq9,baseline,radio,PHQ-9,\n").encode()),
    )


def _sidecar_cases(base, refused, read) -> None:
    """BIDS JSON sidecars given as the data dictionary."""
    import json

    read(
        "BIDS sidecar naming a column the table lacks",
        lambda c: _warned(c, "name no column of the cohort (handedness)"),
        dictionary=("participants.json", json.dumps({"age": {"Units": "years"}, "handedness": {"Levels": {"R": "right"}}}).encode()),
    )
    refused("BIDS sidecar that is not valid JSON", "is not valid JSON", dictionary=("participants.json", b'{"age": {"Units": '))


def _with_notes(base: pd.DataFrame) -> list[str]:
    noted = base.copy()
    noted.insert(1, "notes", "")
    return csv(noted).decode().splitlines()


def _joined(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _quoting_cases(base, refused, read) -> None:
    lines = _with_notes(base)
    four = list(lines)
    four[3] = four[3].replace("sub-03,,", 'sub-03,"started opioids,', 1)
    four[7] = four[7].replace("sub-07,,", 'sub-07,stopped",', 1)
    refused("a quote left open swallows four rows", "closes only on line 8", participants=("participants.csv", _joined(four)))
    one = list(lines)
    one[5] = one[5].replace("sub-05,,", 'sub-05,"see chart,', 1)
    one[6] = one[6].replace("sub-06,,", 'sub-06,x",', 1)
    refused("a quote left open swallows one row", "closes only on line 7", participants=("participants.csv", _joined(one)))
    never = list(lines)
    never[20] = never[20].replace("sub-20,,", 'sub-20,"never closed,', 1)
    refused("a quote never closed", "never closed", participants=("participants.csv", _joined(never)))
    long_note = base.copy()
    long_note.insert(1, "notes", ["word, " * 25_000] + [""] * (N - 1))  # the commas make it a quoted cell
    read(
        "a quoted note of 150,000 characters (over the csv module's field limit)",
        lambda c: (_n(c, N), _has_column(c, "notes")),
        participants=("participants.csv", csv(long_note)),
    )
    broken = base.copy()
    broken.insert(1, "notes", [""] * 4 + ["first line\nsecond line"] + [""] * (N - 5))
    read(
        "a note with a line break is read as one row and reported",
        lambda c: (_n(c, N), _warned(c, "quoted values with line breaks, each read as one row of several lines (lines 6-7)")),
        participants=("participants.csv", csv(broken)),
    )
    refused(
        "one line of 2.5 million characters (no line breaks)",
        "characters long",
        participants=("participants.csv", b"participant_id," + b"x," * 1_250_000 + b"\n"),
    )


# --- column names ---------------------------------------------------------------------------------
def _naming_cases(base, refused, read) -> None:
    ids = base["participant_id"].tolist()
    rng = np.random.default_rng(2)
    header = "#IID\tALLELE_CT\tMCP-PAIN_AVG\tMCP.PAIN_AVG"
    rows = [f"{i}\t2000\t{rng.normal(0, 1e-3):.6f}\t{rng.normal(0, 1e-3):.6f}" for i in ids]
    refused("two PRS scores whose names clean alike", "both become 'prs_mcp_pain'", prs=("scores.sscore", _joined([header, *rows])))
    table = pd.DataFrame({"IID": ids, "prs_Pain": rng.normal(size=N), "prs_pain": rng.normal(size=N)})
    refused("two PRS columns that differ only by case", "compared ignoring case", prs=("scores.tsv", csv(table, "\t")))
    spaced = csv(base).decode().replace("phq9", " pcs_total ", 1).encode()
    refused("a column name repeated with spaces around it", "duplicate column name", participants=("participants.csv", spaced))
    wide = "#IID\t" + "\t".join(f"S{k}_AVG" for k in range(600))
    wide_rows = ["\t".join([i] + [f"{v:.5f}" for v in rng.normal(size=600)]) for i in ids]
    read(
        "a PRS file of 600 scores (no fragmentation warnings)",
        lambda c: (_n(c, N), _has_column(c, "prs_s599")),
        prs=("many.sscore", _joined([wide, *wide_rows])),
    )


# --- archives ---------------------------------------------------------------------------------------
def _duplicated_member_zip(name: str, first: bytes, second: bytes, other: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in (other or {}).items():
            archive.writestr(member, data)
        archive.writestr(name, first)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
            archive.writestr(name, second)
    return buffer.getvalue()


def _patched_members(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Every member's general-purpose flag OR ``flag`` and, if given, its compression method set, in both headers."""
    raw = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            raw[start + flag_at : start + flag_at + 2] = (
                int.from_bytes(raw[start + flag_at : start + flag_at + 2], "little") | flag
            ).to_bytes(2, "little")
            if method is not None:
                raw[start + method_at : start + method_at + 2] = method.to_bytes(2, "little")
            start += 4
    return bytes(raw)


def _flipped(data: bytes, at: int) -> bytes:
    raw = bytearray(data)
    raw[at] ^= 0xFF
    return bytes(raw)


def _relmats(n: int = 6, n_rois: int = 6) -> dict[str, bytes]:
    return {
        f"sub-{i:02d}_task-rest_relmat.tsv": pd.DataFrame(symmetric_stack(1, n_rois, i)[0])
        .to_csv(sep="\t", index=False, header=False)
        .encode()
        for i in range(1, n + 1)
    }


def _archive_cases(base, refused, read) -> None:
    ids = np.array(base["participant_id"].tolist())
    edges = vectorised_edges(N, 12)
    refused(
        "an npz holding two members named matrices.npy",
        "two members named 'matrices.npy'",
        connectivity=(
            "fc.npz",
            _duplicated_member_zip("matrices.npy", _npy(edges), _npy(edges[::-1].copy()), {"participant_id.npy": _npy(ids)}),
        ),
    )
    relmat = _relmats()
    first = next(iter(relmat))
    refused(
        "a relmat zip holding one file name twice",
        f"two members named '{first}'",
        connectivity=(
            "fc.zip",
            _duplicated_member_zip(first, relmat[first], relmat[first], {k: v for k, v in relmat.items() if k != first}),
        ),
    )
    refused(
        "a password-protected relmat zip",
        "password-protected",
        connectivity=("fc.zip", _patched_members(zipped(relmat), flag=0x1)),
    )
    refused(
        "a password-protected npz",
        "password-protected",
        connectivity=("fc.npz", _patched_members(npz(matrices=edges, participant_id=ids), flag=0x1)),
    )
    refused(
        "a relmat zip compressed with Deflate64",
        "Deflate64",
        connectivity=("fc.zip", _patched_members(zipped(relmat, zipfile.ZIP_STORED), method=9)),
    )
    deflated = zipped(relmat)
    refused("a relmat zip with a flipped byte", "damaged", connectivity=("fc.zip", _flipped(deflated, 60)))
    stored = npz(matrices=edges, participant_id=ids)
    refused("an npz with a flipped byte in its matrices", "damaged", connectivity=("fc.npz", _flipped(stored, len(stored) // 2)))
    compressed = io.BytesIO()
    np.savez_compressed(compressed, matrices=edges, participant_id=ids)
    refused("a compressed npz with a flipped byte", "not valid NumPy data", connectivity=("fc.npz", _flipped(compressed.getvalue(), 200)))
    header = io.BytesIO()
    np.save(header, edges)
    bad_header = header.getvalue().replace(b"'descr': '<f4'", b"'descr': '<f4", 1)
    refused(
        "an npz whose array header is garbled",
        "not valid NumPy data",
        connectivity=("fc.npz", zipped({"matrices.npy": bad_header, "participant_id.npy": _npy(ids)}, zipfile.ZIP_STORED)),
    )
    refused(
        "a relmat zip with a 0-byte member",
        "is empty",
        connectivity=("fc.zip", zipped({**relmat, "sub-07_task-rest_relmat.tsv": b""})),
    )
    refused(
        "a participants table gzip with a flipped byte",
        "damaged gzip",
        participants=("participants.csv.gz", _flipped(gzip.compress(csv(base)), 40)),
    )


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# --- matrices -----------------------------------------------------------------------------------------
def _matrix_cases(base, refused, read) -> None:
    ids = np.array(base["participant_id"].tolist())
    stack = symmetric_stack(N, 12)
    refused(
        "complex-valued matrices",
        "complex numbers",
        connectivity=("fc.npz", npz(matrices=stack.astype(np.complex128) + 0.1j, participant_id=ids)),
    )
    above = stack.copy()
    above[4, 2, 9] = np.nan  # above the diagonal only (row 2 < column 9)
    refused("NaN above the diagonal only", "above the diagonal only", connectivity=("fc.npz", npz(matrices=above, participant_id=ids)))
    infinite = stack.copy()
    infinite[6, 1, 8] = np.inf
    refused("inf above the diagonal only", "participant '07'", connectivity=("fc.npz", npz(matrices=infinite, participant_id=ids)))
    labelled = {
        f"sub-{i:02d}_task-rest_relmat.tsv": pd.DataFrame(symmetric_stack(1, 6, i)[0], columns=[str(k) for k in range(1, 7)])
        .to_csv(sep="\t", index=False)
        .encode()
        for i in range(1, 7)
    }
    read(
        "relmat TSVs whose header row is numeric ROI labels",
        lambda c: (_connectivity_n(c, 6), _connectivity_rois(c, 6)),
        connectivity=("fc.zip", zipped(labelled)),
    )
    read(
        "npz ids stored as bytes",
        lambda c: _connectivity_n(c, N),
        connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 12), participant_id=ids.astype("S"))),
    )
    read(
        "a gzip-compressed ids file for an .npy stack",
        lambda c: _connectivity_n(c, N),
        connectivity=("fc.npy", _npy(vectorised_edges(N, 12))),
        connectivity_ids=("ids.csv.gz", gzip.compress(csv(pd.DataFrame({"participant_id": ids})))),
    )
    coordinates = pd.DataFrame({"roi": range(1, 13), "x": [f"{v} mm" for v in range(12)], "y": 0.0, "z": 0.0})
    refused(
        "atlas coordinates with units",
        "'0 mm' in column 'x' is not a number",
        connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 12), participant_id=ids)),
        atlas=("atlas.csv", csv(coordinates)),
    )
    commas = pd.DataFrame({"roi": range(1, 13), "x": [f"{v},5" for v in range(12)], "y": "1,0", "z": "-2,25"})
    read(
        "atlas coordinates with decimal commas (semicolon-delimited)",
        lambda c: _atlas_x(c, 0.5),
        connectivity=("fc.npz", npz(matrices=vectorised_edges(N, 12), participant_id=ids)),
        atlas=("atlas.csv", csv(commas, ";")),
    )


# --- the data dictionary across modalities ----------------------------------------------------------------
def _dictionary(rows: list[dict]) -> tuple[str, bytes]:
    frame = pd.DataFrame(rows)
    for column in ("column", "modality", "description", "unit", "min", "max", "missing_codes"):
        if column not in frame:
            frame[column] = ""
    return "data_dictionary.csv", csv(frame[["column", "modality", "description", "unit", "min", "max", "missing_codes"]])


def _dictionary_cases(base, refused, read) -> None:
    ids = base["participant_id"].tolist()
    negative = wearables(ids[:6])
    negative.loc[4, "steps"] = -120.0
    refused(
        "negative steps outside the dictionary's range",
        "'steps' lie outside the data dictionary's range [0, 100000]",
        wearables=("wearables.csv", csv(negative)),
        dictionary=_dictionary([{"column": "steps", "modality": "wearables", "min": 0, "max": 100000}]),
    )
    coded = wearables(ids[:6])
    coded.loc[[2, 13], "sleep_minutes"] = -1.0
    read(
        "a wearable missing code (-1 sleep) declared in the dictionary",
        lambda c: _wearable_missing(c, "sleep_minutes", 2),
        wearables=("wearables.csv", csv(coded)),
        dictionary=_dictionary([{"column": "sleep_minutes", "modality": "wearables", "min": 0, "max": 1440, "missing_codes": "-1"}]),
    )
    two = "#IID\tALLELE_CT\tMCP_AVG\tMDD_AVG"
    rng = np.random.default_rng(4)
    rows = [f"{i}\t2000\t{rng.normal(0, 1e-3):.6f}\t{rng.normal(0, 1e-3):.6f}" for i in ids]
    read(
        "a PRS score set to ignore in the dictionary",
        lambda c: (_no_column(c, "prs_mdd"), _has_column(c, "prs_mcp")),
        prs=("scores.sscore", _joined([two, *rows])),
        dictionary=_dictionary([{"column": "MDD_AVG", "modality": "ignore"}]),
    )
    refused(
        "a PRS score outside the dictionary's range",
        "'MCP_AVG' lie outside the data dictionary's range",
        prs=("scores.sscore", _joined([two, *rows])),
        dictionary=_dictionary([{"column": "prs_mcp", "modality": "prs", "min": 0, "max": 1}]),
    )
    read(
        "dictionary rows that match no column are reported",
        lambda c: _warned(c, "name no column of the cohort (phq_9)"),
        wearables=("wearables.csv", csv(wearables(ids[:6]))),
        dictionary=_dictionary([{"column": "phq_9", "modality": "clinical"}, {"column": "steps", "modality": "wearables"}]),
    )


# --- participant ids ----------------------------------------------------------------------------------------
def _id_cases(base, refused, read) -> None:
    cased = base.copy()
    cased["participant_id"] = [f"P{i:03d}" for i in range(1, N + 1)]
    lower = cased.copy()
    lower.loc[5, "participant_id"] = "p001"
    refused("ids P001 and p001 (case only)", "'P001' and 'p001'", participants=("participants.csv", csv(lower)))
    accents = cased.copy()
    accents.loc[0, "participant_id"], accents.loc[1, "participant_id"] = "Jos\u00e9", "Jose\u0301"
    refused("ids José composed and decomposed (NFC, NFD)", "are the same participant", participants=("participants.csv", csv(accents)))
    hidden = cased.copy()
    hidden.loc[3, "participant_id"] = "P0\u200b01"
    refused("an id with a zero-width space", "are the same participant", participants=("participants.csv", csv(hidden)))
    read(
        "PRS ids in lower case where the table has upper case",
        lambda c: _present(c, "prs_scores", N),
        participants=("participants.csv", csv(cased)),
        prs=("scores.sscore", sscore([f"p{i:03d}" for i in range(1, N + 1)])),
    )
    zero_width = wearables([f"P{i:03d}\u200b" for i in range(1, 7)])
    read(
        "wearable ids with trailing zero-width spaces",
        lambda c: _wearable_participants(c, 6),
        participants=("participants.csv", csv(cased)),
        wearables=("wearables.csv", csv(zero_width)),
    )


# --- identifiers and time keys ---------------------------------------------------------------------------------
def _time_and_key_cases(base, refused, read) -> None:
    ids = base["participant_id"].tolist()
    second = base.copy()
    second.insert(1, "IID", [f"{1000 + i}" for i in range(N)])
    read(
        "a second id column (IID) beside participant_id is never clustered",
        lambda c: _modality(c, "IID", "ignore"),
        participants=("participants.csv", csv(second)),
    )
    day_too = wearables(ids[:6])
    day_too.insert(2, "day", day_too.groupby("participant_id").cumcount() + 1)
    read(
        "a day column beside date is not a wearable metric",
        lambda c: _not_metric(c, "day"),
        wearables=("wearables.csv", csv(day_too)),
    )
    synced = wearables(ids[:6])
    times = ["23:58:10", "00:03:44", "07:15:00", "12:00:00", "21:30:05"]
    synced["date"] = [f"{d}T{times[k % 5]}" for k, d in enumerate(synced["date"])]
    read(
        "daily rows stamped with sync times count by calendar date",
        lambda c: _days_per_participant(c, 10),
        wearables=("wearables.csv", csv(synced)),
    )
    dst = wearables(ids[:6]).rename(columns={"date": "timestamp"})
    dst["timestamp"] = [f"{d}T08:00:00{'+01:00' if k % 10 < 5 else '+02:00'}" for k, d in enumerate(dst["timestamp"])]
    read(
        "timestamps with mixed UTC offsets across a DST change",
        lambda c: _days_per_participant(c, 10),
        wearables=("wearables.csv", csv(dst)),
    )
    sentinel = wearables(ids[:6])
    sentinel.loc[7, "date"] = "9999-12-31"
    refused("a 9999-12-31 placeholder date", "lies outside 1970-2100", wearables=("wearables.csv", csv(sentinel)))


# --- checks of read cases ------------------------------------------------------------------
def _n(cohort, n: int) -> None:
    assert cohort.n_participants == n, cohort.n_participants


def _has_column(cohort, column: str) -> None:
    assert column in cohort.participants.columns, list(cohort.participants.columns)


def _values(cohort, column: str, allowed: set) -> None:
    assert set(cohort.participants[column].dropna().unique()) <= allowed and cohort.participants[column].notna().all()


def _ids_include(cohort, wanted: set) -> None:
    assert wanted <= set(cohort.participants.index), sorted(cohort.participants.index)[:5]


def _missing(cohort, cells: list[tuple[str, str]]) -> None:
    frame = cohort.participants
    for pid, column in cells:
        key = pid.removeprefix("sub-")
        row = frame.index[frame.index.astype(str).isin([pid, key])]
        assert len(row) == 1 and pd.isna(frame.at[row[0], column]), (pid, column)
    assert frame[[c for _, c in cells]].notna().sum().sum() == 3 * len(frame) - len(cells)


def _n_missing(cohort, column: str, n: int) -> None:
    assert int(cohort.participants[column].isna().sum()) == n


def _noted(cohort, text: str) -> None:
    assert any(text in i.message for i in cohort.issues), [i.message for i in cohort.issues]


def _warned(cohort, text: str) -> None:
    assert any(text in i.message and i.severity == "warning" for i in cohort.issues), [i.message for i in cohort.issues]


def _wearable_metric(cohort, metric: str) -> None:
    assert metric in cohort.wearables.metrics, cohort.wearables.metrics


def _n_wearable_days(cohort, n: int) -> None:
    assert len(cohort.wearables.days) == n, len(cohort.wearables.days)


def _not_metric(cohort, column: str) -> None:
    assert column not in cohort.wearables.metrics, cohort.wearables.metrics
    assert any(f"time column '{column}' is not a metric" in i.message for i in cohort.issues)


def _no_column(cohort, column: str) -> None:
    assert column not in cohort.participants.columns, list(cohort.participants.columns)


def _present(cohort, column: str, n: int) -> None:
    assert int(cohort.participants[column].notna().sum()) == n, cohort.participants[column]


def _modality(cohort, column: str, modality: str) -> None:
    assert cohort.modality[column] == modality, cohort.modality[column]


def _connectivity_n(cohort, n: int) -> None:
    assert cohort.connectivity is not None and len(cohort.connectivity.ids) == n


def _connectivity_rois(cohort, n_rois: int) -> None:
    assert cohort.connectivity.n_rois == n_rois


def _atlas_x(cohort, first_x: float) -> None:
    assert cohort.connectivity.atlas.coords[0, 0] == first_x, cohort.connectivity.atlas.coords[:2]


def _wearable_missing(cohort, metric: str, n_missing: int) -> None:
    assert int(cohort.wearables.days[metric].isna().sum()) == n_missing


def _wearable_participants(cohort, n: int) -> None:
    assert cohort.wearables.days["participant"].nunique() == n, cohort.wearables.days["participant"].unique()


def _days_per_participant(cohort, n_days: int) -> None:
    days = cohort.wearables.days
    assert days.groupby("participant")["day"].nunique().eq(n_days).all() and days["day"].max() == n_days
