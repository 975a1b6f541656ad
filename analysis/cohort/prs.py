"""Polygenic risk score files: PLINK 2 .sscore, PRSice-2 .all_score and .best, pgsc_calc, or a table of prs_* columns.

:func:`load_prs` takes an :class:`~analysis.io.inputs.InputFile` and returns a :class:`ScoreTable`
with the :class:`~analysis.errors.Issue` list it found; blocking problems raise
:class:`~analysis.errors.CohortError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.participants import DataDictionary, apply_dictionary
from analysis.errors import CohortError, Issue
from analysis.io.inputs import InputFile, decoded_text_of
from analysis.io.tables import check_finite, coerce_numeric, normalised_ids, read_table, refuse_multiline


@dataclass(frozen=True)
class ScoreTable:
    """Polygenic risk scores read from a score file.

    Attributes
    ----------
    scores : DataFrame indexed by normalised participant id
        One float64 column per score, named ``prs_<score>``.
    source_format : str
        ``"PLINK 2 .sscore"``, ``"PRSice-2 .all_score"``, ``"PRSice-2 .best"``, ``"pgsc_calc"`` or ``"table"``.
    name : str
        The file it came from.
    source_columns : dict of str to str
        Each score's column in the file (``prs_mcp`` → ``MCP_AVG``), the ignored ones too.
    modality : dict of str to str
        Each score's modality: prs, or what the data dictionary gives it (ignored scores are not in
        ``scores``).
    issues : tuple of Issue
    written_ids : dict of str to str
        Normalised id → the id as the file writes it (for messages).
    """

    scores: pd.DataFrame
    source_format: str
    name: str
    source_columns: dict[str, str] = field(default_factory=dict)
    modality: dict[str, str] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()
    written_ids: dict[str, str] = field(default_factory=dict, repr=False)


_PLINK_NON_SCORES = {"NAMED_ALLELE_DOSAGE_SUM", "ALLELE_CT", "DENOM", "NMISS_ALLELE_CT"}


def load_prs(file: InputFile, dictionary: DataDictionary | None = None) -> ScoreTable:
    """Read a polygenic risk score file (gzip allowed).

    Recognised: PLINK 2 ``.sscore`` (``*_AVG``/``*_SUM`` columns), PRSice-2 ``.all_score``
    (``Pt_*`` columns) and ``.best`` (``PRS``), pgsc_calc aggregated scores (long format with
    ``PGS`` and ``SUM`` columns, or wide ``*_SUM`` columns), or any table of ``prs_*`` columns.
    FID is ignored; IID is the participant id. A data dictionary row for a score, under its cohort
    name (``prs_mcp``) or its column in the file (``MCP_AVG``), sets its missing codes, its range and
    its modality (``ignore`` leaves the score out).

    Returns
    -------
    ScoreTable
    """
    decoded = decoded_text_of(file)
    frame = read_table(file.name, decoded.text, what="PRS score file")
    refuse_multiline(file.name, frame, "PRS score file")
    columns = [c for c in frame.columns if c != "participant_id"]
    upper = {c.upper(): c for c in columns}
    if "PGS" in upper and ("SUM" in upper or "AVG" in upper):
        frame, source = _pgsc_long_to_wide(file.name, frame, upper), "pgsc_calc"
        picks = {c: f"prs_{_clean(c)}" for c in frame.columns if c != "participant_id"}
    elif any(c.upper().startswith("PT_") for c in columns):
        source = "PRSice-2 .all_score"
        picks = {c: f"prs_{_clean(file.stem)}_{_clean(c)}" for c in columns if c.upper().startswith("PT_")}
    elif "PRS" in upper and "IN_REGRESSION" in upper:
        source, picks = "PRSice-2 .best", {upper["PRS"]: f"prs_{_clean(file.stem)}"}
    elif any(re.search(r"_(AVG|SUM)$", c.upper()) and c.upper() not in _PLINK_NON_SCORES for c in columns):
        source, picks = ("pgsc_calc" if "SAMPLESET" in upper else "PLINK 2 .sscore"), _plink_score_columns(file, columns)
    else:
        source = "table"
        picks = {c: c.lower() for c in columns if c.lower().startswith("prs_")}
    if not picks:
        raise CohortError(
            "no score columns found in the PRS file",
            f"{file.name} line 1",
            "give a PLINK 2 .sscore, a PRSice-2 .all_score or .best, pgsc_calc aggregated scores, or columns named prs_*",
        )
    _refuse_cleaned_name_collisions(file.name, picks)
    keys = normalised_ids(file.name, frame, "PRS score file")
    values: dict[str, np.ndarray] = {}
    issues: list[Issue] = decoded.notes(file.name)
    modality: dict[str, str] = {}
    for column, new_name in picks.items():
        entry = dictionary.entry_for(new_name, column) if dictionary is not None else None
        modality[new_name] = (dictionary.modality_of(entry) if entry else None) or M.PRS
        if modality[new_name] == M.IGNORE:
            issues.append(Issue("info", f"score '{column}' is set to ignore in the data dictionary and not read", file.name, ""))
            continue
        if entry is not None:
            apply_dictionary(file.name, frame, column, entry, dictionary, issues)  # checks finiteness too
        else:
            if frame[column].dtype != np.float64:
                frame[column], _ = coerce_numeric(file.name, frame, column, frame.attrs["delimiter"])
            check_finite(file.name, frame, column)
        values[new_name] = frame[column].to_numpy(dtype=np.float64)
    # Built at once: a frame grown column by column warns of fragmentation once per score of a wide file.
    scores = pd.DataFrame(values, index=pd.Index(keys.to_numpy(), name="participant"))
    if scores.shape[1] == 0:
        raise CohortError(
            "every score in the PRS file is set to ignore in the data dictionary",
            file.name,
            "leave the PRS file out, or give a score another modality than ignore",
        )
    modality = {c: m for c, m in modality.items() if c in scores.columns}
    written = dict(zip(keys, frame["participant_id"].astype(str), strict=True))
    return ScoreTable(scores, source, file.name, {new: old for old, new in picks.items()}, modality, tuple(issues), written)


def _refuse_cleaned_name_collisions(name: str, picks: dict[str, str]) -> None:
    """Refuse two score columns whose cleaned names are equal (one would overwrite the other)."""
    seen: dict[str, str] = {}
    for column, new_name in picks.items():
        if new_name in seen:
            raise CohortError(
                f"score columns '{seen[new_name]}' and '{column}' both become '{new_name}' (names keep only letters, digits "
                "and underscores), so one would replace the other",
                f"{name} line 1",
                "rename one of the two scores so that they differ in a letter or digit",
            )
        seen[new_name] = column


def _plink_score_columns(file: InputFile, columns: list[str]) -> dict[str, str]:
    """PLINK/pgsc_calc score columns → prs_ names, preferring *_AVG over *_SUM for the same score."""
    scores: dict[str, str] = {}
    for column in columns:
        match = re.match(r"^(.*)_(AVG|SUM)$", column, re.IGNORECASE)
        if not match or column.upper() in _PLINK_NON_SCORES:
            continue
        base = match.group(1)
        if base.upper() in {b.upper() for b in scores.values()} and match.group(2).upper() == "SUM":
            continue
        scores = {c: b for c, b in scores.items() if b.upper() != base.upper()}
        scores[column] = base
    single = len(scores) == 1 and re.fullmatch(r"SCORE\d*", next(iter(scores.values())), re.IGNORECASE)
    return {c: f"prs_{_clean(file.stem if single else b)}" for c, b in scores.items()}


def _pgsc_long_to_wide(name: str, frame: pd.DataFrame, upper: dict[str, str]) -> pd.DataFrame:
    """pgsc_calc long format (one row per participant and score) → one row per participant."""
    value = upper["SUM"] if "SUM" in upper else upper["AVG"]
    if frame[value].dtype != np.float64:
        frame[value], _ = coerce_numeric(name, frame, value, frame.attrs["delimiter"])
    pairs = frame[["participant_id", upper["PGS"]]]
    if pairs.duplicated().any():
        row = int(np.flatnonzero(pairs.duplicated().to_numpy())[0])
        raise CohortError(
            "a participant has two values for the same score",
            f"{name} line {frame.attrs['line_numbers'][row]}",
            "keep one row per participant and PGS (one sampleset)",
        )
    wide = frame.pivot(index="participant_id", columns=upper["PGS"], values=value)
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reset_index()
    wide.attrs = {"delimiter": frame.attrs["delimiter"], "line_numbers": np.arange(2, len(wide) + 2)}
    return wide


def _clean(text: str) -> str:
    """Lower-case name made of letters, digits and underscores."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")
