"""Figures and tables of the biotype profiles: effect-size heat map, importance, audits, outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.cohort import modalities as M
from analysis.cohort.validation import MODALITY_TITLES
from analysis.describe.audits import AUDIT_PERMUTATIONS, AUDIT_Q_FLAG, CRAMERS_V_FLAG, EPSILON_SQUARED_FLAG, MIN_EXPECTED
from analysis.describe.groups import GROUP_LABEL_OFFSET
from analysis.describe.profiling import DESCRIPTIVE
from components.embedding import biotype_colour
from components.figure_memo import remembered

#: Short names of the modalities, drawn under heat-map groups too narrow for the full title.
MODALITY_CODES = {
    M.CLINICAL: "clin",
    M.PRS: "PRS",
    M.CONNECTIVITY: "conn",
    M.WEARABLES: "wear",
    M.OUTCOME: "out",
    M.VALIDATOR: "val",
    M.COVARIATE: "cov",
}
#: Most title characters per heat-map column for the full title to fit under its group (at the page's
#: usual width a column is ~11 px and a character ~6.5 px; plotly draws group labels horizontally).
TITLE_CHARACTERS_PER_COLUMN = 1.6
#: Under the confound-audit table: what its columns mean.
AUDIT_CAPTION = (
    "value: Cramér's V with Bergsma's bias correction (categories) or the Kruskal-Wallis eta-squared (numbers); both are "
    "about 0 when the covariate is unrelated to the biotypes, whatever the sample size. test: how p was computed; "
    f"'permutation' means {AUDIT_PERMUTATIONS:,} label permutations, used where expected counts (chi-square) or a biotype "
    f"(Kruskal-Wallis) are under {MIN_EXPECTED}. q: Benjamini-Hochberg over the covariates. flagged: V >= {CRAMERS_V_FLAG}, "
    f"eta-squared >= {EPSILON_SQUARED_FLAG} or one biotype drawn mostly from a minority level, with q < {AUDIT_Q_FLAG}."
)


#: Colours of a categorical feature's levels (Okabe-Ito, colour-blind safe), set on the figure so that
#: the page and the standalone report draw the same colours whatever the plotly template.
LEVEL_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def modality_group_labels(modalities: pd.Series) -> dict[str, str]:
    """The label under each modality's group of heat-map columns: its title, or its code where the title would overlap.

    Parameters
    ----------
    modalities : Series of str
        The modality of each column, in column order.

    Returns
    -------
    dict of str to str
        Modality → label.
    """
    labels = {}
    for modality, n_columns in modalities.value_counts(sort=False).items():
        title = MODALITY_TITLES.get(modality, modality)
        labels[modality] = title if len(title) <= TITLE_CHARACTERS_PER_COLUMN * n_columns else MODALITY_CODES.get(modality, modality)
    return labels


def biotype_label(biotype: int, names: dict[int, str]) -> str:
    """Display name of a biotype number (1-based) or a custom group's comparison label."""
    return names.get(int(biotype), short_label(biotype))


def short_label(biotype: int) -> str:
    """B1, B2, ... for a biotype number, G1, G2, ... for a custom group's comparison label (axis labels; full names in hover)."""
    if biotype >= GROUP_LABEL_OFFSET:
        return f"G{int(biotype) - GROUP_LABEL_OFFSET + 1}"
    return f"B{int(biotype)}"


@remembered
def effect_heatmap_figure(profile: pd.DataFrame, names: dict[int, str], labels: dict[int, str] | None = None) -> go.Figure:
    """Heat map of Cohen's d (biotype minus the rest) per biotype and feature, features grouped by modality.

    Parameters
    ----------
    profile : DataFrame
        :func:`analysis.describe.profiling.profile_table` output.
    names : dict of int to str
        Biotype number → name.
    labels : dict of int to str, optional
        Row label of each biotype or set (e.g. with its n on the Compare page); default B1, B2, ...

    Returns
    -------
    go.Figure
        A single Heatmap trace: rows are biotypes (1 first), columns features ordered by modality
        then name; the colour scale is symmetric around 0 and capped at |d| = 2.
    """
    order = profile[["feature", "modality"]].drop_duplicates().sort_values(["modality", "feature"], kind="stable")
    grid = profile.pivot(index="biotype", columns="feature", values="cohens_d").reindex(columns=order["feature"]).sort_index()
    modality_of = order.set_index("feature")["modality"]
    modality = modality_of.map(lambda m: MODALITY_TITLES.get(m, m))
    group = modality_of.map(modality_group_labels(modality_of))
    codes = dict(zip(group[group != modality], modality[group != modality], strict=True))  # in column order
    legend = "<br><sup>" + " · ".join(f"{code}: {title}" for code, title in codes.items()) + "</sup>" if codes else ""
    evidence = evidence_notes(profile).reindex(index=grid.index, columns=grid.columns).fillna("")
    hover = np.array(
        [[f"{biotype_label(b, names)}<br>{modality[f]}: {f}<br>{evidence.at[b, f]}" for f in grid.columns] for b in grid.index],
        dtype=object,
    )
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[[group[f] for f in grid.columns], list(grid.columns)],
            y=[(labels or {}).get(b, short_label(b)) for b in grid.index],
            zmin=-2,
            zmax=2,
            colorscale="RdBu_r",
            colorbar=dict(title="Cohen's d"),
            customdata=hover,
            hovertemplate="%{customdata}<br>d = %{z:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        title="How each biotype differs from the rest (Cohen's d; red higher, blue lower)" + legend,
        height=360 + 36 * len(grid.index),
        margin=dict(l=10, r=10, t=70 if legend else 50, b=10),
        xaxis=dict(tickangle=-60),
        yaxis=dict(autorange="reversed"),
    )
    return fig


def evidence_notes(profile: pd.DataFrame) -> pd.DataFrame:
    """Per (biotype, feature), what the d rests on: "clustered on: descriptive, no test", or the tested feature's q.

    Returns
    -------
    DataFrame of str, indexed by biotype, one column per feature
    """
    descriptive = profile["evidence"].eq(DESCRIPTIVE) if "evidence" in profile else pd.Series(False, index=profile.index)
    note = np.where(descriptive, "clustered on: descriptive, no test", "tested: FDR q = " + profile["kruskal_q"].map(lambda q: f"{q:.2g}"))
    return profile.assign(note=note).pivot(index="biotype", columns="feature", values="note")


#: Column order of the effect table: what is read first (who, what, how large, how sure) before the means.
EFFECT_TABLE_COLUMNS = (
    "biotype",
    "feature",
    "modality",
    "evidence",
    "cohens_d",
    "cohens_d_low",
    "cohens_d_high",
    "kruskal_q",
    "n",
    "mean",
    "mean_rest",
    "median",
    "kruskal_p",
)


def effect_table(profile: pd.DataFrame, names: dict[int, str], modalities: list[str], max_q: float) -> pd.DataFrame:
    """The profile rows of the chosen modalities, largest |d| first: every clustered-on feature, and tested ones with q at most ``max_q``.

    Features the biotypes were clustered on are described (``evidence`` descriptive: d without a test
    or interval); the q filter applies to the tested ones. Columns in :data:`EFFECT_TABLE_COLUMNS`
    order, so that Cohen's d is in view on a narrow page.
    """
    descriptive = profile["evidence"].eq(DESCRIPTIVE) if "evidence" in profile else pd.Series(False, index=profile.index)
    rows = profile[profile["modality"].isin(modalities) & (descriptive | (profile["kruskal_q"] <= max_q))]
    rows = rows.assign(biotype=rows["biotype"].map(lambda b: biotype_label(b, names)))
    rows = rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return rows[[c for c in EFFECT_TABLE_COLUMNS if c in rows.columns] + [c for c in rows.columns if c not in EFFECT_TABLE_COLUMNS]]


@remembered
def category_figure(categories: pd.DataFrame, feature: str, names: dict[int, str]) -> go.Figure:
    """Stacked bars of one categorical feature's level shares per biotype.

    Parameters
    ----------
    categories : DataFrame
        :func:`analysis.describe.profiling.categorical_profile` output.
    feature : str

    Returns
    -------
    go.Figure
        One Bar trace per level (x: biotypes, y: share of the biotype's members), titled with the
        chi-square q across biotypes.
    """
    rows = categories[categories["feature"] == feature]
    fig = go.Figure()
    for k, (level, part) in enumerate(rows.groupby("level", sort=True)):
        part = part.sort_values("biotype")
        fig.add_trace(
            go.Bar(
                x=[short_label(b) for b in part["biotype"]],
                y=part["proportion"],
                name=str(level),
                marker_color=LEVEL_COLOURS[k % len(LEVEL_COLOURS)],
                customdata=np.stack([part["count"], part["n"], part["proportion_rest"]], axis=1),
                hovertemplate="%{x}: %{y:.0%} (%{customdata[0]} of %{customdata[1]}); rest %{customdata[2]:.0%}<extra>"
                + str(level)
                + "</extra>",
            )
        )
    q = rows["chi2_q"].iloc[0] if len(rows) else np.nan
    described = len(rows) and "evidence" in rows and rows["evidence"].iloc[0] == DESCRIPTIVE
    fig.update_layout(
        barmode="stack",
        title=f"{feature} (clustered on: descriptive)" if described else f"{feature} (chi-square q = {q:.2g})",
        yaxis=dict(title="share of the biotype", tickformat=".0%", range=[0, 1]),
        legend=dict(orientation="h", y=-0.2),
        height=340,
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


def _pair_notes(rows: pd.DataFrame) -> list[str]:
    """Per pairwise row: "descriptive (clustered on)" or the tested feature's q."""
    descriptive = rows["evidence"].eq(DESCRIPTIVE) if "evidence" in rows else pd.Series(False, index=rows.index)
    return ["descriptive (clustered on)" if d else f"q = {q:.2g}" for d, q in zip(descriptive, rows["q_value"], strict=True)]


@remembered
def pairwise_effects_figure(
    pairwise: pd.DataFrame, a: int, b: int, names: dict[int, str], top: int = 15, labels: dict[int, str] | None = None
) -> go.Figure:
    """Bars of the numeric features that differ most between two biotypes (Cohen's d, a minus b).

    Parameters
    ----------
    pairwise : DataFrame
        :func:`analysis.describe.profiling.pairwise_profile` output.
    a, b : int
        Biotype numbers (or group labels), in either order.
    labels : dict of int to str, optional
        How ``a`` and ``b`` are written in the title (e.g. with their n); default B1, B2, ...

    Returns
    -------
    go.Figure
        One horizontal Bar trace of the ``top`` largest |d| (largest first) among the features the
        biotypes were clustered on (descriptive) and the tested ones with FDR q < 0.05; bars coloured
        by the biotype that is higher.
    """
    named = labels or {}
    first, second = sorted((a, b))
    rows = pairwise[(pairwise["biotype_a"] == first) & (pairwise["biotype_b"] == second) & pairwise["cohens_d"].notna()]
    descriptive = rows["evidence"].eq(DESCRIPTIVE) if "evidence" in rows else pd.Series(False, index=rows.index)
    rows = rows[descriptive | (rows["q_value"] < 0.05)]
    rows = rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index).head(top)
    sign = 1 if a == first else -1
    d = sign * rows["cohens_d"]
    fig = go.Figure(
        go.Bar(
            x=d,
            y=rows["feature"],
            orientation="h",
            marker_color=[biotype_colour(a) if v > 0 else biotype_colour(b) for v in d],
            customdata=np.stack([rows["modality"], _pair_notes(rows)], axis=1) if len(rows) else None,
            hovertemplate="%{y} (%{customdata[0]}): d = %{x:.2f}, %{customdata[1]}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Largest differences, {named.get(a, short_label(a))} minus {named.get(b, short_label(b))} (Cohen's d; clustered-on features descriptive, others FDR q < 0.05)",
        xaxis_title=f"Cohen's d (positive: higher in {short_label(a)})",
        yaxis=dict(autorange="reversed"),
        height=140 + 24 * max(len(rows), 1),
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


@remembered
def importance_figure(importance: pd.DataFrame, profile: pd.DataFrame, biotype: int, names: dict[int, str], top: int = 12) -> go.Figure:
    """What defines one biotype: the features whose permutation importance is distinguishable from zero, else effect sizes.

    Parameters
    ----------
    importance : DataFrame
        :func:`analysis.describe.importance.biotype_importance` output.
    profile : DataFrame
        :func:`analysis.describe.profiling.profile_table` output (the fallback's Cohen's d).
    biotype : int
        Biotype number.
    names : dict of int to str
    top : int
        Most bars drawn.

    Returns
    -------
    go.Figure
        One horizontal Bar trace. With distinguishable features: their mean drop in held-out AUC with
        the 95% interval over the shuffles as error bars, largest first, and the title says how many
        of the features were distinguishable. With none: the ``top`` largest |Cohen's d| of the
        biotype against the rest (descriptive), and the title says why.
    """
    rows = importance[importance["biotype"] == biotype]
    auc = rows["held_out_auc"].iloc[0] if len(rows) else np.nan
    found = rows[rows["distinguishable"]].nlargest(top, "importance")
    if not len(found):
        return _effect_fallback_figure(profile, biotype, len(rows), auc, top)
    fig = go.Figure(
        go.Bar(
            x=found["importance"],
            y=found["feature"],
            orientation="h",
            error_x=dict(
                type="data", symmetric=False, array=found["ci_high"] - found["importance"], arrayminus=found["importance"] - found["ci_low"]
            ),
            marker_color=biotype_colour(biotype),
        )
    )
    title = (
        f"What defines {short_label(biotype)}: {len(rows[rows['distinguishable']])} of {len(rows)} features distinguishable from zero"
        f"<br><sup>held-out AUC {auc:.2f}; bars: drop in AUC when shuffled, 95% interval over the shuffles</sup>"
    )
    return _feature_bars_layout(fig, title, "drop in held-out AUC when the feature is shuffled", len(found))


def _feature_bars_layout(fig: go.Figure, title: str, xaxis_title: str, n_bars: int) -> go.Figure:
    """``fig`` laid out as a list of features (largest first at the top, full feature names kept)."""
    fig.update_layout(
        title=title,
        xaxis_title=xaxis_title,
        yaxis=dict(autorange="reversed", automargin=True),
        height=150 + 26 * max(n_bars, 1),
        margin=dict(l=10, r=10, t=70, b=10),
    )
    return fig


def _effect_fallback_figure(profile: pd.DataFrame, biotype: int, n_features: int, auc: float, top: int) -> go.Figure:
    """The biotype's largest |Cohen's d| against the rest, for when no feature's importance is distinguishable from zero.

    Outcomes and covariates are left out: they did not define the biotypes.
    """
    rows = profile[
        (profile["biotype"] == biotype) & profile["cohens_d"].notna() & ~profile["modality"].isin([M.OUTCOME, M.VALIDATOR, M.COVARIATE])
    ]
    rows = rows.reindex(rows["cohens_d"].abs().sort_values(ascending=False).index).head(top)
    why = (
        f"held-out AUC {auc:.2f}: separable on many features at once, so shuffling any one costs the forest nothing"
        if auc >= 0.95
        else f"held-out AUC {auc:.2f}"
        if np.isfinite(auc)
        else "too few participants to train a classifier"
    )
    fig = go.Figure(
        go.Bar(
            x=rows["cohens_d"],
            y=rows["feature"],
            orientation="h",
            marker_color=[biotype_colour(biotype) if d > 0 else "#8C8C8C" for d in rows["cohens_d"]],
            customdata=rows["modality"],
            hovertemplate="%{y} (%{customdata}): d = %{x:.2f}<extra></extra>",
        )
    )
    title = (
        f"{short_label(biotype)}: none of {n_features} features has importance distinguishable from zero<br>"
        f"<sup>{why}; largest effect sizes instead (Cohen's d against the rest, descriptive)</sup>"
    )
    return _feature_bars_layout(fig, title, "Cohen's d (biotype minus the rest)", len(rows))


@remembered
def binary_outcome_figure(shares: pd.DataFrame, outcome: str, names: dict[int, str]) -> go.Figure:
    """Share of each biotype with a yes/no outcome, with its 95% interval (a box of 0s and 1s says nothing).

    Parameters
    ----------
    shares : DataFrame
        :func:`analysis.describe.summaries.binary_outcome_by_biotype` output.
    outcome : str
    names : dict of int to str

    Returns
    -------
    go.Figure
        One Scatter trace: a marker per biotype at its share, asymmetric error bars to the interval,
        hover with the counts; y from 0 to 100%.
    """
    fig = go.Figure(
        go.Scatter(
            x=[short_label(b) for b in shares["biotype"]],
            y=shares["proportion"],
            mode="markers",
            marker=dict(size=12, color=[biotype_colour(int(b)) for b in shares["biotype"]]),
            error_y=dict(
                type="data",
                symmetric=False,
                array=shares["ci_high"] - shares["proportion"],
                arrayminus=shares["proportion"] - shares["ci_low"],
                color="#444444",
            ),
            customdata=np.stack([[biotype_label(b, names) for b in shares["biotype"]], shares["cases"], shares["n"]], axis=1)
            if len(shares)
            else None,
            hovertemplate="%{customdata[0]}: %{y:.0%} (%{customdata[1]} of %{customdata[2]})<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{outcome}: share with 1 (Wilson 95% CI)",
        yaxis=dict(title="share of the biotype", tickformat=".0%", range=[0, 1.05]),
        showlegend=False,
        height=360,
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


@remembered
def outcome_figure(values: pd.Series, biotypes: pd.Series, names: dict[int, str]) -> go.Figure:
    """Box plots (with points) of one outcome per biotype; noise left out.

    Parameters
    ----------
    values : Series of float indexed by participant
    biotypes : Series of int (1-based, -1 noise) indexed like ``values``

    Returns
    -------
    go.Figure
        One Box trace per biotype, in biotype order.
    """
    fig = go.Figure()
    for biotype in sorted(b for b in biotypes.dropna().unique() if b >= 1):
        inside = values[biotypes == biotype].dropna()
        fig.add_trace(
            go.Box(
                y=inside,
                name=short_label(biotype),
                hovertext=biotype_label(biotype, names),
                boxpoints="outliers",
                marker_color=biotype_colour(int(biotype)),
            )
        )
    fig.update_layout(title=values.name, showlegend=False, height=360, margin=dict(l=10, r=10, t=40, b=10))
    return fig
