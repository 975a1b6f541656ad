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
#: A time-to-event outcome: time from baseline to the event or the end of follow-up (never clustered).
DURATION = "duration"
#: Whether a duration ended in the event (1) or was censored (0); paired with a duration column.
EVENT = "event"
#: A randomised treatment arm: a covariate of prognosis, and its interaction with the biotypes is reported.
TREATMENT = "treatment"
TEXT = "text"
IGNORE = "ignore"

#: Modalities whose columns can be clustered.
FEATURE_MODALITIES = (CLINICAL, PRS, CONNECTIVITY, WEARABLES)
#: Values accepted in a data dictionary's ``modality`` column.
DICTIONARY_MODALITIES = (*FEATURE_MODALITIES, OUTCOME, VALIDATOR, COVARIATE, DURATION, EVENT, TREATMENT, IGNORE)

PREFIXES = {"prs_": PRS, "fc_": CONNECTIVITY, "wear_": WEARABLES, "outcome_": OUTCOME}
#: Identifier and row-number columns besides the participant id (never features; compared ignoring case).
_IDENTIFIER_NAME = re.compile(
    r"^(#?fid|#?iid|participant_id|subject_id|sub|subject|participant|patient_id|person_id|record_id|study_id|mrn|eid"
    r"|index|row_id|rowid|unnamed: ?0|redcap_event_name|redcap_repeat_instrument|redcap_repeat_instance|redcap_survey_identifier)$",
    re.IGNORECASE,
)
_COVARIATE_NAME = re.compile(r"^(site|sex|gender|age|ancestry|scanner|(ancestry_|genetic_)?pc\d+)$", re.IGNORECASE)
#: Names of a follow-up time (``months_to_escalation``, ``time_to_event``, ``days_to_surgery``).
_DURATION_NAME = re.compile(r"^(time|days|weeks|months|years)_to_\w+$", re.IGNORECASE)
#: Names of an event indicator (``escalation_event``, ``event``, ``event_death``).
_EVENT_NAME = re.compile(r"^(event|\w+_event|event_\w+)$", re.IGNORECASE)
#: Names of a treatment-arm column (``arm``, ``treatment_arm``, ``randomised_arm``, ``allocation``).
_TREATMENT_NAME = re.compile(
    r"^(arm|treatment_arm|trial_arm|study_arm|randomi[sz]ed_arm|randomi[sz]ation_arm|allocation|treatment_group)$", re.IGNORECASE
)


def time_to_event_role_from_name(column: str) -> str | None:
    """The role a column's name proposes for a time-to-event analysis (duration, event or treatment), or None.

    The loader gives the role only when the values fit it (a duration numeric and never negative, an
    event 0/1 or yes/no); a data dictionary overrides it.
    """
    if _DURATION_NAME.match(column):
        return DURATION
    if _EVENT_NAME.match(column):
        return EVENT
    if _TREATMENT_NAME.match(column):
        return TREATMENT
    return None


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
