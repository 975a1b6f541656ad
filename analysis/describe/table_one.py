"""Table 1: the participants' characteristics by biotype (or custom group), in the form clinical journals use.

Each variable of the participants table (covariates, clinical and PRS columns, wearable summaries,
treatment, outcomes, validators, follow-up) gets one row, a categorical or 0/1 variable one row per
level. A numeric variable is summarised as mean ± SD when its distribution over the tabulated
participants is roughly symmetric (|sample skewness| ≤ :data:`MAX_SYMMETRIC_SKEW`) and as
median [Q1, Q3] otherwise; a level as count (percentage of the participants with a value). Every
group's column also says how many participants have a value and how many lack one.

Tests compare the biotypes (noise and the overall column are not tested) and are made only for
variables the biotypes were not clustered on: those the clustering used differ between biotypes by
construction, so they are described, never tested. A symmetric variable is tested with Welch's
one-way ANOVA (Welch 1951), a skewed one with Kruskal-Wallis, a category with the chi-square test
where its expected counts allow (Cochran 1954), otherwise by :data:`~analysis.describe.audits.AUDIT_PERMUTATIONS`
seeded label permutations of the same statistic (as are both numeric tests when a group has fewer
than five values), stopped early once :data:`SEQUENTIAL_STOP` permuted statistics reach the observed
one (the sequential p-value of Besag & Clifford 1991). p-values are not adjusted for the number of
variables; ``q_value`` gives the Benjamini-Hochberg adjustment across the table's tested variables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.describe.audits import MIN_EXPECTED, chi_square_p, kruskal_permutation_p
from analysis.describe.groups import group_members
from analysis.describe.profiling import categorical_columns

#: Roles whose columns are tabulated, in the table's order (the section each variable appears under).
SECTIONS = (
    (M.COVARIATE, "Covariates"),
    (M.CLINICAL, "Clinical"),
    (M.PRS, "Polygenic risk scores"),
    (M.WEARABLES, "Wearables"),
    (M.TREATMENT, "Treatment"),
    (M.OUTCOME, "Outcomes"),
    (M.VALIDATOR, "Validators"),
    (M.DURATION, "Follow-up"),
    (M.EVENT, "Follow-up"),
)
#: A numeric variable with |sample skewness| at most this is summarised as mean ± SD and tested with Welch's ANOVA.
MAX_SYMMETRIC_SKEW = 1.0

#: Permutations stop once this many permuted statistics reach the observed one (Besag & Clifford 1991):
#: a large p is known after a few dozen permutations, which keeps a cohort of 100,000 quick.
SEQUENTIAL_STOP = 10
#: Most decimals a summary shows (a PRS averaged over variants spreads over about 1e-4).
MAX_DECIMALS = 8

MEAN_SD = "mean ± SD"
MEDIAN_IQR = "median [Q1, Q3]"
COUNT_PERCENT = "n (%)"
#: ``test`` of a variable the biotypes were clustered on.
CLUSTERED_ON = "none: clustered on (descriptive)"


@dataclass(frozen=True)
class TableGroup:
    """One column group of the table.

    Attributes
    ----------
    key : int
        The label its participants carry in the grouping.
    name : str
        Shown as the column group's heading.
    n : int
        Participants in the group.
    tested : bool
        Whether the group takes part in the tests (the biotypes; not noise nor the overall column).
    """

    key: int
    name: str
    n: int
    tested: bool


@dataclass(frozen=True)
class TableOne:
    """A Table 1.

    Attributes
    ----------
    groups : tuple of TableGroup
        The column groups, in order.
    rows : DataFrame
        One row per numeric variable and per level of a categorical one: ``section``, ``variable``,
        ``level`` ("" for a numeric variable), ``statistic`` (:data:`MEAN_SD`, :data:`MEDIAN_IQR` or
        :data:`COUNT_PERCENT`), then per group ``<name>: n`` (participants with a value),
        ``<name>: summary`` and ``<name>: missing`` (participants without one), then ``test``
        (:data:`CLUSTERED_ON` for a clustered variable, the reason when no test can be made),
        ``p_value`` and ``q_value`` (NaN where there is no test; the same on every level of a variable).
    """

    groups: tuple[TableGroup, ...]
    rows: pd.DataFrame


def tabulated_variables(cohort: Cohort, features: pd.DataFrame, modality: dict[str, str]) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The values a Table 1 shows and its variables, in section then table order.

    Parameters
    ----------
    cohort : Cohort
    features : DataFrame indexed like the cohort's participants
        A run's features in natural units (``RunFeatures.values``): the wearable summaries a run
        computed from the daily files are taken from it.
    modality : dict of str to str
        Column of ``features`` → its modality.

    Returns
    -------
    frame : DataFrame indexed like the cohort's participants
        The participants table with the run's wearable summaries added.
    variables : list of (str, str)
        (section, column): numeric columns and text columns with 2 to 20 levels (more is free text or
        an identifier) of the roles in :data:`SECTIONS`. Connectivity (summarised on the Brain page),
        ignored and identifier columns are left out.
    """
    frame = cohort.participants
    worn = [c for c in features.columns if modality.get(c) == M.WEARABLES and c not in frame.columns]
    frame = frame.join(features[worn]) if worn else frame
    out = []
    for role, section in SECTIONS:
        columns = [c for c in cohort.columns_of(role) if c != "participant_id"] + (worn if role == M.WEARABLES else [])
        text = [c for c in columns if frame[c].dtype != np.float64]
        kept = set(categorical_columns(frame, text))
        out += [(section, c) for c in columns if frame[c].dtype == np.float64 or c in kept]
    return frame, out


def biotype_grouping(assignments: pd.DataFrame, names: dict[int, str]) -> tuple[pd.Series, list[TableGroup]]:
    """The grouping of a Table 1 by biotype: each biotype, then noise (when any), then all clustered participants.

    Parameters
    ----------
    assignments : DataFrame
        The run's assignment table (``biotype``, ``included``), indexed like the cohort's participants.
    names : dict of int to str
        Biotype number → name.

    Returns
    -------
    labels : Series of int indexed like ``assignments``
        Biotype number, -1 noise; participants not clustered are left out.
    groups : list of TableGroup
        The overall column has key 0 and holds every label of ``labels``.
    """
    included = assignments["included"].to_numpy(dtype=bool)
    labels = assignments.loc[included, "biotype"].astype(np.int64)
    groups = [TableGroup(int(b), names.get(int(b), f"B{b}"), int((labels == b).sum()), True) for b in sorted(labels[labels > 0].unique())]
    if (labels < 0).any():
        groups.append(TableGroup(-1, "Noise (no biotype)", int((labels < 0).sum()), False))
    groups.append(TableGroup(0, "All clustered", len(labels), False))
    return labels, groups


def custom_grouping(members: dict[str, pd.Index], groups: list[str]) -> tuple[pd.Series, list[TableGroup]]:
    """The grouping of a Table 1 by custom group: each participant in the first chosen group that holds them.

    Returns
    -------
    labels : Series of int indexed by participant
        1-based position of the participant's group among ``groups``.
    groups : list of TableGroup
        One per chosen group (all tested), then the overall column (key 0).
    """
    labels = pd.Series(dtype=np.int64)
    for position, name in enumerate(groups, start=1):
        new = members[name].difference(labels.index)
        labels = pd.concat([labels, pd.Series(position, index=new, dtype=np.int64)])
    out = [TableGroup(p, name, int((labels == p).sum()), True) for p, name in enumerate(groups, start=1)]
    return labels, [*out, TableGroup(0, "All in a group", len(labels), False)]


def table_one(
    frame: pd.DataFrame, variables: list[tuple[str, str]], labels: pd.Series, groups: list[TableGroup], clustered=(), seed: int = 0
) -> TableOne:
    """Table 1 of ``variables`` across ``groups``.

    Parameters
    ----------
    frame : DataFrame indexed by participant
        The participants table (numeric columns float64, categories as text).
    variables : list of (str, str)
        (section, column) to tabulate (:func:`tabulated_variables`).
    labels : Series of int indexed by participant
        Each tabulated participant's group key; participants absent from it are not tabulated.
    groups : list of TableGroup
        The column groups; a group with key 0 holds every participant of ``labels``.
    clustered : collection of str
        Columns the biotypes were clustered on: described, never tested.
    seed : int
        Seeds the label permutations of the p-values that need them.

    Returns
    -------
    TableOne
    """
    used = set(clustered)
    data = frame.reindex(labels.index)
    keys = labels.to_numpy()
    members = {g.key: (keys == g.key) if g.key != 0 else np.ones(len(keys), dtype=bool) for g in groups}
    tested = np.isin(keys, [g.key for g in groups if g.tested])
    rng = np.random.default_rng(seed)
    rows = []
    for section, column in variables:
        values = data[column]
        numeric = values.dtype == np.float64 and not _is_binary(values)
        if numeric:
            variable_rows, statistic = _numeric_rows(values.to_numpy(dtype=np.float64), groups, members)
        else:
            variable_rows, statistic = _level_rows(values, groups, members)
        if column in used:
            test, p = CLUSTERED_ON, np.nan
        else:
            test, p = _test(values, keys, tested, statistic, rng)
        for level, cells in variable_rows:
            rows.append(
                {"section": section, "variable": column, "level": level, "statistic": statistic, **cells, "test": test, "p_value": p}
            )
    cells = [f"{g.name}: {part}" for g in groups for part in ("n", "summary", "missing")]
    table = pd.DataFrame(rows, columns=["section", "variable", "level", "statistic", *cells, "test", "p_value"])
    table["q_value"] = _q_values(table)
    return TableOne(tuple(groups), table)


def _is_binary(values: pd.Series) -> bool:
    """A numeric column holding only 0 and 1 (a yes/no variable): tabulated as counts, not a mean."""
    present = values.dropna()
    return len(present) > 0 and bool(present.isin([0.0, 1.0]).all())


def _numeric_rows(values: np.ndarray, groups: list[TableGroup], members: dict) -> tuple[list, str]:
    """The one row of a numeric variable and its statistic (by the skewness over every tabulated participant)."""
    present = np.isfinite(values)
    skew = stats.skew(values[present]) if present.sum() >= 3 else 0.0
    statistic = MEAN_SD if not np.isfinite(skew) or abs(skew) <= MAX_SYMMETRIC_SKEW else MEDIAN_IQR
    cells = {}
    spread = _spread(values[present], statistic)
    decimals = _decimals(spread)
    for g in groups:
        inside = values[members[g.key] & present]
        cells[f"{g.name}: n"] = len(inside)
        cells[f"{g.name}: summary"] = _numeric_summary(inside, statistic, decimals)
        cells[f"{g.name}: missing"] = int((members[g.key] & ~present).sum())
    return [("", cells)], statistic


def _spread(values: np.ndarray, statistic: str) -> float:
    """The spread the number of decimals is chosen from: the SD, or the interquartile range."""
    if len(values) < 2:
        return float("nan")
    if statistic == MEAN_SD:
        return float(np.std(values, ddof=1))
    q1, q3 = np.percentile(values, [25, 75])
    return float(q3 - q1)


def _decimals(spread: float) -> int:
    """Decimals that show two significant digits of the spread: at least 1, at most :data:`MAX_DECIMALS`."""
    if not np.isfinite(spread) or spread <= 0:
        return 1
    return int(min(MAX_DECIMALS, max(1, 1 - math.floor(math.log10(spread)))))


def _numeric_summary(values: np.ndarray, statistic: str, decimals: int) -> str:
    """``mean ± SD`` or ``median [Q1, Q3]`` of one group's values ("" with none; the SD needs two)."""
    if len(values) == 0:
        return ""
    if statistic == MEAN_SD:
        sd = f"{np.std(values, ddof=1):.{decimals}f}" if len(values) > 1 else "NA"
        return f"{np.mean(values):.{decimals}f} ± {sd}"
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return f"{median:.{decimals}f} [{q1:.{decimals}f}, {q3:.{decimals}f}]"


def _level_rows(values: pd.Series, groups: list[TableGroup], members: dict) -> tuple[list, str]:
    """One row per level of a categorical or 0/1 variable: count (percentage of the group's participants with a value)."""
    present = values.notna().to_numpy()
    text = values.map(_level_text).to_numpy(dtype=object)
    levels = sorted({t for t, p in zip(text, present, strict=True) if p}, key=_level_order)
    rows = []
    for level in levels:
        cells = {}
        for g in groups:
            has = members[g.key] & present
            count = int((has & (text == level)).sum())
            n = int(has.sum())
            cells[f"{g.name}: n"] = n
            cells[f"{g.name}: summary"] = f"{count:,} ({100 * count / n:.1f}%)" if n else ""
            cells[f"{g.name}: missing"] = int((members[g.key] & ~present).sum())
        rows.append((level, cells))
    return rows, COUNT_PERCENT


def _level_text(value) -> str:
    """A level as shown: 0/1 as "0" and "1", text as written."""
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:g}"
    return str(value)


def _level_order(level: str) -> tuple:
    """Numeric levels in numeric order, then text levels alphabetically."""
    try:
        return (0, float(level), "")
    except ValueError:
        return (1, 0.0, level)


def _test(values: pd.Series, keys: np.ndarray, tested: np.ndarray, statistic: str, rng) -> tuple[str, float]:
    """The test across the tested groups and its p-value; (reason, NaN) when none can be made."""
    present = values.notna().to_numpy() & tested
    groups = np.unique(keys[present])
    if len(groups) < 2:
        return "none: fewer than two groups with values", np.nan
    if statistic == COUNT_PERCENT:
        text = values.map(_level_text).to_numpy(dtype=object)[present]
        table = pd.crosstab(keys[present], text).to_numpy()
        if table.shape[1] < 2:
            return "none: one level only", np.nan
        result = stats.chi2_contingency(table, correction=False)
        p, test = chi_square_p(result, table.shape, keys[present], text, rng, stop_after=SEQUENTIAL_STOP)
        return test, float(p)
    x = values.to_numpy(dtype=np.float64)[present]
    by_group = [x[keys[present] == g] for g in groups]
    if np.ptp(x) == 0:
        return "none: no variation", np.nan
    if min(len(g) for g in by_group) < MIN_EXPECTED:
        h = stats.kruskal(*by_group).statistic
        return "Kruskal-Wallis, permutation", float(kruskal_permutation_p(x, keys[present], h, rng, stop_after=SEQUENTIAL_STOP))
    if statistic == MEAN_SD and all(np.std(g) > 0 for g in by_group):
        return "Welch's ANOVA", float(stats.f_oneway(*by_group, equal_var=False).pvalue)
    return "Kruskal-Wallis", float(stats.kruskal(*by_group).pvalue)


def _q_values(table: pd.DataFrame) -> np.ndarray:
    """Benjamini-Hochberg q-value of each row's variable across the table's tested variables."""
    per_variable = table.drop_duplicates("variable").set_index("variable")["p_value"]
    finite = per_variable[np.isfinite(per_variable.to_numpy(dtype=np.float64))]
    q = pd.Series(np.nan, index=per_variable.index)
    if len(finite):
        q[finite.index] = stats.false_discovery_control(finite.to_numpy(dtype=np.float64), method="bh")
    return table["variable"].map(q).to_numpy(dtype=np.float64)


def run_table_one(result, cohort: Cohort, groups: tuple[str, ...] = ()) -> TableOne:
    """Table 1 of a run: by biotype, or by the custom groups named in ``groups`` (in that order).

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    cohort : Cohort
        The run's cohort.
    groups : tuple of str
        Custom groups of the run (``RunConfig.custom_groups``) to tabulate instead of the biotypes;
        a participant in several is counted in the first.

    Returns
    -------
    TableOne
        Tests use the run's seed; the run's clustered features are described, never tested (a custom
        group is drawn on the map those features made).
    """
    features = result.features
    frame, variables = tabulated_variables(cohort, features.values, features.modality)
    if groups:
        members, _ = group_members(cohort.participants["participant_id"], result.config.custom_groups)
        labels, grouping = custom_grouping(members, list(groups))
    else:
        labels, grouping = biotype_grouping(result.assignments.set_index(cohort.participants.index), result.names)
    return table_one(frame, variables, labels, grouping, features.clustered, seed=result.config.seed)
