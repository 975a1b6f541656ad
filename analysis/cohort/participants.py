"""Loaders for the participants table and the data dictionary.

Each loader takes an :class:`~analysis.io.inputs.InputFile` and returns a small frozen dataclass plus
the :class:`~analysis.errors.Issue` list it found; blocking problems raise
:class:`~analysis.errors.CohortError`. Polygenic scores, connectivity and wearables have their own modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.roles import RoleProposal, propose_roles
from analysis.errors import CohortError, Issue
from analysis.io import bids, redcap
from analysis.io.inputs import InputFile, decoded_text_of
from analysis.io.redcap import is_redcap_dictionary, rows_of_event
from analysis.io.spreadsheet import csv_bytes, without_formula_guard
from analysis.io.tables import (
    check_finite,
    coerce_numeric,
    is_yes_no,
    multiline_issue,
    normalised_ids,
    numeric_fraction,
    read_table,
)

#: Fewest participants a cohort needs for biotypes to mean anything.
MIN_PARTICIPANTS = 10
#: Share of missing values in a column above which the report warns.
MISSING_WARNING_FRACTION = 0.10
#: Share of numeric cells above which a text column is taken to be numeric with typos.
NUMERIC_WITH_TYPOS = 0.8
#: Kinds of the per-column findings that a wide export has by the hundred (see :attr:`analysis.errors.Issue.kind`).
EMPTY_COLUMN = "empty column"
CONSTANT_COLUMN = "constant column"
MOSTLY_MISSING = "mostly missing"
TEXT_SET_ASIDE = "text set aside"


@dataclass(frozen=True)
class DataDictionary:
    """The optional data dictionary (column, modality, description, unit, min, max, missing_codes, event).

    Attributes
    ----------
    entries : DataFrame indexed by column name
        Columns ``modality`` (str or NA), ``description``, ``unit``, ``min``, ``max`` (float or NaN)
        ``missing_codes`` (text such as ``"-99;999"`` or NA) and ``event`` (on a duration row, the
        event column it pairs with, or NA).
    name : str
        The file it came from.
    levels : dict of str to dict of str to str
        Column → category code → label (the ``levels`` column, ``1=Male|2=Female``, or a REDCap
        radio or dropdown field's choices): such a column is a category unless it is made a feature,
        and its codes are read as their labels.
    identifiers : frozenset of str
        Columns that identify a person (REDCap ``Identifier? = y``): never features, never exported.
    source : {"tool", "redcap", "bids"}
        The dictionary's format.
    """

    entries: pd.DataFrame
    name: str
    levels: dict[str, dict[str, str]] = field(default_factory=dict)
    identifiers: frozenset[str] = frozenset()
    source: str = "tool"

    def modality_of(self, column: str) -> str | None:
        """The modality the dictionary gives a column, or None."""
        if column not in self.entries.index:
            return None
        value = self.entries.at[column, "modality"]
        return None if pd.isna(value) else str(value)

    def event_of(self, column: str) -> str | None:
        """The event column the dictionary pairs with a duration column (its ``event`` cell), or None."""
        if column not in self.entries.index or "event" not in self.entries.columns:
            return None
        value = self.entries.at[column, "event"]
        return None if pd.isna(value) or not str(value).strip() else str(value).strip()

    def entry_for(self, *names: str) -> str | None:
        """The first of ``names`` the dictionary describes (a PRS score by its cohort name or its file column), or None."""
        return next((n for n in names if n in self.entries.index), None)

    def missing_codes_of(self, column: str) -> list[str]:
        """Cell texts the dictionary declares as missing for a column (e.g. ``["-99"]``)."""
        if column not in self.entries.index or pd.isna(self.entries.at[column, "missing_codes"]):
            return []
        return [code.strip() for code in re.split(r"[;|]", str(self.entries.at[column, "missing_codes"])) if code.strip()]


@dataclass(frozen=True)
class ParticipantsTable:
    """The participants table after validation.

    Attributes
    ----------
    frame : DataFrame indexed by normalised participant id
        Column ``participant_id`` keeps the id as written; numeric columns are float64, text columns
        are strings.
    modality : dict of str to str
        Column name → modality (see :mod:`analysis.cohort.modalities`) for every column but ``participant_id``.
    issues : tuple of Issue
    proposals : tuple of RoleProposal
        The roles the tool proposed for columns no dictionary describes (:func:`analysis.cohort.roles.propose_roles`),
        in table order; ``modality`` holds them.
    """

    frame: pd.DataFrame
    modality: dict[str, str]
    issues: tuple[Issue, ...] = field(default=())
    proposals: tuple[RoleProposal, ...] = field(default=())


def load_dictionary(file: InputFile) -> DataDictionary:
    """Read a data dictionary in any of the formats this tool reads, told apart by content.

    The tool's CSV (``column, modality, description, unit, min, max``), a REDCap
    data dictionary (:mod:`analysis.io.redcap`) or a BIDS JSON sidecar (:mod:`analysis.io.bids`), told apart by content.

    ``modality`` must be one of clinical, prs, connectivity, wearables, outcome, validator, covariate,
    duration, event, treatment or ignore (blank leaves the prefix rules in charge); ``missing_codes``
    may list cell texts that mean missing, separated by ``;``; ``event``, on a ``duration`` row, names
    the event column that says whether each duration ended in the event.
    """
    decoded = decoded_text_of(file)
    if bids.is_sidecar(decoded.text):
        entries, levels = bids.sidecar_entries(file.name, decoded.text)
        return DataDictionary(entries, file.name, levels, source="bids")
    try:
        frame = read_table(file.name, decoded.text, id_column=False, what="data dictionary")
    except CohortError as error:
        raise decoded.in_sheet(error) from None
    if is_redcap_dictionary(list(frame.columns)):
        entries, levels, identifiers = redcap.dictionary_entries(file.name, frame)
        return DataDictionary(entries, file.name, levels, identifiers, "redcap")
    lowered = {c.lower(): c for c in frame.columns}
    if "column" not in lowered:
        raise CohortError(
            "the data dictionary has no 'column' column",
            f"{file.name} line 1",
            "give columns column, modality, description, unit, min, max",
        )
    # A dictionary this tool wrote (the Data page's edited roles) has formula-like cells guarded by an
    # apostrophe for spreadsheets; they are read back as they were.
    names = without_formula_guard(frame[lowered["column"]].astype(str))
    entries = pd.DataFrame(index=pd.Index(names.astype(str), name="column"))
    for name in ("modality", "description", "unit", "missing_codes", "event"):
        entries[name] = without_formula_guard(frame[lowered[name]]).to_numpy() if name in lowered else pd.NA
    for name in ("min", "max"):
        values = frame[lowered[name]] if name in lowered else pd.Series(np.nan, index=frame.index)
        if values.dtype != np.float64:
            values, _ = coerce_numeric(file.name, frame, lowered[name], frame.attrs["delimiter"])
        entries[name] = values.to_numpy(dtype=np.float64)
    entries["modality"] = entries["modality"].str.lower()
    lines = frame.attrs["line_numbers"]
    for row, value in enumerate(entries["modality"]):
        if not pd.isna(value) and value not in M.DICTIONARY_MODALITIES:
            raise CohortError(
                f"unknown modality '{value}' for column '{entries.index[row]}'",
                f"{file.name} line {lines[row]}",
                f"use one of {', '.join(M.DICTIONARY_MODALITIES)} (or leave it blank)",
            )
    if entries.index.duplicated().any():
        duplicate = entries.index[entries.index.duplicated()][0]
        raise CohortError(f"column '{duplicate}' is described twice", file.name, "keep one row per column")
    levels = {}
    if "levels" in lowered:
        for column, text in zip(entries.index, without_formula_guard(frame[lowered["levels"]]), strict=True):
            if not pd.isna(text) and str(text).strip():
                levels[column] = _levels(str(text))
    return DataDictionary(entries, file.name, levels)


def _levels(text: str) -> dict[str, str]:
    """``"1=Male|2=Female"`` → {"1": "Male", "2": "Female"}."""
    return {code.strip(): label.strip() for code, _, label in (part.partition("=") for part in text.split("|")) if code.strip()}


def levels_text(levels: dict[str, str]) -> str:
    """The ``levels`` cell of a dictionary row: ``1=Male|2=Female``."""
    return "|".join(f"{code}={label}" for code, label in levels.items())


DICTIONARY_COLUMNS = ("column", "modality", "description", "unit", "min", "max", "missing_codes", "event", "levels")


def dictionary_with_modalities(
    columns: dict[str, str], changes: dict[str, str], dictionary: DataDictionary | None, name: str = "data_dictionary.csv"
) -> InputFile:
    """A data dictionary giving every column its modality, with some modalities changed by hand.

    Parameters
    ----------
    columns : dict of str to str
        Column of the participants table → its modality now (e.g. ``Cohort.modality`` restricted to
        the participants file); columns set aside as ``text`` are written with a blank modality.
    changes : dict of str to str
        Column → new modality, each one of :data:`analysis.cohort.modalities.DICTIONARY_MODALITIES`.
    dictionary : DataDictionary, optional
        The dictionary in use: its descriptions, units, ranges and missing codes are kept.
    name : str
        File name of the result.

    Returns
    -------
    InputFile
        CSV with :data:`DICTIONARY_COLUMNS`, one row per column in ``columns``' order; loading it with
        the same files gives those modalities (``python -m analysis ... --dictionary`` does the same).
        Cells a spreadsheet would run as formulas carry a leading apostrophe
        (:func:`analysis.io.spreadsheet.spreadsheet_safe`); :func:`load_dictionary` reads them back as they were.
    """
    unknown = {c: m for c, m in changes.items() if m not in M.DICTIONARY_MODALITIES or c not in columns}
    if unknown:
        column, modality = next(iter(unknown.items()))
        raise CohortError(
            f"cannot give column '{column}' the modality '{modality}'",
            "the column roles table",
            f"use one of {', '.join(M.DICTIONARY_MODALITIES)} for a column of the participants table",
        )
    kept = dictionary.entries if dictionary is not None else pd.DataFrame(columns=list(DICTIONARY_COLUMNS[1:]))
    rows = []
    for column, modality in columns.items():
        modality = changes.get(column, modality)
        old = kept.loc[column] if column in kept.index else None
        rows.append(
            {
                "column": column,
                "modality": modality if modality in M.DICTIONARY_MODALITIES else "",
                **{k: (old[k] if old is not None and k in old.index and not pd.isna(old[k]) else "") for k in DICTIONARY_COLUMNS[2:-1]},
                "levels": levels_text(dictionary.levels[column]) if dictionary is not None and column in dictionary.levels else "",
            }
        )
    return InputFile(name, csv_bytes(pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))))


def load_participants(file: InputFile, dictionary: DataDictionary | None = None) -> ParticipantsTable:
    """Read and validate the participants table (CSV or TSV, UTF-8, delimiter sniffed).

    Parameters
    ----------
    file : InputFile
        One row per participant with a ``participant_id`` column (or IID, subject_id, sub).
    dictionary : DataDictionary, optional
        Overrides modalities, declares missing codes and valid ranges.

    Returns
    -------
    ParticipantsTable

    Raises
    ------
    CohortError
        For every blocking problem: see :func:`analysis.io.tables.read_table`, plus missing or
        duplicate ids, text in a numeric column, infinite values, values outside the dictionary's
        range, fewer than :data:`MIN_PARTICIPANTS` participants.
    """
    decoded = decoded_text_of(file)
    try:
        frame = read_table(file.name, decoded.text, what="participants table")
    except CohortError as error:
        raise decoded.in_sheet(error) from None
    frame, event_notes = rows_of_event(file.name, frame, file.event)
    keys = normalised_ids(file.name, frame, "participants table")
    if len(frame) < MIN_PARTICIPANTS:
        raise CohortError(
            f"the participants table has {len(frame)} participant(s); biotypes need at least {MIN_PARTICIPANTS}",
            file.name,
            "load the full cohort",
        )
    issues: list[Issue] = decoded.notes(file.name) + event_notes
    columns = [c for c in frame.columns if c != "participant_id"]
    declared = {c: dictionary.modality_of(c) if dictionary else None for c in columns}
    numeric = {}
    for column in columns:
        if dictionary:
            _apply_missing_codes(frame, column, dictionary.missing_codes_of(column), file.name, issues)
        numeric[column] = _column_as_numeric(file.name, frame, column, declared[column], issues)
    proposals = propose_roles(frame, {c: numeric[c] for c in columns if declared[c] is None})
    modality: dict[str, str] = {}
    for column in columns:
        proposal = proposals.get(column)
        levels = dictionary.levels.get(column) if dictionary else None
        fallback = M.TEXT if levels else M.modality_from_name(column, numeric[column])
        modality[column] = declared[column] or (proposal.role if proposal else fallback)
        if levels:
            _codes_as_labels(file.name, frame, column, levels, modality[column], issues)
            numeric[column] = frame[column].dtype == np.float64
        if modality[column] == M.TEXT and is_yes_no(frame[column]):
            issues.append(Issue("info", f"column '{column}' holds yes/no answers: clustered as 1 = yes, 0 = no", file.name, ""))
        elif modality[column] == M.TEXT:
            issues.append(
                Issue(
                    "info",
                    f"text column '{column}' is kept but not used as a feature",
                    file.name,
                    "give it a modality in the data dictionary to use it",
                    TEXT_SET_ASIDE,
                    column,
                )
            )
        elif modality[column] == M.EVENT:
            _event_as_indicator(file.name, frame, column, issues)
        elif numeric[column]:
            check_finite(file.name, frame, column)
            if dictionary:
                _check_range(file.name, frame, column, dictionary)
            if modality[column] == M.DURATION:
                _check_duration(file.name, frame, column)
    issues.extend(column_quality_issues(file.name, frame, modality))
    if (multiline := multiline_issue(file.name, frame)) is not None:
        issues.append(multiline)
    frame.index = pd.Index(keys.to_numpy(), name="participant")
    frame.attrs.pop("line_numbers", None)
    return ParticipantsTable(frame, modality, tuple(issues), tuple(proposals.values()))


def _codes_as_labels(name: str, frame: pd.DataFrame, column: str, levels: dict[str, str], modality: str, issues: list[Issue]) -> None:
    """Read a category's codes as its labels, unless the column is a feature (then the codes stay numbers, said)."""
    if modality in (*M.FEATURE_MODALITIES, M.DURATION, M.EVENT):
        issues.append(
            Issue("info", f"category '{column}' is a {modality} feature: its codes ({', '.join(levels)}) are used as numbers", name, "")
        )
        return
    values = frame[column]
    codes = values.map(lambda v: f"{v:g}", na_action="ignore") if values.dtype == np.float64 else values.astype("string").str.strip()
    unknown = sorted(set(codes.dropna()) - set(levels))
    if unknown:
        issues.append(
            Issue(
                "warning",
                f"{int(codes.isin(unknown).sum())} value(s) of category '{column}' are not among its choices ({', '.join(unknown[:5])}): kept as written",
                name,
                "check the export against the data dictionary",
            )
        )
    frame[column] = codes.map(lambda code: levels.get(code, code), na_action="ignore").astype("string")


def _apply_missing_codes(frame: pd.DataFrame, column: str, codes: list[str], name: str, issues: list[Issue]) -> None:
    """Set cells equal to a declared missing code (compared as text or as number) to NA."""
    if not codes:
        return
    values = frame[column]
    if values.dtype == np.float64:
        numbers = pd.to_numeric(pd.Series(codes), errors="coerce").dropna().to_numpy()
        hits = values.isin(numbers)
    else:
        hits = values.isin(codes)
    if hits.any():
        frame.loc[hits, column] = np.nan if values.dtype == np.float64 else pd.NA
        issues.append(
            Issue(
                "info",
                f"{int(hits.sum())} cell(s) of '{column}' hold a declared missing code ({', '.join(codes)}) and are read as missing",
                name,
                "",
            )
        )


def apply_dictionary(name: str, frame: pd.DataFrame, column: str, entry: str, dictionary: DataDictionary, issues: list[Issue]) -> None:
    """Apply a dictionary row to a numeric column of a modality file: missing codes, then the range.

    Parameters
    ----------
    name : str
        File name for messages.
    frame : DataFrame
        As :func:`analysis.io.tables.read_table` returns it; ``frame[column]`` is float64 afterwards.
    column : str
        The column in the file.
    entry : str
        The dictionary row that describes it (:meth:`DataDictionary.entry_for`).
    dictionary : DataDictionary
    issues : list of Issue
        Appended to (cells read as missing).
    """
    _apply_missing_codes(frame, column, dictionary.missing_codes_of(entry), name, issues)
    if frame[column].dtype != np.float64:
        frame[column], found = coerce_numeric(name, frame, column, frame.attrs["delimiter"])
        issues.extend(found)
    check_finite(name, frame, column)
    _check_range(name, frame, column, dictionary, entry)


def _column_as_numeric(name: str, frame: pd.DataFrame, column: str, declared: str | None, issues: list[Issue]) -> bool:
    """Make ``frame[column]`` float64 where it should be numeric; return whether it is numeric."""
    values = frame[column]
    if values.dtype == np.float64:
        return True
    if values.notna().sum() == 0:
        frame[column] = values.astype("float64")
        return True
    text_covariate = M.is_covariate_name(column) and column.lower() != "age"
    must_be_numeric = declared in (*M.FEATURE_MODALITIES, M.DURATION) or column.lower() == "age"
    if must_be_numeric or (not text_covariate and declared is None and numeric_fraction(values) >= NUMERIC_WITH_TYPOS):
        converted, found = coerce_numeric(name, frame, column, frame.attrs["delimiter"])
        frame[column] = converted
        issues.extend(found)
        return True
    return False


def _event_as_indicator(name: str, frame: pd.DataFrame, column: str, issues: list[Issue]) -> None:
    """Make an event column float 0/1 (yes/no, true/false read as 1/0, said in an issue); refuse anything else."""
    from analysis.outcomes.survival import event_indicator

    values = frame[column]
    indicator = event_indicator(values)
    if indicator is None:
        allowed = {"0", "1", "yes", "no", "true", "false", "y", "n"}
        text = values.astype("string").str.strip().str.lower()
        bad = np.flatnonzero(text.notna().to_numpy() & ~text.isin(allowed).fillna(False).to_numpy())
        lines = ", ".join(str(frame.attrs["line_numbers"][r]) for r in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise CohortError(
            f"event column '{column}' holds {values.iloc[bad[0]]!r}; an event column says 1 (the event happened) or 0 (censored)",
            f"{name} line(s) {lines}, column '{column}'",
            "write 1/0 (or yes/no) in it, or give the column another modality in the data dictionary",
        )
    if values.dtype != np.float64:
        issues.append(Issue("info", f"event column '{column}' is read as 1 = yes/true, 0 = no/false", name, ""))
    frame[column] = indicator


def _check_duration(name: str, frame: pd.DataFrame, column: str) -> None:
    """Refuse negative follow-up times in a duration column."""
    values = frame[column].to_numpy()
    negative = np.flatnonzero(values < 0)
    if len(negative):
        lines = ", ".join(str(frame.attrs["line_numbers"][r]) for r in negative[:5]) + (", ..." if len(negative) > 5 else "")
        raise CohortError(
            f"{len(negative)} value(s) of duration column '{column}' are negative (first: {values[negative[0]]:g})",
            f"{name} line(s) {lines}, column '{column}'",
            "a duration is the time from baseline to the event or the end of follow-up: correct the values or mark them missing",
        )


def _check_range(name: str, frame: pd.DataFrame, column: str, dictionary: DataDictionary, entry: str | None = None) -> None:
    """Refuse values outside the data dictionary's [min, max] for a column (described under ``entry``, default its name)."""
    entry = column if entry is None else entry
    if entry not in dictionary.entries.index:
        return
    low, high = dictionary.entries.at[entry, "min"], dictionary.entries.at[entry, "max"]
    values = frame[column].to_numpy()
    outside = (values < low) | (values > high)
    if outside.any():
        rows = np.flatnonzero(outside)
        lines = ", ".join(str(frame.attrs["line_numbers"][r]) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise CohortError(
            f"{len(rows)} value(s) of '{column}' lie outside the data dictionary's range [{low:g}, {high:g}] (first: {values[rows[0]]:g})",
            f"{name} line(s) {lines}, column '{column}'",
            "correct the values, declare a missing code for them in the data dictionary, or widen min/max there",
        )


def column_quality_issues(name: str, frame: pd.DataFrame, modality: dict[str, str]) -> list[Issue]:
    """Warnings for feature and outcome columns that are constant, empty or often missing (kinds :data:`EMPTY_COLUMN`, ...)."""
    issues = []
    for column, kind in modality.items():
        if kind not in (*M.FEATURE_MODALITIES, M.OUTCOME, M.VALIDATOR) or frame[column].dtype != np.float64:
            continue
        values = frame[column]
        missing = float(values.isna().mean())
        if missing == 1.0:
            issues.append(
                Issue(
                    "warning", f"column '{column}' is empty (every value missing)", name, "fill it in or remove it; it cannot be used",
                    EMPTY_COLUMN, column,
                )
            )  # fmt: skip
        elif values.nunique(dropna=True) == 1:
            issues.append(
                Issue(
                    "warning",
                    f"column '{column}' is constant ({values.dropna().iloc[0]:g} for everyone)",
                    name,
                    "it carries no information and will not be clustered",
                    CONSTANT_COLUMN,
                    column,
                )
            )
        elif missing >= MISSING_WARNING_FRACTION:
            fix = (
                "outcomes are compared where present"
                if kind in (M.OUTCOME, M.VALIDATOR)
                else "missing values are imputed or the column dropped, as the run configuration says"
            )
            issues.append(
                Issue("warning", f"{missing:.0%} of '{column}' is missing", name, f"check the export; {fix}", MOSTLY_MISSING, column)
            )
    return issues
