"""Daily wearable exports: one row per participant per day, with missing and non-wear days counted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.modalities import is_identifier_name
from analysis.cohort.participants import DataDictionary, apply_dictionary
from analysis.errors import CohortError, Issue
from analysis.io.inputs import InputFile, decoded_text_of
from analysis.io.tables import check_finite, coerce_numeric, normalise_ids, numeric_fraction, read_table, refuse_multiline

#: A day counts as worn when wear time reaches this many minutes (the usual 10-hour accelerometry rule).
VALID_WEAR_MINUTES = 600
#: Columns that say when a row was recorded: never a metric (compared ignoring case).
TIME_KEY_NAMES = (
    "date", "day", "study_day", "day_number", "day_index", "week", "time", "timestamp", "datetime", "date_time",
    "sync_time", "synced_at", "start_time", "end_time", "timezone", "time_zone", "utc_offset", "tz",
)  # fmt: skip
#: Dates outside these years are placeholders (9999-12-31, 1900-01-01) or typos, not days of a study.
PLAUSIBLE_YEARS = (1970, 2100)
_ISO_DATE_PART = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")
#: Columns read as each row's date, first found wins (a timestamp counts by its calendar date).
_DATE_NAMES = ("date", "datetime", "date_time", "timestamp")
_WEAR_TIME_NAMES = ("wear_minutes", "wear_time_min", "wear_time_minutes", "wear_min", "weartime")
#: Repeated participant-days are resolved up to this share of the file's rows; above it the file is refused,
#: because so many repeats mean intraday rows or a wrong day key, not a device that synced twice.
MAX_DUPLICATE_DAY_SHARE = 0.05


@dataclass(frozen=True)
class DuplicateDays:
    """Participant-days that had more than one row in the wearables file, and how each was resolved.

    Attributes
    ----------
    identical : int
        Participant-days whose rows were identical in every metric: one row kept.
    averaged : int
        Participant-days whose rows differed: each metric is the mean of the rows' values (missing values
        left out of the mean), one row kept.
    rows_removed : int
        Rows the file had beyond one per participant-day.
    rows_in_file : int
    """

    identical: int
    averaged: int
    rows_removed: int
    rows_in_file: int

    def to_dict(self) -> dict:
        """run.json's ``wearable_duplicate_days`` object (the rule in ``rule``)."""
        return {
            "identical": self.identical,
            "averaged": self.averaged,
            "rows_removed": self.rows_removed,
            "rows_in_file": self.rows_in_file,
            "rule": "identical rows: one kept; differing rows: the mean of each metric; refused above "
            f"{MAX_DUPLICATE_DAY_SHARE:.0%} of rows",
        }


@dataclass(frozen=True)
class Wearables:
    """Daily wearable series in long format.

    Attributes
    ----------
    days : DataFrame
        Columns ``participant`` (normalised id), ``day`` (int, study day 1 = each participant's
        first recorded day, or the ``day`` given in the file), ``date`` (datetime64 or NaT when
        the file gives integer days) and one float64 column per metric. One row per recorded day.
    metrics : tuple of str
        Metric column names as in the file (e.g. ``hrv_rmssd_ms``).
    wear_column : str or None
        The wear-time column (minutes per day) when the file has one.
    name : str
    issues : tuple of Issue
    file_columns : tuple of str
        Every column of the file, metrics or not (to match data dictionary rows against).
    written_ids : dict of str to str
        Normalised id → the id as the file writes it (for messages).
    duplicate_days : DuplicateDays or None
        How repeated participant-days were resolved (None when every participant-day had one row).
    """

    days: pd.DataFrame
    metrics: tuple[str, ...]
    wear_column: str | None
    name: str
    issues: tuple[Issue, ...] = field(default=())
    file_columns: tuple[str, ...] = field(default=())
    written_ids: dict[str, str] = field(default_factory=dict, repr=False)
    duplicate_days: DuplicateDays | None = None

    def adherence(self) -> pd.DataFrame:
        """Per participant: days recorded, days in the span, missing days, non-wear days, valid days.

        Returns
        -------
        DataFrame indexed by participant
            Columns ``days_recorded``, ``span_days`` (last day - first day + 1), ``missing_days``
            (days in the span with no row), ``nonwear_days`` (rows below :data:`VALID_WEAR_MINUTES`
            of wear, or with every metric missing) and ``valid_days``.
        """
        grouped = self.days.groupby("participant", sort=False)
        out = pd.DataFrame({"days_recorded": grouped.size(), "span_days": grouped["day"].max() - grouped["day"].min() + 1})
        out["missing_days"] = out["span_days"] - out["days_recorded"]
        out["nonwear_days"] = self._nonwear().groupby(self.days["participant"], sort=False).sum()
        out["valid_days"] = out["days_recorded"] - out["nonwear_days"]
        return out.astype(np.int64)

    def _nonwear(self) -> pd.Series:
        """Boolean per row: the day was not worn enough to count."""
        empty = self.days[list(self.metrics)].isna().all(axis=1)
        if self.wear_column is None:
            return empty
        return empty | (self.days[self.wear_column].fillna(0) < VALID_WEAR_MINUTES)


#: Name parts that say which heart-rate-variability measure a column holds.
_HRV_MEASURES = ("rmssd", "sdnn", "pnn50", "hf", "lf", "sd1", "sd2")


def load_wearables(file: InputFile, dictionary: DataDictionary | None = None) -> Wearables:
    """Read a long-format daily wearable export.

    Parameters
    ----------
    file : InputFile
        CSV/TSV with ``participant_id``, ``date`` (ISO 8601, ``YYYY-MM-DD``) or integer ``day``,
        then one column per daily metric (resting heart rate, HRV RMSSD in ms, steps, sleep
        minutes, pain NRS 0-10, wear minutes, ...).

    Returns
    -------
    Wearables

    Raises
    ------
    CohortError
        No date/day column, a date that cannot be read, a day that is not a whole number, more than
        :data:`MAX_DUPLICATE_DAY_SHARE` of rows repeating a participant and day, no metric columns,
        text in a metric column. Fewer repeats are resolved (see :func:`resolve_duplicate_days`).
    """
    decoded = decoded_text_of(file)
    frame = read_table(file.name, decoded.text, what="wearables file")
    refuse_multiline(file.name, frame, "wearables file")
    lowered = {c.lower(): c for c in frame.columns}
    if frame["participant_id"].isna().any():
        row = int(np.flatnonzero(frame["participant_id"].isna().to_numpy())[0])
        raise CohortError("missing participant id", f"{file.name} line {frame.attrs['line_numbers'][row]}", "give every row an id")
    participant = normalise_ids(frame["participant_id"])
    day, date, used = _study_days(file.name, frame, lowered, participant)
    issues: list[Issue] = decoded.notes(file.name)
    time_columns = {lowered[n] for n in TIME_KEY_NAMES if n in lowered} | used
    for column in sorted(time_columns - used):
        issues.append(Issue("info", f"time column '{column}' is not a metric (days are counted from '{next(iter(used))}')", file.name, ""))
    metrics = []
    for column in [c for c in frame.columns if c != "participant_id" and c not in time_columns]:
        declared = dictionary.modality_of(column) if dictionary is not None else None
        if declared == M.IGNORE:
            issues.append(Issue("info", f"column '{column}' is set to ignore in the data dictionary and not read", file.name, ""))
            continue
        if declared is None and is_identifier_name(column):
            issues.append(Issue("info", f"identifier column '{column}' is not a metric", file.name, ""))
            continue
        if dictionary is not None and column in dictionary.entries.index:
            apply_dictionary(file.name, frame, column, column, dictionary, issues)
        elif frame[column].dtype != np.float64:
            if numeric_fraction(frame[column]) < 0.8:
                issues.append(Issue("info", f"text column '{column}' is kept out of the wearable metrics", file.name, ""))
                continue
            frame[column], found = coerce_numeric(file.name, frame, column, frame.attrs["delimiter"])
            issues.extend(found)
        metrics.append(column)
    if not metrics:
        raise CohortError(
            "the wearables file has no metric columns",
            f"{file.name} line 1",
            "add daily metrics such as resting_hr_bpm, hrv_rmssd_ms, steps, sleep_minutes",
        )
    days = pd.DataFrame({"participant": participant.to_numpy(), "day": day, "date": date})
    for column in metrics:
        check_finite(file.name, frame, column)
        days[column] = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    if days[metrics].isna().all().all():
        raise CohortError(
            f"every value of the wearable metrics ({', '.join(metrics)}) is missing",
            file.name,
            "export the file again with its values, or leave the wearables out",
        )
    issues.extend(_unnamed_hrv_issues(file.name, metrics))
    days, duplicate_days, found = resolve_duplicate_days(file.name, frame.attrs["line_numbers"], days, metrics)
    issues.extend(found)
    wear = next((lowered[n] for n in _WEAR_TIME_NAMES if n in lowered), None)
    days = days.sort_values(["participant", "day"], kind="stable").reset_index(drop=True)
    first = ~participant.duplicated().to_numpy()
    written = dict(zip(participant[first], frame["participant_id"].astype(str)[first], strict=True))
    return Wearables(days, tuple(metrics), wear, file.name, tuple(issues), tuple(frame.columns), written, duplicate_days)


def _unnamed_hrv_issues(name: str, metrics: list[str]) -> list[Issue]:
    """Warnings for HRV columns that do not say which measure they hold.

    RMSSD and SDNN (and frequency-domain HRV) are different quantities on different scales; each
    column stays its own feature and is never pooled with another, but the column name must say
    which one it is for a reader of the profiles to compare it with anything.
    """
    out = []
    for column in metrics:
        lowered = column.lower()
        if "hrv" in lowered and not any(m in lowered for m in _HRV_MEASURES):
            out.append(
                Issue(
                    "warning",
                    f"column '{column}' does not say which HRV measure it holds (RMSSD, SDNN, ...); it is kept as its own "
                    "metric and never pooled with another HRV column",
                    name,
                    "rename it after its measure, e.g. hrv_rmssd_ms or hrv_sdnn_ms (Garmin and Oura export RMSSD, Apple Health SDNN)",
                )
            )
    return out


def _study_days(name: str, frame: pd.DataFrame, lowered: dict[str, str], participant: pd.Series) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Study day per row (1 = the participant's first date), the dates, and the time columns used."""
    lines = frame.attrs["line_numbers"]
    date_name = next((n for n in _DATE_NAMES if n in lowered), None)
    if date_name is not None:
        column = lowered[date_name]
        dates = _calendar_dates(name, frame[column].astype("string"), lines, column)
        first = dates.groupby(participant.to_numpy()).transform("min")
        day = ((dates - first).dt.days + 1).to_numpy(dtype=np.int64)
        return day, dates.to_numpy(), {column}
    if "day" in lowered:
        column = lowered["day"]
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise CohortError(
                f"day '{frame[column].iloc[row]}' is not a whole number",
                f"{name} line {lines[row]}, column '{column}'",
                "give study days as integers (1, 2, 3, ...)",
            )
        return values.astype(np.int64), np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]"), {column}
    raise CohortError(
        "the wearables file has no 'date' or 'day' column", f"{name} line 1", "add a date (YYYY-MM-DD) or an integer study day column"
    )


def _calendar_dates(name: str, text: pd.Series, lines: np.ndarray, column: str) -> pd.Series:
    """The calendar date of each row as written: ``2025-03-01``, or the date part of a timestamp.

    A timestamp's own date is its day (``2025-03-01T23:50:00+01:00`` is 1 March), so that rows
    stamped at sync times fall on their calendar days and mixed UTC offsets (a DST change) need
    no conversion.
    """
    part = text.str.strip().str.extract(_ISO_DATE_PART, expand=False)
    dates = pd.to_datetime(part, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CohortError(
            f"date '{text.iloc[row]}' cannot be read",
            f"{name} line {lines[row]}, column '{column}'",
            "write dates as YYYY-MM-DD (ISO 8601, a time after it is allowed), or give an integer 'day' column instead",
        )
    years = dates.dt.year.to_numpy()
    odd = (years < PLAUSIBLE_YEARS[0]) | (years > PLAUSIBLE_YEARS[1])
    if odd.any():
        row = int(np.flatnonzero(odd)[0])
        raise CohortError(
            f"date '{text.iloc[row]}' lies outside {PLAUSIBLE_YEARS[0]}-{PLAUSIBLE_YEARS[1]} ({int(odd.sum())} row(s)): a placeholder "
            "for a missing date, or a typo; it would stretch that participant's monitoring span to centuries",
            f"{name} line {lines[row]}, column '{column}'",
            "correct the date, or delete rows whose date is unknown",
        )
    return dates


def resolve_duplicate_days(
    name: str, lines: np.ndarray, days: pd.DataFrame, metrics: list[str]
) -> tuple[pd.DataFrame, DuplicateDays | None, list[Issue]]:
    """One row per participant-day: repeated rows kept once when identical, averaged when they differ.

    Devices sync twice and exports overlap, so a few repeated days are expected; each resolution is
    counted and reported, never silent.

    Parameters
    ----------
    name : str
        The file's name (for messages).
    lines : ndarray of int, shape (n_rows,)
        The file's line number of each row of ``days``.
    days : DataFrame, shape (n_rows, 3 + n_metrics)
        ``participant``, ``day``, ``date`` and one float64 column per metric, in file order.
    metrics : list of str

    Returns
    -------
    days : DataFrame
        One row per participant-day (repeats replaced by one row: the first row's date, each metric the
        mean of the rows' non-missing values).
    duplicate_days : DuplicateDays or None
        None when no participant-day repeats.
    issues : list of Issue
        An info for identical repeats, a warning for averaged ones, each with a first example's lines.

    Raises
    ------
    CohortError
        More than :data:`MAX_DUPLICATE_DAY_SHARE` of the rows repeat a participant-day.
    """
    keys = ["participant", "day"]
    repeated = days.duplicated(keys, keep=False).to_numpy()
    if not repeated.any():
        return days, None, []
    extra = int(days.duplicated(keys).sum())
    first = np.flatnonzero(repeated)[0]
    twin = np.flatnonzero(
        repeated & (days["participant"] == days["participant"].iloc[first]).to_numpy() & (days["day"] == days["day"].iloc[first]).to_numpy()
    )[1]
    example = f"participant '{days['participant'].iloc[first]}', day {days['day'].iloc[first]}, lines {lines[first]} and {lines[twin]}"
    if extra > MAX_DUPLICATE_DAY_SHARE * len(days):
        raise CohortError(
            f"{extra:,} of {len(days):,} rows ({extra / len(days):.0%}) repeat a participant and day already in the file "
            f"(first: {example}); up to {MAX_DUPLICATE_DAY_SHARE:.0%} are resolved, more look like intraday rows or a wrong day column",
            name,
            "keep one row per participant per day (aggregate intraday data to daily values first)",
        )
    groups = days[repeated].groupby(keys, sort=False)
    differ = groups[metrics].nunique(dropna=False).gt(1).any(axis=1)
    merged = groups.agg({"date": "first", **dict.fromkeys(metrics, "mean")}).reset_index()
    resolved = pd.concat([days[~repeated], merged[days.columns]], ignore_index=True)
    counts = DuplicateDays(int((~differ).sum()), int(differ.sum()), extra, len(days))
    issues = []
    if counts.identical:
        issues.append(
            Issue("info", f"{counts.identical:,} participant-day(s) had identical repeated rows: one row kept for each", name, "")
        )
    if counts.averaged:
        participant, day = differ[differ].index[0]
        rows = np.flatnonzero(((days["participant"] == participant) & (days["day"] == day)).to_numpy())
        issues.append(
            Issue(
                "warning",
                f"{counts.averaged:,} participant-day(s) had repeated rows with different values (first: participant "
                f"'{participant}', day {day}, lines {', '.join(str(lines[r]) for r in rows)}): each metric is the mean of those rows",
                name,
                "export one row per participant per day to choose the values yourself",
            )
        )
    return resolved, counts, issues


def wearable_summaries(wearables: Wearables, min_valid_days: int) -> pd.DataFrame:
    """Per-participant summary features of the daily series, over valid (worn) days only.

    Parameters
    ----------
    wearables : Wearables
    min_valid_days : int
        Participants with fewer valid days get no summary (they count as lacking the modality).

    Returns
    -------
    DataFrame indexed by participant
        For each metric except wear time: ``<metric>_mean``, ``<metric>_sd`` (day-to-day
        variability) and ``<metric>_slope`` (linear trend, units per day); plus ``adherence``
        (valid days / days in the participant's span, in [0, 1]).
    """
    days = wearables.days[~wearables._nonwear()]
    adherence = wearables.adherence()
    enough = adherence.index[adherence["valid_days"] >= min_valid_days]
    days = days[days["participant"].isin(enough)]
    grouped = days.groupby("participant", sort=False)
    out = pd.DataFrame(index=pd.Index(enough, name="participant"))
    for metric in (m for m in wearables.metrics if m != wearables.wear_column):
        values = days[metric]
        out[f"{metric}_mean"] = grouped[metric].mean()
        out[f"{metric}_sd"] = grouped[metric].std()
        out[f"{metric}_slope"] = _slopes(days["participant"], days["day"].astype(np.float64), values)
    out["adherence"] = (adherence["valid_days"] / adherence["span_days"]).reindex(out.index)
    return out


def _slopes(participant: pd.Series, day: pd.Series, values: pd.Series) -> pd.Series:
    """Least-squares slope of values on day per participant (NaN with fewer than 2 observed days)."""
    present = values.notna()
    frame = pd.DataFrame({"p": participant[present], "d": day[present], "x": values[present]})
    frame["dx"] = frame["d"] * frame["x"]
    frame["dd"] = frame["d"] * frame["d"]
    sums = frame.groupby("p", sort=False).agg(n=("d", "size"), d=("d", "sum"), x=("x", "sum"), dx=("dx", "sum"), dd=("dd", "sum"))
    denominator = sums["n"] * sums["dd"] - sums["d"] ** 2
    slope = (sums["n"] * sums["dx"] - sums["d"] * sums["x"]) / denominator.where(denominator > 0)
    return slope
