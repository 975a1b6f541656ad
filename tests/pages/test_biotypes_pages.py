"""Biotypes and Biotype profiles pages in AppTest: compute a run, read it back, nothing recomputed by display choices."""

import base64
import html
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

import components.cache
from analysis.cli import main as cli_main
from analysis.config import RunConfig
from analysis.reporting.run_files import write_run
from components import state
from tests.conftest import sample_input_arguments
from tests.pages.conftest import clinical_run_form, metric, plotly_array


@pytest.fixture
def counted_runs(monkeypatch):
    """Counts calls of the analysis run behind the dashboard's cache."""
    calls = []
    real = components.cache.run_biotypes

    def counting(cohort, config, progress=None, **options):
        calls.append(config)
        return real(cohort, config, progress, **options)

    monkeypatch.setattr(components.cache, "run_biotypes", counting)
    return calls


@pytest.fixture
def computed(app, counted_runs, warm_umap):
    """The sample cohort clustered on its clinical measures from the Biotypes page."""
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    assert any("Compute biotypes" in i.value for i in app.info)
    clinical_run_form(app)
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=300)
    assert not app.exception
    assert not app.error
    return app


def current(at):
    key = at.session_state[state.CURRENT_RUN]
    return at.session_state[state.RUNS][key]


def test_biotypes_page_without_a_cohort_points_to_data(app):
    app.switch_page("pages/biotypes.py").run()
    assert not app.exception
    assert any("Data" in i.value for i in app.info)


def test_before_computing_the_page_says_who_has_which_modality_and_what_each_choice_clusters(app):
    from analysis.cohort.validation import MODALITY_TITLES
    from analysis.features.blocks import build_blocks
    from analysis.features.fusion import fuse_blocks

    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    assert not app.exception and not app.error
    cohort = app.session_state[state.COHORT]
    blocks, _, _ = build_blocks(cohort, RunConfig())
    everyone = cohort.participants.index

    def clustered(modalities, policy):
        return len(fuse_blocks({m: blocks[m] for m in modalities}, everyone, RunConfig(missing_modality=policy)).included)

    every = tuple(blocks)
    notice = next(i.value for i in app.info if "Clustering on every modality" in i.value)
    assert f"**{clustered(every, 'exclude'):,} of {len(everyone):,}**" in notice
    assert f"would cluster {clustered(every, 'impute'):,};" in notice
    upset = json.loads(app.get("plotly_chart")[0].proto.spec)
    bars = upset["data"][0]
    assert sum(plotly_array(bars["y"])) == len(everyone)  # each participant in one combination
    table = next(d.value for d in app.dataframe if "modalities" in d.value.columns).set_index("modalities")
    assert len(table) == 2 ** len(every) - 1
    for modalities in [every, ("clinical",), ("clinical", "wearables")]:
        row = table.loc[", ".join(MODALITY_TITLES[m] for m in modalities)]
        assert row["clustered, lacking one excluded"] == f"{clustered(modalities, 'exclude'):,} of {len(everyone):,}"
        assert row["clustered, lacking ones imputed"] == f"{clustered(modalities, 'impute'):,} of {len(everyone):,}"


def test_compute_shows_the_run_and_display_changes_do_not_recompute(computed, counted_runs):
    at = computed
    result = current(at)
    assert len(counted_runs) == 1 and counted_runs[0].modalities == ("clinical",)
    labels = result.clusters.labels
    values = {m.label: m.value for m in at.metric}
    assert values["Biotypes"] == str(result.clusters.n_biotypes)
    assert values["Clustered"] == f"{int((labels >= 0).sum()):,}"
    assert values["Not clustered"] == f"{int((~result.assignments['included']).sum()):,}"
    assert values["Noise"] == f"{(labels < 0).mean():.1%}"
    assert values["min_cluster_size"] == str(result.config.min_cluster_size)
    assert result.clusters.n_biotypes >= 2
    candidates = next(d.value for d in at.dataframe if "HDBSCAN clusters" in d.value.columns)
    chosen = candidates[candidates["chosen"]].iloc[0]  # the table agrees with the headline (it once showed HDBSCAN's counts)
    assert chosen["biotypes"] == result.clusters.n_biotypes
    assert values["Noise"] == f"{chosen['noise %'] / 100:.1%}"
    assert result.assignments["included"].all()  # every sample participant has clinical data
    map_traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert len(map_traces) == result.clusters.n_biotypes + int((labels < 0).any())
    assert sum(len(t["x"]["bdata"]) > 0 for t in map_traces) == len(map_traces)

    at.selectbox(key=state.BIOTYPES_COLOUR).set_value("site").run()
    assert not at.exception
    site_traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert len(site_traces) == at.session_state[state.COHORT].participants["site"].nunique()
    at.switch_page("pages/profiles.py").run()
    assert not at.exception
    at.switch_page("pages/biotypes.py").run()
    assert len(counted_runs) == 1


def test_profiles_page_shows_the_run(computed):
    at = computed
    result = current(at)
    at.switch_page("pages/profiles.py").run()
    assert not at.exception
    from components.profiles import AUDIT_CAPTION

    shown = [w.value for w in at.warning]
    assert all(i.message in shown for i in result.issues if i.where == "confound audit")  # the run's own warnings, not a second wording
    assert AUDIT_CAPTION in [c.value for c in at.caption]
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert heat["type"] == "heatmap"
    assert len(heat["y"]) == result.clusters.n_biotypes
    table = at.dataframe[0].value
    assert len(table) == len(result.profile)
    at.select_slider(key=state.PROFILES_MAX_Q).set_value(0.001).run()
    described = result.profile["evidence"] == "descriptive"  # clustered-on features: always listed, never filtered by a q
    assert len(at.dataframe[0].value) == int((described | (result.profile["kruskal_q"] <= 0.001)).sum())
    assert result.profile.loc[described, "kruskal_q"].isna().all() and described.any() and (~described).any()
    bars = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    stacked = [f for f in bars if f["layout"].get("barmode") == "stack"]
    assert {f["layout"]["title"]["text"].split(" (")[0] for f in stacked} == set(result.categorical_profile["feature"])
    assert {"sex", "site", "ancestry"} <= set(result.categorical_profile["feature"])


def test_the_dashboards_run_json_reproduces_its_assignments_on_the_command_line(computed, tmp_path):
    at = computed
    result = current(at)
    cohort = at.session_state[state.COHORT]
    write_run(result, cohort, tmp_path / "dashboard")
    code = cli_main(
        ["cluster", *sample_input_arguments(), "--config", str(tmp_path / "dashboard" / "run.json"), "--out", str(tmp_path / "cli")]
    )
    assert code == 0
    assert (tmp_path / "cli" / "assignments.csv").read_bytes() == (tmp_path / "dashboard" / "assignments.csv").read_bytes()
    assert RunConfig.from_json((tmp_path / "cli" / "run.json").read_text()) == result.config


def test_run_archive_holds_the_record(computed):
    at = computed
    result = current(at)
    cohort = at.session_state[state.COHORT]
    data = components.cache.run_archive(result, cohort)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assignments = pd.read_csv(archive.open("assignments.csv"), dtype={"participant_id": str})
    assert {"assignments.csv", "profile.csv", "run.json", "model/model.joblib"} <= names
    assert assignments["participant_id"].tolist() == result.assignments["participant_id"].tolist()


def test_naming_a_biotype_renames_it_everywhere_without_recomputing(computed, counted_runs):
    from dataclasses import replace

    from components.cache import SummaryKey

    at = computed
    at.switch_page("pages/profiles.py").run()  # its figures drawn, and remembered, under the old names
    at.switch_page("pages/biotypes.py").run()
    before = current(at)
    old_key = at.session_state[state.CURRENT_RUN]
    splits, export = SummaryKey(old_key, "splits", (), False), SummaryKey(old_key, "export_files", (), True)
    assert splits in at.session_state[state.DERIVED]  # the page drew the tree's splits
    at.session_state[state.DERIVED][export] = {"assignments.csv": b"names before renaming"}
    at.text_input(key=f"{state.BIOTYPES_NAME_PREFIX}1").input("high distress")
    at.button(key=state.BIOTYPES_SAVE_NAMES).click().run()
    assert not at.exception and not at.error
    after = current(at)
    assert len(counted_runs) == 1
    assert after.names[1] == "B1 · high distress"
    assert after.config.biotype_names == ((1, "high distress"),)
    assert after.clusters is before.clusters  # the same run, only named
    new_key = at.session_state[state.CURRENT_RUN]
    assert replace(splits, run=new_key) in at.session_state[state.DERIVED]  # carried over: it shows no names
    assert replace(export, run=new_key) not in at.session_state[state.DERIVED]  # shows names: made again when asked
    legend = [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert any(name.startswith("B1 · high distress (n=") for name in legend)
    at.switch_page("pages/profiles.py").run()
    assert "B1 · high distress" in at.markdown[0].value
    effect_map = json.dumps(json.loads(at.get("plotly_chart")[0].proto.spec), ensure_ascii=False)
    assert "B1 · high distress" in effect_map  # the effect-size map, drawn before under the old name


def test_a_saved_group_is_profiled_on_the_profiles_page(computed):
    from analysis.engine.run import with_groups

    at = computed
    result = current(at)
    cohort = at.session_state[state.COHORT]
    chosen = tuple(result.assignments["participant_id"][:40])
    grouped = with_groups(result, cohort, (("first forty", chosen),))
    key = (cohort.fingerprint, grouped.config)
    at.session_state[state.RUNS][key] = grouped
    at.session_state[state.CURRENT_RUN] = key
    at.switch_page("pages/profiles.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert len(table) == int((grouped.group_profile["group"] == "first forty").sum())
    assert table["cohens_d"].abs().is_monotonic_decreasing
    shares = next(d.value for d in at.dataframe if "proportion_rest" in d.value.columns and "group" in d.value.columns)
    expected = grouped.group_categorical[grouped.group_categorical["group"] == "first forty"]
    assert len(shares) == len(expected) > 0
    assert np.allclose(shares.sort_values(["feature", "level"])["proportion"], expected.sort_values(["feature", "level"])["proportion"])
    at.switch_page("pages/biotypes.py").run()
    assert any("Custom groups: first forty (40)" in c.value for c in at.caption)


def test_an_unstable_chosen_split_is_cautioned_beside_the_number_of_biotypes(computed):
    from dataclasses import replace

    at = computed
    result = current(at)
    shaky = tuple({**row, "stability": 0.37} if row["chosen"] else row for row in result.clusters.selection)
    unstable = replace(result, clusters=replace(result.clusters, selection=shaky))
    at.session_state[state.RUNS][at.session_state[state.CURRENT_RUN]] = unstable
    at.run()
    assert not at.exception
    assert any("split stability 0.37 < 0.65: tentative" in c.value for c in at.caption)
    at.session_state[state.RUNS][at.session_state[state.CURRENT_RUN]] = result
    at.run()
    assert not any("tentative" in c.value for c in at.caption)


@pytest.mark.slow
def test_the_structure_verdict_is_drawn_beside_the_biotypes_and_heads_every_page(app, warm_umap):
    from components.structure import verdict_word

    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    app.multiselect(key=state.BIOTYPES_MODALITIES).set_value(["clinical"])
    app.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    app.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=600)  # the default 19 null cohorts
    assert not app.exception and not app.error
    structure = current(app).structure
    assert structure is not None and structure.n_null == 19 and structure.verdict in ("distinct", "graded", "not_distinct")
    assert metric(app, "Distinct?") == verdict_word(structure)
    boxes = app.info if structure.verdict == "distinct" else app.warning
    assert any(structure.explanation in box.value and structure.headline in box.value for box in boxes)
    assert any("Are there biotypes at all?" in h.value for h in app.subheader)
    for page in (
        "pages/profiles.py",
        "pages/genetics.py",
        "pages/brain.py",
        "pages/wearables.py",
        "pages/export.py",
        "pages/compare.py",
        "pages/manuscript.py",
    ):
        app.switch_page(page).run()
        assert not app.exception, page
        headers = [b.value for b in (*app.info, *app.warning)]
        assert any(f"Biotypes: {structure.headline}" in h for h in headers), page


@pytest.mark.slow
def test_a_run_with_no_null_cohorts_says_untested_beside_the_biotypes(app, warm_umap):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    app.multiselect(key=state.BIOTYPES_MODALITIES).set_value(["clinical"])
    app.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)
    app.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    app.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=300)
    assert current(app).structure.verdict == "untested"
    assert metric(app, "Distinct?") == "not tested"
    assert any("Not tested (null_cohorts = 0)" in w.value for w in app.warning)


@pytest.mark.slow
def test_replication_shows_beside_the_verdict_and_clinical_value_on_the_profiles_page(app, warm_umap):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    app.multiselect(key=state.BIOTYPES_MODALITIES).set_value(["clinical"])
    app.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)
    app.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(2)
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=600)
    assert not app.exception and not app.error
    split_half = current(app).split_half
    assert split_half is not None and split_half.n_splits == 2
    assert any("Do they replicate?" in h.value for h in app.subheader)
    table = next(d.value for d in app.dataframe if "in_group_proportion" in d.value.columns)
    assert table["biotype"].tolist() == [b.biotype for b in split_half.biotypes]
    np.testing.assert_allclose(table["prediction_strength"], [round(b.prediction_strength, 4) for b in split_half.biotypes])
    assert table["replicates"].tolist() == [b.replicates for b in split_half.biotypes]
    assert any(split_half.headline() in c.value for c in app.caption)
    sites = current(app).sites
    assert [s.site for s in sites] == ["site-A", "site-B", "site-C", "site-D"]  # every site of the sample cohort, left out in turn
    per_site = next(d.value for d in app.dataframe if "fitted on" in d.value.columns)
    assert per_site["site"].tolist() == [s.site for s in sites]
    np.testing.assert_allclose(per_site["ARI"], [s.ari for s in sites])
    for s, (_, row) in zip(sites, per_site.iterrows(), strict=True):
        assert [row[c] for c in per_site.columns if c.startswith("B")] == list(s.found.values())
    value = current(app).clinical_value
    app.switch_page("pages/profiles.py").run()
    assert not app.exception
    assert any("Do the biotypes matter beyond severity?" in h.value for h in app.subheader)
    shown = " ".join(m.value for m in app.markdown)
    for o in value.outcomes:
        assert f"**{o.outcome}**: {o.reading()}" in shown
    (survival,) = value.survival
    assert f"- {survival.reading()}" in shown
    assert any("Does the treatment work differently by biotype?" in m.value for m in app.markdown)
    for interaction in value.interactions:
        assert f"- {interaction.reading()}" in shown
    medians = next(d.value for d in app.dataframe if "median 95% low" in d.value.columns)
    np.testing.assert_allclose(medians["events"], survival.medians["events"])
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    curves = next(s for s in specs if "free of 'escalation_event' by biotype" in s["layout"]["title"]["text"])
    assert len([t for t in curves["data"] if t.get("fill") != "toself"]) == len(survival.medians)


def test_table_one_and_the_flow_show_the_runs_counts_and_follow_the_custom_groups(computed):
    from analysis.engine.run import with_groups

    at = computed
    result = current(at)
    cohort = at.session_state[state.COHORT]
    at.switch_page("pages/manuscript.py").run()
    assert not at.exception and not at.error
    table = next(h.proto.body for h in at.get("html") if "table-one" in h.proto.body)
    clustered = result.assignments[result.assignments["included"]]
    for number, name in result.names.items():
        assert f"{html.escape(name)} (n = {int((clustered['biotype'] == number).sum()):,})" in table
    assert f"All clustered (n = {len(clustered):,})" in table
    svg = base64.b64decode(at.get("image")[0].proto.imgs[0].url.split(",", 1)[1]).decode()
    assert f"Not clustered: n = {int((~result.assignments['included']).sum()):,}" in svg
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"CSV (every cell, for analysis)", "HTML", "Word (.docx)", "flow.svg"} <= labels
    assert state.TABLE_ONE_BY not in at.session_state  # no custom groups: nothing to choose

    chosen = tuple(result.assignments["participant_id"][:40])
    grouped = with_groups(result, cohort, (("first forty", chosen),))
    key = (cohort.fingerprint, grouped.config)
    at.session_state[state.RUNS][key] = grouped
    at.session_state[state.CURRENT_RUN] = key
    at.run()
    at.segmented_control(key=state.TABLE_ONE_BY).set_value("Custom groups").run()
    assert not at.exception
    table = next(h.proto.body for h in at.get("html") if "table-one" in h.proto.body)
    assert "first forty (n = 40)" in table and "All in a group (n = 40)" in table
    assert "Participant characteristics by custom group" in table


def test_compare_runs_keeps_a_named_run_and_shows_how_two_runs_agree(computed, counted_runs):
    from sklearn.metrics import adjusted_rand_score

    at = computed
    first = current(at)
    at.switch_page("pages/runs.py").run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 1
    assert any("Compute another configuration" in i.value for i in at.info)
    at.text_input(key=state.RUNS_NAME).input("clinical, default size")
    at.button(key=state.RUNS_KEEP).click().run()
    assert not at.error
    overview = at.dataframe[0].value
    assert overview["run"].tolist() == ["clinical, default size"] and overview["kept"].tolist() == [True]

    at.switch_page("pages/biotypes.py").run()
    at.number_input(key=state.BIOTYPES_MIN_CLUSTER_SIZE).set_value(first.config.min_cluster_size + 15)
    at.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=300)
    assert not at.exception and len(counted_runs) == 2
    second = current(at)
    at.switch_page("pages/runs.py").run()
    assert not at.exception and not at.error
    overview = at.dataframe[0].value
    assert overview["run"].tolist() == ["clinical, default size", "Run 2"]
    assert overview["biotypes"].tolist() == [first.clusters.n_biotypes, second.clusters.n_biotypes]
    assert at.selectbox(key=state.RUNS_FIRST).value[1] == second.config  # the shown run first
    a = first.assignments.set_index("participant_id")
    b = second.assignments.set_index("participant_id")
    both = a["included"] & b["included"]
    expected = adjusted_rand_score(a.loc[both, "biotype"].astype(int), b.loc[both, "biotype"].astype(int))
    assert metric(at, "Agreement (ARI)") == f"{expected:.2f}"
    differences = next(d.value for d in at.dataframe if "parameter" in d.value.columns)
    assert differences.set_index("parameter").loc["min_cluster_size"].tolist() == [
        str(second.config.min_cluster_size),
        str(first.config.min_cluster_size),
    ]
    sankey = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert sankey["type"] == "sankey" and sum(sankey["link"]["value"]) == int(both.sum())
    at.toggle(key=state.RUNS_UNCLUSTERED).set_value(True).run()
    sankey = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert sum(sankey["link"]["value"]) == len(a)  # every participant once
    at.button(key=state.RUNS_SHOW).click().run()
    assert current(at) is first  # the kept run is shown on every page again


@pytest.mark.slow
def test_a_run_that_finds_no_biotypes_opens_on_every_page(app, warm_umap):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    clinical_run_form(app)
    app.number_input(key=state.BIOTYPES_MIN_CLUSTER_SIZE).set_value(500)  # half the cohort: HDBSCAN finds no cluster
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=300)
    assert not app.exception and not app.error
    assert current(app).clusters.n_biotypes == 0
    for page in ("profiles", "brain", "genetics", "wearables", "compare", "runs", "manuscript", "assign", "export"):
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception and not app.error, page


@pytest.mark.slow
def test_stopped_checks_are_said_and_not_restarted_by_another_page(app, warm_umap):
    app.button(key=state.DATA_LOAD_SAMPLE).click().run()
    app.switch_page("pages/biotypes.py").run()
    clinical_run_form(app, null_cohorts=RunConfig().null_cohorts, replication_splits=RunConfig().replication_splits)
    app.session_state[state.CHECKS_STOP_STRUCTURE] = True  # what a click on the structure test's Stop leaves for the rerun
    app.button(key=state.BIOTYPES_COMPUTE).click().run(timeout=300)
    assert not app.exception and not app.error
    result = current(app)
    assert result.structure is None and result.split_half is None  # neither ran
    assert any("Stopped: the structure test and split-half replication" in w.value for w in app.warning)
    assert metric(app, "Distinct?") == "not tested yet"
    assert app.button(key=state.BIOTYPES_RESUME_CHECKS)
    app.switch_page("pages/profiles.py").run()
    assert not app.exception
    assert current(app).structure is None  # opening another page did not start them again
    assert any("Biotypes: not tested yet" in w.value for w in app.warning)
