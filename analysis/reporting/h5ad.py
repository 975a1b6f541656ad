"""A run written as an AnnData ``.h5ad`` file, for scanpy, ehrapy and muon users.

The ``anndata`` package cannot be installed beside this project's pins (anndata 0.12 requires
pandas < 3; 0.13 requires Python 3.12), so the file is written with h5py in AnnData's documented
on-disk format ("On-disk format", anndata documentation: encoding-type and encoding-version
attributes on every element): ``obs`` is a dataframe of the assignment columns and the covariates,
one row per participant of the input, indexed by participant id; ``var`` is empty and ``X`` absent
(the features stay in the run's files); ``obsm`` holds ``X_umap`` (the 2-D display) and
``X_clustering`` (the embedding HDBSCAN clustered), NaN for participants not clustered; ``uns``
holds the run record (run.json) as a JSON string under ``run_json`` and the biotype names.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd


def h5ad_bytes(result, cohort, record: dict) -> bytes:
    """The run as the bytes of an ``.h5ad`` file.

    Parameters
    ----------
    result : analysis.engine.run.RunResult
    cohort : analysis.cohort.cohort.Cohort
    record : dict
        The run record (:func:`analysis.reporting.run_files.run_record`), stored in ``uns["run_json"]``.

    Returns
    -------
    bytes
    """
    import h5py

    obs = _obs(result, cohort)
    included = result.assignments["included"].to_numpy(dtype=bool)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as root:
        _attrs(root, "anndata", "0.1.0")
        _dataframe(root, "obs", obs)
        _dataframe(root, "var", pd.DataFrame(index=pd.Index([], dtype=object)))
        obsm = root.create_group("obsm")
        _attrs(obsm, "dict", "0.1.0")
        for name, rows in (("X_umap", result.clusters.display), ("X_clustering", result.clusters.embedding)):
            full = np.full((len(obs), rows.shape[1]), np.nan)
            full[included] = rows
            _array(obsm, name, full)
        uns = root.create_group("uns")
        _attrs(uns, "dict", "0.1.0")
        _string(uns, "run_json", json.dumps(record, default=str))
        names = uns.create_group("biotype_names")
        _attrs(names, "dict", "0.1.0")
        for number, name in sorted(result.names.items()):
            _string(names, str(number), name)
        for group in ("obsp", "varm", "varp", "layers"):
            _attrs(root.create_group(group), "dict", "0.1.0")
    return buffer.getvalue()


def _obs(result, cohort) -> pd.DataFrame:
    """The assignments (biotype as a category named by number) with the covariates beside them, indexed by participant id."""
    from analysis.cohort import modalities as M

    table = result.assignments.set_index("participant_id")
    table.index = table.index.astype(str)
    covariates = cohort.participants[cohort.columns_of(M.COVARIATE)].copy()
    covariates.index = table.index
    out = table.drop(columns=["umap_1", "umap_2"]).join(covariates)
    out["biotype"] = pd.Categorical(out["biotype"].astype("Int64").astype("string"))
    return out


def _attrs(element, kind: str, version: str) -> None:
    element.attrs["encoding-type"] = kind
    element.attrs["encoding-version"] = version


def _array(group, name: str, values: np.ndarray) -> None:
    _attrs(group.create_dataset(name, data=values), "array", "0.2.0")


def _strings(group, name: str, values) -> None:
    import h5py

    data = np.array(["" if pd.isna(v) else str(v) for v in values], dtype=object)
    _attrs(group.create_dataset(name, data=data, dtype=h5py.string_dtype("utf-8")), "string-array", "0.2.0")


def _string(group, name: str, value: str) -> None:
    import h5py

    _attrs(group.create_dataset(name, data=value, dtype=h5py.string_dtype("utf-8")), "string", "0.2.0")


def _dataframe(root, name: str, frame: pd.DataFrame) -> None:
    """A dataframe element: an ``_index`` string array and one element per column, in order."""
    group = root.create_group(name)
    _attrs(group, "dataframe", "0.2.0")
    group.attrs["_index"] = "_index"
    group.attrs["column-order"] = np.array(list(frame.columns), dtype=object) if len(frame.columns) else np.array([], dtype="S1")
    _strings(group, "_index", frame.index)
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            element = group.create_group(column)
            _attrs(element, "categorical", "0.2.0")
            element.attrs["ordered"] = False
            _strings(element, "categories", values.cat.categories)
            _array(element, "codes", values.cat.codes.to_numpy(dtype=np.int8 if len(values.cat.categories) < 127 else np.int32))
        elif pd.api.types.is_bool_dtype(values) and not values.isna().any():
            _array(group, column, values.to_numpy(dtype=bool))
        elif pd.api.types.is_float_dtype(values):
            _array(group, column, values.to_numpy(dtype=float))
        elif pd.api.types.is_integer_dtype(values):
            element = group.create_group(column)
            _attrs(element, "nullable-integer", "0.1.0")
            _array(element, "values", values.fillna(0).to_numpy(dtype=np.int64))
            _array(element, "mask", values.isna().to_numpy())
        else:
            _strings(group, column, values)
