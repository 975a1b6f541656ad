"""AppTest helpers: the app run from its entry point, as a user opens it."""

import base64
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app() -> AppTest:
    """A fresh session of the app, run once."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    """The value of the metric with this label."""
    return next(m.value for m in at.metric if m.label == label)


def plotly_array(value) -> np.ndarray:
    """A figure-spec array as numpy: plain lists, or plotly's typed arrays ({"dtype", "bdata", "shape"})."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return array.reshape([int(s) for s in str(shape).split(",")]) if shape else array
    return np.array(value, dtype=float)


def clinical_run_form(at: AppTest, null_cohorts: int = 0, replication_splits: int = 0) -> None:
    """Set the Biotypes page's form to cluster on the clinical measures, without the checks that have their own tests.

    ``null_cohorts`` and ``replication_splits`` 0 skip the structure test and split-half replication;
    leave-one-site-out replication is off.
    """
    from components import state

    at.multiselect(key=state.BIOTYPES_MODALITIES).set_value(["clinical"])
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(null_cohorts)
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(replication_splits)
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()


def computed_session() -> AppTest:
    """A new session: the sample cohort clustered on its clinical measures (every modality stays in the cohort)."""
    from components import state

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.button(key=state.DATA_LOAD_SAMPLE).click().run()
    at.switch_page("pages/biotypes.py").run()
    clinical_run_form(at)
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    assert not at.exception and not at.error
    return at
