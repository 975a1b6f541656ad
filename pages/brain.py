"""Brain connectivity page: each biotype's mean connectivity, its difference from the rest, networks, glass brain."""

import streamlit as st

from analysis.cohort.connectivity import edges_to_matrix
from analysis.describe.summaries import network_matrix, significant_edges, strongest_edges
from components import cache, state
from components.brain import BY_NETWORK, BY_REGION, GLASS_BRAIN, brain_views, connectome_html, matrix_figure, network_figure
from components.profiles import biotype_label

st.title("Brain connectivity")
result, cohort = cache.require_run()
connectivity = cohort.connectivity
if connectivity is None:
    st.info(
        "This cohort has no connectivity matrices. Upload them on the **Data** page (npz/npy stack or a zip of BIDS "
        "relmat files, with an atlas or a coordinates CSV) to see each biotype's connectome here."
    )
    st.stop()

raw = result.config.harmonise_sites and st.toggle(
    "Show the raw matrices (not harmonised)",
    key=state.BRAIN_RAW,
    help="The run clustered ComBat-harmonised connectivity; by default this page shows and tests the edges harmonised the same "
    "way, so that site offsets the run removed do not show up as biotype differences.",
)
view = cache.connectivity_shown(result, cohort, harmonise=not raw)
connectivity = view.connectivity
summaries = cache.connectivity_by_biotype(result, cohort, harmonise=not raw)
st.caption(f"Connectivity shown: **{view.description}**.")
if not summaries:
    st.info("No biotype has two or more participants with a connectivity matrix (and two outside it), so there is nothing to compare.")
    st.stop()

names = result.names
atlas = connectivity.atlas
by_biotype = {s.biotype: s for s in summaries}
left, right = st.columns([2, 1])
biotype = left.selectbox("Biotype", list(by_biotype), format_func=lambda b: biotype_label(b, names), key=state.BRAIN_BIOTYPE)
max_q = right.select_slider("Edges shown where FDR q is below", [0.001, 0.01, 0.05, 0.1, 0.2], value=0.05, key=state.BRAIN_MAX_Q)
summary = by_biotype[biotype]
clustered_with_matrix = sum(s.n for s in summaries)
st.caption(
    f"{summary.n} participants of this biotype have a matrix ({connectivity.name}, {connectivity.n_rois} regions"
    + (f", {atlas.name} atlas" if atlas is not None else ", no atlas")
    + f"); they are compared with the other {clustered_with_matrix - summary.n} clustered participants with a matrix "
    "(Welch t test per edge, Benjamini-Hochberg over edges). Values are the matrices' own units (e.g. correlation)."
)
if "connectivity" in result.config.modalities:
    st.warning(
        "Connectivity was clustered on in this run: the biotypes were chosen to differ on it, so these edge-wise tests are "
        "circular. The q threshold only picks which edges to draw; it is not evidence that the biotypes differ.",
        icon=":material/info:",
    )
significant = significant_edges(summary, max_q)
n_significant = int((significant != 0).sum())

# Only the chosen view is drawn (lazy tabs): a biotype or threshold change then redraws one view's
# charts, not all five (each plotly chart costs the browser 0.1-0.25 s to draw afresh).
views = brain_views(atlas)
tabs = dict(zip(views, st.tabs(views, key=state.BRAIN_VIEW, on_change="rerun"), strict=True))


def is_open(view: str) -> bool:
    """Whether ``view`` is offered and is the tab shown."""
    return view in tabs and bool(tabs[view].open)


if is_open(GLASS_BRAIN):
    with tabs[GLASS_BRAIN]:
        if n_significant == 0:
            st.info(f"No edge differs from the rest at q < {max_q:g}; raise the FDR threshold above to see the strongest differences.")
        else:
            shown = st.slider(
                "Strongest significant edges drawn",
                1,
                min(n_significant, 500),
                min(n_significant, 50),
                key=state.BRAIN_EDGES,
                help="Of the edges with q below the threshold, the ones with the largest difference from the rest.",
            )
            with st.spinner("Drawing the glass brain..."):
                glass_brain = cache.glass_brain(result, cohort, biotype, max_q, shown, harmonise=not raw)
            st.plotly_chart(glass_brain, width="stretch")
            st.caption(
                "Red: stronger in this biotype than in the rest; blue: weaker. nilearn's glass-brain outline and views (as "
                "plot_connectome draws them: each side view shows the edges within the hemisphere facing it, the view from above "
                "all of them); hover over an edge's middle for its two regions and value."
            )
            if st.toggle("Interactive 3-D view (nilearn view_connectome)", key=state.BRAIN_INTERACTIVE):
                drawn = edges_to_matrix(strongest_edges(significant, shown), connectivity.n_rois)
                st.iframe(connectome_html(drawn, atlas.coords), height=520)

if is_open(BY_NETWORK):
    with tabs[BY_NETWORK]:
        one, two = st.columns(2)
        one.plotly_chart(
            network_figure(network_matrix(summary.difference, atlas), "Difference from the rest by network (all edges)", "mean difference"),
            width="stretch",
        )
        two.plotly_chart(
            network_figure(network_matrix(summary.mean.astype(float), atlas), "Mean connectivity by network", "mean"),
            width="stretch",
        )

if is_open(BY_REGION):
    with tabs[BY_REGION]:
        one, two = st.columns(2)
        one.plotly_chart(
            matrix_figure(edges_to_matrix(summary.mean.astype(float), connectivity.n_rois), atlas, "Mean connectivity", "mean"),
            width="stretch",
        )
        two.plotly_chart(
            matrix_figure(
                edges_to_matrix(significant, connectivity.n_rois),
                atlas,
                f"Difference from the rest, {n_significant:,} edges with q < {max_q:g}",
                "difference",
            ),
            width="stretch",
        )

if atlas is None:
    st.info("The glass brain and the network summaries need an atlas: choose one or upload a coordinates CSV on the **Data** page.")
