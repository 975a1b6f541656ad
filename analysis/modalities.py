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
#: Never clustered, always tested across biotypes: an external check that biotypes differ on what they should.
VALIDATOR = "validator"
COVARIATE = "covariate"
TEXT = "text"
IGNORE = "ignore"

#: Modalities whose columns can be clustered.
FEATURE_MODALITIES = (CLINICAL, PRS, CONNECTIVITY, WEARABLES)
#: Values accepted in a data dictionary's ``modality`` column.
DICTIONARY_MODALITIES = (*FEATURE_MODALITIES, OUTCOME, VALIDATOR, COVARIATE, IGNORE)

PREFIXES = {"prs_": PRS, "fc_": CONNECTIVITY, "wear_": WEARABLES, "outcome_": OUTCOME}
#: Identifier and row-number columns besides the participant id (never features; compared ignoring case).
_IDENTIFIER_NAME = re.compile(
    r"^(#?fid|#?iid|participant_id|subject_id|sub|subject|participant|patient_id|person_id|record_id|study_id|mrn|eid"
    r"|index|row_id|rowid|unnamed: ?0)$",
    re.IGNORECASE,
)
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
        One of clinical, prs, connectivity, wearables, outcome, validator, covariate, text, or ignore for a
        second identifier or a row number (``IID`` beside ``participant_id``, ``index``).
    """
    if is_identifier_name(column):
        return IGNORE
    if _COVARIATE_NAME.match(column):
        return COVARIATE
    lowered = column.lower()
    for prefix, modality in PREFIXES.items():
        if lowered.startswith(prefix):
            return modality
    return CLINICAL if is_numeric else TEXT


def is_identifier_name(column: str) -> bool:
    """Whether a column name is an identifier or row number (``IID``, ``FID``, ``record_id``, ``index``), never a feature."""
    return bool(_IDENTIFIER_NAME.match(column.strip()))


def is_covariate_name(column: str) -> bool:
    """Whether a column name is one of the recognised covariates (site, sex, age, ancestry, PCs, ...)."""
    return bool(_COVARIATE_NAME.match(column))
