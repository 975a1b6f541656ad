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
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tests.conftest import participants_frame

N = 24
ROLES = ("participants", "prs", "connectivity", "connectivity_ids", "wearables", "dictionary")


@dataclass(frozen=True)
class Case:
    """One corpus entry.

    Attributes
    ----------
    name : str
    files : dict of role to (file name, bytes)
        Roles of :data:`ROLES`; participants always present.
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

    def refused(name: str, expect: str, atlas: str | None = None, **files) -> None:
        files.setdefault("participants", ("participants.csv", good))
        out.append(Case(name, files, "refused", expect, atlas))

    def read(name: str, check: Callable, atlas: str | None = None, **files) -> None:
        files.setdefault("participants", ("participants.csv", good))
        out.append(Case(name, files, "read", "", atlas, check))

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
    refused(
        "Latin-1 text",
        "not UTF-8",
        participants=("participants.csv", (text + "sub-99,A,F,30,1,2,3\n").replace("sub-99", "sub-Müller").encode("latin-1")),
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
    refused(
        "the same participant and day twice",
        "two rows for day",
        wearables=("wearables.csv", csv(pd.concat([wearables(ids[:6]), wearables(ids[:1]).head(1)]))),
    )
    all_missing = wearables(ids[:6]).assign(steps=np.nan, hrv_rmssd_ms=np.nan, sleep_minutes=np.nan)
    refused("every wearable value missing", "every value of the wearable metrics", wearables=("wearables.csv", csv(all_missing)))
    # --- connectivity ----------------------------------------------------------------------
    refused(
        "matrices with the wrong ROI count for the atlas",
        "160",
        atlas="dosenbach_2010",
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
    relmat = {
        f"sub-{i:02d}_task-rest_relmat.tsv": pd.DataFrame(symmetric_stack(1, 6, i)[0]).to_csv(sep="\t", index=False, header=False).encode()
        for i in range(1, 7)
    }
    refused(
        "a zip member path that escapes its folder",
        "outside",
        connectivity=("fc.zip", zipped({**relmat, "../../etc/sub-99_relmat.tsv": b"1\t0\n0\t1\n"})),
    )
    refused("a zip bomb", "expands", connectivity=("fc.zip", zipped({**relmat, "sub-50_task-rest_relmat.tsv": b"0" * 50_000_000})))
    refused("a 0-byte connectivity file", "empty (0 bytes)", connectivity=("fc.npz", b""))
    refused("a text file renamed .npz", "not valid NumPy data", connectivity=("fc.npz", good))
    return out


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


def _noted(cohort, text: str) -> None:
    assert any(text in i.message for i in cohort.issues), [i.message for i in cohort.issues]


def _warned(cohort, text: str) -> None:
    assert any(text in i.message and i.severity == "warning" for i in cohort.issues), [i.message for i in cohort.issues]


def _wearable_metric(cohort, metric: str) -> None:
    assert metric in cohort.wearables.metrics, cohort.wearables.metrics
