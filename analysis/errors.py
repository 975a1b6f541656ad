"""The one error type for problems a user can fix, and the issues a validation report lists."""

from __future__ import annotations

from dataclasses import dataclass


class CohortError(Exception):
    """A problem with the user's input or parameters that the user can fix.

    The message always reads ``<what> in <where>: <how to fix>`` so that the dashboard
    (``st.error``) and the command line (``error: ...`` on stderr, exit code 2) show the
    same sentence. Anything that is not a ``CohortError`` is a bug in this project.

    Parameters
    ----------
    what : str
        What is wrong, e.g. ``"duplicate participant_id 'sub-07'"``.
    where : str
        The file, row and column, e.g. ``"participants.csv rows 12 and 40"``.
    fix : str
        What the user should do, e.g. ``"make ids unique"``.
    """

    def __init__(self, what: str, where: str, fix: str) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(f"{what} in {where}: {fix}" if where else f"{what}: {fix}")


#: Columns a finding about several columns names in its message before "and N more".
NAMED_IN_MESSAGE = 8


def named_columns(columns: list[str]) -> str:
    """``a, b, c`` for up to :data:`NAMED_IN_MESSAGE` columns, else the first ones and ``and N more``."""
    shown = ", ".join(columns[:NAMED_IN_MESSAGE])
    return shown if len(columns) <= NAMED_IN_MESSAGE else f"{shown} and {len(columns) - NAMED_IN_MESSAGE} more"


@dataclass(frozen=True)
class Issue:
    """One finding of the validation report.

    Attributes
    ----------
    severity : {"warning", "info"}
        ``"warning"`` is shown prominently but does not block the analysis;
        ``"info"`` records a choice the loaders made (e.g. a text column set aside).
        Blocking problems are never issues: they raise :class:`CohortError`.
    what, where, fix : str
        As for :class:`CohortError`.
    kind : str
        For a finding about one column that many columns of a wide export can share ("empty column",
        "constant column", "mostly missing"): the report counts them per kind and lists the columns
        together instead of one box each. Empty for the others.
    column : str
        The column a kinded finding is about.
    columns : tuple of str
        Every column of a finding about several columns at once (the message names the first
        :data:`NAMED_IN_MESSAGE`; run.json, the report and the dashboard list them all).
    """

    severity: str
    what: str
    where: str
    fix: str
    kind: str = ""
    column: str = ""
    columns: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The sentence shown to the user: like a CohortError's, or ``what (where)`` when there is nothing to fix."""
        if not self.fix:
            return f"{self.what} ({self.where})" if self.where else self.what
        return f"{self.what} in {self.where}: {self.fix}" if self.where else f"{self.what}: {self.fix}"
