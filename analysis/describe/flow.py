"""The participant flow of a run (CONSORT-style): from loaded to clustered, and into each biotype.

Every count comes from the run's assignment table (``included``, ``exclusion_reason``, ``biotype``)
and from the modality blocks the run's configuration builds (:mod:`analysis.features.availability`),
so that the flow adds up to the participants loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.config import RunConfig
from analysis.features.availability import modality_availability


@dataclass(frozen=True)
class ParticipantFlow:
    """How many participants reached each step of a run.

    Attributes
    ----------
    loaded : int
        Participants in the cohort.
    lacking : tuple of (str, int)
        Per clustered modality, in the run's order: participants without it (a participant lacking
        two counts under both).
    too_few_valid_days : int or None
        Participants with wearable days in the files but fewer valid days than the run asks for (they
        are among those lacking wearables); None when wearables were not clustered.
    excluded : tuple of (str, int)
        Participants not clustered, per exclusion reason, largest first.
    clustered : int
        Participants the run clustered (noise included).
    noise : int
        Clustered participants in no biotype.
    biotypes : tuple of (int, str, int)
        Per biotype: number, name and participants, in biotype order.
    imputed : bool
        Whether the run imputed a missing modality from the others (``missing_modality = "impute"``):
        then those lacking a modality were clustered when they had another.
    """

    loaded: int
    lacking: tuple[tuple[str, int], ...]
    too_few_valid_days: int | None
    excluded: tuple[tuple[str, int], ...]
    clustered: int
    noise: int
    biotypes: tuple[tuple[int, str, int], ...]
    imputed: bool = False


def participant_flow(
    cohort: Cohort, config: RunConfig, assignments: pd.DataFrame, names: dict[int, str], has: pd.DataFrame | None = None
) -> ParticipantFlow:
    """The participant flow of a run of ``cohort`` with ``config`` whose assignment table is ``assignments``.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
        The run's resolved configuration (its modalities and feature settings).
    assignments : DataFrame
        The run's assignment table (:data:`analysis.engine.run.ASSIGNMENT_COLUMNS`), one row per participant.
    names : dict of int to str
        Biotype number → name.
    has : DataFrame of bool, optional
        Which participant each clustered modality's block included, indexed like the cohort's
        participants (:func:`block_membership` of the run); built again from the cohort when not given.

    Returns
    -------
    ParticipantFlow
    """
    if has is None:
        has = modality_availability(cohort, config).has
    modalities = [m for m in config.modalities if m in has.columns]
    lacking = tuple((m, int((~has[m]).sum())) for m in modalities)
    too_few = None
    if M.WEARABLES in modalities:
        in_files = cohort.availability()[M.WEARABLES].to_numpy()
        too_few = int((in_files & ~has[M.WEARABLES].to_numpy()).sum())
    included = assignments["included"].to_numpy(dtype=bool)
    reasons = assignments.loc[~included, "exclusion_reason"].value_counts(sort=False)
    excluded = tuple(sorted(((str(r), int(n)) for r, n in reasons.items()), key=lambda item: (-item[1], item[0])))
    biotype = assignments.loc[included, "biotype"].astype(int)
    sizes = biotype[biotype > 0].value_counts().sort_index()
    return ParticipantFlow(
        loaded=len(assignments),
        lacking=lacking,
        too_few_valid_days=too_few,
        excluded=excluded,
        clustered=int(included.sum()),
        noise=int((biotype < 0).sum()),
        biotypes=tuple((int(b), names.get(int(b), f"B{b}"), int(n)) for b, n in sizes.items()),
        imputed=config.missing_modality == "impute",
    )


def block_membership(
    values: pd.DataFrame, modality: dict[str, str], clustered: tuple[str, ...], modalities: tuple[str, ...]
) -> pd.DataFrame:
    """Which participant each clustered modality's block included, read from a run's own features.

    A block includes a participant when at least one of its features has a value for them, so a
    participant with a value in one of the modality's clustered columns of ``values`` is in it; the
    run's features need not be built again.

    Parameters
    ----------
    values : DataFrame indexed by participant
        The run's features in natural units (``RunFeatures.values``), every participant of the cohort.
    modality : dict of str to str
        Column → modality.
    clustered : tuple of str
        The columns the run clustered on.
    modalities : tuple of str
        The run's modalities.

    Returns
    -------
    DataFrame of bool
        One column per modality of ``modalities`` with a clustered column in ``values``.
    """
    out = {}
    for name in modalities:
        columns = [c for c in clustered if modality.get(c) == name and c in values.columns]
        if columns:
            out[name] = values[columns].notna().any(axis=1).to_numpy()
    return pd.DataFrame(out, index=values.index)


def run_flow(result, cohort: Cohort) -> ParticipantFlow:
    """The participant flow of a run (:class:`analysis.engine.run.RunResult`), from its own features."""
    features = result.features
    has = block_membership(features.values, features.modality, features.clustered, result.config.modalities)
    return participant_flow(cohort, result.config, result.assignments, result.names, has)
