"""Custom groups: members from ids, profiled against the other clustered participants, carried in run.json."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.describe.groups import group_members, group_profile, group_table
from tests.conftest import WITHOUT_CHECKS


def test_members_profile_and_table():
    ids = pd.Series([f"sub-{i:02d}" for i in range(40)], index=[f"k{i}" for i in range(40)])
    members, issues = group_members(ids, (("flare", ("sub-00", "sub-01", "sub-02", "sub-03", "sub-99")),))
    assert list(members["flare"]) == ["k0", "k1", "k2", "k3"]
    assert "1 participant id(s) of group 'flare' are not in the cohort" in issues[0].message
    rng = np.random.default_rng(0)
    pain = np.r_[rng.normal(8, 1, 4), rng.normal(3, 1, 36)]
    features = pd.DataFrame({"pain": pain}, index=ids.index)
    clustered = ids.index[:-5]  # the last five were not clustered: not part of "the rest"
    table = group_profile(features, {"pain": "clinical"}, clustered, members)
    row = table.iloc[0]
    assert row["group"] == "flare" and row["n"] == 4
    assert row["mean"] == pytest.approx(pain[:4].mean())
    assert row["mean_rest"] == pytest.approx(pain[4:35].mean())
    assert row["mannwhitney_p"] == pytest.approx(stats.mannwhitneyu(pain[:4], pain[4:35]).pvalue)
    assert row["cohens_d"] > 3
    assert group_table(ids, members).values.tolist() == [["sub-00", "flare"], ["sub-01", "flare"], ["sub-02", "flare"], ["sub-03", "flare"]]


def test_group_categories_against_the_rest():
    from analysis.describe.groups import GROUP_CATEGORICAL_COLUMNS, group_categorical_profile

    ids = pd.Index([f"k{i}" for i in range(40)])
    sex = pd.Series(["F"] * 10 + ["M"] * 2 + ["F"] * 8 + ["M"] * 15 + [None] * 5, index=ids)
    clustered = ids[:-3]  # the last three (missing sex anyway) were not clustered
    members = {"women heavy": ids[:12]}
    table = group_categorical_profile(pd.DataFrame({"sex": sex}), {"sex": "covariate"}, clustered, members)
    assert tuple(table.columns) == GROUP_CATEGORICAL_COLUMNS
    women = table[table["level"] == "F"].iloc[0]
    assert women["group"] == "women heavy" and women["n"] == 12 and women["count"] == 10
    assert women["proportion"] == pytest.approx(10 / 12) and women["proportion_rest"] == pytest.approx(8 / 23)
    crosstab = np.array([[10, 2], [8, 15]])
    # scipy's defaults, as for biotypes: Yates' correction in the 2 x 2 test, none in Cramér's V.
    assert women["chi2_p"] == pytest.approx(stats.chi2_contingency(crosstab).pvalue)
    chi2 = stats.chi2_contingency(crosstab, correction=False).statistic
    assert women["cramers_v"] == pytest.approx(np.sqrt(chi2 / crosstab.sum()))


@pytest.mark.slow
def test_groups_in_a_run_reproduce_from_run_json(warm_umap, tmp_path):
    from analysis.cohort.cohort import load_cohort, sample_cohort_files
    from analysis.config import RunConfig
    from analysis.engine.run import run_biotypes, with_groups
    from analysis.reporting.run_files import run_files

    cohort = load_cohort(sample_cohort_files())
    result = run_biotypes(cohort, RunConfig(modalities=("clinical",), seed=1, **WITHOUT_CHECKS))
    chosen = tuple(result.assignments.loc[result.assignments["biotype"].fillna(0) == 1, "participant_id"][:30])
    grouped = with_groups(result, cohort, (("my group", chosen),))
    assert grouped.clusters is result.clusters
    assert set(grouped.groups["participant_id"]) == set(chosen)
    files = run_files(grouped, cohort)
    assert {"groups.csv", "profile_groups.csv", "profile_groups_categorical.csv"} <= set(files)
    assert {"sex", "site", "ancestry"} <= set(grouped.group_categorical["feature"])
    profile = grouped.group_profile.set_index("feature")
    used = list(result.features.clustered)
    assert (profile.loc[used, "evidence"] == "descriptive").all() and profile.loc[used, "mannwhitney_p"].isna().all()
    tested = profile[profile["evidence"] == "tested"]
    assert len(tested) and tested["mannwhitney_p"].notna().any()  # PRS, outcomes: not clustered here, tested
    again = run_biotypes(cohort, RunConfig.from_json(files["run.json"].decode()))
    assert run_files(again, cohort)["profile_groups.csv"] == files["profile_groups.csv"]
    assert run_files(again, cohort)["profile_groups_categorical.csv"] == files["profile_groups_categorical.csv"]
    assert run_files(again, cohort)["assignments.csv"] == files["assignments.csv"]


def test_comparison_labels_count_everyone_once_groups_first():
    from analysis.describe.groups import GROUP_LABEL_OFFSET, comparison_labels

    labels = pd.Series([0, 0, 1, 1, -1, 2], index=list("abcdef"))
    members = {"x": pd.Index(["b", "c", "e"]), "y": pd.Index(["c", "d", "z"])}
    compared, moved = comparison_labels(labels, members, ["y", "x"])
    # y was chosen first: it keeps c; x gets b and e; the label follows the group's position in members.
    assert compared.tolist() == [0, GROUP_LABEL_OFFSET, GROUP_LABEL_OFFSET + 1, GROUP_LABEL_OFFSET + 1, GROUP_LABEL_OFFSET, 2]
    assert moved == {"y": {1: 2}, "x": {-1: 1, 0: 1}}
    assert labels.tolist() == [0, 0, 1, 1, -1, 2]  # not modified
    unchanged, none = comparison_labels(labels, members, [])
    assert unchanged.equals(labels) and none == {}


def test_group_tuples_add_rename_remove():
    from analysis.describe.groups import renamed_group, with_group, without_group
    from analysis.errors import CohortError

    groups = with_group((), "a", ["p1", "p2"])
    groups = with_group(groups, "b", ["p3"])
    assert groups == (("a", ("p1", "p2")), ("b", ("p3",)))
    assert with_group(groups, "a", ["p9"]) == (("a", ("p9",)), ("b", ("p3",)))
    assert renamed_group(groups, "a", "c") == (("c", ("p1", "p2")), ("b", ("p3",)))
    assert renamed_group(groups, "a", "a") == groups
    with pytest.raises(CohortError, match="a group named 'b' already exists"):
        renamed_group(groups, "a", "b")
    assert without_group(groups, "a") == (("b", ("p3",)),)
    assert without_group(groups, "zz") == groups
