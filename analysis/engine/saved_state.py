"""A run's computed state in its folder, so that a saved run opens in seconds without computing again.

Every run folder holds ``state/state.json`` and ``state/arrays/*.npy`` (:mod:`analysis.io.plain_state`:
JSON and NumPy arrays saved without pickles): everything a run computed — the clustering's
embeddings, labels, membership, outlier scores and neighbour agreement, HDBSCAN's single-linkage tree
and the neighbour graph, the profiles, audits, importance, names, custom groups, stability, the
structure test, replication and clinical value — but not the fitted UMAP and HDBSCAN objects, which
only a pickle could hold. Opening a run (:func:`opened_run`) reads that state, builds the features
again from the cohort's files (seconds: no embedding, no clustering) and checks that they hold the
same participants. Where a fitted model is needed (placing new participants, a re-cut, a stability
resample, the model file), :func:`analysis.engine.run.with_fitted_models` refits it from the run's
configuration and checks that it gives the same biotypes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from analysis.cohort.cohort import Cohort
from analysis.config import RunConfig
from analysis.engine.clustering import ClusterResult, FittedModels, single_linkage_of
from analysis.engine.run import RunResult, run_features
from analysis.engine.stability import Stability
from analysis.errors import CohortError, Issue
from analysis.io.plain_state import FIX, plain_files, plain_value
from analysis.outcomes.clinical_value import ClinicalValue, OutcomeValue
from analysis.outcomes.survival import SurvivalByBiotype
from analysis.outcomes.treatment import TreatmentInteraction
from analysis.validity.external import SiteReplication
from analysis.validity.replication import BiotypeReplication, SplitHalf
from analysis.validity.structure import Gap, GradedCheck, NullComparison, Power, Structure

#: The run folder's sub-folder holding the state.
STATE_FOLDER = "state"
#: The dataclasses a saved state may hold; reading builds these and no other.
STATE_TYPES = (
    RunConfig,
    ClusterResult,
    Issue,
    Stability,
    Structure,
    NullComparison,
    Gap,
    GradedCheck,
    Power,
    SplitHalf,
    BiotypeReplication,
    SiteReplication,
    ClinicalValue,
    OutcomeValue,
    SurvivalByBiotype,
    TreatmentInteraction,
)
#: RunResult fields rebuilt from the cohort's files instead of saved (features and their fitted state)
#: or refitted when needed (the models).
NOT_SAVED = ("fused", "features", "models")


def run_state_files(result: RunResult) -> dict[str, bytes]:
    """The run's state as plain files (``state/state.json``, ``state/arrays/<k>.npy``), for its folder.

    Parameters
    ----------
    result : RunResult

    Returns
    -------
    dict of str to bytes
        Paths inside the run folder → content.
    """
    saved = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name not in NOT_SAVED}
    state = {
        "result": saved,
        "included": pd.Index(result.fused.included),
        "modality": dict(result.features.modality),
        "models": {
            "label_order": dict(result.models.label_order),
            "neighbours": np.asarray(result.models.neighbours),
            "single_linkage": single_linkage_of(result.models),
        },
    }
    return plain_files(state, STATE_TYPES, STATE_FOLDER)


def opened_run(
    files: Mapping[str, bytes],
    cohort: Cohort,
    record: Mapping,
    where: str,
    progress: Callable[[float, str], None] | None = None,
) -> RunResult:
    """A saved run rebuilt from its state and the cohort it was computed from, without embedding or clustering.

    Parameters
    ----------
    files : mapping of str to bytes
        The run folder's ``state/`` files (paths as :func:`run_state_files` names them).
    cohort : Cohort
        The cohort the run read (the caller checks its files' SHA-256 against run.json).
    record : mapping
        The run's run.json: the state must be of the same run (configuration and creation time).
    where : str
        The archive's name, for messages.
    progress : callable(fraction, message), optional

    Returns
    -------
    RunResult
        Equal to the saved run in every field but ``models``, whose fitted UMAP and HDBSCAN are None
        (``models.fitted`` False) until :func:`analysis.engine.run.with_fitted_models` refits them.

    Raises
    ------
    CohortError
        When the state cannot be read or does not fit the cohort (other participants clustered).
    """
    say = progress or (lambda fraction, message: None)
    say(0.0, "reading the saved run")
    state = plain_value(files, STATE_TYPES, STATE_FOLDER, where)
    try:
        saved, included, modality, models = state["result"], state["included"], state["modality"], state["models"]
        config = saved["config"]
    except (TypeError, KeyError):
        raise CohortError("state/state.json does not hold a run", where, FIX) from None
    if not isinstance(config, RunConfig):
        raise CohortError("state/state.json holds no run configuration", where, FIX)
    if json.loads(config.to_json()) != record.get("config") or saved.get("created_utc") != record.get("created_utc"):
        raise CohortError("state/ is of another run than run.json (configuration or creation time differ)", where, FIX)
    say(0.3, "building the features again from the cohort's files")
    _, fused, features = run_features(cohort, config)
    if not fused.included.equals(included):
        raise CohortError(
            f"the saved run clustered {len(included):,} participants and these files give {len(fused.included):,} (or others)",
            where,
            "load the files the run was computed from, with the same column roles",
        )
    say(0.9, "rebuilding the run")
    fitted = FittedModels(None, None, None, models["label_order"], models["neighbours"], saved_tree=models["single_linkage"])
    try:
        result = RunResult(**saved, fused=fused, features=dataclasses.replace(features, modality=modality), models=fitted)
    except TypeError as error:
        raise CohortError(f"state/state.json is not a run of this version of the tool ({error})", where, FIX) from None
    say(1.0, "done")
    return result
