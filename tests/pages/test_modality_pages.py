"""Brain connectivity, Genetics, Wearables and Export pages in AppTest: what each shows equals the analysis of the run."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analysis.cohort.connectivity import edges_to_matrix
from analysis.describe.summaries import (
    adherence_by_biotype,
    biotype_connectivity,
    network_matrix,
    prs_association_by_biotype,
    significant_edges,
    strongest_edges,
    wearable_trajectories,
)
from analysis.features.extractors import prs_features
from components import state
from components.brain import connectome_html
from components.figure_memo import MEMO_KEY
from tests.pages.conftest import APP, computed_session, plotly_array


@pytest.fixture(scope="module")
def computed(warm_umap):
    """One session with the sample cohort clustered on its clinical measures."""
    return computed_session()


def run_and_cohort(at):
    return at.session_state[state.RUNS][at.session_state[state.CURRENT_RUN]], at.session_state[state.COHORT]


def labels_of(result):
    import pandas as pd

    return pd.Series(result.clusters.numbers, index=result.fused.included)


def figures(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.mark.parametrize("page", ["pages/brain.py", "pages/genetics.py", "pages/wearables.py", "pages/export.py"])
def test_pages_before_a_run_point_to_biotypes(page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert any("Biotypes" in i.value for i in at.info)


def titled(figures_shown, title):
    """The one figure whose title contains ``title``."""
    (figure,) = [f for f in figures_shown if title in f["layout"].get("title", {}).get("text", "")]
    return figure


def test_brain_page_draws_the_biotypes_contrast(computed):
    at = computed
    at.switch_page("pages/brain.py").run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    expected = biotype_connectivity(cohort.connectivity, labels_of(result))
    first = expected[0]
    assert [t.label for t in at.tabs] == ["Glass brain", "By network", "Region by region"]
    # Only the open view is drawn: the glass brain alone, then each other view alone.
    (glass,) = figures(at)
    n_significant = int((significant_edges(first, 0.05) != 0).sum())
    drawn = edges_to_matrix(strongest_edges(significant_edges(first, 0.05), 50), cohort.connectivity.n_rois)
    (edges,) = [t for t in glass["data"] if t.get("name") == "edges"]
    ends = plotly_array(edges["customdata"]).astype(int).reshape(-1, 2)
    assert len(set(map(tuple, ends))) == min(n_significant, 50) == int((np.triu(drawn, 1) != 0).sum())
    assert np.allclose(plotly_array(edges["marker"]["color"]).astype(float), drawn[ends[:, 0], ends[:, 1]])

    at.session_state[state.BRAIN_VIEW] = "By network"
    at.run()
    networks = figures(at)
    assert len(networks) == 2 and not any(t.get("name") == "edges" for f in networks for t in f["data"])
    by_network = network_matrix(first.difference, cohort.connectivity.atlas)
    difference = plotly_array(titled(networks, "Difference from the rest by network")["data"][0]["z"]).astype(float)
    assert np.allclose(difference, by_network.to_numpy(), equal_nan=True)

    at.session_state[state.BRAIN_VIEW] = "Region by region"
    at.run()
    regions = figures(at)
    assert len(regions) == 2
    assert f"{n_significant:,} edges with q < 0.05" in titled(regions, "Difference from the rest,")["layout"]["title"]["text"]
    mean = plotly_array(titled(regions, "Mean connectivity")["data"][0]["z"]).astype(float)
    assert mean.shape == (cohort.connectivity.n_rois, cohort.connectivity.n_rois)
    assert np.isclose(np.nansum(mean) / 2, first.mean.astype(float).sum(), rtol=1e-4)  # reordered, same edges
    at.select_slider(key=state.BRAIN_MAX_Q).set_value(0.2).run()
    n_loose = int((significant_edges(first, 0.2) != 0).sum())
    assert f"{n_loose:,} edges with q < 0.2" in titled(figures(at), "Difference from the rest,")["layout"]["title"]["text"]
    at.select_slider(key=state.BRAIN_MAX_Q).set_value(0.05)
    at.session_state[state.BRAIN_VIEW] = "Glass brain"
    at.run()
    assert len(figures(at)) == 1
    at.toggle(key=state.BRAIN_INTERACTIVE).set_value(True).run()
    assert not at.exception
    (connectome,) = at.get("iframe")  # nilearn's 3-D view of the same 50 edges as the glass brain
    assert connectome.proto.srcdoc == connectome_html(drawn, cohort.connectivity.atlas.coords)
    at.toggle(key=state.BRAIN_INTERACTIVE).set_value(False).run()


def test_brain_page_without_an_atlas_offers_the_region_matrices_only(warm_umap):
    import dataclasses

    at = computed_session()  # its own session: what a page derives from the cohort is kept per run
    cohort = at.session_state[state.COHORT]
    at.session_state[state.COHORT] = dataclasses.replace(cohort, connectivity=dataclasses.replace(cohort.connectivity, atlas=None))
    at.session_state[state.BRAIN_VIEW] = "Glass brain"  # not offered: the one view there is opens
    at.switch_page("pages/brain.py").run()
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == ["Region by region"]
    shown = figures(at)
    assert len(shown) == 2 and not any(t.get("name") == "edges" for f in shown for t in f["data"])
    assert any("need an atlas" in i.value for i in at.info)


def test_genetics_page_draws_scores_and_association(computed):
    at = computed
    at.switch_page("pages/genetics.py").run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    shown = figures(at)
    violins = shown[0]["data"]
    adjusted, _, _ = prs_features(cohort, result.config)
    score = cohort.columns_of("prs")[0]
    clustered = result.assignments["biotype"].set_axis(cohort.participants.index).fillna(-1) >= 1
    assert sum(len(plotly_array(v["y"])) for v in violins) == int(adjusted[score][clustered].notna().sum())
    assert {v["name"].split(" (")[0] for v in violins} == set(cohort.participants["ancestry"].dropna())
    association = prs_association_by_biotype(
        adjusted[cohort.columns_of("prs")], cohort.participants["outcome_opioid_use"], labels_of(result), seed=result.config.seed
    )
    forest = next(f for f in shown if f["layout"].get("xaxis", {}).get("type") == "log")
    overall = next(t for t in forest["data"] if t["name"] == "all clustered")
    assert np.allclose(plotly_array(overall["x"]), association.loc[association["biotype"] == -2, "odds_ratio_per_sd"])
    table = at.dataframe[0].value
    assert len(table) == len(association)


def test_wearables_page_draws_trajectories_and_adherence(computed):
    at = computed
    at.switch_page("pages/wearables.py").run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    metric = at.selectbox(key=state.WEARABLES_METRIC).value
    expected = wearable_trajectories(cohort.wearables.days, metric, labels_of(result))
    shown = figures(at)
    means = [t for t in shown[0]["data"] if t.get("mode") == "lines"]
    assert len(means) == result.clusters.n_biotypes
    first = expected[(expected["biotype"] == 1) & (expected["n"] >= 3)].sort_values("day")
    assert np.allclose(plotly_array(means[0]["y"]), first["mean"])
    per, _ = adherence_by_biotype(cohort.wearables.adherence(), labels_of(result))
    boxes = shown[-1]["data"]
    assert sum(len(plotly_array(b["y"])) for b in boxes) == len(per)
    assert shown[1]["layout"]["dragmode"] == "pan"  # a click picks a participant; lasso mode ignored clicks
    participant = at.selectbox(key=state.WEARABLES_PARTICIPANT)
    other = participant.options[3]
    participant.set_value(other).run()
    assert not at.exception
    assert figures(at)[2]["layout"]["title"]["text"].startswith(f"{other}:")


def test_export_page_offers_the_runs_files(computed):
    from analysis.reporting.run_files import run_files
    from components.cache import SummaryKey

    at = computed
    at.switch_page("pages/export.py").run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert sorted(labels) == sorted([*run_files(result, cohort), "biotype_run.zip", "biotypes_bids.zip", "biotypes.h5ad", "report.html"])
    stored = at.session_state[state.DERIVED][SummaryKey(at.session_state[state.CURRENT_RUN], "export_files", (), shows_names=True)]
    assert stored["assignments.csv"] == result.assignments.to_csv(index=False).encode()


def test_compare_page_shows_each_modality_for_the_chosen_biotypes(computed):
    at = computed
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    shown = figures(at)
    bars = shown[0]["data"][0]
    pair = result.pairwise[(result.pairwise["biotype_a"] == 1) & (result.pairwise["biotype_b"] == 2) & result.pairwise["cohens_d"].notna()]
    pair = pair[(pair["evidence"] == "descriptive") | (pair["q_value"] < 0.05)]  # clustered-on: described, not tested
    top = pair.reindex(pair["cohens_d"].abs().sort_values(ascending=False).index).head(15)
    assert list(bars["y"]) == top["feature"].tolist()
    assert np.allclose(plotly_array(bars["x"]), top["cohens_d"])
    networks = [f for f in shown if f["data"][0]["type"] == "heatmap"]
    assert len(networks) == 2
    violins = [t for f in shown for t in f["data"] if t["type"] == "violin"]
    biotype_of = result.assignments["biotype"]
    with_score = result.assignments.assign(score=cohort.participants[cohort.columns_of("prs")[0]].to_numpy())
    expected = int((biotype_of.isin([1, 2]) & with_score["score"].notna()).sum())
    assert sum(len(plotly_array(v["y"])) for v in violins) == expected
    lines = [t for t in shown[-1]["data"] if t.get("mode") == "lines"]
    assert [t["name"] for t in lines] == [f"B{b} (n={int((biotype_of == b).sum())})" for b in (1, 2)]
    at.multiselect(key=state.COMPARE_BIOTYPES).set_value(list(range(1, result.clusters.n_biotypes + 1))).run()
    heat = figures(at)[0]["data"][0]
    assert heat["type"] == "heatmap" and len(heat["y"]) == result.clusters.n_biotypes


def test_assign_page_places_new_participants_like_the_command_line(computed):
    from analysis.cohort.cohort import load_cohort
    from analysis.engine.model import assign_participants, biotype_model
    from analysis.reporting.run_files import synthetic_cohort_files

    at = computed
    at.switch_page("pages/assign.py").run()
    assert not at.exception
    assert any("Upload a participants table" in i.value for i in at.info)
    at.button(key=state.ASSIGN_DEMO).click().run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    expected, _ = assign_participants(biotype_model(result, cohort), load_cohort(synthetic_cohort_files(200, seed=7, id_prefix="sub-new")))
    shown = next(d.value for d in at.dataframe if "biotype" in d.value.columns)
    assert len(shown) == 200
    assert not set(shown["participant_id"]) & set(cohort.participants["participant_id"])  # new people get new ids
    reasons = next(d.value for d in at.dataframe if "outcome" in d.value.columns).set_index("outcome")["n"]
    assert reasons.sum() == 200 and reasons["placed in a biotype"] == int((expected["biotype"].fillna(-1) >= 1).sum())
    missing = expected.loc[~expected["included"], "exclusion_reason"].value_counts()
    assert all(reasons[f"not placed: {why}"] == n for why, n in missing.items())
    assert shown["biotype"].fillna(-9).tolist() == expected["biotype"].fillna(-9).tolist()
    placed = int((expected["biotype"].fillna(-1) >= 1).sum())
    assert next(m.value for m in at.metric if m.label == "Placed in a biotype") == f"{placed:,}"
    assert placed > 100
    traces = figures(at)[0]["data"]
    assert traces[0]["name"].startswith("reference cohort")
    assert sum(len(plotly_array(t["x"])) for t in traces[1:]) == int(expected["included"].sum())


def test_assign_page_replicates_the_run_in_the_new_cohort_as_the_command_line_does(computed):
    from analysis.cohort.cohort import load_cohort
    from analysis.engine.model import biotype_model
    from analysis.reporting.run_files import synthetic_cohort_files
    from analysis.validity.external import replicate_in_cohort

    at = computed
    at.switch_page("pages/assign.py").run()
    at.button(key=state.ASSIGN_DEMO).click().run()
    at.button(key=state.ASSIGN_REPLICATE).click().run(timeout=300)
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    expected = replicate_in_cohort(biotype_model(result, cohort), load_cohort(synthetic_cohort_files(200, seed=7, id_prefix="sub-new")))
    boxes = [b.value for b in (*at.info, *at.warning)]
    assert any(expected.headline() in b for b in boxes)
    table = next(d.value for d in at.dataframe if "reading" in d.value.columns)
    assert table["biotype"].tolist() == [b.biotype for b in expected.biotypes]
    assert table["reading"].tolist() == [b.reading for b in expected.biotypes]
    np.testing.assert_allclose(table["prediction_strength"], [round(b.prediction_strength, 4) for b in expected.biotypes])
    names = [b.proto.label for b in at.get("download_button")]
    assert "replication.json" in names and "replication.csv" in names


def test_the_demo_places_nearly_everyone_into_a_run_of_every_modality(warm_umap):
    """The demo's participants have every modality, so a default run (all four) places them, not a fifth of them."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.button(key=state.DATA_LOAD_SAMPLE).click().run()
    at.switch_page("pages/biotypes.py").run()
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    result, _ = run_and_cohort(at)
    assert set(result.config.modalities) == {"clinical", "prs", "connectivity", "wearables"}
    at.switch_page("pages/assign.py").run()
    at.button(key=state.ASSIGN_DEMO).click().run()
    assert not at.exception and not at.error
    shown = next(d.value for d in at.dataframe if "biotype" in d.value.columns)
    assert len(shown) == 200 and shown["included"].sum() >= 190
    assert (shown["biotype"].fillna(-1) >= 1).sum() >= 180
    assert next(m.value for m in at.metric if m.label == "Not placed (missing data)") == f"{int((~shown['included']).sum()):,}"


def test_sweep_runs_from_the_page_and_a_cell_can_be_adopted(computed):
    from analysis.engine.sweep import run_sweep

    at = computed
    at.switch_page("pages/biotypes.py").run()
    at.button(key=state.BIOTYPES_SWEEP_RUN).click().run()
    assert not at.exception and not at.error
    result, _ = run_and_cohort(at)
    grid = next(f for f in figures(at) if f["layout"].get("title", {}).get("text", "").startswith("Parameter sweep"))
    expected = run_sweep(result)
    assert len(plotly_array(grid["data"][0]["x"])) == len(expected)
    assert np.allclose(plotly_array(grid["data"][0]["marker"]["color"]), expected["n_biotypes"])
    # A cell is picked by a click or in the two boxes under the grid (AppTest cannot click inside a chart).
    cell = (int(expected["n_neighbors"].iloc[-1]), int(expected["min_cluster_size"].iloc[-1]))
    at.selectbox(key=state.BIOTYPES_SWEEP_K).set_value(cell[0])
    at.selectbox(key=state.BIOTYPES_SWEEP_M).set_value(cell[1]).run()
    row = expected.iloc[-1]
    assert f"({int(row['n_biotypes'])} biotypes, noise {row['noise_fraction']:.0%})" in at.button(key=state.BIOTYPES_ADOPT).label
    at.button(key=state.BIOTYPES_ADOPT).click().run()
    assert not at.exception
    assert at.number_input(key=state.BIOTYPES_N_NEIGHBORS).value == cell[0]
    assert at.number_input(key=state.BIOTYPES_MIN_CLUSTER_SIZE).value == cell[1]
    assert any(f"n_neighbors {cell[0]} and min_cluster_size {cell[1]} from the sweep" in i.value for i in at.info)


def test_split_view_draws_the_runs_tree_at_each_min_cluster_size(computed):
    from analysis.engine.splits import split_flows, split_levels, split_nodes

    at = computed
    at.switch_page("pages/biotypes.py").run()
    assert not at.exception
    result, _ = run_and_cohort(at)
    sankey = next(f for f in figures(at) if f["data"][0]["type"] == "sankey")
    levels = split_levels(result)
    flows, nodes = split_flows(levels), split_nodes(levels, result.clusters.labels)
    link = sankey["data"][0]["link"]
    assert sorted(plotly_array(link["value"]).astype(int)) == sorted(flows["n"])
    assert len(sankey["data"][0]["node"]["label"]) == len(nodes)
    headings = [a["text"] for a in sankey["layout"]["annotations"]]
    own = result.config.min_cluster_size
    n_own = int(nodes[(nodes["size"] == own) & (nodes["biotype"] >= 0)]["biotype"].nunique())
    assert f"{own} (this run)<br>{n_own} biotypes" in headings and n_own == result.clusters.n_biotypes


def test_stability_is_measured_from_the_page_and_drawn_per_biotype_and_participant(computed):
    from analysis.engine.run import participant_stability

    at = computed
    at.switch_page("pages/biotypes.py").run()
    before, cohort = run_and_cohort(at)
    assert before.stability is None
    at.number_input(key=state.BIOTYPES_RESAMPLES).set_value(5)
    at.number_input(key=state.BIOTYPES_SUBSAMPLE).set_value(10)
    at.button(key=state.BIOTYPES_MEASURE).click().run()
    assert not at.exception and "stability_subsample" in at.error[0].value  # too few: one message, nothing measured
    assert run_and_cohort(at)[0].stability is None
    at.number_input(key=state.BIOTYPES_SUBSAMPLE).set_value(150)
    at.button(key=state.BIOTYPES_MEASURE).click().run()
    assert not at.exception and not at.error
    result, _ = run_and_cohort(at)
    assert result.config.stability_resamples == 5 and result.clusters is before.clusters
    assert result.config.stability_subsample == 150 and result.stability.predicted
    assert any(result.stability.cost() in c.value for c in at.caption)
    box = [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "box"]
    assert len(box) == 1 and len(box[0]["data"]) == result.clusters.n_biotypes
    for trace, biotype in zip(box[0]["data"], result.stability.jaccard.columns, strict=True):
        assert np.allclose(plotly_array(trace["y"]), result.stability.jaccard[biotype].dropna())
    table = next(d.value for d in at.dataframe if "median_jaccard" in d.value.columns)
    assert np.allclose(table["median_jaccard"], result.stability.summary()["median_jaccard"])
    at.selectbox(key=state.BIOTYPES_COLOUR).set_value("stability").run()
    assert not at.exception
    colour = plotly_array(figures(at)[0]["data"][0]["marker"]["color"])
    assert np.allclose(colour, participant_stability(result).to_numpy(), equal_nan=True)


def test_groups_are_renamed_removed_and_compared_with_biotypes(computed):
    from analysis.describe.groups import GROUP_LABEL_OFFSET, comparison_labels, group_members
    from analysis.describe.profiling import pairwise_profile
    from analysis.describe.summaries import wearable_trajectories

    at = computed
    result, cohort = run_and_cohort(at)
    ids = result.assignments["participant_id"]
    groups = (("first fifty", tuple(ids[:50])), ("next thirty", tuple(ids[50:80])))
    from analysis.engine.run import with_groups

    grouped = with_groups(result, cohort, groups)
    key = (cohort.fingerprint, grouped.config)
    at.session_state[state.RUNS][key] = grouped
    at.session_state[state.CURRENT_RUN] = key
    at.switch_page("pages/biotypes.py").run()
    assert any("Custom groups: first fifty (50), next thirty (30)" in c.value for c in at.caption)
    at.selectbox(key=state.BIOTYPES_GROUP_PICK).set_value("next thirty")
    at.text_input(key=state.BIOTYPES_GROUP_NEW_NAME).input("first fifty")
    at.button(key=state.BIOTYPES_GROUP_RENAME).click().run()
    assert any("a group named 'first fifty' already exists" in e.value for e in at.error)
    at.text_input(key=state.BIOTYPES_GROUP_NEW_NAME).input("late thirty")
    at.button(key=state.BIOTYPES_GROUP_RENAME).click().run()
    assert not at.exception and not at.error
    renamed, _ = run_and_cohort(at)
    assert renamed.config.custom_groups == (("first fifty", tuple(ids[:50])), ("late thirty", tuple(ids[50:80])))
    assert set(renamed.group_profile["group"]) == {"first fifty", "late thirty"} and renamed.clusters is result.clusters
    assert any("Custom groups: first fifty (50), late thirty (30)" in c.value for c in at.caption)

    # Compare B1 with the second group: the bars are the two sets' own Mann-Whitney comparison.
    at.switch_page("pages/compare.py").run()
    label = GROUP_LABEL_OFFSET + 1
    at.multiselect(key=state.COMPARE_BIOTYPES).set_value([1, label]).run()
    assert not at.exception and not at.error
    members, _ = group_members(cohort.participants["participant_id"], renamed.config.custom_groups)
    compared, moved = comparison_labels(labels_of(renamed), members, ["late thirty"])
    features, modality = renamed.features.values, renamed.features.modality
    pair = pairwise_profile(features, modality, compared[compared.isin([1, label])], clustered=renamed.features.clustered)
    pair = pair[pair["cohens_d"].notna() & ((pair["evidence"] == "descriptive") | (pair["q_value"] < 0.05))]
    top = pair.reindex(pair["cohens_d"].abs().sort_values(ascending=False).index).head(15)
    bars = figures(at)[0]["data"][0]
    assert list(bars["y"]) == top["feature"].tolist()
    assert np.allclose(plotly_array(bars["x"]), top["cohens_d"])
    assert any("G2 = late thirty, holding" in c.value for c in at.caption)
    assert sum(moved["late thirty"].values()) == 30
    lines = [t for t in figures(at)[-1]["data"] if t.get("mode") == "lines"]
    b1 = int((compared == 1).sum())
    assert [t["name"] for t in lines] == [f"B1 (n={b1}{'*' if b1 < (labels_of(renamed) == 1).sum() else ''})", "G2 (n=30)"]
    expected = wearable_trajectories(cohort.wearables.days, cohort.wearables.metrics[0], compared)
    assert np.allclose(
        plotly_array(lines[1]["y"]), expected[(expected["biotype"] == label) & (expected["n"] >= 3)].sort_values("day")["mean"]
    )

    at.switch_page("pages/biotypes.py").run()
    at.selectbox(key=state.BIOTYPES_GROUP_PICK).set_value("first fifty")
    at.button(key=state.BIOTYPES_GROUP_REMOVE).click().run()
    assert not at.exception
    removed, _ = run_and_cohort(at)
    assert removed.config.custom_groups == (("late thirty", tuple(ids[50:80])),)


def test_recut_from_the_page_changes_the_biotypes_without_a_new_embedding(computed):
    from analysis.engine.run import recut

    at = computed
    at.switch_page("pages/biotypes.py").run()
    before, cohort = run_and_cohort(at)
    at.number_input(key=state.BIOTYPES_RECUT_SIZE).set_value(before.config.min_cluster_size)
    at.selectbox(key=state.BIOTYPES_RECUT_METHOD).set_value("leaf")
    at.number_input(key=state.BIOTYPES_RECUT_EPSILON).set_value(0.2)
    at.button(key=state.BIOTYPES_RECUT).click().run()
    assert not at.exception and not at.error
    after, _ = run_and_cohort(at)
    assert after.config.cluster_selection_method == "leaf" and after.config.cluster_selection_epsilon == 0.2
    assert after.clusters.embedding is before.clusters.embedding  # the same embedding, re-cut
    expected = recut(before, cohort, before.config.min_cluster_size, "leaf", 0.2)
    assert np.array_equal(after.clusters.labels, expected.clusters.labels)
    assert at.metric[0].value == str(expected.clusters.n_biotypes)
    traces = figures(at)[0]["data"]
    assert len(traces) == expected.clusters.n_biotypes + int((expected.clusters.labels < 0).any())


def test_moving_between_pages_and_changing_display_choices_recomputes_nothing(computed, monkeypatch):
    import components.cache

    calls = []

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    summaries = ("biotype_connectivity", "wearable_trajectories", "adherence_by_biotype", "prs_deciles", "prs_features")
    for name in ("run_biotypes", "split_view", *summaries):  # the Biotypes page drew the splits before counting began
        counted(components.cache, name)
    at = computed
    pages = ("pages/biotypes.py", "pages/brain.py", "pages/genetics.py", "pages/wearables.py", "pages/compare.py", "pages/profiles.py")
    for page in pages:  # first visit: whatever this run has not summarised yet is computed once
        at.switch_page(page).run()
        assert not at.exception
    first = list(calls)
    assert set(summaries) <= set(first)
    for page in pages:  # second visit, with display choices changed on the way: nothing is computed again
        at.switch_page(page).run()
        assert not at.exception
        if page == "pages/biotypes.py":
            at.selectbox(key=state.BIOTYPES_COLOUR).set_value("sex").run()
            at.selectbox(key=state.BIOTYPES_COLOUR).set_value("biotype").run()
        if page == "pages/wearables.py":
            participants = at.selectbox(key=state.WEARABLES_PARTICIPANT).options
            at.selectbox(key=state.WEARABLES_PARTICIPANT).set_value(participants[-1]).run()
    assert calls == first, f"recomputed: {calls[len(first) :]}"
    assert "run_biotypes" not in calls
    drawn = set(at.session_state[MEMO_KEY])
    for page in pages:  # third visit: every figure is the one drawn before
        at.switch_page(page).run()
    built_again = {key[0] for key in set(at.session_state[MEMO_KEY]) - drawn}
    assert not built_again, f"figures built again: {built_again}"


def test_compare_shows_every_sets_n_and_refuses_statistics_for_a_set_shrunk_by_overlap(computed):
    """A group that took 42 of a biotype's 46 participants left the biotype drawn under its full name, with 4 people."""
    from analysis.describe.groups import GROUP_LABEL_OFFSET, MIN_COMPARE_N
    from analysis.engine.run import with_groups

    at = computed
    result, cohort = run_and_cohort(at)
    a = result.assignments
    second = a.loc[a["biotype"].fillna(0) == 2, "participant_id"].tolist()
    assert len(second) > MIN_COMPARE_N + 4
    grouped = with_groups(result, cohort, (("most of B2", tuple(second[4:])),))
    key = (cohort.fingerprint, grouped.config)
    at.session_state[state.RUNS][key] = grouped
    at.session_state[state.CURRENT_RUN] = key
    at.switch_page("pages/compare.py").run()
    group = GROUP_LABEL_OFFSET
    at.multiselect(key=state.COMPARE_BIOTYPES).set_value([1, 2, group]).run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "reduced by overlap" in d.value.columns).set_index("n")
    assert table.loc[4, "n before overlaps"] == len(second) and table.loc[4, "reduced by overlap"]
    assert table.loc[4, "statistics"] == f"not shown (n < {MIN_COMPARE_N})"
    assert table.loc[len(second) - 4, "statistics"] == "shown"
    shown = figures(at)
    bars = shown[0]
    assert "B1 (n=" in bars["layout"]["title"]["text"] and "G1 (n=" in bars["layout"]["title"]["text"]
    assert any("B2 (n=4*)" in i.value and "not shown" in i.value for i in at.info)  # no network map of 4 people
    lines = [t for t in shown[-1]["data"] if t.get("mode") == "lines"]
    assert [t["name"] for t in lines] == [f"B1 (n={int((a['biotype'] == 1).sum())})", f"G1 (n={len(second) - 4})"]
    violins = [t for f in shown for t in f["data"] if t["type"] == "violin"]
    assert "B2 (n=4*)" in {x for v in violins for x in v["x"]}
    at.multiselect(key=state.COMPARE_BIOTYPES).set_value([2, group]).run()
    assert any("Fewer than two of the chosen sets" in i.value for i in at.info)


def test_brain_page_of_a_harmonised_run_tests_the_harmonised_edges(warm_umap):
    from analysis.features.blocks import shown_connectivity

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.button(key=state.DATA_LOAD_SAMPLE).click().run()
    at.switch_page("pages/biotypes.py").run()
    at.multiselect(key=state.BIOTYPES_MODALITIES).set_value(["clinical", "connectivity"])
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    assert not at.exception and not at.error
    result, cohort = run_and_cohort(at)
    assert result.config.harmonise_sites
    at.session_state[state.BRAIN_VIEW] = "Region by region"
    at.switch_page("pages/brain.py").run()
    assert not at.exception and not at.error
    assert any("harmonised across" in c.value for c in at.caption)
    for harmonise in (True, False):
        view = shown_connectivity(cohort, result.config, harmonise)
        first = biotype_connectivity(view.connectivity, labels_of(result))[0]
        n_significant = int((significant_edges(first, 0.05) != 0).sum())
        assert f"{n_significant:,} edges with q < 0.05" in titled(figures(at), "Difference from the rest,")["layout"]["title"]["text"], (
            harmonise
        )
        at.toggle(key=state.BRAIN_RAW).set_value(True).run()
    assert any("raw matrices" in c.value for c in at.caption)
