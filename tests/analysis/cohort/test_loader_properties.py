"""Property-based tests: whatever bytes arrive, the loaders either succeed or raise CohortError."""

import io
import os

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis.cohort.connectivity import load_connectivity
from analysis.cohort.participants import load_dictionary, load_participants
from analysis.cohort.prs import load_prs
from analysis.cohort.wearables import load_wearables
from analysis.errors import CohortError
from analysis.io.inputs import InputFile

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

    from analysis.cohort.cohort import CohortFiles, load_cohort
    from analysis.config import RunConfig
    from analysis.features.blocks import build_blocks
    from analysis.features.fusion import fuse_blocks

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


@st.composite
def archives(draw):
    """Zip bytes with random members: relmat-like names (some repeated), random or matrix content, flags and methods."""
    import warnings
    import zipfile

    buffer = io.BytesIO()
    names = draw(
        st.lists(
            st.sampled_from(["sub-01_relmat.tsv", "sub-02_relmat.tsv", "SUB-01_relmat.tsv", "matrices.npy", "x.json", "a/"]), max_size=5
        )
    )
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            content = draw(st.one_of(st.binary(max_size=60), st.just(b"1\t0.5\n0.5\t1\n"), st.just(b"")))
            archive.writestr(name, content, compress_type=draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # flip bytes, set flags or methods anywhere
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.sampled_from(["fc.zip", "fc.npz"]))
def test_random_archives_raise_only_cohort_errors(data, name):
    only_cohort_errors(load_connectivity, InputFile(name, data))


ID_PIECES = st.sampled_from(["P", "p", "0", "1", "é", "e\u0301", "\u200b", "\ufeff", " ", "sub-", "SUB-", "Ø", "ǅ", "ß", "ss"])


@settings(max_examples=100 * SCALE, deadline=None)
@given(st.lists(st.lists(ID_PIECES, min_size=1, max_size=5).map("".join), min_size=10, max_size=14))
def test_unicode_ids_are_one_participant_each_or_refused_naming_both(ids):
    # Ids that normalise alike (NFC, invisible characters, case, sub-) are one participant: refused
    # as duplicates naming the rows; otherwise every row is kept and keys are already normalised.
    import pandas as pd

    from analysis.io.tables import normalise_id

    frame = pd.DataFrame({"participant_id": ids, "pain": np.arange(len(ids), dtype=float)})
    try:
        table = load_participants(InputFile("p.csv", frame.to_csv(index=False).encode()))
    except CohortError as error:
        event("refused")
        assert str(error)
        return
    keys = list(table.frame.index)
    assert len(keys) == len(ids) and len(set(keys)) == len(keys)
    assert all(normalise_id(k) == k or k.startswith("sub-") for k in keys)


@settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["steps", "sleep_minutes", "hrv_rmssd_ms", "prs_mcp", "MCP_AVG", "pain", "nothing"]),
            st.sampled_from(["", "wearables", "prs", "clinical", "ignore", "outcome"]),
            st.sampled_from(["", "0", "-1", "1e9"]),
            st.sampled_from(["", "-1", "99", "0"]),
            st.sampled_from(["", "-1", "NA;-9", "0"]),
        ),
        max_size=5,
        unique_by=lambda row: row[0],
    ),
    st.integers(0, 2**16),
)
def test_dictionaries_across_modalities_apply_or_refuse(rows, seed):
    # Random dictionaries over the participants, PRS and wearables columns: either a CohortError, or
    # no value of a described column lies outside its declared range and no missing code is left.
    import pandas as pd

    from analysis.cohort.cohort import CohortFiles, load_cohort

    rng = np.random.default_rng(seed)
    n = 12
    ids = [f"p{i:02d}" for i in range(n)]
    participants = pd.DataFrame({"participant_id": ids, "pain": rng.integers(-1, 11, n).astype(float)})
    prs = pd.DataFrame({"IID": ids, "MCP_AVG": rng.normal(0, 1, n).round(3)})
    days = pd.DataFrame(
        {
            "participant_id": np.repeat(ids[:4], 8),
            "date": np.tile(pd.date_range("2025-01-01", periods=8).strftime("%Y-%m-%d"), 4),
            "steps": rng.choice([-1.0, 0.0, 5000.0, 12000.0], 32),
            "sleep_minutes": rng.choice([-1.0, 300.0, 480.0], 32),
            "hrv_rmssd_ms": rng.normal(40, 8, 32).round(1),
        }
    )
    dictionary = pd.DataFrame(rows, columns=["column", "modality", "min", "max", "missing_codes"])
    files = CohortFiles(
        participants=InputFile("p.csv", participants.to_csv(index=False).encode()),
        prs=InputFile("s.tsv", prs.to_csv(index=False, sep="\t").encode()),
        wearables=InputFile("w.csv", days.to_csv(index=False).encode()),
        dictionary=InputFile("d.csv", dictionary.to_csv(index=False).encode()),
    )
    try:
        cohort = load_cohort(files)
    except CohortError as error:
        event("refused")
        assert str(error)
        return
    event("read")
    described = {row[0] for row in rows}
    for column, modality, low, high, codes in rows:
        if column == "MCP_AVG" and "prs_mcp" in described:
            continue  # the cohort name's row is the one applied
        if column in ("prs_mcp", "MCP_AVG"):
            values = cohort.participants["prs_mcp"] if "prs_mcp" in cohort.participants else None
            if modality == "ignore":
                assert values is None
                continue
        elif column in ("steps", "sleep_minutes", "hrv_rmssd_ms"):
            values = cohort.wearables.days[column] if column in cohort.wearables.metrics else None
            if modality == "ignore":
                assert values is None
                continue
        elif column == "pain":
            values = cohort.participants["pain"]
        else:
            continue
        present = values.dropna()
        if low:
            assert (present >= float(low)).all()
        if high:
            assert (present <= float(high)).all()
        for code in filter(None, codes.split(";")):
            if code != "NA":
                assert float(code) not in set(present.tolist())
