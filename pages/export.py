"""Export page: the run's files, the same bytes the command line writes, and a self-contained HTML report."""

import streamlit as st

from analysis.errors import CohortError
from analysis.reporting.h5ad import h5ad_bytes
from analysis.reporting.run_files import run_record
from components import cache, state
from components.html_report import report_html
from components.progress import progress_bar, render_stopped

st.title("Export")
result, cohort = cache.require_run()

files = cache.export_files(result, cohort)
DESCRIPTIONS = {
    "assignments.csv": "one row per participant of the input: biotype (-1 noise), name, membership, outlier score, map position, exclusion reason",
    "profile.csv": "per biotype and numeric feature: means, Cohen's d, Kruskal-Wallis p and FDR q",
    "profile_categorical.csv": "per biotype, categorical feature and level: shares, Cramér's V, chi-square p and q",
    "profile_pairwise.csv": "every pair of biotypes on every feature",
    "audit.csv": "biotypes against site, sex, ancestry and age",
    "importance.csv": "what defines each biotype (permutation importance)",
    "run.json": "every parameter (defaults resolved), input SHA-256, package versions, the processor, timings",
    "stability.csv": "per-biotype stability under subsampling",
    "groups.csv": "members of each custom group",
    "profile_groups.csv": "each custom group against the other clustered participants, numeric features",
    "profile_groups_categorical.csv": "each custom group against the rest, categorical features: shares, Cramér's V, chi-square",
    "table1.csv": "Table 1 by biotype: per variable and level, each biotype's n, summary and missing, and the test where valid",
    "table1_groups.csv": "the same Table 1 by custom group",
    "flow.svg": "the participant flow diagram, from loaded to each biotype",
}
MIME = {".csv": "text/csv", ".json": "application/json", ".svg": "image/svg+xml"}
st.markdown(
    "These are the bytes `python -m analysis cluster` writes for this run; passing `run.json` back with "
    "`--config` and the same input files reproduces `assignments.csv` exactly. Downloading does not rerun anything."
)
columns = st.columns(2)
for k, (name, content) in enumerate(files.items()):
    with columns[k % 2]:
        st.download_button(
            name,
            content,
            file_name=name,
            mime=MIME[name[name.rfind(".") :]],
            on_click="ignore",
            icon=":material/download:",
            key=f"{state.EXPORT_PREFIX}{name}",
        )
        st.caption(DESCRIPTIONS.get(name, ""))


def offer(label: str, make, mime: str, icon: str, key: str, file_name: str = "") -> None:
    """A download button whose bytes are made only when it is clicked."""
    st.download_button(
        label, make, file_name=file_name or label, mime=mime, on_click="ignore", icon=icon, key=f"{state.EXPORT_PREFIX}{key}"
    )


st.subheader("Everything, with the model for assigning new participants")
render_stopped(state.EXPORT_REFIT_STOP, "refitting the model")
if not result.models.fitted:
    st.info(
        "This run was opened from its saved state, which holds no fitted model (a model file is a pickle, and an "
        "uploaded pickle is never opened). The zip below has every other file of the run; **Refit the model** fits "
        "UMAP and HDBSCAN again from run.json (as long as the run's own embedding took; the same biotypes, checked) "
        "so that the zip also holds `model/model.joblib` for `python -m analysis assign`.",
        icon=":material/info:",
    )
    if st.button("Refit the model", key=state.EXPORT_REFIT, icon=":material/model_training:"):
        try:
            with progress_bar("Refitting the run's UMAP and HDBSCAN...", state.EXPORT_REFIT_STOP) as progress:
                cache.fitted_current(progress)
        except CohortError as error:
            st.error(str(error), icon=":material/error:")
        else:
            st.rerun()
offer("biotype_run.zip", lambda: cache.run_archive(result, cohort), "application/zip", ":material/folder_zip:", "zip")
st.subheader("For the neighbouring tools")
offer("biotypes_bids.zip", lambda: cache.bids_archive(result, cohort), "application/zip", ":material/folder_zip:", "bids")
st.caption(
    "A BIDS derivative: biotypes.tsv keyed by participant_id (sub- labels), biotypes.json describing every column, and "
    "dataset_description.json naming this tool; `cluster --format bids` writes the same files. Put them in your "
    "dataset's derivatives/ folder."
)
offer("biotypes.h5ad", lambda: h5ad_bytes(result, cohort, run_record(result, cohort)), "application/x-hdf5", ":material/download:", "h5ad")
st.caption(
    "AnnData for scanpy, ehrapy and muon: obs holds the assignments and covariates, obsm X_umap and the clustering "
    "embedding, uns the run record; `cluster --format h5ad` writes the same file."
)
st.subheader("Report")
offer(
    "report.html",
    lambda: report_html(result, cohort).encode(),
    "text/html",
    ":material/description:",
    "report",
    file_name="biotype_report.html",
)
st.caption(
    "A single HTML file with the methods text for this run, the biotypes, the participant flow and Table 1, profiles, audits and each modality's figures. "
    "It opens offline (plotly.js is inside). It shows participant ids on hover: share it as you would the assignments."
)
