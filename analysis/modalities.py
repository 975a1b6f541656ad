"""Which modality each column of the participants table belongs to.

Rules, in order: a data dictionary entry wins; then covariate names; then prefixes
(``prs_`` genetics, ``fc_`` connectivity edges, ``wear_`` wearable summaries, ``outcome_``
outcomes); any other numeric column is clinical/psychosocial, and any other text column is
kept but set aside (``text``).
"""

from __future__ import annotations

import re

CLINICAL = "clinical"
PRS = "prs"
CONNECTIVITY = "connectivity"
WEARABLES = "wearables"
OUTCOME = "outcome"
COVARIATE = "covariate"
TEXT = "text"
IGNORE = "ignore"

#: Modalities whose columns can be clustered.
FEATURE_MODALITIES = (CLINICAL, PRS, CONNECTIVITY, WEARABLES)
#: Values accepted in a data dictionary's ``modality`` column.
DICTIONARY_MODALITIES = (*FEATURE_MODALITIES, OUTCOME, COVARIATE, IGNORE)

PREFIXES = {"prs_": PRS, "fc_": CONNECTIVITY, "wear_": WEARABLES, "outcome_": OUTCOME}
_COVARIATE_NAME = re.compile(r"^(site|sex|gender|age|ancestry|scanner|(ancestry_|genetic_)?pc\d+)$", re.IGNORECASE)


def modality_from_name(column: str, is_numeric: bool) -> str:
    """Return the modality a column gets from its name and type alone.

    Parameters
    ----------
    column : str
        Column name as in the file.
    is_numeric : bool
        Whether every non-missing value is a number.

    Returns
    -------
    str
        One of clinical, prs, connectivity, wearables, outcome, covariate or text.
    """
    if _COVARIATE_NAME.match(column):
        return COVARIATE
    lowered = column.lower()
    for prefix, modality in PREFIXES.items():
        if lowered.startswith(prefix):
            return modality
    return CLINICAL if is_numeric else TEXT


def is_covariate_name(column: str) -> bool:
    """Whether a column name is one of the recognised covariates (site, sex, age, ancestry, PCs, ...)."""
    return bool(_COVARIATE_NAME.match(column))
