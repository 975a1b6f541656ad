"""A finished run as a model: saved to a folder, loaded back, and used to place new participants.

The model holds the fitted feature blocks, fusion, both UMAPs and HDBSCAN (with prediction data).
New participants are transformed exactly like the reference cohort (no refitting), embedded with
UMAP's ``transform`` and assigned with HDBSCAN's ``approximate_predict``; the strength of the
assignment is the membership probability and ``approximate_predict_scores`` gives the outlier score.
As in the reference run, a new participant keeps the predicted biotype only if at least
``neighbour_agreement`` of its nearest reference participants (in the fused features) belong to it.

The model file is a joblib pickle: load only models you or your team produced.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort.cohort import Cohort
from analysis.config import RunConfig
from analysis.engine.clustering import ClusterResult, with_prediction_data, with_repaired_prediction_data
from analysis.engine.run import RunResult, assignment_table
from analysis.errors import CohortError, Issue
from analysis.features.blocks import BlockModel, build_blocks
from analysis.features.fusion import FusedFeatures, FusionModel, fuse_blocks
from analysis.validity.replication import neighbour_share

MODEL_FILE = "model.joblib"
FORMAT_VERSION = 4
#: Version 3 keyed ``names`` by the 0-based label; 4 by the biotype number (1-based), as every table.
NAMES_BY_LABEL_VERSION = 3
#: Where the modules of the flat analysis/ package went when it was split into domain packages.
#: Models saved before name the old modules in their pickles; :func:`load_model` reads them here.
MOVED_MODULES: dict[str, tuple[str, ...]] = {
    "analysis.inputs": ("analysis.io.inputs",),
    "analysis.tables": ("analysis.io.tables",),
    "analysis.spreadsheet": ("analysis.io.spreadsheet",),
    "analysis.workbooks": ("analysis.io.workbooks",),
    "analysis.numpy_files": ("analysis.io.numpy_files",),
    "analysis.redcap": ("analysis.io.redcap",),
    "analysis.bids": ("analysis.io.bids",),
    "analysis.cohort": ("analysis.cohort.cohort",),
    "analysis.connectivity": ("analysis.cohort.connectivity",),
    "analysis.atlas": ("analysis.cohort.atlas",),
    "analysis.wearables": ("analysis.cohort.wearables",),
    "analysis.modalities": ("analysis.cohort.modalities",),
    "analysis.roles": ("analysis.cohort.roles",),
    "analysis.validation": ("analysis.cohort.validation",),
    "analysis.synthetic": ("analysis.cohort.synthetic",),
    "analysis.features": ("analysis.features.blocks",),
    "analysis.harmonisation": ("analysis.features.harmonisation",),
    "analysis.fusion": ("analysis.features.fusion",),
    "analysis.clustering": ("analysis.engine.clustering",),
    "analysis.compiled_code": ("analysis.engine.compiled_code",),
    "analysis.sweep": ("analysis.engine.sweep",),
    "analysis.splits": ("analysis.engine.splits",),
    "analysis.stability": ("analysis.engine.stability",),
    "analysis.model": ("analysis.engine.model",),
    "analysis.biotypes": ("analysis.engine.run",),
    "analysis.parallel": ("analysis.engine.parallel",),
    "analysis.structure": ("analysis.validity.structure",),
    "analysis.replication": ("analysis.validity.replication",),
    "analysis.external": ("analysis.validity.external",),
    "analysis.clinical_value": ("analysis.outcomes.clinical_value",),
    "analysis.treatment": ("analysis.outcomes.treatment",),
    "analysis.survival": ("analysis.outcomes.survival",),
    "analysis.profiling": ("analysis.describe.profiling",),
    "analysis.audits": ("analysis.describe.audits",),
    "analysis.importance": ("analysis.describe.importance",),
    "analysis.summaries": ("analysis.describe.summaries",),
    "analysis.groups": ("analysis.describe.groups",),
    "analysis.density": ("analysis.describe.density",),
    "analysis.export": ("analysis.reporting.run_files",),
    "analysis.methods": ("analysis.reporting.methods",),
    "analysis.h5ad": ("analysis.reporting.h5ad",),
    "analysis.io": ("analysis.cohort.participants", "analysis.cohort.prs"),
}


@dataclass(frozen=True)
class BiotypeModel:
    """Everything needed to place new participants into a run's biotypes.

    Attributes
    ----------
    config : RunConfig
        The reference run's resolved configuration.
    blocks : dict of str to BlockModel
    fusion : FusionModel
    umap, umap_2d, hdbscan : fitted umap.UMAP, umap.UMAP and hdbscan.HDBSCAN
    label_order : dict of int to int
        HDBSCAN label → 0-based biotype of the run.
    names : dict of int to str
        Biotype number (1-based) → its name in the reference run.
    reference_fingerprint : str
        Fingerprint of the reference cohort's input files.
    reference_features : ndarray of float32, shape (n_reference, n_features)
        The reference cohort's fused features (for the neighbour-agreement check).
    reference_labels : ndarray of int, shape (n_reference,)
        The reference cohort's 0-based biotypes, -1 for noise.
    """

    config: RunConfig
    blocks: dict[str, BlockModel]
    fusion: FusionModel
    umap: object
    umap_2d: object
    hdbscan: object
    label_order: dict[int, int]
    names: dict[int, str]
    reference_fingerprint: str
    reference_features: np.ndarray
    reference_labels: np.ndarray


def biotype_model(result: RunResult, cohort: Cohort) -> BiotypeModel:
    """Pack a run's fitted objects as a model."""
    m = result.models
    return BiotypeModel(
        result.config,
        result.features.block_models,
        result.fused.model,
        m.umap,
        m.umap_2d,
        with_prediction_data(m.hdbscan),
        m.label_order,
        result.names,
        cohort.fingerprint,
        result.fused.matrix.to_numpy(dtype=np.float32),
        result.clusters.labels.copy(),
    )


def save_model(model: BiotypeModel, folder: str | Path) -> Path:
    """Write the model to ``folder/model.joblib`` (folder created) and return the file's path."""
    import joblib

    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CohortError(f"cannot create the model folder ({exc.strerror})", str(path), "choose a folder you can write to") from None
    # Uncompressed: the file is mostly float arrays, which zlib shrinks little for much time on a
    # large run (the dashboard's download is a deflated zip anyway).
    joblib.dump({"format": FORMAT_VERSION, "model": model}, path / MODEL_FILE)
    return path / MODEL_FILE


def read_model_file(path: Path):
    """What :func:`save_model` wrote to ``path``, as ``joblib.load`` reads it, with :data:`MOVED_MODULES` followed.

    joblib's own unpickler (for its array format) with one change: a class named under a module of
    the flat package is looked up where that module went, so models saved before the split load.
    """
    from joblib.numpy_pickle import NumpyUnpickler

    class MovedModulesUnpickler(NumpyUnpickler):
        def find_class(self, module: str, name: str):
            for candidate in MOVED_MODULES.get(module, ()):
                found = getattr(importlib.import_module(candidate), name, None)
                if found is not None:
                    return found
            return super().find_class(module, name)

    with open(path, "rb") as handle:
        return MovedModulesUnpickler(str(path), handle, ensure_native_byte_order=True).load()


def load_model(folder: str | Path) -> BiotypeModel:
    """Read a model written by :func:`save_model` (a folder, or the model.joblib file itself)."""
    from analysis.engine.compiled_code import umap_module

    umap_module()  # before unpickling the fitted UMAPs, so that their numba code is cached on disk
    path = Path(folder)
    path = path / MODEL_FILE if path.is_dir() else path
    if not path.is_file():
        raise CohortError(
            f"no {MODEL_FILE} at '{path.parent}'", str(path.parent), "give the model/ folder that 'python -m analysis cluster' wrote"
        )
    try:
        content = read_model_file(path)
    except Exception as exc:  # a damaged or foreign pickle can raise anything
        raise CohortError(
            f"'{path.name}' cannot be read as a model ({type(exc).__name__})",
            str(path),
            "give the model/ folder that 'python -m analysis cluster' wrote",
        ) from None
    readable = (FORMAT_VERSION, NAMES_BY_LABEL_VERSION)
    if not isinstance(content, dict) or content.get("format") not in readable or not isinstance(content.get("model"), BiotypeModel):
        raise CohortError(
            f"'{path.name}' is not a model of this version of the tool",
            str(path),
            "re-run 'python -m analysis cluster' to write a current model",
        )
    model = content["model"]
    if content["format"] == NAMES_BY_LABEL_VERSION:
        model = replace(model, names={label + 1: name for label, name in model.names.items()})
    with_repaired_prediction_data(model.hdbscan)
    return model


@dataclass(frozen=True)
class Placement:
    """New participants placed into a model's biotypes.

    Attributes
    ----------
    fused : FusedFeatures
        The new participants' fused features, computed with the reference run's fitted blocks and
        fusion (so in the reference's feature space).
    clusters : ClusterResult
        Their 0-based biotypes of the reference (-1 none), HDBSCAN's prediction strength, outlier
        scores, neighbour agreement and both embeddings.
    issues : tuple of Issue
    """

    fused: FusedFeatures
    clusters: ClusterResult
    issues: tuple[Issue, ...]


def place_participants(model: BiotypeModel, cohort: Cohort, progress: Callable[[float, str], None] | None = None) -> Placement:
    """Transform a new cohort exactly as the reference, embed it with UMAP ``transform`` and assign it with ``approximate_predict``.

    A participant keeps the predicted biotype only if at least ``neighbour_agreement`` of its
    nearest reference participants belong to it. Raises CohortError when the new cohort lacks a
    modality the reference run clustered on. ``progress(fraction, message)``, when given, is told
    each step.
    """
    import hdbscan

    say = progress or (lambda fraction, message: None)
    say(0.0, "computing the new participants' features with the run's fitted steps")
    blocks, issues, _ = build_blocks(cohort, model.config, fitted=model.blocks)
    missing = [m for m in model.blocks if m not in blocks]
    if missing:
        raise CohortError(
            f"the new cohort has no {', '.join(missing)} data, which the reference run clustered on",
            "the new cohort's files",
            f"give {', '.join(missing)} files for the new participants",
        )
    fused = fuse_blocks(blocks, cohort.participants.index, model.config, fitted=model.fusion)
    issues += [i for b in blocks.values() for i in b.issues]
    x = fused.matrix.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        say(0.2, f"embedding {len(x):,} participants in the run's UMAP (transform)")
        embedding = model.umap.transform(x).astype(np.float32)
        say(0.5, "placing them on the run's 2-D map")
        display = model.umap_2d.transform(x).astype(np.float32)
        say(0.8, "assigning biotypes (HDBSCAN approximate_predict)")
        raw_labels, strengths = hdbscan.approximate_predict(model.hdbscan, embedding)
        outlier = hdbscan.approximate_predict_scores(model.hdbscan, embedding)
    labels = np.array([model.label_order.get(int(c), -1) for c in raw_labels], dtype=np.int64)
    say(0.9, "checking each placement against its nearest reference participants")
    agreement = reference_agreement(model, x, labels)
    labels = np.where(agreement < model.config.neighbour_agreement, -1, labels)
    clusters = ClusterResult(
        labels,
        np.where(labels >= 0, np.asarray(strengths, dtype=np.float64), 0.0),
        np.nan_to_num(np.asarray(outlier, dtype=np.float64)),
        agreement,
        embedding,
        display,
        model.config.n_neighbors,
        model.config.min_cluster_size,
        model.config.min_samples,
        (),
    )
    return Placement(fused, clusters, tuple(issues))


def assign_participants(
    model: BiotypeModel, cohort: Cohort, progress: Callable[[float, str], None] | None = None
) -> tuple[pd.DataFrame, list[Issue]]:
    """Place a new cohort's participants into the model's biotypes (:func:`place_participants`).

    Parameters
    ----------
    model : BiotypeModel
    cohort : Cohort
        The new participants, loaded like any cohort.
    progress : callable(fraction, message), optional
        Told each step.

    Returns
    -------
    assignments : DataFrame
        The columns of ``assignments.csv``: one row per new participant; ``biotype`` -1 when the
        participant falls outside every biotype; ``membership_probability`` is HDBSCAN's prediction
        strength; ``umap_1``/``umap_2`` place them on the reference's 2-D map.
    issues : list of Issue
    """
    placement = place_participants(model, cohort, progress)
    return assignment_table(cohort, placement.fused, placement.clusters, model.names), list(placement.issues)


def with_unseen_sites_estimated(model: BiotypeModel) -> BiotypeModel:
    """The model with its ComBat estimates set to estimate a site it has not seen from that site's own participants.

    For replication in a held-out site or another cohort, whose sites are new to the reference by
    design (:func:`analysis.features.harmonisation.apply_combat`). Placing new participants keeps refusing them.
    """
    blocks = {}
    for modality, block in model.blocks.items():
        combat = getattr(block.features, "combat", None)
        if combat is not None:
            block = replace(block, features=replace(block.features, combat=replace(combat, unseen_sites="estimate")))
        blocks[modality] = block
    return replace(model, blocks=blocks)


def placement_summary(assigned: pd.DataFrame) -> pd.DataFrame:
    """Why each new participant was or was not placed, counted.

    Parameters
    ----------
    assigned : DataFrame
        :func:`assign_participants` output.

    Returns
    -------
    DataFrame
        ``outcome`` and ``n``, largest first: "placed in a biotype", "outside every biotype" (embedded,
        but HDBSCAN's approximate_predict or the neighbour-agreement check put them in none), and
        "not placed: <reason>" for each ``exclusion_reason`` (a modality the run clustered on is
        missing, so there is nothing to place them with).
    """
    biotype = assigned["biotype"].astype("Float64").fillna(0).to_numpy()
    outcome = np.where(
        ~assigned["included"].to_numpy(dtype=bool),
        "not placed: " + assigned["exclusion_reason"].astype(str),
        np.where(biotype >= 1, "placed in a biotype", "outside every biotype"),
    )
    counts = pd.Series(outcome).value_counts()
    return pd.DataFrame({"outcome": counts.index.astype(str), "n": counts.to_numpy(dtype=int)})


def reference_agreement(model: BiotypeModel, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share of each new participant's nearest reference participants that are in its predicted biotype.

    Parameters
    ----------
    model : BiotypeModel
    x : ndarray of shape (n_new, n_features)
        The new participants' fused features.
    labels : ndarray of int, shape (n_new,)
        Predicted 0-based biotypes, -1 for none.

    Returns
    -------
    ndarray of float, shape (n_new,)
        NaN where the prediction is -1.
    """
    return neighbour_share(model.reference_features, model.reference_labels, x, labels, model.config.n_neighbors)
