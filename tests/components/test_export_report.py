"""The HTML report and the run's files: built from the run, self-contained, the bytes the command line writes."""

import html
import re

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from analysis.cohort.cohort import load_cohort, sample_cohort_files
from analysis.config import RunConfig
from analysis.engine.run import run_biotypes
from analysis.engine.saved_state import run_state_files
from analysis.reporting.methods import methods_paragraphs
from analysis.reporting.run_files import run_files, write_run
from components.html_report import report_html

#: Every test here reads one full run of the sample cohort (about 90 s on 2 cores).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(warm_umap):
    cohort = load_cohort(sample_cohort_files())
    return run_biotypes(cohort, RunConfig(modalities=("clinical",), stability_resamples=2, seed=2, site_replication=False)), cohort


def test_run_files_are_what_write_run_writes(run, tmp_path):
    result, cohort = run
    files = run_files(result, cohort)
    written = write_run(result, cohort, tmp_path)
    state = run_state_files(result)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {*files, *state, "model/model.joblib"}
    for name, content in {**files, **state}.items():
        assert (tmp_path / name).read_bytes() == content, name
    assert run_files(result, cohort)["run.json"] == files["run.json"]  # no clock inside: the run's own start time


def test_methods_text_carries_the_runs_numbers(run):
    result, cohort = run
    text = " ".join(methods_paragraphs(result, cohort))
    clustered = len(result.clusters.labels)
    assert f"Of {cohort.n_participants:,} participants, {clustered:,} were clustered" in text
    assert f"found {result.clusters.n_biotypes} biotypes" in text
    assert f"min_cluster_size {result.config.min_cluster_size}" in text
    assert f"n_neighbors {result.config.n_neighbors}" in text
    assert "; exact k-nearest-neighbour graph)" in text  # 1,000 participants: below the exact-graph threshold
    noise = float((result.clusters.labels < 0).mean())
    assert f"{noise:.1%} of clustered participants were noise" in text
    for row in result.stability.summary().itertuples():
        assert f"B{row.biotype} median Jaccard {row.median_jaccard:.2f}" in text
    assert f"median adjusted Rand index with the full-cohort labels {np.median(result.stability.ari):.2f}" in text


def test_report_is_self_contained_and_shows_the_run(run):
    result, cohort = run
    page = report_html(result, cohort)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>")
    # No resource is fetched: outside the inlined plotly.js (whose map-tile and logo links a scatter
    # never uses), no src or href points at a network address.
    assert get_plotlyjs() in page
    ours = page.replace(get_plotlyjs(), "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", ours)
    assert page.count('class="plotly-graph-div"') >= 6
    for name in result.names.values():
        assert name in page
    assert "Brain connectivity" in page and "Genetics (PRS)" in page and "Wearables" in page
    assert html.escape(result.config.to_json()) in page


def test_the_report_and_methods_state_the_structure_verdict_and_describe_clustered_features(run):
    result, cohort = run
    structure = result.structure
    assert structure is not None and structure.n_null == 19
    page = report_html(result, cohort)
    assert html.escape(f"Biotypes: {structure.headline}.") in page and html.escape(structure.explanation) in page
    assert "Are there biotypes at all?" in page and "Gaussian null cohorts" in page
    text = " ".join(methods_paragraphs(result, cohort))
    assert f"tested against {structure.n_null} null cohorts drawn from one multivariate Gaussian" in text
    assert f"Verdict: {structure.verdict.replace('_', ' ')} (p = {structure.p_value:.2g}" in text
    assert "descriptive only" in text
    # the clustered features' table in the report carries no q column; the tested one does
    assert "on the features it was clustered on (descriptive: Cohen&#x27;s d, no test)" in page or "descriptive: Cohen's d, no test" in page


def test_the_report_and_methods_give_replication_per_biotype_and_clinical_value_per_outcome(run):
    result, cohort = run
    split_half, value = result.split_half, result.clinical_value
    assert split_half is not None and split_half.n_splits == 5 and value is not None
    page = report_html(result, cohort)
    assert "Do they replicate?" in page and html.escape(split_half.headline()) in page
    assert "Found again in the other half?" in page and "A consistent cut of a continuum can replicate too" in page
    assert "Clinical value beyond severity" in page and "What the biotypes add to each outcome" in page
    for o in value.outcomes:
        assert html.escape(o.reading()) in page
    text = " ".join(methods_paragraphs(result, cohort))
    for b in split_half.biotypes:
        assert f"B{b.biotype} prediction strength {b.prediction_strength:.2f}" in text
    assert f"{split_half.n_splits} random splits of the clustered participants into halves of {split_half.n_per_half:,}" in text
    assert "read beside the structure verdict" in text
    assert f"{value.outcomes[0].outcome}: {value.outcomes[0].reading()}" in text


def test_the_report_and_methods_give_survival_by_biotype_and_the_treatment_interaction_apart_from_prognosis(run):
    result, cohort = run
    value = result.clinical_value
    (survival,) = value.survival
    assert (survival.outcome, survival.event) == ("months_to_escalation", "escalation_event") and not survival.note
    assert [i.outcome for i in value.interactions] == ["outcome_pain_12m", "outcome_opioid_use", "months_to_escalation"]
    escalation = next(o for o in value.outcomes if o.outcome == "months_to_escalation")
    assert escalation.metric == "c_index" and "arm" in escalation.baseline
    page = report_html(result, cohort)
    assert (
        "months_to_escalation: free of &#x27;escalation_event&#x27; by biotype" in page or "free of 'escalation_event' by biotype" in page
    )
    assert html.escape(survival.reading()) in page
    assert "Treatment effect by biotype (predictive, apart from prognosis)" in page
    for interaction in value.interactions:
        assert html.escape(interaction.reading()) in page
    text = " ".join(methods_paragraphs(result, cohort))
    assert "log-rank test across biotypes" in text and survival.reading() in text
    assert "the biotypes are predictive of response, which is a causal reading only when the arm was randomised" in text


def test_the_report_lists_the_runs_notes_beside_its_warnings(run):
    """Info-level notes (a batch column kept as a covariate, roles proposed) were once left out of the report."""
    from dataclasses import replace

    from analysis.errors import Issue

    result, cohort = run
    note = Issue("info", "batch or time column(s) 'year' kept as covariates, not clustered", "column roles", "")
    page = report_html(replace(result, issues=(*result.issues, note, note)), cohort)
    notes = page.split("<h2>Notes on the run</h2>")[1].split("</ul>")[0]
    assert notes.count(html.escape(note.message)) == 1
    for issue in result.issues:
        if issue.severity == "info":
            assert html.escape(issue.message) in notes


def test_every_column_of_a_many_column_warning_is_in_run_json_and_the_report(run):
    import json
    from dataclasses import replace

    from analysis.errors import Issue

    result, cohort = run
    columns = tuple(f"item_{i:03d}" for i in range(30))
    dropped = Issue("warning", "30 clinical column(s) missing ... are not used: item_000 ... and 22 more", "clinical", "", columns=columns)
    many = replace(result, issues=(*result.issues, dropped))
    notes = json.loads(run_files(many, cohort)["run.json"])["notes"]
    assert next(n for n in notes if n["message"] == dropped.message)["columns"] == list(columns)
    page = report_html(many, cohort)
    listed = page.split("<summary>all 30 columns</summary>")[1].split("</details>")[0]
    assert listed.split(", ") == list(columns)


def test_the_report_shows_the_participant_flow_and_table_one(run):
    result, cohort = run
    page = report_html(result, cohort)
    assert "<h3>Participant flow</h3>" in page and "<svg" in page
    included = result.assignments["included"]
    assert f"Not clustered: n = {int((~included).sum()):,}" in page
    assert "Clustered</text>" in page and f"n = {int(included.sum()):,}</text>" in page
    table = page[page.index("<table class='table-one'>") : page.index("</table>", page.index("<table class='table-one'>"))]
    clustered = result.assignments[included]
    for number, name in result.names.items():
        assert f"{html.escape(name)} (n = {int((clustered['biotype'] == number).sum()):,})" in table
    assert "pain_intensity, mean ± SD" in table and "descriptive" in table  # clustered on: described only
    outcome = next(r for r in table.split("<tr>") if "outcome_pain_12m," in r)  # not clustered on: tested
    assert "descriptive" not in outcome and re.search(r"<td>(Welch&#x27;s ANOVA|Kruskal-Wallis)</td><td>(&lt;)?0\.\d{3}</td>", outcome)
