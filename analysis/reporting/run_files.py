"""Everything this project writes to disk: the synthetic cohort's files and a run's record."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort.synthetic import ATLAS, SyntheticCohort
from analysis.describe.flow import run_flow
from analysis.describe.table_one import run_table_one
from analysis.errors import CohortError
from analysis.io.spreadsheet import csv_bytes, spreadsheet_safe
from analysis.reporting.flow_svg import flow_svg

SYNTHETIC_FILES = ("participants.csv", "prs.sscore", "connectivity.npz", "wearables.csv", "data_dictionary.csv", "truth.csv")


def write_synthetic_cohort(cohort: SyntheticCohort, out: str | Path) -> list[Path]:
    """Write the synthetic cohort in the formats a real study brings.

    Parameters
    ----------
    cohort : SyntheticCohort
    out : str or Path
        Folder to write into (created if missing).

    Returns
    -------
    list of Path
        participants.csv, prs.sscore (PLINK 2, tab-separated), connectivity.npz (keys
        ``matrices`` as vectorised lower triangles, ``participant_id``, ``atlas``), wearables.csv,
        data_dictionary.csv and truth.csv (never read by the loaders).
    """
    folder = _folder(out)
    paths = [folder / name for name in SYNTHETIC_FILES]
    cohort.participants.to_csv(paths[0], index=False)
    cohort.prs.to_csv(paths[1], sep="\t", index=False)
    np.savez_compressed(
        paths[2],
        matrices=cohort.connectivity_edges,
        participant_id=cohort.connectivity_ids.astype(str),
        atlas=np.array(ATLAS),
    )
    cohort.wearables.to_csv(paths[3], index=False)
    cohort.dictionary.to_csv(paths[4], index=False)
    cohort.truth.to_csv(paths[5], index=False)
    return paths


#: Packages whose versions go into run.json.
RECORDED_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "diptest",
    "umap-learn",
    "pynndescent",
    "hdbscan",
    "numba",
    "llvmlite",
    "nilearn",
    "pyarrow",
    "statsmodels",
    "scikit-survival",
)


def synthetic_cohort_files(n: int, seed: int, id_prefix: str = "sub-", complete: bool = False):
    """A freshly generated synthetic cohort as in-memory CohortFiles (written to a temporary folder, read back, removed).

    Used to try placing new participants into a run of the sample cohort (with ``id_prefix`` "sub-new",
    so that none of them shares an id with the sample's participants, and ``complete`` True so that each
    has every modality; see :func:`analysis.cohort.synthetic.generate_cohort`).
    """
    import tempfile

    from analysis.cohort.cohort import CohortFiles
    from analysis.cohort.synthetic import generate_cohort
    from analysis.io.inputs import InputFile

    with tempfile.TemporaryDirectory(prefix="synthetic-") as folder:
        written = write_synthetic_cohort(generate_cohort(n, seed=seed, id_prefix=id_prefix, complete=complete), folder)
        paths = dict(zip(SYNTHETIC_FILES, written, strict=True))
        files = {name: InputFile.from_path(path) for name, path in paths.items()}
    return CohortFiles(
        participants=files["participants.csv"],
        prs=files["prs.sscore"],
        connectivity=files["connectivity.npz"],
        wearables=files["wearables.csv"],
        dictionary=files["data_dictionary.csv"],
    )


def write_run(result, cohort, out: str | Path) -> list[Path]:
    """Write a run's record: the files of :func:`run_files`, stability.csv when measured, and the model.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    cohort : analysis.cohort.cohort.Cohort
    out : str or Path
        Folder (created if missing).

    Returns
    -------
    list of Path
        ``assignments.csv`` (one row per input participant, excluded ones too), ``profile.csv``
        (numeric features), ``profile_categorical.csv`` (categorical features, per level),
        ``profile_pairwise.csv`` (every pair of biotypes),
        ``audit.csv`` (biotype against site, sex, ancestry, age), ``importance.csv`` (what defines
        each biotype) and ``run.json`` (resolved
        configuration, seed, input hashes, package versions, timings), plus ``stability.csv`` when
        stability was measured, ``table1.csv`` and ``flow.svg`` (Table 1 by biotype and the participant
        flow diagram), ``state/`` (the run's computed state as JSON and NumPy arrays without pickles,
        from which the dashboard opens the run without computing it again:
        :mod:`analysis.engine.saved_state`) and ``model/model.joblib`` for ``python -m analysis assign``
        (only when the run holds its fitted models: a run opened from its state has none until they
        are refitted).
    """
    from analysis.engine.model import biotype_model, save_model
    from analysis.engine.saved_state import run_state_files

    folder = _folder(out)
    paths = []
    for name, content in {**run_files(result, cohort), **run_state_files(result)}.items():
        paths.append(folder / name)
        paths[-1].parent.mkdir(parents=True, exist_ok=True)
        paths[-1].write_bytes(content)
    if result.models.fitted:
        paths.append(save_model(biotype_model(result, cohort), folder / "model"))
    return paths


def run_files(result, cohort) -> dict[str, bytes]:
    """The text files of a run's record, as the bytes :func:`write_run` writes (the dashboard's downloads).

    Returns
    -------
    dict of str to bytes
        ``assignments.csv``, ``profile.csv``, ``profile_categorical.csv``, ``profile_pairwise.csv``,
        ``audit.csv``, ``importance.csv``, ``run.json``, ``table1.csv`` (Table 1 by biotype,
        :func:`analysis.describe.table_one.run_table_one`) and ``flow.svg`` (the participant flow
        diagram); ``stability.csv`` when stability was measured; ``groups.csv``, ``profile_groups.csv``,
        ``profile_groups_categorical.csv`` and ``table1_groups.csv`` when the run has custom groups.
    """
    names = result.names
    files = {
        "assignments.csv": csv_bytes(result.assignments),
        "profile.csv": csv_bytes(with_biotype_names(result.profile, names)),
        "profile_categorical.csv": csv_bytes(with_biotype_names(result.categorical_profile, names)),
        "profile_pairwise.csv": csv_bytes(with_biotype_names(result.pairwise, names)),
        "audit.csv": csv_bytes(result.audit),
        "importance.csv": csv_bytes(with_biotype_names(result.importance, names)),
        "run.json": json.dumps(run_record(result, cohort), indent=2, default=_json_default).encode(),
        "table1.csv": csv_bytes(run_table_one(result, cohort).rows),
        "flow.svg": flow_svg(run_flow(result, cohort)).encode(),
    }
    if result.stability is not None:
        files["stability.csv"] = csv_bytes(with_biotype_names(result.stability.summary(), names))
    if len(result.groups):
        files["groups.csv"] = csv_bytes(result.groups)
        files["profile_groups.csv"] = csv_bytes(result.group_profile)
        files["profile_groups_categorical.csv"] = csv_bytes(result.group_categorical)
        files["table1_groups.csv"] = csv_bytes(run_table_one(result, cohort, tuple(g for g, _ in result.config.custom_groups)).rows)
    return files


#: Version of the BIDS specification the derivative files follow.
BIDS_VERSION = "1.10.0"


def bids_derivative_files(result, cohort) -> dict[str, bytes]:
    """The run's assignments as a BIDS derivative: ``biotypes.tsv``, ``biotypes.json``, ``dataset_description.json``.

    ``biotypes.tsv`` is keyed by ``participant_id`` in the BIDS form (``sub-`` added to an id that
    lacks it, as BIDS requires; the sidecar says so), one row per participant of the input, ``n/a``
    where a value does not apply; ``biotypes.json`` describes every column (Levels for the biotype
    numbers, with their names); ``dataset_description.json`` names this tool under ``GeneratedBy``
    (with the run's creation time and the packages that decide the biotypes) and says that run.json
    holds the full configuration.

    Returns
    -------
    dict of str to bytes
    """
    table = result.assignments.copy()
    ids = table["participant_id"].astype(str)
    table["participant_id"] = ids.where(ids.str.startswith("sub-"), "sub-" + ids)
    table["included"] = table["included"].map({True: "true", False: "false"})
    table["exclusion_reason"] = table["exclusion_reason"].replace("", pd.NA)
    table["biotype_name"] = table["biotype_name"].replace("", pd.NA)
    names = result.names
    biotypes = sorted({int(b) for b in table["biotype"].dropna()})
    sidecar = {
        "participant_id": {"Description": "BIDS participant label: the input table's id, with 'sub-' added where the id lacked it"},
        "biotype": {
            "Description": "Biotype found by UMAP + HDBSCAN (Pain Biotype Explorer); -1 noise (clustered, in no biotype); n/a not clustered",
            "Levels": {str(b): ("noise" if b < 0 else names.get(b, f"B{b}")) for b in biotypes},
        },
        "biotype_name": {"Description": "The biotype's name (automatic from its profile, or given by the researcher); 'noise' for -1"},
        "membership_probability": {"Description": "HDBSCAN membership strength in the biotype", "Units": "probability (0 to 1)"},
        "outlier_score": {"Description": "HDBSCAN GLOSH outlier score (higher: more of an outlier)", "Units": "score (0 to 1)"},
        "umap_1": {"Description": "First coordinate of the 2-D UMAP display (for plotting only; clustering used its own embedding)"},
        "umap_2": {"Description": "Second coordinate of the 2-D UMAP display"},
        "included": {"Description": "Whether the participant was clustered", "Levels": {"true": "clustered", "false": "not clustered"}},
        "exclusion_reason": {"Description": "Why a participant was not clustered (missing modality, failed wearable valid-day rules, ...)"},
    }
    description = {
        "Name": "Pain Biotype Explorer: biotype assignments",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": "Pain Biotype Explorer",
                "Description": f"UMAP + HDBSCAN biotypes, run created {result.created_utc} (Python {platform.python_version()}, "
                + ", ".join(f"{p} {_version(p)}" for p in ("umap-learn", "hdbscan", "scikit-learn", "numpy"))
                + "); run.json in the run folder holds every parameter, the input files' SHA-256 and every package version",
            }
        ],
    }
    return {
        "biotypes.tsv": spreadsheet_safe(table).to_csv(sep="\t", index=False, na_rep="n/a").encode(),
        "biotypes.json": json.dumps(sidecar, indent=2, ensure_ascii=False).encode(),
        "dataset_description.json": json.dumps(description, indent=2, ensure_ascii=False).encode(),
    }


#: Biotype-number columns of the run's tables → the name column written beside each.
NAME_COLUMNS = {"biotype": "biotype_name", "biotype_a": "biotype_a_name", "biotype_b": "biotype_b_name"}


def with_biotype_names(table: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """A run table with the name of each biotype beside its number, as in assignments.csv.

    Parameters
    ----------
    table : DataFrame
        With one or more of the columns of :data:`NAME_COLUMNS` (biotype numbers, 1-based; -1 noise).
    names : dict of int to str
        Biotype number → name (``RunResult.names``).

    Returns
    -------
    DataFrame
        A copy with ``biotype_name`` (or ``biotype_a_name``, ``biotype_b_name``) right after each
        number column: the run's name, "noise" for -1.
    """
    out = table.copy()
    for column, name_column in NAME_COLUMNS.items():
        if column in out.columns:
            numbers = out[column].astype(int)
            label = numbers.map(lambda b: "noise" if b < 0 else names.get(b, f"B{b}"))
            out.insert(out.columns.get_loc(column) + 1, name_column, label.astype(object))
    return out


def run_record(result, cohort) -> dict:
    """The content of run.json."""
    labels = result.clusters.labels
    return {
        "tool": "Pain Biotype Explorer",
        "created_utc": result.created_utc,
        "config": result.config.to_dict(),
        "seed": result.config.seed,
        "inputs": input_records(cohort),
        "cohort_fingerprint": cohort.fingerprint,
        "wearable_duplicate_days": duplicate_days_record(cohort),
        "role_proposals": [p.to_dict() for p in cohort.proposals],
        "n_participants": cohort.n_participants,
        "n_clustered": int(len(labels)),
        "n_biotypes": result.clusters.n_biotypes,
        "noise_fraction": float((labels < 0).mean()) if len(labels) else 0.0,
        "variance_share": result.fused.variance_share,
        "features": result.fused.blocks,
        "min_cluster_size_selection": list(result.clusters.selection),
        "audits": result.audit.to_dict("records"),
        "stability": None
        if result.stability is None
        else {
            "per_biotype": with_biotype_names(result.stability.summary(), result.names).to_dict("records"),
            "ari": result.stability.ari.tolist(),
            "subsample_size": result.stability.subsample_size,
            "others_placed_by_approximate_predict": result.stability.predicted,
            "seconds": round(result.stability.seconds, 1),
        },
        "structure": structure_record(result.structure),
        "replication": replication_record(result),
        "clinical_value": None if result.clinical_value is None else result.clinical_value.to_dict(),
        "notes": [
            {"severity": i.severity, "message": i.message, **({"columns": list(i.columns)} if i.columns else {})} for i in result.issues
        ],
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in RECORDED_PACKAGES}},
        "machine": machine_description(),
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
    }


def input_records(cohort) -> list[dict]:
    """run.json's ``inputs``: role, name, bytes and SHA-256 of each file, and the sheet (a workbook) and event (REDCap) read."""
    return [
        {
            "role": r.role,
            "name": r.name,
            "bytes": r.size,
            "sha256": r.sha256,
            **{k: v for k, v in (("sheet", r.sheet), ("event", r.event)) if v},
        }
        for r in cohort.provenance
    ]


def duplicate_days_record(cohort) -> dict | None:
    """run.json's ``wearable_duplicate_days``: how repeated participant-days were resolved, or None when none repeated.

    See :meth:`analysis.cohort.wearables.DuplicateDays.to_dict`.
    """
    if cohort.wearables is None or cohort.wearables.duplicate_days is None:
        return None
    return cohort.wearables.duplicate_days.to_dict()


def replication_record(result) -> dict:
    """run.json's ``replication`` object.

    ``split_half`` (:meth:`analysis.validity.replication.SplitHalf.to_dict`, or None with ``note`` saying
    why); with two or more sites, ``sites`` (one :meth:`analysis.validity.external.SiteReplication.to_dict`
    per held-out site) and ``found_at_every_site`` (per biotype number); else ``sites_note``.
    """
    split_half = result.split_half
    record = {
        "split_half": None if split_half is None else split_half.to_dict(),
        "note": ""
        if split_half is not None
        else (result.replication_note or "split-half replication had not run when this record was written"),
    }
    if result.sites:
        record["sites"] = [s.to_dict() for s in result.sites]
        assessed = [s for s in result.sites if not s.note]
        biotypes = sorted({b for s in assessed for b in s.found})
        record["found_at_every_site"] = {str(b): site_reading(assessed, b) for b in biotypes}
    else:
        record["sites_note"] = result.sites_note or "leave-one-site-out had not run when this record was written"
    return record


def site_reading(sites, biotype: int) -> str:
    """Whether a biotype is found at every held-out site: "found at every site", or which sites miss it or are too small to tell."""
    readings = {s.site: s.found.get(biotype, "not found") for s in sites}
    missing = [site for site, r in readings.items() if r.startswith("not found")]
    few = [site for site, r in readings.items() if r == "too few to tell"]
    if not missing and not few:
        return "found at every site"
    parts = ([f"not found at {', '.join(missing)}"] if missing else []) + ([f"too few at {', '.join(few)} to tell"] if few else [])
    return "; ".join(parts)


def structure_record(structure) -> dict:
    """run.json's ``structure`` object (:meth:`analysis.validity.structure.Structure.to_dict`); untested when the test had not run."""
    if structure is None:
        return {
            "verdict": "untested",
            "explanation": "The structure test had not run when this record was written.",
            "p_value": None,
            "n_null": 0,
        }
    return structure.to_dict()


def write_assignments(assignments, cohort, model_folder: str | Path, out: str | Path) -> list[Path]:
    """Write the assignments of new participants and a small record (assign.json) of how they were made."""
    folder = _folder(out)
    paths = [folder / "assignments.csv", folder / "assign.json"]
    paths[0].write_bytes(csv_bytes(assignments))
    record = {
        "tool": "Pain Biotype Explorer",
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": str(model_folder),
        "inputs": input_records(cohort),
        "n_participants": cohort.n_participants,
        "n_assigned": int((assignments["biotype"].fillna(-1) >= 1).sum()),
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in RECORDED_PACKAGES}},
        "machine": machine_description(),
    }
    paths[1].write_text(json.dumps(record, indent=2, default=_json_default))
    return paths


def replication_files(replication, cohort, model_label: str) -> dict[str, bytes]:
    """An external replication's files as bytes: replication.json (the figures, inputs, versions) and replication.csv (one row per new participant).

    Parameters
    ----------
    replication : analysis.validity.external.CohortReplication
    cohort : analysis.cohort.cohort.Cohort
        The new cohort.
    model_label : str
        The reference model it was placed into (its folder, or the run it came from), recorded.
    """
    record = {
        "tool": "Pain Biotype Explorer",
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model_label,
        "inputs": input_records(cohort),
        **replication.to_dict(),
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in RECORDED_PACKAGES}},
        "machine": machine_description(),
    }
    return {
        "replication.json": json.dumps(record, indent=2, default=_json_default).encode(),
        "replication.csv": csv_bytes(replication.assignments),
    }


def write_replication(replication, cohort, model_folder: str | Path, out: str | Path) -> list[Path]:
    """Write :func:`replication_files` into ``out`` (created if missing); returns their paths."""
    folder = _folder(out)
    paths = []
    for name, content in replication_files(replication, cohort, str(model_folder)).items():
        paths.append(folder / name)
        paths[-1].write_bytes(content)
    return paths


def _folder(out: str | Path) -> Path:
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CohortError(f"cannot create the output folder ({exc.strerror})", str(folder), "choose a folder you can write to") from None
    return folder


def machine_description() -> dict[str, str]:
    """The processor a run was computed on, for run.json: numba compiles UMAP's code for it.

    The same files, configuration and packages gave different embeddings on two processors (docs/cli.md,
    "Reproducibility"), so a run is reproduced exactly only on the same kind of machine.

    Returns
    -------
    dict
        ``architecture`` (e.g. "x86_64") and ``processor``: the model name Linux reports in
        /proc/cpuinfo, else what :func:`platform.processor` says, else "unknown".
    """
    processor = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            processor = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        pass
    return {"architecture": platform.machine() or "unknown", "processor": processor or platform.processor() or "unknown"}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _json_default(value):
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
