"""REDCap exports: the data dictionary read as this tool's, and longitudinal records narrowed to one event.

A REDCap data dictionary (the "Data Dictionary" CSV of a project, or the API's metadata export)
describes every field: its type, label, choices, validation range and whether it identifies a
person. It is read into the tool's own dictionary entries:

- ``Text Validation Min/Max`` become the valid range (numbers only; date ranges are not checked);
- radio and dropdown fields keep their choices as *levels* (code → label): with word labels they
  are categories, described and audited by level and never clustered as distances; with number
  labels (a 0-10 scale) they are numbers;
- yes/no and true/false fields are 0/1; calculated fields and sliders are numbers;
- a checkbox field is exported as one 0/1 column per choice (``pain_site___1``, ``pain_site___2``):
  each gets its own entry, labelled with its choice;
- ``Identifier? = y`` fields are ``ignore``, listed as identifiers: never features, never written to
  any export, report or model;
- descriptive fields hold no data; file and signature fields are ignored.

A longitudinal export holds one row per ``record_id`` and ``redcap_event_name`` (and one per
repeating-instrument instance): :func:`rows_of_event` keeps the rows of one event.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.errors import CohortError, Issue

EVENT_COLUMN = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"

#: Data-dictionary headers (the project's CSV and the API's metadata export) → short names.
_HEADERS = {
    "variable / field name": "field", "field_name": "field",
    "form name": "form", "form_name": "form",
    "field type": "type", "field_type": "type",
    "field label": "label", "field_label": "label",
    "choices, calculations, or slider labels": "choices", "select_choices_or_calculations": "choices",
    "field note": "note", "field_note": "note",
    "text validation type or show slider number": "validation", "text_validation_type_or_show_slider_number": "validation",
    "text validation min": "min", "text_validation_min": "min",
    "text validation max": "max", "text_validation_max": "max",
    "identifier?": "identifier", "identifier": "identifier",
}  # fmt: skip
_NUMBER_VALIDATIONS = {"integer", "number", "number_1dp", "number_2dp", "number_3dp", "number_4dp", "number_comma_decimal"}
_HTML = re.compile(r"<[^>]+>")


def is_redcap_dictionary(columns: list[str]) -> bool:
    """Whether a table's header is a REDCap data dictionary's (field name, form name and field type columns)."""
    names = {_HEADERS.get(c.strip().lower()) for c in columns}
    return {"field", "form", "type"} <= names


def dictionary_entries(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[str, str]], frozenset[str]]:
    """The tool's dictionary entries for a REDCap data dictionary.

    Parameters
    ----------
    name : str
        File name for messages.
    frame : DataFrame
        The dictionary as read (one row per field).

    Returns
    -------
    entries : DataFrame indexed by column
        Columns ``modality``, ``description``, ``unit``, ``min``, ``max``, ``missing_codes``, ``event``
        (as :class:`analysis.cohort.participants.DataDictionary` holds them); one row per exported column (checkbox
        fields give one per choice).
    levels : dict of str to dict of str to str
        Column → choice code → label, for radio and dropdown fields with word labels.
    identifiers : frozenset of str
        Columns flagged ``Identifier? = y``.
    """
    short = {c: _HEADERS[c.strip().lower()] for c in frame.columns if c.strip().lower() in _HEADERS}
    table = pd.DataFrame({new: frame[old].astype("string").fillna("").to_numpy(dtype=object) for old, new in short.items()})
    rows, levels, identifiers = [], {}, set()
    lines = frame.attrs.get("line_numbers")
    for position, field in enumerate(table.itertuples(index=False)):
        record = field._asdict()
        column = (record.get("field") or "").strip()
        kind = (record.get("type") or "").strip().lower()
        if not column or kind == "descriptive":
            continue
        label = _HTML.sub("", record.get("label") or "").strip()
        unit = _HTML.sub("", record.get("note") or "").strip()
        choices = _choices(record.get("choices") or "")
        identifier = (record.get("identifier") or "").strip().lower() in ("y", "yes", "1")
        if kind in ("radio", "dropdown", "checkbox") and not choices:
            line = lines[position] if lines is not None else position + 2
            raise CohortError(
                f"{kind} field '{column}' of the REDCap data dictionary has no choices",
                f"{name} line {line}",
                "export the data dictionary again from REDCap (Project Setup > Data Dictionary)",
            )
        if kind == "checkbox":
            for code, text in choices.items():
                exported = f"{column}___{code.lower().replace('-', '_')}"
                rows.append(_entry(exported, "ignore" if identifier else "", f"{label}: {text} (checked 1, not 0)", "0/1", 0.0, 1.0))
                if identifier:
                    identifiers.add(exported)
            continue
        low, high = np.nan, np.nan
        validation = (record.get("validation") or "").strip().lower()
        if validation in _NUMBER_VALIDATIONS or kind == "slider":
            low, high = _number(record.get("min")), _number(record.get("max"))
            if kind == "slider" and np.isnan(low) and np.isnan(high):
                low, high = 0.0, 100.0
        if kind in ("yesno", "truefalse"):
            low, high, unit = 0.0, 1.0, unit or ("1 = yes, 0 = no" if kind == "yesno" else "1 = true, 0 = false")
        modality = "ignore" if identifier or kind in ("file", "signature") else ""
        if kind in ("radio", "dropdown") and not all(_is_number(t) for t in choices.values()):
            levels[column] = choices
        rows.append(_entry(column, modality, label, unit, low, high))
        if identifier:
            identifiers.add(column)
    entries = pd.DataFrame(rows).set_index("column") if rows else pd.DataFrame(columns=["modality"]).rename_axis("column")
    return entries, levels, frozenset(identifiers)


def _entry(column: str, modality: str, description: str, unit: str, low: float, high: float) -> dict:
    return {
        "column": column,
        "modality": modality or pd.NA,
        "description": description or pd.NA,
        "unit": unit or pd.NA,
        "min": low,
        "max": high,
        "missing_codes": pd.NA,
        "event": pd.NA,
    }


def _choices(text: str) -> dict[str, str]:
    """``"1, Male | 2, Female"`` → {"1": "Male", "2": "Female"} (choice code, then its label)."""
    out = {}
    for part in text.split("|"):
        if "," in part:
            code, label = part.split(",", 1)
            if code.strip():
                out[code.strip()] = _HTML.sub("", label).strip()
    return out


def _number(value) -> float:
    try:
        return float(str(value).strip()) if value is not None and not pd.isna(value) and str(value).strip() else np.nan
    except ValueError:
        return np.nan


def _is_number(text: str) -> bool:
    return not np.isnan(_number(text))


def events_in_file(file) -> list[str]:
    """The events of a participants table given as an :class:`~analysis.io.inputs.InputFile` (empty for a table without them).

    Unreadable tables give an empty list: loading them says what is wrong.
    """
    from analysis.io.inputs import decoded_text_of
    from analysis.io.tables import read_table

    try:
        text = decoded_text_of(file).text
        if EVENT_COLUMN not in text[: text.find("\n")]:
            return []
        return events_of(read_table(file.name, text, what="participants table"))
    except CohortError:
        return []


def events_of(frame: pd.DataFrame) -> list[str]:
    """The events of a longitudinal export, in the order they first appear (empty without an event column)."""
    if EVENT_COLUMN not in frame.columns:
        return []
    return list(dict.fromkeys(frame[EVENT_COLUMN].dropna().astype(str)))


def rows_of_event(name: str, frame: pd.DataFrame, event: str) -> tuple[pd.DataFrame, list[Issue]]:
    """The rows of one event of a longitudinal REDCap export (repeating-instrument rows set aside).

    Parameters
    ----------
    name : str
        File name for messages.
    frame : DataFrame
        The table as read (``attrs["line_numbers"]`` is narrowed alike).
    event : str
        The ``redcap_event_name`` to keep; empty: keep every row (allowed when each id appears once).

    Returns
    -------
    frame : DataFrame
    issues : list of Issue
        A note naming the event kept, the rows read and the rows set aside.

    Raises
    ------
    CohortError
        Ids repeated across events with no event chosen (the message lists the events and how to
        choose one), an event the export does not hold, or an event chosen for a table without events.
    """
    events = events_of(frame)
    if not events:
        if event:
            raise CohortError(
                f"an event ('{event}') was chosen but the table has no {EVENT_COLUMN} column",
                name,
                "choose an event only for a longitudinal REDCap export",
            )
        return frame, []
    counts = frame[EVENT_COLUMN].astype("string").value_counts(sort=False)
    listed = ", ".join(f"'{e}' ({counts.get(e, 0)} rows)" for e in events)
    if not event:
        if not frame["participant_id"].duplicated().any():
            return frame, []
        raise CohortError(
            f"the table is a longitudinal REDCap export: each record has a row per event ({listed})",
            f"{name}, column {EVENT_COLUMN}",
            f"choose one event: --event {events[0]} on the command line, or the event box under the upload",
        )
    if event not in events:
        raise CohortError(f"the export has no event '{event}'", f"{name}, column {EVENT_COLUMN}", f"choose one of its events: {listed}")
    in_event = (frame[EVENT_COLUMN].astype("string") == event).fillna(False).to_numpy()
    repeating = np.zeros(len(frame), dtype=bool)
    if REPEAT_INSTRUMENT in frame.columns:
        repeating = frame[REPEAT_INSTRUMENT].notna().to_numpy()
    keep = in_event & ~repeating
    narrowed = frame[keep].copy()
    narrowed.attrs = dict(frame.attrs)
    if "line_numbers" in frame.attrs:
        narrowed.attrs["line_numbers"] = np.asarray(frame.attrs["line_numbers"])[keep]
    others = [e for e in events if e != event]
    note = (
        f"longitudinal REDCap export: read event '{event}' ({int(keep.sum())} of {len(frame)} rows)"
        + (
            f"; {int((in_event & repeating).sum())} repeating-instrument row(s) of that event set aside"
            if (in_event & repeating).any()
            else ""
        )
        + (f"; other events: {', '.join(others)}" if others else "")
    )
    return narrowed, [Issue("info", note, name, "choose another event with --event or the event box under the upload" if others else "")]
