"""Who has which modality as a run sees it, and how many participants each choice of modalities would cluster.

A participant "has" a modality when its feature block would include them: at least one usable
feature after screening (and, for wearables, enough valid days). That is stricter than having any
value in the files (:meth:`analysis.cohort.cohort.Cohort.availability`), and it is what decides who
a run clusters: with ``missing_modality = "exclude"`` the participants who have every selected
modality, with ``"impute"`` those who have at least one (:func:`analysis.features.fusion.fuse_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.config import RunConfig
from analysis.features.blocks import build_blocks


@dataclass(frozen=True)
class ModalityAvailability:
    """Which participants each modality's block would include.

    Attributes
    ----------
    has : DataFrame of bool, shape (n_participants, n_modalities)
        Indexed like the cohort's participants; one column per modality with a usable feature, in
        the order of :data:`analysis.cohort.modalities.FEATURE_MODALITIES`.
    """

    has: pd.DataFrame

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities with at least one participant."""
        return tuple(self.has.columns)

    def combinations(self) -> pd.DataFrame:
        """Participants per combination of modalities (an UpSet view's bars).

        Returns
        -------
        DataFrame
            One row per combination that at least one participant has (none at all included), largest
            first: a bool column per modality and ``n``.
        """
        counts = self.has.value_counts(sort=False).rename("n").reset_index()
        return counts.sort_values(["n", *self.modalities], ascending=False, kind="stable").reset_index(drop=True)

    def clustered(self, modalities: tuple[str, ...], missing_modality: str) -> int:
        """How many participants a run on ``modalities`` would cluster under the ``missing_modality`` policy."""
        chosen = self.has.to_numpy(dtype=bool)[:, [self.has.columns.get_loc(m) for m in modalities]]
        keep = chosen.all(axis=1) if missing_modality == "exclude" else chosen.any(axis=1)
        return int(keep.sum())

    def choices(self) -> pd.DataFrame:
        """Every non-empty choice of modalities with the participants it would cluster under each policy.

        Returns
        -------
        DataFrame
            Columns ``modalities`` (tuple of str), ``n_modalities``, ``exclude`` and ``impute``
            (participants clustered); all modalities first, then fewer, larger counts first.
        """
        rows = [
            {
                "modalities": chosen,
                "n_modalities": len(chosen),
                "exclude": self.clustered(chosen, "exclude"),
                "impute": self.clustered(chosen, "impute"),
            }
            for size in range(len(self.modalities), 0, -1)
            for chosen in combinations(self.modalities, size)
        ]
        table = pd.DataFrame(rows, columns=["modalities", "n_modalities", "exclude", "impute"])
        return table.sort_values(["n_modalities", "exclude"], ascending=False, kind="stable").reset_index(drop=True)


def modality_availability(cohort: Cohort, config: RunConfig | None = None) -> ModalityAvailability:
    """Which participants each modality's feature block would include, for a run with ``config``'s feature settings.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig, optional
        Its feature settings (missing-value screening, wearable valid days, connectivity features,
        excluded columns) decide the blocks; its modalities and policy do not matter (every
        modality is built). Defaults to ``RunConfig()``.

    Returns
    -------
    ModalityAvailability
    """
    config = (config or RunConfig()).with_(modalities=M.FEATURE_MODALITIES, harmonise_sites=False)
    blocks, _, _ = build_blocks(cohort, config)
    index = cohort.participants.index
    return ModalityAvailability(pd.DataFrame({m: index.isin(b.values.index) for m, b in blocks.items()}, index=index))
