"""Table 1: every count, summary and test checked against numbers computed here, independently."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cohort.cohort import load_cohort, sample_cohort_files
from analysis.describe.table_one import (
    CLUSTERED_ON,
    COUNT_PERCENT,
    MEAN_SD,
    MEDIAN_IQR,
    TableGroup,
    biotype_grouping,
    custom_grouping,
    table_one,
    tabulated_variables,
)

SECTION = "Clinical"


def cohort_frame(seed=0, n=(60, 50, 40)):
    """Three groups of participants with a symmetric, a skewed, a categorical and a 0/1 variable, some values missing."""
    rng = np.random.default_rng(seed)
    total = sum(n)
    labels = np.repeat([1, 2, 3], n)
    frame = pd.DataFrame(
        {
            "age": rng.normal(50, 12, total) + 3 * labels,
            "duration": rng.lognormal(3, 1, total),
            "sex": rng.choice(["F", "M"], total),
            "smoker": rng.integers(0, 2, total).astype(float),
        },
        index=[f"p{i}" for i in range(total)],
    )
    frame.loc[frame.index[::7], "age"] = np.nan
    frame.loc[frame.index[::11], "sex"] = np.nan
    return frame, pd.Series(labels, index=frame.index)


GROUPS = [TableGroup(1, "B1", 60, True), TableGroup(2, "B2", 50, True), TableGroup(3, "B3", 40, True), TableGroup(0, "All", 150, False)]
VARIABLES = [(SECTION, c) for c in ("age", "duration", "sex", "smoker")]


def row(table, variable, level=""):
    rows = table.rows[(table.rows["variable"] == variable) & (table.rows["level"] == level)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_every_cell_matches_numbers_computed_independently():
    frame, labels = cohort_frame()
    table = table_one(frame, VARIABLES, labels, GROUPS)
    for group in GROUPS:
        inside = labels.index if group.key == 0 else labels.index[labels == group.key]
        age = frame.loc[inside, "age"]
        cells = row(table, "age")
        assert cells["statistic"] == MEAN_SD
        assert cells[f"{group.name}: n"] == age.notna().sum()
        assert cells[f"{group.name}: missing"] == age.isna().sum()
        assert cells[f"{group.name}: summary"] == f"{age.mean():.1f} ± {age.std():.1f}"  # SD about 12: one decimal
        duration = frame.loc[inside, "duration"]
        q1, median, q3 = duration.quantile([0.25, 0.5, 0.75])
        cells = row(table, "duration")
        assert cells["statistic"] == MEDIAN_IQR  # lognormal: skewed
        assert cells[f"{group.name}: summary"] == f"{median:.1f} [{q1:.1f}, {q3:.1f}]"
        sex = frame.loc[inside, "sex"]
        for level in ("F", "M"):
            cells = row(table, "sex", level)
            count = int((sex == level).sum())
            assert cells["statistic"] == COUNT_PERCENT
            assert cells[f"{group.name}: n"] == sex.notna().sum()
            assert cells[f"{group.name}: missing"] == sex.isna().sum()
            assert cells[f"{group.name}: summary"] == f"{count:,} ({100 * count / sex.notna().sum():.1f}%)"
        smoker = frame.loc[inside, "smoker"]
        assert row(table, "smoker", "1")[f"{group.name}: summary"] == f"{int(smoker.sum())} ({100 * smoker.mean():.1f}%)"
    assert list(table.rows["variable"].unique()) == ["age", "duration", "sex", "smoker"]
    assert (table.rows["section"] == SECTION).all()


def welch_anova_p(groups):
    """Welch's (1951) one-way ANOVA, written out from its formula."""
    k = len(groups)
    n = np.array([len(g) for g in groups], dtype=float)
    means = np.array([g.mean() for g in groups])
    w = n / np.array([g.var(ddof=1) for g in groups])
    centre = (w * means).sum() / w.sum()
    a = (w * (means - centre) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    f = a / (1 + 2 * (k - 2) / (k**2 - 1) * lam)
    return stats.f.sf(f, k - 1, (k**2 - 1) / (3 * lam))


def test_each_variable_gets_the_test_its_distribution_and_counts_allow():
    frame, labels = cohort_frame()
    table = table_one(frame, VARIABLES, labels, GROUPS)
    age = [frame.loc[labels.index[labels == g], "age"].dropna().to_numpy() for g in (1, 2, 3)]
    assert row(table, "age")["test"] == "Welch's ANOVA"
    assert row(table, "age")["p_value"] == pytest.approx(welch_anova_p(age), rel=1e-9)
    duration = [frame.loc[labels.index[labels == g], "duration"].to_numpy() for g in (1, 2, 3)]
    assert row(table, "duration")["test"] == "Kruskal-Wallis"
    assert row(table, "duration")["p_value"] == pytest.approx(stats.kruskal(*duration).pvalue, rel=1e-9)
    present = frame["sex"].notna()
    counts = pd.crosstab(labels[present], frame.loc[present, "sex"]).to_numpy()
    assert row(table, "sex", "F")["test"] == "chi-square"
    assert row(table, "sex", "F")["p_value"] == pytest.approx(stats.chi2_contingency(counts, correction=False).pvalue)
    assert row(table, "sex", "M")["p_value"] == row(table, "sex", "F")["p_value"]  # one test per variable
    p = table.rows.drop_duplicates("variable")["p_value"].to_numpy()
    assert np.allclose(table.rows.drop_duplicates("variable")["q_value"], stats.false_discovery_control(p, method="bh"))


def test_small_groups_and_sparse_tables_are_tested_by_permutation():
    frame, labels = cohort_frame(n=(30, 30, 4))
    groups = [TableGroup(1, "B1", 30, True), TableGroup(2, "B2", 30, True), TableGroup(3, "B3", 4, True)]
    table = table_one(frame, VARIABLES, labels, groups, seed=3)
    assert row(table, "age")["test"] == "Kruskal-Wallis, permutation"  # B3 has fewer than 5 values
    assert row(table, "sex", "F")["test"] == "chi-square, permutation"  # B3's expected counts are about 2
    again = table_one(frame, VARIABLES, labels, groups, seed=3)
    assert row(again, "age")["p_value"] == row(table, "age")["p_value"]  # seeded
    assert 0 < row(table, "age")["p_value"] <= 1


def test_clustered_variables_are_described_and_never_tested():
    frame, labels = cohort_frame()
    table = table_one(frame, VARIABLES, labels, GROUPS, clustered=("age", "sex"))
    for variable in ("age", "sex"):
        rows = table.rows[table.rows["variable"] == variable]
        assert (rows["test"] == CLUSTERED_ON).all()
        assert rows["p_value"].isna().all() and rows["q_value"].isna().all()
    assert np.isfinite(row(table, "duration")["p_value"])
    tested = table.rows.drop_duplicates("variable")
    tested = tested[tested["p_value"].notna()]
    assert np.allclose(tested["q_value"], stats.false_discovery_control(tested["p_value"], method="bh"))  # over the two tested only


def test_only_the_tested_groups_enter_a_test():
    frame, labels = cohort_frame()
    labels = labels.where(labels != 3, -1)  # the third group becomes noise
    groups = [
        TableGroup(1, "B1", 60, True),
        TableGroup(2, "B2", 50, True),
        TableGroup(-1, "Noise", 40, False),
        TableGroup(0, "All", 150, False),
    ]
    table = table_one(frame, VARIABLES, labels, groups)
    duration = [frame.loc[labels.index[labels == g], "duration"].to_numpy() for g in (1, 2)]
    assert row(table, "duration")["p_value"] == pytest.approx(stats.kruskal(*duration).pvalue, rel=1e-9)
    assert row(table, "duration")["Noise: n"] == 40


def test_without_a_difference_the_tests_reject_at_their_nominal_rate():
    rejected, total = 0, 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        frame, _ = cohort_frame(seed)
        labels = pd.Series(rng.permutation(np.repeat([1, 2, 3], (60, 50, 40))), index=frame.index)  # unrelated to the values
        frame["age"] = rng.normal(50, 12, len(frame))
        p = table_one(frame, VARIABLES, labels, GROUPS).rows.drop_duplicates("variable")["p_value"]
        rejected += int((p < 0.05).sum())
        total += len(p)
    assert 0.02 <= rejected / total <= 0.08


def test_a_participant_in_two_custom_groups_is_counted_in_the_first():
    members = {"lasso": pd.Index(["a", "b", "c"]), "second": pd.Index(["c", "d"])}
    labels, groups = custom_grouping(members, ["second", "lasso"])
    assert labels.to_dict() == {"c": 1, "d": 1, "a": 2, "b": 2}
    assert [(g.name, g.n, g.tested) for g in groups] == [("second", 2, True), ("lasso", 2, True), ("All in a group", 4, False)]


def test_the_biotype_grouping_tests_biotypes_and_not_noise_or_the_unclustered():
    assignments = pd.DataFrame(
        {"biotype": pd.array([1, 1, 2, -1, pd.NA, 2], dtype="Int64"), "included": [True, True, True, True, False, True]},
        index=list("abcdef"),
    )
    labels, groups = biotype_grouping(assignments, {1: "B1 · high pain"})
    assert labels.to_dict() == {"a": 1, "b": 1, "c": 2, "d": -1, "f": 2}
    assert [(g.key, g.name, g.n, g.tested) for g in groups] == [
        (1, "B1 · high pain", 2, True),
        (2, "B2", 2, True),
        (-1, "Noise (no biotype)", 1, False),
        (0, "All clustered", 5, False),
    ]


def test_the_sample_cohorts_table_holds_its_roles_and_the_runs_wearable_summaries():
    cohort = load_cohort(sample_cohort_files())
    worn = pd.DataFrame({"steps_mean": np.arange(cohort.n_participants, dtype=float)}, index=cohort.participants.index)
    frame, variables = tabulated_variables(cohort, worn, {"steps_mean": "wearables"})
    shown = dict((c, s) for s, c in variables)
    assert shown["age"] == shown["sex"] == "Covariates"
    assert shown["pain_intensity"] == "Clinical" and shown["prs_mcp"] == "Polygenic risk scores"
    assert shown["steps_mean"] == "Wearables" and frame["steps_mean"].equals(worn["steps_mean"])
    assert shown["arm"] == "Treatment" and shown["outcome_pain_12m"] == "Outcomes"
    assert shown["months_to_escalation"] == shown["escalation_event"] == "Follow-up"
    assert not any(c.startswith("fc_") for c in shown) and "participant_id" not in shown
    runs = [section for section, _ in itertools.groupby(s for s, _ in variables)]
    assert len(runs) == len(set(runs))  # each section's variables together


def test_small_group_permutation_tests_hold_their_level_and_stop_early_when_p_is_large():
    from analysis.describe import audits

    draws = []
    real = audits.permutation_p

    def counting(permuted, observed, stop_after=None):
        def counted():
            draws.append(1)
            return permuted()

        return real(counted, observed, stop_after)

    rejected = 0
    reps = 200
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"x": rng.normal(size=34), "c": rng.choice(["a", "b"], 34)}, index=[f"p{i}" for i in range(34)])
        labels = pd.Series(np.repeat([1, 2], (30, 4)), index=frame.index)
        groups = [TableGroup(1, "B1", 30, True), TableGroup(2, "B2", 4, True)]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(audits, "permutation_p", counting)
            table = table_one(frame, [("s", "x"), ("s", "c")], labels, groups, seed=seed)
        p = table.rows.drop_duplicates("variable")["p_value"]
        rejected += int((p < 0.05).sum())
    assert set(table.rows["test"]) == {"Kruskal-Wallis, permutation", "chi-square, permutation"}
    assert 0.01 <= rejected / (2 * reps) <= 0.08  # valid under the null (Besag & Clifford's sequential p-value)
    assert len(draws) / (2 * reps) < 200  # most stop long before 1,999 permutations


def test_the_sequential_p_value_is_the_share_at_stopping_and_otherwise_the_full_count():
    from analysis.describe.audits import AUDIT_PERMUTATIONS, permutation_p

    values = iter(range(100_000))
    assert permutation_p(lambda: next(values) % 4, 2.5, stop_after=10) == pytest.approx(10 / 40)  # every 4th draw reaches it
    assert permutation_p(lambda: 0.0, 1.0, stop_after=10) == 1 / (1 + AUDIT_PERMUTATIONS)  # never reached: all draws
    assert permutation_p(lambda: 2.0, 1.0) == 1.0
