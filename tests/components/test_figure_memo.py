"""A remembered figure builder is called once per session and inputs, and only then."""

from streamlit.testing.v1 import AppTest

from components.figure_memo import MAX_FIGURES, MEMO_KEY, remembered


def test_outside_a_script_run_the_builder_is_called_every_time():
    calls = []

    @remembered
    def figure(table, names):
        calls.append(1)
        return len(calls)

    table = [1, 2]
    assert (figure(table, {1: "a"}), figure(table, {1: "a"})) == (1, 2)


def memo_script():
    import numpy as np
    import pandas as pd
    import streamlit as st

    from components.figure_memo import remembered

    st.session_state.setdefault("calls", [])

    @remembered
    def figure(table, names, title="t", values=None):
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
        st.write(figure(tables["kept"].copy(), {1: "renamed"}))  # an equal table, another object: remembered
    elif step == 4:
        st.write(figure(tables["kept"].assign(a=[1, 3]), {1: "renamed"}))  # one value changed: built again
    elif step == 5:
        st.write(figure(tables["kept"].rename(columns={"a": "b"}), {1: "renamed"}))  # a column renamed: built again
    elif step == 6:
        st.write(figure(tables["kept"].astype(float), {1: "renamed"}))  # another dtype: built again
    elif step == 7:
        st.write(figure(tables["kept"].set_axis([5, 6]), {1: "renamed"}))  # another index: built again
    elif step == 8:
        st.write(figure(tables["kept"], {1: "renamed"}, values=np.arange(3.0)))  # an array: built
    elif step == 9:
        st.write(figure(tables["kept"], {1: "renamed"}, values=np.arange(3.0)))  # an equal array: remembered
    elif step == 10:
        st.write(figure(tables["kept"], {1: "renamed"}, values=np.arange(3.0).reshape(1, 3)))  # another shape: built
    elif step == 11:
        st.write(figure(tables["kept"], {1: "renamed"}, title="other"))  # another keyword value: built again
    elif step == 12:
        for k in range(200):
            figure(tables["kept"], {1: f"n{k}"})


def test_in_a_session_the_same_objects_and_values_give_the_figure_built_before():
    at = AppTest.from_function(memo_script)
    expected_calls = [1, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 9]
    for step, n_calls in enumerate(expected_calls):
        at.session_state["step"] = step
        at.run()
        assert not at.exception
        assert len(at.session_state["calls"]) == n_calls, step
    assert at.markdown[0].value == "other: 2 rows, {1: 'renamed'}"
    at.session_state["step"] = 12
    at.run()
    assert len(at.session_state[MEMO_KEY]) == MAX_FIGURES  # the oldest are dropped


def lifetime_script():
    import gc
    import weakref

    import pandas as pd
    import streamlit as st

    from components.figure_memo import remembered

    class Result:  # compared by identity, as a run's result is
        pass

    @remembered
    def figure(table, result):
        return len(table)

    if "refs" not in st.session_state:
        table, result = pd.DataFrame({"a": range(1000)}), Result()
        st.write(figure(table, result))
        st.session_state["refs"] = (weakref.ref(table), weakref.ref(result))
    else:
        gc.collect()
        table_ref, result_ref = st.session_state["refs"]
        st.write(f"table alive: {table_ref() is not None}; result alive: {result_ref() is not None}")


def test_a_table_made_for_one_rerun_is_not_kept_alive_but_an_object_compared_by_identity_is():
    at = AppTest.from_function(lifetime_script)
    at.run()
    assert not at.exception
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "table alive: False; result alive: True"


def test_tables_made_afresh_on_one_index_hash_that_index_once_and_still_tell_indexes_apart(monkeypatch):
    from collections import OrderedDict

    import numpy as np
    import pandas as pd

    from components import figure_memo

    hashed_index_rows = []
    real = pd.util.hash_pandas_object

    def counting(obj, index=True, **kwargs):
        if isinstance(obj, pd.Index) or index:
            hashed_index_rows.append(len(obj))
        return real(obj, index=index, **kwargs)

    monkeypatch.setattr(pd.util, "hash_pandas_object", counting)
    digests = OrderedDict()
    ids = pd.Index([f"sub-{i:04d}" for i in range(1000)], name="participant_id")
    values = np.arange(1000) % 4
    first = figure_memo._remembered_digest(pd.Series(values, index=ids, name="biotype"), digests)
    again = figure_memo._remembered_digest(pd.Series(values, index=ids, name="biotype"), digests)  # a new Series, the same index
    assert first == again
    assert hashed_index_rows == [1000]  # the index's ids hashed once, not once per Series
    renamed = pd.Index(ids, name="id")
    reordered = pd.Index(ids[::-1], name="participant_id")
    as_numbers = pd.Series(values, index=pd.RangeIndex(1000, name="participant_id"), name="biotype")
    others = [pd.Series(values, index=renamed, name="biotype"), pd.Series(values, index=reordered, name="biotype"), as_numbers]
    assert len({first, *(figure_memo._remembered_digest(s, digests) for s in others)}) == 4
