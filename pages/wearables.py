"""Wearables page: daily trajectories per biotype, one participant's days, adherence per biotype."""

import streamlit as st

from components import cache, state
from components.embedding import embedding_figure
from components.profiles import biotype_label
from components.selection import selected_customdata
from components.wearables import adherence_figure, participant_figure, trajectory_figure

st.title("Wearables")
result, cohort = cache.require_run()
wearables = cohort.wearables
if wearables is None:
    st.info(
        "This cohort has no daily wearable data. Upload a long-format export (participant_id, date or day, one column "
        "per metric) on the **Data** page to see each biotype's trajectories here."
    )
    st.stop()

names = result.names
labels = cache.run_labels(result)
metric = st.selectbox("Metric", list(wearables.metrics), key=state.WEARABLES_METRIC)
trajectories = cache.trajectories(result, cohort, metric)
st.plotly_chart(trajectory_figure(trajectories, metric), width="stretch")
st.caption(
    f"From {wearables.name}. Each line is the mean over the biotype's participants with a value that day; the band is "
    "its t-based 95% confidence interval. Days where a biotype has fewer than 3 participants are not drawn."
)

st.subheader("One participant")
with_days = set(wearables.days["participant"].unique())
ids = cohort.participants["participant_id"]
choices = [pid for key, pid in zip(cohort.participants.index, ids, strict=True) if key in with_days]
left, right = st.columns([1, 1])
event = left.plotly_chart(
    embedding_figure(result.assignments, dragmode="pan"),
    on_select="rerun",
    selection_mode="points",
    key=state.WEARABLES_MAP,
    width="stretch",
)
clicked = selected_customdata(event)
# A click picks the participant once; the box can then be changed by hand while the click stays selected.
if clicked and clicked[0] in choices and st.session_state.get(state.WEARABLES_CLICKED) != clicked[0]:
    st.session_state[state.WEARABLES_PARTICIPANT] = st.session_state[state.WEARABLES_CLICKED] = clicked[0]
participant = right.selectbox("Participant (or click one on the map)", choices, key=state.WEARABLES_PARTICIPANT)
key = cohort.participants.index[ids == participant][0]
biotype = labels.get(key)
own = int(biotype) if biotype is not None and biotype >= 0 else None
right.plotly_chart(
    participant_figure(
        wearables.days[wearables.days["participant"] == key],
        metric,
        participant,
        trajectories[trajectories["biotype"] == own] if own is not None else None,
        own,
    ),
    width="stretch",
)
right.caption(
    f"{participant}: " + (biotype_label(own, names) if own is not None else "noise" if biotype is not None else "not clustered in this run")
)

st.subheader("Adherence")
per_participant, p_value = cache.adherence(result, cohort)
st.plotly_chart(adherence_figure(per_participant, p_value), width="stretch")
st.warning(
    "Dropout and non-wear can track severity: participants in more pain or more depressed often wear the device less. "
    "Compare adherence across biotypes before reading their trajectories as biology; a biotype with low adherence has "
    "wider bands and may be summarised from its least affected days.",
    icon=":material/info:",
)
