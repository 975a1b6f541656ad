"""Property-based tests: whatever bytes arrive, the loaders either succeed or raise CohortError."""

import io
import os

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis.connectivity import load_connectivity
from analysis.errors import CohortError
from analysis.inputs import InputFile
from analysis.io import load_dictionary, load_participants, load_prs
from analysis.wearables import load_wearables

CELLS = st.one_of(
    st.sampled_from(["", "NA", ".", "1", "-2.5", "3,5", "inf", "nan", "1e308", "sub-01", "01", "yes", '"a,b"', "2025-01-01", "0"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)
#: Multiply the number of examples for a longer local hunt: LOADER_FUZZ_SCALE=20 python -m pytest ...
SCALE = int(os.environ.get("LOADER_FUZZ_SCALE", "1"))
HEADERS = st.lists(
    st.sampled_from(
        [
            "participant_id",
            "IID",
            "sub",
            "pain",
            "prs_x",
            "fc_a",
            "wear_b",
            "outcome_c",
            "site",
            "age",
            "date",
            "day",
            "x",
            "MCP_AVG",
            "Pt_1",
        ]
    ),
    min_size=1,
    max_size=5,
)


@st.composite
def delimited_text(draw):
    header = draw(HEADERS)
    sep = draw(st.sampled_from([",", "\t", ";", " "]))
    n_rows = draw(st.integers(0, 14))
    rows = [sep.join(draw(st.lists(CELLS, min_size=len(header) - 1, max_size=len(header) + 1))) for _ in range(n_rows)]
    return "\n".join([sep.join(header), *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))


def only_cohort_errors(loader, file):
    try:
        loader(file)
    except CohortError as error:
        assert str(error)


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delimited_text(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_text_loaders_raise_only_cohort_errors(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    for loader in (load_participants, load_prs, load_wearables, load_dictionary):
        only_cohort_errors(loader, InputFile("f.csv", data))


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_cohort_errors(data):
    for loader in (load_participants, load_prs, load_wearables):
        only_cohort_errors(loader, InputFile("f.csv", data))
    only_cohort_errors(load_connectivity, InputFile("f.npz", data))
    only_cohort_errors(load_connectivity, InputFile("f.zip", data))


@settings(max_examples=60 * SCALE, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 5),
    st.sampled_from([np.nan, np.inf, 0.0, 1.0, -1e300]),
    st.booleans(),
)
def test_random_matrices_raise_only_cohort_errors(n, n_rois, special, vectorise):
    rng = np.random.default_rng(n * 10 + n_rois)
    m = rng.normal(size=(n, n_rois, n_rois))
    m[0, 0, -1] = special
    array = m.reshape(n, -1) if vectorise else m
    buffer = io.BytesIO()
    np.savez(buffer, matrices=array, participant_id=np.array([f"s{i}" for i in range(n)]))
    only_cohort_errors(load_connectivity, InputFile("fc.npz", buffer.getvalue()))


VALUES = st.one_of(
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.just(np.nan),
    st.sampled_from([0.0, 1e14, -1e14, 5e-324, 1e-300, 7.0]),
)


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(10, 24),
    st.lists(st.sampled_from(["pain", "phq9", "prs_mcp", "wear_steps", "outcome_x", "site"]), min_size=1, max_size=6, unique=True),
    st.data(),
    st.sampled_from(["median", "knn"]),
    st.sampled_from(["standard", "robust"]),
)
def test_preprocessing_gives_finite_features_or_a_cohort_error(n, columns, data, impute, scale):
    # Random tables (NaN, huge, tiny, constant and empty columns) through loading, features,
    # imputation, scaling and fusion: the fused matrix is finite, or the user gets a CohortError.
    import pandas as pd

    from analysis.cohort import CohortFiles, load_cohort
    from analysis.config import RunConfig
    from analysis.features import build_blocks
    from analysis.fusion import fuse_blocks

    frame = pd.DataFrame({"participant_id": [f"p{i:02d}" for i in range(n)]})
    for column in columns:
        if column == "site":
            frame[column] = data.draw(st.lists(st.sampled_from(["A", "B", ""]), min_size=n, max_size=n))
        else:
            frame[column] = data.draw(st.lists(VALUES, min_size=n, max_size=n))
    config = RunConfig(impute=impute, scale=scale)
    try:
        cohort = load_cohort(CohortFiles(InputFile("p.csv", frame.to_csv(index=False).encode())))
        blocks, _, _ = build_blocks(cohort, config)
        fused = fuse_blocks(blocks, cohort.participants.index, config)
    except CohortError as error:
        assert str(error)
        event(f"refused: {error.what[:40]}")
        return
    matrix = fused.matrix.to_numpy()
    event("preprocessed")  # hypothesis's statistics show how many examples got this far
    assert np.isfinite(matrix).all()
    assert len(fused.matrix) == len(fused.included) <= n
