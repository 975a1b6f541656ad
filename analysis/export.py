"""Everything this project writes to disk: the synthetic cohort's files (and, later, run exports)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.errors import CohortError
from analysis.synthetic import ATLAS, SyntheticCohort

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
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CohortError(f"cannot create the output folder ({exc.strerror})", str(folder), "choose a folder you can write to") from None
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
