"""The self-contained HTML report of a run: methods text, tables and the dashboard's figures, opening offline."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from analysis.cohort import modalities as M
from analysis.describe.flow import run_flow
from analysis.describe.profiling import DESCRIPTIVE
from analysis.describe.summaries import binary_outcome_by_biotype, biotype_connectivity, is_binary, network_matrix, wearable_trajectories
from analysis.describe.table_one import run_table_one
from analysis.errors import NAMED_IN_MESSAGE
from analysis.features.blocks import shown_connectivity
from analysis.features.extractors import prs_features
from analysis.reporting.flow_svg import flow_svg
from analysis.reporting.methods import methods_paragraphs
from analysis.reporting.table_one_files import table_one_html
from components.brain import network_figure
from components.embedding import embedding_figure, sizes_figure
from components.genetics import prs_violin_figure
from components.profiles import (
    binary_outcome_figure,
    biotype_label,
    category_figure,
    effect_heatmap_figure,
    importance_figure,
    outcome_figure,
)
from components.replication import clinical_value_figure, replication_figure, replication_table, site_table
from components.structure import null_figure, power_figure
from components.survival import survival_figure, survival_table, treatment_figure
from components.wearables import trajectory_figure

#: Most wearable metrics and PRS drawn in the report (the dashboard shows them all).
REPORT_MAX_PLOTS = 4

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f4f4f4; } caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
.table-one td { white-space: nowrap; } .flow { overflow-x: auto; } .note { color: #555; font-size: 0.9rem; } .warning { color: #8a4b00; }
"""


def report_html(result, cohort) -> str:
    """The run as one HTML page: methods, biotypes, profiles, audits and each modality's figures.

    plotly.js is inlined once, so the file opens offline and makes no network request. Figures show
    participant ids on hover: share the report as you would share the assignments.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    cohort : analysis.cohort.cohort.Cohort

    Returns
    -------
    str
        A complete HTML document.
    """
    names = result.names
    parts = [
        f"<h1>Pain Biotype Explorer — biotype run</h1><p class='note'>Created {html.escape(result.created_utc)} · "
        f"{cohort.n_participants:,} participants · cohort fingerprint <code>{cohort.fingerprint[:12]}</code> · seed {result.config.seed}</p>",
        "<h2>Methods</h2>" + "".join(f"<p>{html.escape(p)}</p>" for p in methods_paragraphs(result, cohort)),
        "<p class='note'>Every step, default and reference: docs/methods.md of the tool.</p>",
        "<h2>Biotypes</h2>",
        _structure_statement(result.structure),
        _table(_biotype_table(result)),
        _figure(embedding_figure(result.assignments)),
        _figure(sizes_figure(result.assignments)),
        *_structure_figures(result.structure),
        *_replication_section(result),
    ]
    warnings = [i for i in result.issues if i.severity == "warning"]
    if warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li class='warning'>{_issue_html(i)}</li>" for i in warnings) + "</ul>")
    notes = list({i.message: i for i in result.issues if i.severity == "info"}.values())
    if notes:
        parts.append("<h2>Notes on the run</h2><ul>" + "".join(f"<li class='note'>{_issue_html(i)}</li>" for i in notes) + "</ul>")
    parts += _participants_section(result, cohort)
    parts += ["<h2>Profiles</h2>", _figure(effect_heatmap_figure(result.profile, names))]
    parts += _largest_effects(result.profile, names)
    for feature in dict.fromkeys(result.categorical_profile["feature"]):
        parts.append(_figure(category_figure(result.categorical_profile, feature, names)))
    for biotype in sorted(result.importance["biotype"].unique()):
        parts.append(_figure(importance_figure(result.importance, result.profile, int(biotype), names)))
    parts += ["<h2>Confound audits</h2>", _table(result.audit)]
    biotypes = result.assignments["biotype"].set_axis(cohort.participants.index)
    outcomes = result.profile.loc[result.profile["modality"] == M.OUTCOME, "feature"].unique()
    if len(outcomes):
        parts.append("<h2>Outcomes</h2>")
        for outcome in outcomes:
            values = cohort.participants[outcome]
            if is_binary(values):
                parts.append(_figure(binary_outcome_figure(binary_outcome_by_biotype(values, biotypes), outcome, names)))
            else:
                parts.append(_figure(outcome_figure(values, biotypes, names)))
    parts += _clinical_value_section(result.clinical_value, result.names)
    parts += _modality_sections(result, cohort, biotypes)
    parts.append("<h2>Run configuration</h2><pre>" + html.escape(result.config.to_json()) + "</pre>")
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Biotype run report</title>"
        f"<style>{_STYLE}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>{body}</body></html>"
    )


def _participants_section(result, cohort) -> list[str]:
    """The participant flow diagram (inline SVG) and Table 1 by biotype, with its footnotes."""
    flow = flow_svg(run_flow(result, cohort))
    table = table_one_html(run_table_one(result, cohort), "Table 1. Participant characteristics by biotype", "biotypes")
    return ["<h2>Participants</h2>", "<h3>Participant flow</h3>", f"<div class='flow'>{flow}</div>", f"<div class='flow'>{table}</div>"]


def _issue_html(issue) -> str:
    """An issue's message, with every column it is about in a collapsed list when the message names only some."""
    text = html.escape(issue.message)
    if len(issue.columns) > NAMED_IN_MESSAGE:
        listed = ", ".join(html.escape(c) for c in issue.columns)
        text += f"<details><summary>all {len(issue.columns)} columns</summary>{listed}</details>"
    return text


def _largest_effects(profile: pd.DataFrame, names: dict[int, str]) -> list[str]:
    """Two tables: the largest effects on clustered-on features (descriptive, no test) and on tested features with q < 0.05."""
    parts = []
    descriptive = profile["evidence"].eq(DESCRIPTIVE)
    sets = (
        (profile[descriptive], "Largest effects per biotype on the features it was clustered on (descriptive: Cohen's d, no test):", []),
        (
            profile[~descriptive & (profile["kruskal_q"] < 0.05)],
            "Features not used for clustering that differ between biotypes (tested: Kruskal-Wallis, FDR q &lt; 0.05):",
            ["cohens_d_low", "cohens_d_high", "kruskal_q"],
        ),
    )
    for rows, title, extra in sets:
        top = rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index).groupby("biotype").head(8)
        if len(top):
            shown = top.assign(biotype=top["biotype"].map(lambda b: biotype_label(b, names)))
            parts += [f"<p>{title}</p>", _table(shown[["biotype", "feature", "modality", "mean", "mean_rest", "cohens_d", *extra]])]
    return parts


def _structure_statement(structure) -> str:
    """The structure verdict as the report's first statement about the biotypes (a warning unless distinct)."""
    if structure is None:
        return "<p class='warning'><b>Biotypes: not tested</b> — the structure test had not run when this report was written.</p>"
    kind = "note" if structure.verdict == "distinct" else "warning"
    return f"<p class='{kind}'><b>Biotypes: {html.escape(structure.headline)}.</b> {html.escape(structure.explanation)}</p>"


def _structure_figures(structure) -> list[str]:
    """The null distributions and the power curve of the structure test (none when it did not run)."""
    if structure is None or structure.gap_null is None:
        return []
    return ["<h3>Are there biotypes at all?</h3>", _figure(null_figure(structure)), _figure(power_figure(structure))]


def _replication_section(result) -> list[str]:
    """Split-half replication: its headline (or why there is none), the prediction-strength figure and the table."""
    split_half = result.split_half
    if split_half is None:
        note = result.replication_note or "it had not run when this report was written"
        return [
            "<h3>Do they replicate?</h3>",
            f"<p class='warning'>Split-half replication: {html.escape(note)}.</p>",
            *_site_section(result),
        ]
    names = result.names
    kind = "note" if all(b.replicates for b in split_half.biotypes) else "warning"
    return [
        "<h3>Do they replicate?</h3>",
        f"<p class='{kind}'><b>{html.escape(split_half.headline())}.</b> A consistent cut of a continuum can replicate too: "
        "read this beside the structure verdict.</p>",
        _figure(replication_figure(split_half, names)),
        _table(replication_table(split_half, names)),
        *_site_section(result),
    ]


def _site_section(result) -> list[str]:
    """Leave-one-site-out: the per-site table, or why it did not run."""
    if not result.sites:
        note = result.sites_note or "it had not run when this report was written"
        return [f"<p class='note'>Leave-one-site-out: {html.escape(note)}.</p>"]
    return [
        "<p>Leave-one-site-out (each site left out of the fit, placed into the other sites' biotypes and clustered alone):</p>",
        _table(site_table(result.sites)),
    ]


def _clinical_value_section(value, names: dict[int, str]) -> list[str]:
    """Clinical value: the gain per outcome with its interval and reading, the table, survival curves and treatment effects."""
    if value is None:
        return []
    parts = ["<h2>Clinical value beyond severity</h2>"]
    if any(not o.note for o in value.outcomes):
        parts.append(_figure(clinical_value_figure(value)))
    parts.append(_readings([(o.outcome, o.reading()) for o in value.outcomes]))
    parts.append(_table(value.table().drop(columns=["baseline", "folds"])))
    for survival in value.survival:
        if not survival.note:
            parts += [_figure(survival_figure(survival, names)), _table(survival_table(survival, names))]
    parts.append(_readings([("survival by biotype", s.reading()) for s in value.survival]))
    if value.interactions:
        parts.append("<h3>Treatment effect by biotype (predictive, apart from prognosis)</h3>")
        parts += [_figure(treatment_figure(i, names)) for i in value.interactions if not i.note]
        parts.append(_readings([("treatment × biotype", i.reading()) for i in value.interactions]))
        parts.append(
            "<p>The gains above are prognostic: they hold the arm in the baseline. A treatment effect that differs between "
            "biotypes (the interaction test) makes the biotypes predictive of response, a causal reading only when the arm was "
            "randomised.</p>"
        )
    parts += [f"<p>{html.escape(note)}</p>" for note in value.notes]
    return parts


def _readings(items: list[tuple[str, str]]) -> str:
    """A bulleted list of (name, sentence); empty text for no items."""
    if not items:
        return ""
    return "<ul>" + "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>" for name, text in items) + "</ul>"


def _modality_sections(result, cohort, biotypes: pd.Series) -> list[str]:
    """Brain, genetics and wearables figures for the modalities the cohort has."""
    labels = pd.Series(result.clusters.numbers, index=result.fused.included)
    names = result.names
    parts = []
    view = shown_connectivity(cohort, result.config)
    connectivity = view.connectivity if view is not None else None
    if connectivity is not None and connectivity.atlas is not None and len(connectivity.atlas.network_names) > 1:
        parts.append(
            "<h2>Brain connectivity</h2><p class='note'>Mean difference from the other clustered participants, by network; "
            + html.escape(view.description)
            + ".</p>"
        )
        for summary in biotype_connectivity(connectivity, labels):
            table = network_matrix(summary.difference, connectivity.atlas)
            parts.append(_figure(network_figure(table, f"{biotype_label(summary.biotype, names)}: difference by network", "difference")))
    scores = [c for c in cohort.columns_of(M.PRS) if cohort.participants[c].dtype == "float64"]
    if scores:
        adjusted, notes, _ = prs_features(cohort, result.config)
        ancestry = cohort.participants["ancestry"] if "ancestry" in cohort.participants.columns else None
        parts.append(
            "<h2>Genetics (PRS)</h2><p class='note'>" + html.escape("; ".join(n.message for n in notes) or "PRS used as given") + "</p>"
        )
        for score in scores[:REPORT_MAX_PLOTS]:
            parts.append(_figure(prs_violin_figure(adjusted[score], biotypes, ancestry, f"{score} per biotype", "score")))
    wearables = cohort.wearables
    if wearables is not None:
        parts.append("<h2>Wearables</h2>")
        for metric in list(wearables.metrics)[:REPORT_MAX_PLOTS]:
            parts.append(_figure(trajectory_figure(wearable_trajectories(wearables.days, metric, labels), metric)))
    return parts


def _biotype_table(result) -> pd.DataFrame:
    """Name and size of each biotype, noise and excluded participants."""
    a = result.assignments
    counts = a[a["included"]].groupby(["biotype", "biotype_name"]).size().reset_index(name="participants")
    counts = counts.assign(order=counts["biotype"].where(counts["biotype"] >= 0, 10**6)).sort_values("order").drop(columns="order")
    excluded = int((~a["included"]).sum())
    if excluded:
        counts.loc[len(counts)] = [pd.NA, "not clustered (see exclusion_reason)", excluded]
    return counts.rename(columns={"biotype_name": "name"})


#: The report's figures are drawn with this plotly template, named explicitly: inside the dashboard's
#: process the default template is Streamlit's, whose colours are placeholders ("#000001", ...) that
#: only Streamlit's own chart element replaces; a standalone page would draw them black.
REPORT_TEMPLATE = "plotly_white"


def report_figure(fig: go.Figure) -> go.Figure:
    """A page figure made fit for the standalone report: a concrete template, axes that make room for their labels.

    Returns
    -------
    go.Figure
        A copy with :data:`REPORT_TEMPLATE` and ``automargin`` on every axis (long tick labels such as
        feature or network names and axis titles get the space they need instead of being cut).
    """
    out = go.Figure(fig)
    out.update_layout(template=REPORT_TEMPLATE)
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    return out


def _figure(fig: go.Figure) -> str:
    """A figure as a div (plotly.js is in the page head)."""
    return report_figure(fig).to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _table(frame: pd.DataFrame) -> str:
    """A table as HTML with numbers rounded to 3 significant digits and missing values (NaN or NA) left blank."""
    shown = frame.copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.api.extensions.ExtensionDtype) and shown[column].isna().any():
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "")
    return shown.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="", border=0, escape=True)
