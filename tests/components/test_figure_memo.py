"""A remembered figure builder is called once per session and inputs, and only then."""

from streamlit.testing.v1 import AppTest

from components.figure_memo import MAX_FIGURES, remembered


def test_outside_a_script_run_the_builder_is_called_every_time():
    calls = []

    @remembered
    def figure(table, names):
        calls.append(1)
        return len(calls)

    table = [1, 2]
    assert (figure(table, {1: "a"}), figure(table, {1: "a"})) == (1, 2)


def memo_script():
    import pandas as pd
    import streamlit as st

    from components.figure_memo import remembered

    st.session_state.setdefault("calls", [])

    @remembered
    def figure(table, names, title="t"):
        st.session_state["calls"].append((id(table), tuple(sorted(names.items())), title))
        return f"{title}: {len(table)} rows, {names}"

    tables = st.session_state.setdefault("tables", {"kept": pd.DataFrame({"a": [1, 2]})})
    step = st.session_state.get("step", 0)
    if step == 0:
        st.write(figure(tables["kept"], {1: "pain"}))
    elif step == 1:
        st.write(figure(tables["kept"], {1: "pain"}))  # same object, equal names: remembered
    elif step == 2:
        st.write(figure(tables["kept"], {1: "renamed"}))  # names changed: built again
    elif step == 3:
        st.write(figure(tables["kept"].copy(), {1: "renamed"}))  # an equal table, another object: built again
    elif step == 4:
        st.write(figure(tables["kept"], {1: "renamed"}, title="other"))  # another keyword value: built again
    elif step == 5:
        for k in range(200):
            figure(tables["kept"], {1: f"n{k}"})


def test_in_a_session_the_same_objects_and_values_give_the_figure_built_before():
    at = AppTest.from_function(memo_script)
    expected_calls = [1, 1, 2, 3, 4]
    for step, n_calls in enumerate(expected_calls):
        at.session_state["step"] = step
        at.run()
        assert not at.exception
        assert len(at.session_state["calls"]) == n_calls, step
    assert at.markdown[0].value == "other: 2 rows, {1: 'renamed'}"
    at.session_state["step"] = 5
    at.run()
    assert len(at.session_state["_figure_memo"]) == MAX_FIGURES  # the oldest are dropped
