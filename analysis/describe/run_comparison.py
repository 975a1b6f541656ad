"""Two runs of one cohort side by side: which parameters differ, how far the labellings agree, who moved where.

Agreement is the adjusted Rand index (Hubert & Arabie 1985) between the two runs' biotypes, over the
participants both runs clustered: once with noise as a group of its own (a participant who is noise
in one run and in a biotype in the other counts as a disagreement) and once over the participants
in a biotype in both. It is descriptive: two runs of one cohort are not independent samples, so no
test is made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from analysis.config import RunConfig

#: Flow label of a participant a run did not cluster (lacking a modality); noise is -1, biotypes 1, 2, ...
NOT_CLUSTERED = 0


@dataclass(frozen=True)
class LabellingAgreement:
    """How far two runs' biotypes agree, and where each participant went.

    Attributes
    ----------
    ari : float
        Adjusted Rand index over the participants both runs clustered, noise as a group of its own
        (NaN when fewer than two such participants).
    ari_clustered : float
        The same over the participants in a biotype in both runs (NaN when fewer than two).
    n_both : int
        Participants both runs clustered (noise included).
    n_in_a_biotype_in_both : int
    flows : DataFrame
        Columns ``first``, ``second`` and ``n``: participants per pair of labels (biotype number,
        -1 noise, 0 not clustered), every participant of the cohort counted once, largest first.
    """

    ari: float
    ari_clustered: float
    n_both: int
    n_in_a_biotype_in_both: int
    flows: pd.DataFrame


def flow_labels(assignments: pd.DataFrame) -> pd.Series:
    """Each participant's label for the flows: biotype number, -1 for noise, :data:`NOT_CLUSTERED` when not clustered.

    Parameters
    ----------
    assignments : DataFrame
        A run's assignment table (``participant_id``, ``biotype`` (NaN when not clustered), ``included``).

    Returns
    -------
    Series of int indexed by participant_id
    """
    labels = assignments["biotype"].where(assignments["included"], NOT_CLUSTERED).fillna(NOT_CLUSTERED)
    return pd.Series(labels.to_numpy(dtype=np.int64), index=assignments["participant_id"].to_numpy(), name="label")


def labelling_agreement(first: pd.DataFrame, second: pd.DataFrame) -> LabellingAgreement:
    """Agreement between two runs' assignment tables of the same cohort.

    Parameters
    ----------
    first, second : DataFrame
        Assignment tables (:data:`analysis.engine.run.ASSIGNMENT_COLUMNS`) of two runs of one cohort.

    Returns
    -------
    LabellingAgreement

    Raises
    ------
    ValueError
        When the tables do not list the same participants (runs of different cohorts).
    """
    a, b = flow_labels(first), flow_labels(second)
    if set(a.index) != set(b.index):
        raise ValueError("the two runs are of different cohorts (their participants differ)")
    b = b.reindex(a.index)
    both = (a != NOT_CLUSTERED) & (b != NOT_CLUSTERED)
    in_biotypes = both & (a > 0) & (b > 0)
    flows = pd.DataFrame({"first": a.to_numpy(), "second": b.to_numpy()}).value_counts().rename("n").reset_index()
    flows = flows.sort_values(["n", "first", "second"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
    return LabellingAgreement(
        ari=_ari(a[both], b[both]),
        ari_clustered=_ari(a[in_biotypes], b[in_biotypes]),
        n_both=int(both.sum()),
        n_in_a_biotype_in_both=int(in_biotypes.sum()),
        flows=flows,
    )


def _ari(first: pd.Series, second: pd.Series) -> float:
    """Adjusted Rand index of two labellings, NaN with fewer than two participants."""
    return float(adjusted_rand_score(first, second)) if len(first) >= 2 else float("nan")


def parameter_differences(first: RunConfig, second: RunConfig) -> pd.DataFrame:
    """The configuration parameters whose values differ between two runs.

    Returns
    -------
    DataFrame
        Columns ``parameter``, ``first`` and ``second`` (values as text, in :class:`RunConfig`'s field
        order); empty when the configurations are equal.
    """
    rows = [
        {"parameter": f.name, "first": _shown(getattr(first, f.name)), "second": _shown(getattr(second, f.name))}
        for f in fields(RunConfig)
        if getattr(first, f.name) != getattr(second, f.name)
    ]
    return pd.DataFrame(rows, columns=["parameter", "first", "second"])


def _shown(value: object) -> str:
    """A parameter's value as a short text ("automatic" for a value the run chooses from the data)."""
    if value is None:
        return "automatic"
    if isinstance(value, tuple):
        return ", ".join(_shown_item(v) for v in value) or "none"
    return str(value)


def _shown_item(item: object) -> str:
    """One entry of a tuple-valued parameter: a (name, value) pair as name=value, a custom group by its size."""
    if isinstance(item, tuple) and len(item) == 2:
        name, value = item
        return f"{name} ({len(value)} participants)" if isinstance(value, tuple) else f"{name}={value}"
    return str(item)
