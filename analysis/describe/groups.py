"""Custom groups of participants (chosen by hand, e.g. a lasso on the map), profiled like biotypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.describe.profiling import CATEGORICAL_PROFILE_COLUMNS, DESCRIPTIVE, TESTED, categorical_profile, contrast
from analysis.errors import CohortError, Issue

GROUP_PROFILE_COLUMNS = (
    "group",
    "feature",
    "modality",
    "evidence",
    "n",
    "mean",
    "median",
    "mean_rest",
    "cohens_d",
    "mannwhitney_p",
    "mannwhitney_q",
)


def group_members(participant_ids: pd.Series, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[dict[str, pd.Index], list[Issue]]:
    """Participants (cohort index) of each group, from the ids the group lists.

    Parameters
    ----------
    participant_ids : Series of str
        The cohort's ``participant_id`` column, indexed like its participants.
    groups : tuple of (str, tuple of str)
        ``RunConfig.custom_groups``.

    Returns
    -------
    members : dict of str to Index
    issues : list of Issue
        A warning for ids the cohort does not have (they are left out of the group).
    """
    by_id = pd.Series(participant_ids.index, index=participant_ids.astype(str).to_numpy())
    members, issues = {}, []
    for name, ids in groups:
        known = [i for i in ids if i in by_id.index]
        if len(known) < len(ids):
            issues.append(
                Issue(
                    "warning",
                    f"{len(ids) - len(known)} participant id(s) of group '{name}' are not in the cohort and are left out",
                    "custom_groups",
                    "check that the group was made on this cohort",
                )
            )
        members[name] = pd.Index(by_id.loc[known].to_numpy())
    return members, issues


def group_table(participant_ids: pd.Series, members: dict[str, pd.Index]) -> pd.DataFrame:
    """``participant_id``, ``group``: one row per membership (a participant may be in several groups)."""
    rows = [(participant_ids.loc[key], name) for name, index in members.items() for key in index]
    return pd.DataFrame(rows, columns=["participant_id", "group"])


def group_profile(
    features: pd.DataFrame, modality: dict[str, str], clustered: pd.Index, members: dict[str, pd.Index], used=()
) -> pd.DataFrame:
    """Each group against the other clustered participants on every numeric feature.

    Parameters
    ----------
    features : DataFrame indexed by participant
        Numeric features in natural units (the run's profiling features).
    modality : dict of str to str
    clustered : Index
        The run's clustered participants (noise included); "the rest" is those outside the group.
    members : dict of str to Index
        From :func:`group_members`.
    used : collection of str
        Features the biotypes were clustered on (a group drawn on the map was chosen on them too):
        ``evidence`` descriptive, no test.

    Returns
    -------
    DataFrame
        :data:`GROUP_PROFILE_COLUMNS`: mean and median in the group, mean of the rest, Cohen's d
        (group minus rest), Mann-Whitney U p and Benjamini-Hochberg q over the group's features.
    """
    rows = []
    for name, index in members.items():
        inside = features.index.isin(index)
        rest = features.index.isin(clustered) & ~inside
        part = []
        for column in features.columns:
            values = features[column].to_numpy(dtype=np.float64)
            a, b = values[inside], values[rest]
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            testable = column not in used and len(a) and len(b) and np.ptp(np.r_[a, b]) > 0
            p = float(stats.mannwhitneyu(a, b).pvalue) if testable else np.nan
            evidence = DESCRIPTIVE if column in used else TESTED
            part.append(
                {
                    "group": name,
                    "feature": column,
                    "modality": modality.get(column, ""),
                    "evidence": evidence,
                    **contrast(a, b),
                    "mannwhitney_p": p,
                }
            )
        p_values = np.array([r["mannwhitney_p"] for r in part], dtype=np.float64)
        q = np.full(len(part), np.nan)
        finite = np.isfinite(p_values)
        if finite.any():
            q[finite] = stats.false_discovery_control(p_values[finite], method="bh")
        rows += [{**r, "mannwhitney_q": float(v)} for r, v in zip(part, q, strict=True)]
    return pd.DataFrame(rows, columns=list(GROUP_PROFILE_COLUMNS))


#: Custom groups get comparison labels from here on (biotypes are 0, 1, ...), so they never collide.
GROUP_LABEL_OFFSET = 1000


#: Columns of :func:`group_categorical_profile`: those of a biotype's categorical profile, per group.
GROUP_CATEGORICAL_COLUMNS = ("group", *CATEGORICAL_PROFILE_COLUMNS[1:])


def group_categorical_profile(
    categories: pd.DataFrame, modality: dict[str, str], clustered: pd.Index, members: dict[str, pd.Index], used=()
) -> pd.DataFrame:
    """Each group against the other clustered participants on every categorical feature (sex, site, ...).

    Parameters
    ----------
    categories : DataFrame indexed by participant
        Text columns (the run's profiling categories).
    modality : dict of str to str
    clustered : Index
        The run's clustered participants (noise included); "the rest" is those outside the group.
    members : dict of str to Index

    Returns
    -------
    DataFrame
        :data:`GROUP_CATEGORICAL_COLUMNS`, one row per (group, feature, level): the group's share of the
        level against the rest's, Cramér's V and the chi-square test of the 2 × levels table, BH q over
        the group's categorical features (:func:`analysis.describe.profiling.categorical_profile` with the group as
        one biotype and the rest as the other).
    """
    parts = []
    for name, index in members.items():
        inside = pd.Series(np.where(clustered.isin(index), 0, 1), index=clustered)
        table = categorical_profile(categories, modality, inside, used)
        parts.append(table[table["biotype"] == 0].drop(columns="biotype").assign(group=name))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame.reindex(columns=list(GROUP_CATEGORICAL_COLUMNS))


def comparison_labels(labels: pd.Series, members: dict[str, pd.Index], groups: list[str]) -> tuple[pd.Series, dict[str, dict[int, int]]]:
    """Labels for comparing biotypes with custom groups: each chosen group becomes a label of its own.

    Groups may overlap biotypes (a lasso takes whoever is under it) and each other. Each participant
    is counted once: in the first chosen group that holds them, otherwise in their biotype, so every
    per-label summary (profiles, connectivity, trajectories) compares disjoint sets.

    Parameters
    ----------
    labels : Series of int indexed by participant
        The run's biotype numbers (1-based, -1 noise) of the clustered participants.
    members : dict of str to Index
        Participants of every custom group (:func:`group_members`).
    groups : list of str
        The groups to compare, in the order chosen.

    Returns
    -------
    compared : Series of int indexed like ``labels``
        Biotypes as in ``labels``; a chosen group ``GROUP_LABEL_OFFSET + `` its position in ``members``
        (so a group keeps its label whichever others are chosen); noise -1 unless in a group.
    moved : dict of str to dict of int to int
        Per group, the number of its participants taken from each original label (biotype or -1).
    """
    compared = labels.copy()
    taken = pd.Series(False, index=labels.index)
    moved = {}
    for name in groups:
        inside = labels.index.isin(members[name]) & ~taken.to_numpy()
        moved[name] = {int(b): int(n) for b, n in labels[inside].value_counts().sort_index().items()}
        compared[inside] = group_label(list(members), name)
        taken |= inside
    return compared, moved


#: Fewest participants a compared set needs for its statistics (tests, effect sizes, network maps)
#: to be shown; smaller sets are listed with their n and left out of them.
MIN_COMPARE_N = 10


def comparison_sizes(labels: pd.Series, compared: pd.Series, chosen: list[int], members: dict[str, pd.Index] | None = None) -> pd.DataFrame:
    """How many participants each compared set holds, and how many it had before overlaps were resolved.

    Parameters
    ----------
    labels : Series of int indexed by participant
        The run's biotype numbers of the clustered participants.
    compared : Series of int indexed like ``labels``
        :func:`comparison_labels` output (or ``labels`` when no group is compared).
    chosen : list of int
        The compared labels (biotype numbers and group labels).
    members : dict of str to Index, optional
        Every custom group's participants, in the run's group order (:func:`group_members`).

    Returns
    -------
    DataFrame
        One row per chosen label, in the order given: ``label``, ``n`` (participants counted in the
        set), ``n_before`` (the biotype's size, or the group's clustered members, before each
        participant was counted once), ``reduced`` (n < n_before) and ``tested`` (n at least
        :data:`MIN_COMPARE_N`: the set's statistics are shown).
    """
    names = list(members or {})
    rows = []
    for label in chosen:
        n = int((compared == label).sum())
        if label >= GROUP_LABEL_OFFSET:
            before = int(labels.index.isin(members[names[label - GROUP_LABEL_OFFSET]]).sum())
        else:
            before = int((labels == label).sum())
        rows.append({"label": int(label), "n": n, "n_before": before, "reduced": n < before, "tested": n >= MIN_COMPARE_N})
    return pd.DataFrame(rows, columns=["label", "n", "n_before", "reduced", "tested"])


def group_label(names: list[str], name: str) -> int:
    """The comparison label of a custom group: :data:`GROUP_LABEL_OFFSET` + its position among the run's groups."""
    return GROUP_LABEL_OFFSET + names.index(name)


Groups = tuple[tuple[str, tuple[str, ...]], ...]


def with_group(groups: Groups, name: str, participant_ids: list[str]) -> Groups:
    """``groups`` with ``name`` set to these participants (replacing a group of that name, appended otherwise)."""
    if any(g == name for g, _ in groups):
        return tuple((g, tuple(participant_ids)) if g == name else (g, ids) for g, ids in groups)
    return (*groups, (name, tuple(participant_ids)))


def renamed_group(groups: Groups, old: str, new: str) -> Groups:
    """``groups`` with ``old`` renamed ``new`` in place (its members and position kept).

    Raises
    ------
    CohortError
        When another group already has the name ``new``.
    """
    if new != old and any(g == new for g, _ in groups):
        raise CohortError(f"a group named '{new}' already exists", "the custom groups", "choose another name, or remove that group first")
    return tuple((new if g == old else g, ids) for g, ids in groups)


def without_group(groups: Groups, name: str) -> Groups:
    """``groups`` without the group ``name``."""
    return tuple((g, ids) for g, ids in groups if g != name)
