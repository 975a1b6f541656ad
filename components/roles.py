"""The column roles table of the Data page: which modality each column of the participants table feeds."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort, CohortFiles
from analysis.cohort.participants import dictionary_with_modalities, load_dictionary
from analysis.errors import CohortError
from components import state


def roles_table(cohort: Cohort, participants_file: str) -> pd.DataFrame:
    """One row per column of the participants table: ``column``, ``modality``, ``values`` (numeric or text), ``proposed because``, ``description``.

    ``proposed because`` holds the reason for a role the tool proposed (:mod:`analysis.cohort.roles`), empty
    for roles set by the data dictionary or the plain name rules.
    """
    columns = [c for c, source in cohort.sources.items() if source == participants_file and c in cohort.modality]
    frame = cohort.participants
    reasons = {p.column: f"{p.kind}: {p.reason}" for p in cohort.proposals}
    return pd.DataFrame(
        {
            "column": columns,
            "modality": [cohort.modality[c] for c in columns],
            "values": ["numeric" if pd.api.types.is_numeric_dtype(frame[c]) else "text" for c in columns],
            "proposed because": [reasons.get(c, "") for c in columns],
            "description": [cohort.descriptions.get(c, "") for c in columns],
        }
    )


def render_roles_editor(cohort: Cohort, base: CohortFiles, files: CohortFiles) -> None:
    """Edit the columns' modalities in a table; applying them reloads the cohort with a data dictionary that says so.

    Parameters
    ----------
    cohort : Cohort
        Loaded from ``files``.
    base : CohortFiles
        The files as uploaded (or the sample's), before any roles edited here.
    files : CohortFiles
        The files in use: ``base``, with the edited dictionary once roles were applied.
    """
    table = roles_table(cohort, base.participants.name)
    edited_already = files.dictionary is not base.dictionary
    proposed = int((table["proposed because"] != "").sum())
    title = "Column roles: which modality each column feeds" + (" (edited)" if edited_already else "")
    if proposed:
        title += f" · {proposed} proposed by the tool"
    with st.expander(title, expanded=edited_already or proposed > 0):
        st.caption(
            "Set by the data dictionary, the column prefixes (prs_, fc_, wear_, outcome_) and, for columns the dictionary "
            "does not describe, the roles the tool proposes from names and values (identifiers, integer-coded categories, "
            "treatment arms, outcomes and follow-up measures, dates, batch or time variables: see *proposed because*). "
            "Change a modality here and apply, or confirm the proposals as they are. The roles are written as a data "
            "dictionary: download it and pass it with `--dictionary` so the command line reads the cohort the same way "
            "(run.json records its hash)."
        )
        if proposed and st.toggle("Only the columns with a proposed role", value=len(table) > 30, key=state.DATA_ROLES_PROPOSED_ONLY):
            table = table[table["proposed because"] != ""].reset_index(drop=True)
        edited = st.data_editor(
            table,
            column_config={
                "modality": st.column_config.SelectboxColumn(
                    "modality", options=[*M.DICTIONARY_MODALITIES, M.TEXT], required=True, help="text: set aside (not analysed)"
                ),
            },
            disabled=["column", "values", "proposed because", "description"],
            hide_index=True,
            width="stretch",
            key=state.DATA_ROLES_TABLE,
        )
        # "text" (set aside) is not a dictionary modality; asking for it means: leave the column out.
        changes = {
            c: M.IGNORE if m == M.TEXT else m
            for c, m, old in zip(edited["column"], edited["modality"], table["modality"], strict=True)
            if m != old
        }
        apply, reset, download = st.columns(3)
        label = f"Confirm the {proposed} proposed role(s)" if proposed and not changes else f"Apply {len(changes)} change(s)"
        if apply.button(label, key=state.DATA_ROLES_APPLY, disabled=not changes and not proposed, type="primary"):
            try:
                current = load_dictionary(files.dictionary) if files.dictionary is not None else None
                columns = {c: cohort.modality[c] for c in roles_table(cohort, base.participants.name)["column"]}
                dictionary = dictionary_with_modalities(columns, changes, current, "data_dictionary_edited.csv")
                st.session_state[state.DATA_ROLES] = (base.fingerprint(), dictionary)
                st.rerun()
            except CohortError as error:
                st.error(str(error), icon=":material/error:")
        if edited_already:
            if reset.button("Back to the files' own roles", key=state.DATA_ROLES_RESET):
                st.session_state[state.DATA_ROLES] = None
                st.rerun()
            download.download_button(
                "Download data_dictionary_edited.csv",
                files.dictionary.data,
                file_name="data_dictionary_edited.csv",
                mime="text/csv",
                on_click="ignore",
                icon=":material/download:",
            )
