"""Roles the tool proposes for participants-table columns that no data dictionary describes.

A clinical-study export holds much besides baseline measures: identifiers, integer-coded categories
(a race code 1-4), treatment arms, outcomes and follow-up measures, dates, and batch or time variables
(collection year, wave, visit, batch, plate, cohort). Clustered as features, they make biotypes of
the study's design: a split by year or by visit instead of by pain biology. Each rule here reads a
column's name and values and proposes a role with the reason in words. The loader uses the proposal
unless a data dictionary (or the Data page's column roles table, which writes one) says otherwise;
the validation report, the command line and run.json list every proposal so that it is confirmed or
changed, never assumed silently. The rules and their limits are in docs/input_formats.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M

IDENTIFIER = "identifier"
CODED_CATEGORY = "integer-coded category"
TREATMENT_ARM = "treatment arm"
OUTCOME = "outcome"
FOLLOW_UP = "follow-up measure"
DATE = "date"
BATCH = "batch or time"
TIME_TO_EVENT = "time to event"
#: Kinds of proposal, in the order the report lists them.
KINDS = (IDENTIFIER, CODED_CATEGORY, TREATMENT_ARM, TIME_TO_EVENT, OUTCOME, FOLLOW_UP, DATE, BATCH)

#: Most distinct values an integer column may have to be read as a code (race 1-4, year 2007-2009).
MAX_CODE_LEVELS = 12
#: Fewest rows for a column of distinct consecutive integers to be read as a row number.
MIN_ROWS_FOR_ROW_NUMBER = 20
#: Share of non-missing text cells that must parse as dates for a column to be a date.
DATE_SHARE = 0.9

_PERSONAL_WORDS = {
    "name", "firstname", "lastname", "surname", "forename", "initials", "email", "phone", "telephone", "mobile",
    "address", "street", "zip", "zipcode", "postcode", "postalcode", "ssn", "nhs", "mrn", "dob", "birthdate",
}  # fmt: skip
_ID_LAST_WORDS = {"id", "no", "nr", "number", "num", "key", "code"}
_NOMINAL_WORDS = {
    "race", "ethnicity", "ethnic", "marital", "married", "employment", "employed", "occupation", "job", "religion",
    "country", "region", "province", "state", "language", "insurance", "payer", "blood", "handedness", "group",
    "type", "category", "class", "diagnosis", "dx", "icd", "origin", "nationality", "residence", "living", "status",
}  # fmt: skip
#: Names of a treatment arm: made only of these words (``arm``, ``treatment_group``, ``rand_arm``; CDISC ``ARMCD``, ``TRT01P``).
_ARM_WORDS = {"arm", "armcd", "actarm", "actarmcd", "trt", "trtp", "trta", "trt01p", "trt01a", "trtgrp", "treatment", "treat",
              "tx", "randomization", "randomisation", "randomized", "randomised", "rand", "allocation", "allocated",
              "intervention", "group", "grp", "assignment", "assigned", "code", "cd", "study", "trial", "planned", "actual"}  # fmt: skip
_ARM_CORE_WORDS = _ARM_WORDS - {"group", "grp", "assignment", "assigned", "code", "cd", "study", "trial", "planned", "actual"}
_DEATH_WORDS = {"death", "died", "dead", "deceased", "mortality", "vitalstatus", "dth", "dthfl", "alive", "survived"}
_OUTCOME_WORDS = {"outcome", "response", "responder", "remission", "relapse", "recurrence", "improvement", "improved",
                  "recovered", "recovery", "change", "chg", "delta"}  # fmt: skip
_FOLLOW_UP_WORDS = {"fu", "followup", "post", "posttreatment", "posttx", "final", "endpoint", "eos", "eot", "discharge", "exit"}
_BASELINE_WORDS = {"baseline", "bl", "pre", "screening", "scr", "intake", "enrolment", "enrollment"}
_BATCH_WORDS = {"year", "yr", "wave", "visit", "timepoint", "tp", "session", "batch", "plate", "run", "cohort",
                "phase", "round", "lot", "assay", "chip", "lane"}  # fmt: skip
_BATCH_QUALIFIERS = {"number", "no", "nr", "num", "n", "id", "code", "index", "of", "collection", "sample", "study",
                     "scan", "assay", "sequencing", "processing", "measurement", "recruitment", "enrolment", "enrollment",
                     "data", "survey", "lab", "mri", "blood", "draw", "time", "point", "calendar"}  # fmt: skip
_DATE_EVENT_WORDS = {"enrolment", "enrollment", "enrol", "enroll", "recruitment", "scan", "visit", "collection",
                     "acquisition", "assessment", "baseline", "consent", "randomization", "randomisation", "sample",
                     "survey", "admission", "interview", "exam", "test"}  # fmt: skip

#: A time marker inside a column name: a unit and a number (``w12``, ``week12``, ``12m``, ``visit2``, ``t3``).
_LONG_MARKER = re.compile(r"^(week|wk|month|mo|mon|year|yr|visit|wave|fu|followup|session|ses|day|timepoint|tp)(\d+)$")
_NUMBER_FIRST_MARKER = re.compile(r"^(\d+)(w|wk|wks|week|weeks|m|mo|mos|mon|month|months|y|yr|yrs|year|years|d|day|days)$")
_SHORT_MARKER = re.compile(r"^(t|v|w|m|y|d)(\d+)$")
_UNIT_WORDS = {"week", "weeks", "wk", "month", "months", "mo", "year", "years", "yr", "visit", "wave", "fu", "day", "days",
               "session", "timepoint", "tp", "t", "v"}  # fmt: skip
_DATE_TEXT = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$"
)


@dataclass(frozen=True)
class RoleProposal:
    """The role the tool proposes for one column, and why.

    Attributes
    ----------
    column : str
        Column of the participants table.
    role : str
        The modality proposed (one of :data:`analysis.cohort.modalities.DICTIONARY_MODALITIES`); the loader
        uses it unless a data dictionary describes the column.
    kind : str
        One of :data:`KINDS`: what the column looks like.
    reason : str
        Why, in words, as the report shows it (``"named like a batch or time variable ('year')"``).
    """

    column: str
    role: str
    kind: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """``column``, ``role``, ``kind``, ``reason``, as run.json and the CSV download write them."""
        return {"column": self.column, "role": self.role, "kind": self.kind, "reason": self.reason}


def name_words(column: str) -> list[str]:
    """The lower-case words of a column name: split at non-letters-or-digits and camelCase (``BPI_SevW12`` → bpi, sev, w12)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", column.strip())
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
    merged: list[str] = []
    for word in words:  # "follow up" and "week 12" are one word each
        if merged and merged[-1] == "follow" and word == "up":
            merged[-1] = "followup"
        elif merged and merged[-1] in _UNIT_WORDS and word.isdigit():
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def propose_roles(frame: pd.DataFrame, columns: dict[str, bool]) -> dict[str, RoleProposal]:
    """Propose roles for columns that no data dictionary describes.

    Parameters
    ----------
    frame : DataFrame
        The participants table as read; numeric columns already float64.
    columns : dict of str to bool
        Column → whether it is numeric, for the columns to consider (those the dictionary leaves open).

    Returns
    -------
    dict of str to RoleProposal
        Only columns with a proposal; the others keep the name rules of :mod:`analysis.cohort.modalities`
        (prefixes, covariate names; any other number clinical, any other text set aside).
    """
    follow_up = _follow_up_columns(list(columns))
    out = {}
    for column, numeric in columns.items():
        proposal = _proposal(column, frame[column], numeric, follow_up.get(column))
        if proposal is not None:
            out[column] = proposal
    return out


def _proposal(column: str, values: pd.Series, numeric: bool, follow_up: str | None) -> RoleProposal | None:
    """The first rule that fits: identifier, time to event, treatment arm, date, batch/time, outcome, follow-up, code."""
    words = name_words(column)
    if not words:
        return None
    recorded = values.dropna()
    levels = recorded.nunique()

    def proposal(role: str, kind: str, reason: str) -> RoleProposal:
        return RoleProposal(column, role, kind, reason)

    if M.is_identifier_name(column):
        return proposal(M.IGNORE, IDENTIFIER, "named like an identifier or row number: kept, never clustered")
    if _PERSONAL_WORDS & set(words) or "".join(words) in _PERSONAL_WORDS or words[-2:] == ["date", "birth"]:
        return proposal(M.IGNORE, IDENTIFIER, "named like personal identifying information: kept, never clustered")
    if time_to_event := _time_to_event_role(column, values, numeric):
        return time_to_event
    if words[-1] == "complete" and numeric and set(recorded.unique()) <= {0.0, 1.0, 2.0}:
        return proposal(
            M.IGNORE, IDENTIFIER, "a REDCap form-completion status (0 incomplete, 1 unverified, 2 complete): kept, never clustered"
        )
    if column.lower() == "redcap_data_access_group":
        return proposal(M.COVARIATE, BATCH, "a REDCap data access group (usually the site): a covariate, audited like site")
    prefixed = any(column.lower().startswith(prefix) for prefix in M.PREFIXES) or M.is_covariate_name(column)
    if prefixed:
        return None
    if numeric and len(recorded) >= MIN_ROWS_FOR_ROW_NUMBER and levels == len(recorded) and _integers(recorded):
        if recorded.max() - recorded.min() + 1 == len(recorded):
            return proposal(M.IGNORE, IDENTIFIER, f"distinct consecutive integers ({recorded.min():g} to {recorded.max():g}): a row number")
        if words[-1] in _ID_LAST_WORDS:
            return proposal(M.IGNORE, IDENTIFIER, f"named like an identifier ('{words[-1]}') and distinct for every row")
    if _ARM_CORE_WORDS & set(words) and set(words) <= _ARM_WORDS and 2 <= levels <= 6:
        return proposal(M.TREATMENT, TREATMENT_ARM, f"named like a treatment arm, {levels} values ({_shown_levels(recorded)})")
    date = _date_reading(words, values, numeric)
    if date is not None:
        return proposal(*date)
    batch = _batch_reason(words, recorded, numeric)
    if batch is not None:
        return proposal(M.COVARIATE, BATCH, batch)
    if _DEATH_WORDS & set(words) and levels == 2:
        return proposal(M.OUTCOME, OUTCOME, "a death or survival indicator: an outcome, compared across biotypes, never clustered")
    if _OUTCOME_WORDS & {words[0], words[-1]}:
        word = sorted(_OUTCOME_WORDS & {words[0], words[-1]})[0]
        return proposal(M.OUTCOME, OUTCOME, f"named like an outcome ('{word}'): compared across biotypes, never clustered")
    if follow_up is not None:
        return proposal(M.OUTCOME, FOLLOW_UP, f"{follow_up}: an outcome, compared across biotypes, never clustered")
    if numeric and _NOMINAL_WORDS & set(words) and 3 <= levels <= MAX_CODE_LEVELS and _integers(recorded):
        word = sorted(_NOMINAL_WORDS & set(words))[0]
        return proposal(
            M.COVARIATE,
            CODED_CATEGORY,
            f"integer codes ({_shown_levels(recorded)}) named like a category ('{word}'): clustering would treat the codes as "
            "distances; a covariate, audited and described by level",
        )
    return None


def _time_to_event_role(column: str, values: pd.Series, numeric: bool) -> RoleProposal | None:
    """Duration, event or treatment when the column's name says so and its values fit."""
    from analysis.outcomes.survival import event_indicator

    role = M.time_to_event_role_from_name(column)
    if role == M.DURATION and numeric and bool((values.dropna() >= 0).all()):
        return RoleProposal(
            column, M.DURATION, TIME_TO_EVENT, "named like a follow-up time (time_to_*, months_to_*): a time-to-event outcome"
        )
    if role == M.EVENT and event_indicator(values) is not None:
        return RoleProposal(column, M.EVENT, TIME_TO_EVENT, "named like an event indicator, values 0/1: paired with a follow-up time")
    if role == M.TREATMENT:
        levels = values.dropna().nunique()
        return RoleProposal(
            column, M.TREATMENT, TREATMENT_ARM, f"named like a treatment arm, {levels} values ({_shown_levels(values.dropna())})"
        )
    return None


def _date_reading(words: list[str], values: pd.Series, numeric: bool) -> tuple[str, str, str] | None:
    """(role, kind, reason) for a date column: a batch/time covariate when it dates enrolment, a scan or a visit; else set aside."""
    named = "date" in words or "dt" == words[-1] or "dttm" in words
    share = 0.0 if numeric or named else share_of_dates(values)
    if not named and share < DATE_SHARE:
        return None
    why = "named like a date" if named else f"{share:.0%} of its values are dates"
    if _DATE_EVENT_WORDS & set(words):
        return M.COVARIATE, BATCH, f"{why} of enrolment, a scan or a visit: a batch or time covariate, audited as time"
    return M.IGNORE, DATE, f"{why}: kept, never clustered"


def _batch_reason(words: list[str], recorded: pd.Series, numeric: bool) -> str | None:
    """Why a column is a batch or time variable (its name, or integer values that are years), or None."""
    first, last = words[0], words[-1]
    if last in _BATCH_WORDS or (first in _BATCH_WORDS and set(words[1:]) <= _BATCH_QUALIFIERS):
        word = last if last in _BATCH_WORDS else first
        return f"named like a batch or time variable ('{word}'): a covariate, audited like site (do biotypes track it?)"
    if _LONG_MARKER.match(first) and len(words) == 1:
        return f"named like a time point ('{first}'): a covariate, audited like site"
    if numeric and 2 <= recorded.nunique() <= 30 and _integers(recorded) and recorded.min() >= 1900 and recorded.max() <= 2100:
        return f"integer values that are calendar years ({recorded.min():g} to {recorded.max():g}): a time covariate, audited like site"
    return None


def _follow_up_columns(columns: list[str]) -> dict[str, str]:
    """Columns that measure at a follow-up time, each with the reason in words.

    A follow-up word (``fu``, ``post``, ``final``) always counts. A time marker (``w12``, ``month6``,
    ``t2``) counts when it is not the earliest of its family (columns sharing the rest of the name):
    ``pain_t1`` stays baseline beside ``pain_t2``. A lone long marker counts when its number is above
    0 (or above 1 for visits and waves); lone short markers (``t2``, ``m3``) never do.
    """
    marked: dict[str, tuple[str, str, int, bool]] = {}
    out: dict[str, str] = {}
    for column in columns:
        words = name_words(column)
        if len(words) < 2:
            continue
        if fu := next((w for w in words if w in _FOLLOW_UP_WORDS), None):
            if not _BASELINE_WORDS & set(words):
                out[column] = f"named like a follow-up measure ('{fu}')"
            continue
        for position in (len(words) - 1, 0):
            marker = _time_marker(words[position])
            if marker is not None:
                unit, number, long = marker
                stem = "_".join(words[:position] + words[position + 1 :])
                marked[column] = (stem, unit, number, long)
                break
    families: dict[tuple[str, str], list[str]] = {}
    for column, (stem, unit, _, _) in marked.items():
        families.setdefault((stem, unit), []).append(column)
    for (_, unit), members in families.items():
        numbers = {c: marked[c][2] for c in members}
        if len(members) >= 2:
            earliest = min(numbers.values())
            for column in members:
                if numbers[column] > earliest:
                    out[column] = f"a later time point ({unit} {numbers[column]}) of a measure also taken at {unit} {earliest}"
        else:
            column = members[0]
            first = 1 if unit in ("visit", "wave", "session", "timepoint", "fu") else 0
            if marked[column][3] and numbers[column] > first:
                out[column] = f"named like a measure at {unit} {numbers[column]}"
    return out


def _time_marker(word: str) -> tuple[str, int, bool] | None:
    """(unit, number, long form) for a word such as ``w12``, ``week12``, ``12m`` or ``visit2``; None otherwise."""
    units = {"wk": "week", "mo": "month", "mon": "month", "yr": "year", "ses": "session", "tp": "timepoint", "w": "week",
             "m": "month", "y": "year", "d": "day", "t": "time", "v": "visit"}  # fmt: skip
    if match := _LONG_MARKER.match(word):
        return units.get(match[1], match[1]), int(match[2]), True
    if match := _NUMBER_FIRST_MARKER.match(word):
        unit = match[2].rstrip("s") if len(match[2]) > 2 else match[2]
        return units.get(unit, unit), int(match[1]), True
    if match := _SHORT_MARKER.match(word):
        return units[match[1]], int(match[2]), False
    return None


def _integers(values: pd.Series) -> bool:
    """Whether every value is a finite whole number (float64 columns hold integers as floats)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return bool(np.isfinite(numbers).all()) and bool(np.all(np.mod(numbers, 1) == 0))


def is_integer_code(column: str, values: pd.Series) -> bool:
    """Whether a numeric covariate reads as a code: 2 to :data:`MAX_CODE_LEVELS` whole-number values, and not an age.

    Such a covariate (a year 2007-2009, a race code 1-4) is audited and described by level, not as a number.
    """
    if values.dtype != np.float64 or "age" in name_words(column):
        return False
    recorded = values.dropna()
    return 2 <= recorded.nunique() <= MAX_CODE_LEVELS and _integers(recorded)


def share_of_dates(values: pd.Series) -> float:
    """Share of non-missing cells that read as calendar dates (ISO, day/month/year, 12-Mar-2021)."""
    text = values.dropna().astype(str)
    if text.empty:
        return 0.0
    return float(text.head(2000).str.match(_DATE_TEXT).mean())


def _shown_levels(values: pd.Series, most: int = 5) -> str:
    """The first few distinct values, sorted, as text (``1, 2, 3, 4``)."""
    levels = sorted(values.unique().tolist(), key=lambda v: (isinstance(v, str), v))
    shown = [f"{v:g}" if isinstance(v, float) else str(v) for v in levels[:most]]
    return ", ".join(shown) + (", ..." if len(levels) > most else "")
