"""Fusion of modality blocks into one matrix: weights, the missing-modality policy, and who is left out why."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer

from analysis.config import RunConfig
from analysis.errors import CohortError
from analysis.features.blocks import Block


@dataclass(frozen=True)
class FusionModel:
    """What fusion learned from the reference cohort.

    Attributes
    ----------
    columns : dict of str to list of str
        Modality → fused column names, in order.
    imputer : KNNImputer or None
        Fitted on the reference's unweighted fused matrix when whole blocks were imputed.
    multipliers : dict of str to float
        Modality → factor sqrt(weight / block variance) applied to its columns.
    """

    columns: dict[str, list[str]]
    imputer: object
    multipliers: dict[str, float]


@dataclass(frozen=True)
class FusedFeatures:
    """The matrix that enters the embedding.

    Attributes
    ----------
    matrix : DataFrame indexed by participant, shape (n_included, n_features)
        Blocks side by side, each scaled so that its total variance equals its weight.
    blocks : dict of str to list of str
        Modality → its columns in ``matrix``.
    exclusion_reason : Series of str indexed by every participant of the cohort
        Empty for included participants, else why they are not clustered.
    variance_share : dict of str to float
        Each modality's share of the total variance of ``matrix`` (sums to 1).
    imputed_blocks : dict of str to int
        Modality → participants whose whole block was imputed (policy "impute").
    model : FusionModel
        Block columns, the fitted block imputer and the block multipliers, to fuse new participants alike.
    """

    matrix: pd.DataFrame
    blocks: dict[str, list[str]]
    exclusion_reason: pd.Series
    variance_share: dict[str, float]
    imputed_blocks: dict[str, int]
    model: FusionModel

    @property
    def included(self) -> pd.Index:
        """Participants that are clustered."""
        return self.matrix.index


def fuse_blocks(blocks: dict[str, Block], participants: pd.Index, config: RunConfig, fitted: FusionModel | None = None) -> FusedFeatures:
    """Join blocks, apply the missing-modality policy and the block weights.

    Parameters
    ----------
    blocks : dict of str to Block
    participants : Index
        Every participant of the cohort, in order; each ends up included or with a reason.
    config : RunConfig
    fitted : FusionModel, optional
        A reference run's fusion: its block imputer and multipliers are applied instead of fitted.

    Returns
    -------
    FusedFeatures

    Raises
    ------
    CohortError
        When fewer than 10 participants remain to cluster.
    """
    if not blocks:
        raise CohortError(
            "none of the selected modalities has a usable feature", "the run configuration", "select modalities the cohort has"
        )
    has = pd.DataFrame({m: participants.isin(b.values.index) for m, b in blocks.items()}, index=participants)
    reason = pd.Series("", index=participants, dtype=object)
    lacking = pd.Series("", index=participants, dtype=object)
    for modality in blocks:
        lacking = lacking.where(has[modality], lacking + ", " + modality)
    lacking = lacking.str.removeprefix(", ")
    if config.missing_modality == "exclude":
        keep = has.all(axis=1)
        reason[~keep] = "no " + lacking[~keep]
    else:
        keep = has.any(axis=1)
        reason[~keep] = "no data in any selected modality (" + ", ".join(blocks) + ")"
    included = participants[keep.to_numpy()]
    if len(included) < (1 if fitted is not None else 10):
        raise CohortError(
            f"only {len(included)} participant(s) have every selected modality ({', '.join(blocks)})",
            "the run configuration",
            "select fewer modalities, or set missing_modality to 'impute'",
        )
    parts, columns = [], {}
    for modality, block in blocks.items():
        part = block.values.reindex(included)
        columns[modality] = [f"{modality}:{c}" for c in part.columns]
        part.columns = columns[modality]
        parts.append(part)
    matrix = pd.concat(parts, axis=1)
    if fitted is not None:
        matrix = matrix.reindex(columns=[c for cols in fitted.columns.values() for c in cols])
        columns = fitted.columns
    imputed = {m: int((~has.loc[included, m]).sum()) for m in blocks}
    imputer = fitted.imputer if fitted is not None else None
    if matrix.isna().any().any():
        if imputer is None:
            imputer = KNNImputer(n_neighbors=5).fit(matrix.to_numpy(copy=True))
        matrix = pd.DataFrame(imputer.transform(matrix.to_numpy(copy=True)), index=matrix.index, columns=matrix.columns)
    multipliers = fitted.multipliers if fitted is not None else block_multipliers(matrix, columns, config)
    for modality, cols in columns.items():
        matrix[cols] = matrix[cols] * multipliers[modality]
    total = float(matrix.var(ddof=0).sum())
    share = {m: float(matrix[c].var(ddof=0).sum() / total) if total else 0.0 for m, c in columns.items()}
    model = FusionModel(columns, imputer, multipliers)
    return FusedFeatures(matrix, columns, reason, share, {m: n for m, n in imputed.items() if n}, model)


def block_multipliers(matrix: pd.DataFrame, columns: dict[str, list[str]], config: RunConfig) -> dict[str, float]:
    """Factor per block that makes its total variance equal its weight (equal blocks by default)."""
    out = {}
    for modality, cols in columns.items():
        variance = float(matrix[cols].var(ddof=0).sum())
        out[modality] = float(np.sqrt(config.weight_of(modality) / variance)) if variance > 0 else 1.0
    return out
