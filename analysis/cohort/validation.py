"""The validation report: what each modality holds, how much is missing, and what was found."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort, FileRecord
from analysis.cohort.roles import DATE_SHARE, RoleProposal, is_integer_code, share_of_dates
from analysis.errors import Issue

#: Column names shown per kind of finding before "...".
MAX_EXAMPLES = 8

MODALITY_TITLES = {
    M.CLINICAL: "Clinical / psychosocial",
    M.PRS: "Genetics (PRS)",
    M.CONNECTIVITY: "Brain connectivity",
    M.WEARABLES: "Wearables",
    M.OUTCOME: "Outcomes (not clustered)",
    M.VALIDATOR: "Validators (never clustered, always tested)",
}


@dataclass(frozen=True)
class ModalitySummary:
    """One row of the report.

    Attributes
    ----------
    modality : str
    n_participants : int
        Participants with at least one value of this modality.
    share : float
        ``n_participants`` over the cohort size, in [0, 1].
    n_features : int
        Columns (table), edges (matrices) or daily metrics (wearables).
    missing_fraction : float
        Among participants who have the modality: share of missing cells (table columns), or of
        missing days within each participant's recorded span (wearables); 0 for matrices, which
        are refused when they hold missing values.
    detail : str
        One line of modality-specific facts (atlas, days, sources).
    """

    modality: str
    n_participants: int
    share: float
    n_features: int
    missing_fraction: float
    detail: str


@dataclass(frozen=True)
class ValidationReport:
    """Everything the report shows; built by :func:`validation_report`.

    Attributes
    ----------
    n_participants : int
    modalities : tuple of ModalitySummary
        Modalities present, in the order clinical, PRS, connectivity, wearables, outcomes.
    column_missingness : DataFrame
        Columns ``column``, ``modality``, ``missing_fraction`` for every numeric feature or outcome column.
    covariates : dict of str to str
        Covariate name → one-line summary (counts per level, or range for age).
    issues : tuple of Issue
        Warnings first, then information.
    provenance : tuple of FileRecord
    fingerprint : str
    proposals : tuple of RoleProposal
        The roles the tool proposed for columns no data dictionary describes, and why.
    """

    n_participants: int
    modalities: tuple[ModalitySummary, ...]
    column_missingness: pd.DataFrame
    covariates: dict[str, str]
    issues: tuple[Issue, ...]
    provenance: tuple[FileRecord, ...]
    fingerprint: str
    proposals: tuple[RoleProposal, ...] = ()

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Issues of severity ``"warning"``."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def single_warnings(self) -> tuple[Issue, ...]:
        """Warnings that are not counted per kind (each shown on its own)."""
        return tuple(i for i in self.warnings if not i.kind)

    def problem_counts(self) -> pd.DataFrame:
        """Per-column findings counted per kind, warnings first.

        Returns
        -------
        DataFrame
            One row per (severity, kind): ``severity``, ``problem`` (the kind), ``columns`` (how many)
            and ``examples`` (the first few column names); empty when no finding has a kind.
        """
        rows = [(i.severity, i.kind, i.column) for i in self.issues if i.kind]
        if not rows:
            return pd.DataFrame(columns=["severity", "problem", "columns", "examples"])
        frame = pd.DataFrame(rows, columns=["severity", "problem", "column"])
        grouped = frame.groupby(["severity", "problem"], sort=False)["column"]
        out = grouped.agg(columns="size", examples=lambda c: ", ".join(c.head(MAX_EXAMPLES)) + (", ..." if len(c) > MAX_EXAMPLES else ""))
        out = out.reset_index()
        return out.sort_values("severity", key=lambda s: s != "warning", kind="stable").reset_index(drop=True)

    def columns_of_problem(self, severity: str, problem: str) -> list[str]:
        """The columns with one kind of finding, in table order."""
        return [i.column for i in self.issues if i.severity == severity and i.kind == problem]

    def issues_table(self) -> pd.DataFrame:
        """Every finding as a table (the Data page's CSV download): ``severity``, ``problem``, ``column``, ``message``.

        A finding about several columns (``Issue.columns``) gives one row per column.
        """
        return pd.DataFrame(
            [
                {"severity": i.severity, "problem": i.kind, "column": column, "message": i.message}
                for i in self.issues
                for column in (i.columns or (i.column,))
            ],
            columns=["severity", "problem", "column", "message"],
        )

    def proposals_table(self) -> pd.DataFrame:
        """The proposed roles: ``column``, ``proposed role``, ``looks like``, ``why``, in table order."""
        return pd.DataFrame(
            [{"column": p.column, "proposed role": p.role, "looks like": p.kind, "why": p.reason} for p in self.proposals],
            columns=["column", "proposed role", "looks like", "why"],
        )

    def summary_table(self) -> pd.DataFrame:
        """The per-modality rows as a table for display (one row per modality)."""
        return pd.DataFrame(
            {
                "modality": [MODALITY_TITLES[s.modality] for s in self.modalities],
                "participants": [s.n_participants for s in self.modalities],
                "% of cohort": [round(100 * s.share, 1) for s in self.modalities],
                "features": [s.n_features for s in self.modalities],
                "% missing": [round(100 * s.missing_fraction, 1) for s in self.modalities],
                "details": [s.detail for s in self.modalities],
            }
        )

    def to_text(self) -> str:
        """The report as plain text, as the command line prints it."""
        lines = [f"Cohort: {self.n_participants} participants (fingerprint {self.fingerprint[:12]})", ""]
        lines.append(self.summary_table().to_string(index=False))
        if self.covariates:
            lines += ["", "Covariates:"] + [f"  {name}: {text}" for name, text in self.covariates.items()]
        lines += ["", "Files:"] + [f"  {r.role}: {r.name} ({r.size} bytes, sha256 {r.sha256[:12]})" for r in self.provenance]
        if self.proposals:
            lines += ["", f"Roles proposed ({len(self.proposals)} column(s); confirm or change them with --dictionary):"]
            lines += [f"  {p.column} -> {p.role} ({p.kind}): {p.reason}" for p in self.proposals]
        warnings = self.warnings
        lines += ["", f"Problems found: {len(warnings)} warning(s), none blocking" if warnings else "Problems found: none"]
        counts = self.problem_counts()
        lines += [
            f"  warning: {r.problem}: {r.columns} column(s) ({r.examples})" for r in counts[counts["severity"] == "warning"].itertuples()
        ]
        lines += [f"  warning: {i.message}" for i in self.single_warnings]
        notes = [i for i in self.issues if i.severity == "info" and not i.kind]
        counted = counts[counts["severity"] == "info"]
        if notes or not counted.empty:
            lines += ["", "Notes:"] + [f"  {r.problem}: {r.columns} column(s) ({r.examples})" for r in counted.itertuples()]
            lines += [f"  {i.message}" for i in notes]
        lines += ["", "Usable: yes"]
        return "\n".join(lines)


def validation_report(cohort: Cohort) -> ValidationReport:
    """Summarise a loaded cohort.

    Parameters
    ----------
    cohort : Cohort

    Returns
    -------
    ValidationReport
    """
    availability = cohort.availability()
    n = cohort.n_participants
    summaries = []
    for modality in (*M.FEATURE_MODALITIES, M.OUTCOME):
        summary = _modality_summary(cohort, modality, availability[modality].to_numpy(), n)
        if summary is not None:
            summaries.append(summary)
    issues = sorted(cohort.issues, key=lambda i: i.severity != "warning")
    return ValidationReport(
        n,
        tuple(summaries),
        _column_missingness(cohort),
        _covariate_summaries(cohort),
        tuple(issues),
        cohort.provenance,
        cohort.fingerprint,
        cohort.proposals,
    )


def _modality_summary(cohort: Cohort, modality: str, has: np.ndarray, n: int) -> ModalitySummary | None:
    """Report row for one modality, or None when the cohort has none of it."""
    columns = cohort.columns_of(modality)
    table = cohort.participants.loc[has, columns]
    missing = float(table.isna().to_numpy().mean()) if columns and has.any() else 0.0
    n_features, details = len(columns), _column_sources(cohort, columns)
    if modality == M.CONNECTIVITY and cohort.connectivity is not None:
        c = cohort.connectivity
        n_features += c.edges.shape[1]
        atlas = f"atlas {c.atlas.name} ({len(c.atlas.network_names)} networks)" if c.atlas else "no atlas"
        details.insert(0, f"{c.n_rois} regions x {len(c.ids)} participants from {c.name}; {atlas}")
    if modality == M.WEARABLES and cohort.wearables is not None:
        w = cohort.wearables
        n_features += len(w.metrics)
        adherence = w.adherence()
        span = adherence["span_days"].sum()
        missing = float(adherence["missing_days"].sum() / span) if span else 0.0
        details.insert(
            0,
            f"{len(w.metrics)} daily metric(s) from {w.name}; median {adherence['days_recorded'].median():g} days recorded; "
            f"{adherence['missing_days'].sum()} missing and {adherence['nonwear_days'].sum()} non-wear day(s) of {span}",
        )
    if n_features == 0:
        return None
    return ModalitySummary(modality, int(has.sum()), float(has.sum() / n) if n else 0.0, n_features, missing, "; ".join(details))


def _column_sources(cohort: Cohort, columns: list[str]) -> list[str]:
    """'<k> column(s) from <file>' for each file the columns came from."""
    counts = pd.Series([cohort.sources.get(c, "?") for c in columns], dtype=object).value_counts(sort=False)
    return [f"{count} column(s) from {name}" for name, count in counts.items()]


def _column_missingness(cohort: Cohort) -> pd.DataFrame:
    """Missing share of every numeric feature and outcome column of the participants table."""
    rows = [
        (column, kind, float(cohort.participants[column].isna().mean()))
        for column, kind in cohort.modality.items()
        if kind in (*M.FEATURE_MODALITIES, M.OUTCOME, M.VALIDATOR) and cohort.participants[column].dtype == np.float64
    ]
    return pd.DataFrame(rows, columns=["column", "modality", "missing_fraction"])


def _covariate_summaries(cohort: Cohort) -> dict[str, str]:
    """One line per covariate: level counts for text and integer codes, the range of dates, min/median/max for numbers."""
    out = {}
    for column in cohort.columns_of(M.COVARIATE):
        values = cohort.participants[column]
        recorded = values.dropna()
        missing = int(values.isna().sum())
        tail = f"; {missing} missing" if missing else ""
        if is_integer_code(column, values):
            counts = recorded.value_counts().sort_index()
            out[column] = ", ".join(f"{level:g}: {count}" for level, count in counts.items()) + tail
        elif values.dtype == np.float64:
            if values.notna().any():
                out[column] = f"min {values.min():g}, median {values.median():g}, max {values.max():g}{tail}"
        elif share_of_dates(values) >= DATE_SHARE:
            dates = pd.to_datetime(recorded, errors="coerce", format="mixed")
            out[column] = f"dates from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}{tail}"
        else:
            counts = values.value_counts().head(8)
            out[column] = ", ".join(f"{level} {count}" for level, count in counts.items()) + tail
    return out
