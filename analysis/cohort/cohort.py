"""The cohort model: participants, the column → modality map, connectivity, wearables, availability, provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.atlas import resolve_atlas
from analysis.cohort.connectivity import Connectivity, load_connectivity
from analysis.cohort.participants import DataDictionary, load_dictionary, load_participants
from analysis.cohort.prs import ScoreTable, load_prs
from analysis.cohort.roles import RoleProposal
from analysis.cohort.wearables import Wearables, load_wearables
from analysis.errors import CohortError, Issue, named_columns
from analysis.io.inputs import InputFile
from analysis.io.tables import ids_in


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one input file: its role, name, size in bytes, SHA-256, the sheet read (a workbook) and the event (REDCap)."""

    role: str
    name: str
    size: int
    sha256: str
    sheet: str = ""
    event: str = ""


@dataclass(frozen=True)
class CohortFiles:
    """The files that make a cohort, as the dashboard and the command line both collect them.

    Attributes
    ----------
    participants : InputFile
        Required participants table.
    prs, connectivity, connectivity_ids, wearables, dictionary : InputFile, optional
    atlas : str or InputFile, optional
        A bundled atlas name (see :data:`analysis.cohort.atlas.BUNDLED_ATLASES`) or a coordinates CSV.
    phenotypes : tuple of (InputFile, InputFile or None)
        Extra clinical tables (BIDS ``phenotype/*.tsv``, or any table keyed by participant id), each
        with its JSON sidecar (or None), joined on the participant id.
    """

    participants: InputFile
    prs: InputFile | None = None
    connectivity: InputFile | None = None
    connectivity_ids: InputFile | None = None
    atlas: str | InputFile | None = None
    wearables: InputFile | None = None
    dictionary: InputFile | None = None
    phenotypes: tuple[tuple[InputFile, InputFile | None], ...] = ()

    def records(self) -> tuple[FileRecord, ...]:
        """Provenance records of the files given, in a fixed role order (phenotype tables last, in their order)."""
        out = []
        for role in ("participants", "prs", "connectivity", "connectivity_ids", "atlas", "wearables", "dictionary"):
            value = getattr(self, role)
            if isinstance(value, InputFile):
                out.append(FileRecord(role, value.name, value.size, value.sha256, value.sheet, value.event))
            elif isinstance(value, str) and value:
                out.append(FileRecord(role, value, 0, hashlib.sha256(value.encode()).hexdigest()))
        for table, sidecar in self.phenotypes:
            out.append(FileRecord("phenotype", table.name, table.size, table.sha256, table.sheet, table.event))
            if sidecar is not None:
                out.append(FileRecord("phenotype_sidecar", sidecar.name, sidecar.size, sidecar.sha256))
        return tuple(out)

    def fingerprint(self) -> str:
        """Hex SHA-256 over every input's role and content hash: equal inputs, equal fingerprint."""
        digest = hashlib.sha256()
        for record in self.records():
            how = "".join(f"[{k}={v}]" for k, v in (("sheet", record.sheet), ("event", record.event)) if v)
            digest.update(f"{record.role}:{record.sha256}{how};".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class Cohort:
    """A validated multimodal cohort.

    Attributes
    ----------
    participants : DataFrame indexed by normalised participant id, shape (n_participants, n_columns)
        Column ``participant_id`` keeps the id as written; PRS read from a score file are merged in
        as ``prs_*`` columns.
    modality : dict of str to str
        Column → modality for every column but ``participant_id``.
    connectivity : Connectivity or None
        Only participants of the table, in their own order (a subset: imaging is usually partial).
    wearables : Wearables or None
        Only days of participants of the table.
    provenance : tuple of FileRecord
    fingerprint : str
        Hash of all input bytes; the key of every cached computation on this cohort.
    sources : dict of str to str
        Column → name of the file it came from.
    issues : tuple of Issue
        Everything the loaders noticed that does not block.
    time_to_event : dict of str to str
        Duration column → the event column the data dictionary pairs it with (its ``event`` cell);
        :func:`analysis.outcomes.survival.time_to_event_pairs` pairs the others.
    proposals : tuple of RoleProposal
        Roles the tool proposed for participants-table columns no data dictionary describes
        (:func:`analysis.cohort.roles.propose_roles`); ``modality`` holds them.
    descriptions : dict of str to str
        Column → its description and unit from the data dictionary (BIDS ``Description``/``Units``,
        REDCap field label and note), for the columns it describes.
    """

    participants: pd.DataFrame
    modality: dict[str, str]
    connectivity: Connectivity | None
    wearables: Wearables | None
    provenance: tuple[FileRecord, ...]
    fingerprint: str
    sources: dict[str, str] = field(default_factory=dict)
    issues: tuple[Issue, ...] = field(default=())
    time_to_event: dict[str, str] = field(default_factory=dict)
    proposals: tuple[RoleProposal, ...] = field(default=())
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def n_participants(self) -> int:
        """Number of participants (rows of the participants table)."""
        return len(self.participants)

    def columns_of(self, modality: str) -> list[str]:
        """Columns of the participants table that belong to ``modality``, in table order."""
        return [column for column, kind in self.modality.items() if kind == modality]

    def availability(self) -> pd.DataFrame:
        """Which participant has which modality.

        Returns
        -------
        DataFrame of bool, shape (n_participants, 5)
            Columns clinical, prs, connectivity, wearables, outcome; True where the participant has
            at least one value of that modality (table columns, matrices or wearable days).
        """
        index = self.participants.index
        out = pd.DataFrame(index=index)
        for modality in (*M.FEATURE_MODALITIES, M.OUTCOME):
            columns = self.columns_of(modality)
            has = self.participants[columns].notna().any(axis=1) if columns else pd.Series(False, index=index)
            if modality == M.CONNECTIVITY and self.connectivity is not None:
                has = has | ids_in(index, self.connectivity.ids)
            if modality == M.WEARABLES and self.wearables is not None:
                has = has | ids_in(index, self.wearables.days["participant"].unique())
            out[modality] = has.to_numpy(dtype=bool)
        return out


def load_cohort(files: CohortFiles) -> Cohort:
    """Load, validate and join every input into one :class:`Cohort`.

    Parameters
    ----------
    files : CohortFiles

    Returns
    -------
    Cohort

    Raises
    ------
    CohortError
        The first blocking problem found, in the order: dictionary, participants, PRS,
        connectivity, wearables, then the joins (a file none of whose ids match, a PRS column
        given twice, a cohort with no feature at all).
    """
    dictionary = load_dictionary(files.dictionary) if files.dictionary else None
    table = load_participants(files.participants, dictionary)
    frame, modality = table.frame, dict(table.modality)
    issues = list(table.issues)
    sources = {column: files.participants.name for column in modality}
    proposals, descriptions = list(table.proposals), descriptions_of(dictionary, list(modality))
    for phenotype, sidecar in files.phenotypes:
        frame = _merge_phenotype(frame, phenotype, sidecar, modality, sources, issues, proposals, descriptions)
    prs_columns: list[str] = []
    if files.prs is not None:
        scores = load_prs(files.prs, dictionary)
        prs_columns = [*scores.source_columns, *scores.source_columns.values()]
        frame = _merge_scores(frame, scores, modality, issues)
        sources.update({c: files.prs.name for c in modality if c not in sources})
    connectivity = None
    if files.connectivity is not None:
        atlas = resolve_atlas(files.atlas)
        connectivity = _restrict_connectivity(load_connectivity(files.connectivity, atlas, files.connectivity_ids), frame.index, issues)
    wearables = None
    if files.wearables is not None:
        wearables = _restrict_wearables(load_wearables(files.wearables, dictionary), frame.index, issues)
    if not any(kind in M.FEATURE_MODALITIES for kind in modality.values()) and connectivity is None and wearables is None:
        raise CohortError(
            "the cohort has no feature to cluster (only ids, covariates, outcomes or text)",
            files.participants.name,
            "add numeric clinical columns, or PRS, connectivity or wearable files",
        )
    varying = [c for c, kind in modality.items() if kind in M.FEATURE_MODALITIES and frame[c].nunique(dropna=True) >= 2]
    if not varying and connectivity is None and wearables is None:
        features = [c for c, kind in modality.items() if kind in M.FEATURE_MODALITIES]
        raise CohortError(
            f"no feature differs between participants ({', '.join(features[:5])}{', ...' if len(features) > 5 else ''}: each is constant or empty)",
            files.participants.name,
            "check that the right columns were exported, or add PRS, connectivity or wearable files",
        )
    if dictionary is not None:
        known = set(frame.columns) | set(wearables.file_columns if wearables else ()) | set(prs_columns)
        unknown = [c for c in dictionary.entries.index if c not in known and c != "participant_id"]
        if unknown:
            issues.append(
                Issue(
                    "warning",
                    f"{len(unknown)} data dictionary column(s) name no column of the cohort ({named_columns(unknown)})",
                    dictionary.name,
                    "check their spelling against the files",
                    columns=tuple(unknown),
                )
            )
    if dictionary is not None and dictionary.source in ("bids", "redcap"):
        issues.append(_dictionary_note(dictionary, set(frame.columns)))
    time_to_event = _named_events(dictionary, modality) if dictionary is not None else {}
    issues.extend(_time_to_event_and_arm_notes(frame, modality, time_to_event, files.participants.name))
    return Cohort(
        frame,
        modality,
        connectivity,
        wearables,
        files.records(),
        files.fingerprint(),
        sources,
        tuple(issues),
        time_to_event,
        tuple(proposals),
        descriptions,
    )


def _merge_phenotype(
    frame: pd.DataFrame,
    file: InputFile,
    sidecar: InputFile | None,
    modality: dict[str, str],
    sources: dict[str, str],
    issues: list[Issue],
    proposals: list,
    descriptions: dict[str, str],
) -> pd.DataFrame:
    """Join one extra clinical table on the participant id (read and checked as the participants table is)."""
    side = load_dictionary(sidecar) if sidecar is not None else None
    extra = load_participants(file, side)
    clash = [c for c in extra.modality if c in frame.columns]
    if clash:
        raise CohortError(
            f"column '{clash[0]}' of the phenotype table is also a column of the tables before it"
            + (f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""),
            f"{file.name} line 1",
            "rename the column in one of the tables (or leave it out of one)",
        )
    matched = ids_in(extra.frame.index, frame.index)
    _check_any_match("phenotype", file.name, int(matched.sum()))
    if not matched.all():
        written = dict(zip(extra.frame.index, extra.frame["participant_id"].astype(str), strict=True))
        issues.append(_unmatched_issue("phenotype", file.name, extra.frame.index[~matched].tolist(), len(extra.frame), written))
    joined = frame.join(extra.frame.drop(columns="participant_id"), how="left")
    joined.attrs = frame.attrs
    modality.update(extra.modality)
    sources.update({c: file.name for c in extra.modality})
    issues.extend(extra.issues)
    if side is not None and side.source in ("bids", "redcap"):
        issues.append(_dictionary_note(side, set(extra.frame.columns)))
    proposals.extend(extra.proposals)
    descriptions.update(descriptions_of(side, list(extra.modality)))
    missing = int((~ids_in(frame.index, extra.frame.index)).sum())
    issues.append(
        Issue(
            "info",
            f"phenotype table joined on participant id: {len(extra.modality)} column(s); {missing} participant(s) have no row in it",
            file.name,
            "",
        )
    )
    return joined


def _dictionary_note(dictionary: DataDictionary, columns: set[str]) -> Issue:
    """What a BIDS sidecar or a REDCap data dictionary gave the table's columns."""
    described = [c for c in dictionary.entries.index if c in columns]
    kind = "BIDS sidecar" if dictionary.source == "bids" else "REDCap data dictionary"
    with_levels = [c for c in dictionary.levels if c in columns]
    identifiers = [c for c in dictionary.identifiers if c in columns]
    text = f"read as a {kind}: {len(described)} column(s) described, {len(with_levels)} with category levels"
    if identifiers:
        text += f", {len(identifiers)} identifier(s) never used or exported ({named_columns(sorted(identifiers))})"
    return Issue("info", text, dictionary.name, "", columns=tuple(sorted(identifiers)))


def descriptions_of(dictionary: DataDictionary | None, columns: list[str]) -> dict[str, str]:
    """Column → "description (unit)" from the dictionary, for the columns it describes."""
    if dictionary is None:
        return {}
    out = {}
    for column in columns:
        if column in dictionary.entries.index:
            description, unit = dictionary.entries.at[column, "description"], dictionary.entries.at[column, "unit"]
            text = "" if pd.isna(description) else str(description)
            if not pd.isna(unit) and str(unit):
                text = f"{text} ({unit})" if text else f"({unit})"
            if text:
                out[column] = text
    return out


def _time_to_event_and_arm_notes(frame: pd.DataFrame, modality: dict[str, str], named: dict[str, str], name: str) -> list[Issue]:
    """One note per time-to-event outcome (events and censored counts) and per treatment-arm column (participants per arm)."""
    from analysis.outcomes.survival import time_to_event_pairs

    pairs, unpaired = time_to_event_pairs(modality, named)
    notes = []
    for pair in pairs:
        recorded = frame[pair.duration].notna() & frame[pair.event].notna()
        events = int(frame.loc[recorded, pair.event].sum())
        notes.append(
            Issue(
                "info",
                f"time-to-event outcome '{pair.duration}' (event '{pair.event}'): {events} event(s), {int(recorded.sum()) - events} censored, "
                f"{int((~recorded).sum())} not recorded; never clustered, compared across biotypes",
                name,
                "give the columns other modalities in the data dictionary to change this",
            )
        )
    notes += [Issue("warning", sentence, name, "") for sentence in unpaired]
    for column in [c for c, kind in modality.items() if kind == M.TREATMENT]:
        counts = frame[column].value_counts()
        arms = ", ".join(f"{level:g} {count}" if isinstance(level, float) else f"{level} {count}" for level, count in counts.items())
        notes.append(
            Issue(
                "info",
                f"treatment-arm column '{column}' ({arms}): never clustered; a covariate of prognosis, and its interaction with the biotypes is reported",
                name,
                "give it another modality in the data dictionary to change this",
            )
        )
    return notes


def _named_events(dictionary: DataDictionary, modality: dict[str, str]) -> dict[str, str]:
    """Duration column → the event column its dictionary row names; refuse a name that is not an event column."""
    named = {}
    for column in [c for c, kind in modality.items() if kind == M.DURATION]:
        event = dictionary.event_of(column)
        if event is None:
            continue
        if modality.get(event) != M.EVENT:
            raise CohortError(
                f"duration column '{column}' names '{event}' as its event column, which is "
                + ("not a column of the participants table" if event not in modality else f"a {modality[event]} column"),
                f"{dictionary.name}, row '{column}', column 'event'",
                "name a participants-table column whose modality is 'event' (1 = event, 0 = censored)",
            )
        named[column] = event
    return named


def _unmatched_issue(kind: str, name: str, unmatched: list[str], total: int, written: dict[str, str]) -> Issue:
    """Warning listing ids in a modality file that match no participant (as the file writes them)."""
    examples = ", ".join(f"'{written.get(i, i)}'" for i in unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
    return Issue(
        "warning",
        f"{len(unmatched)} of {total} ids in the {kind} file match no participant ({examples}); they are not used",
        name,
        "check the ids (BIDS 'sub-01' and '01' match; '007' and '7' do not), or add those participants to the table",
    )


def _check_any_match(kind: str, name: str, n_matched: int, participants_name: str = "the participants table") -> None:
    """Refuse a modality file none of whose ids is a participant."""
    if n_matched == 0:
        raise CohortError(
            f"no id in the {kind} file matches a participant",
            name,
            f"use the same participant ids as {participants_name} (BIDS 'sub-01' and '01' match)",
        )


def _merge_scores(frame: pd.DataFrame, table: ScoreTable, modality: dict[str, str], issues: list[Issue]) -> pd.DataFrame:
    """Join score-file PRS onto the participants (left join: nobody is dropped)."""
    scores = table.scores
    clash = [c for c in scores.columns if c in frame.columns]
    if clash:
        raise CohortError(
            f"score '{clash[0]}' is both a column of the participants table and in the PRS file",
            table.name,
            "give each score once: drop the column from the table or rename the score",
        )
    matched = ids_in(scores.index, frame.index)
    _check_any_match("PRS", table.name, int(matched.sum()))
    if not matched.all():
        issues.append(_unmatched_issue("PRS", table.name, scores.index[~matched].tolist(), len(scores), table.written_ids))
    missing = int((~ids_in(frame.index, scores.index)).sum())
    if missing:
        issues.append(
            Issue("info", f"{missing} participant(s) have no PRS in the score file", table.name, "they are kept, with PRS missing")
        )
    issues.extend(table.issues)
    issues.append(Issue("info", f"read as {table.source_format}: {', '.join(scores.columns)}", table.name, ""))
    for column in scores.columns:
        modality[column] = table.modality.get(column, M.PRS)
    return frame.join(scores, how="left")


def _restrict_connectivity(connectivity: Connectivity, index: pd.Index, issues: list[Issue]) -> Connectivity:
    """Keep matrices of table participants, in table order; report the others."""
    issues.extend(connectivity.issues)
    ids = pd.Index(connectivity.ids)
    matched = ids_in(ids, index)
    _check_any_match("connectivity", connectivity.name, int(matched.sum()))
    if not matched.all():
        issues.append(_unmatched_issue("connectivity", connectivity.name, ids[~matched].tolist(), len(ids), connectivity.written_ids))
    positions = ids.get_indexer(index)
    order = positions[positions >= 0]
    same = len(order) == len(ids) and bool((order == np.arange(len(ids))).all())
    return Connectivity(
        np.asarray(ids[order], dtype=object),
        connectivity.edges if same else connectivity.edges[order],  # no second copy when the order already matches
        connectivity.n_rois,
        connectivity.atlas,
        connectivity.name,
        connectivity.issues,
        connectivity.written_ids,
    )


def _restrict_wearables(wearables: Wearables, index: pd.Index, issues: list[Issue]) -> Wearables:
    """Keep days of table participants; report the others."""
    issues.extend(wearables.issues)
    ids = pd.Index(wearables.days["participant"].unique())
    matched = ids_in(ids, index)
    _check_any_match("wearables", wearables.name, int(matched.sum()))
    if not matched.all():
        issues.append(_unmatched_issue("wearables", wearables.name, ids[~matched].tolist(), len(ids), wearables.written_ids))
    days = wearables.days[ids_in(wearables.days["participant"], index)].reset_index(drop=True)
    return replace(wearables, days=days)


def cohort_subset(cohort: Cohort, rows: pd.Index, label: str) -> Cohort:
    """The cohort restricted to some of its participants (in their table order), with every modality restricted alike.

    Parameters
    ----------
    cohort : Cohort
    rows : Index
        Participant ids (the table's normalised index) to keep.
    label : str
        Names the subset in its fingerprint (e.g. "site site-A"), so that cached runs of
        different subsets never collide.

    Returns
    -------
    Cohort
        Same columns, roles, provenance and issues; connectivity rows and wearable days of the kept
        participants only.
    """
    import hashlib

    keep = ids_in(cohort.participants.index, rows)
    participants = cohort.participants[keep]
    connectivity = cohort.connectivity
    if connectivity is not None:
        kept = ids_in(connectivity.ids, participants.index)
        connectivity = replace(connectivity, ids=connectivity.ids[kept], edges=connectivity.edges[kept])
    wearables = cohort.wearables
    if wearables is not None:
        days = wearables.days[ids_in(wearables.days["participant"], participants.index)].reset_index(drop=True)
        wearables = replace(wearables, days=days)
    fingerprint = hashlib.sha256(f"{cohort.fingerprint}|{label}|{len(participants)}".encode()).hexdigest()
    return replace(cohort, participants=participants, connectivity=connectivity, wearables=wearables, fingerprint=fingerprint)


#: Folder of the bundled synthetic cohort.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def sample_cohort_files() -> CohortFiles:
    """The bundled synthetic cohort (sample_data/) as CohortFiles; its npz names its atlas."""

    def read(name: str) -> InputFile:
        return InputFile.from_path(SAMPLE_DATA / name)

    return CohortFiles(
        participants=read("participants.csv"),
        prs=read("prs.sscore"),
        connectivity=read("connectivity.npz"),
        wearables=read("wearables.csv"),
        dictionary=read("data_dictionary.csv"),
    )
