"""Feature blocks per modality: each modality's features, screened, imputed and scaled.

The features themselves (yes/no and one-hot columns, PRS adjustment, connectivity network means, PCA
and ComBat, wearable summaries) are computed by :mod:`analysis.features.extractors`. Each selected
modality becomes one :class:`Block` holding only the participants who have that modality;
:mod:`analysis.features.fusion` then joins the blocks and decides, by the run configuration, what
happens to participants who lack one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import RobustScaler, StandardScaler

from analysis.cohort import modalities as M
from analysis.cohort.cohort import Cohort
from analysis.cohort.connectivity import Connectivity
from analysis.config import RunConfig
from analysis.errors import Issue, named_columns
from analysis.features.extractors import (
    EXTRACTORS,
    ClinicalFeatures,
    ConnectivityFeatures,
    PrsFeatures,
    WearableFeatures,
    features_from_saved_params,
    harmonised_features,
)
from analysis.io.tables import ids_in

#: A modality's fitted features (:mod:`analysis.features.extractors`).
ModalityFeatures = ClinicalFeatures | PrsFeatures | ConnectivityFeatures | WearableFeatures


@dataclass(frozen=True)
class Block:
    """One modality's features, ready to fuse.

    Attributes
    ----------
    modality : str
    values : DataFrame indexed by participant, shape (n_with_modality, n_features)
        Imputed and scaled features of the participants who have this modality.
    raw : DataFrame, same shape
        The same features before imputation and scaling (for profiling in natural units).
    n_imputed : int
        Values filled in by the imputer.
    issues : tuple of Issue
        What was set aside or dropped, and why.
    """

    modality: str
    values: pd.DataFrame
    raw: pd.DataFrame
    n_imputed: int
    issues: tuple[Issue, ...] = field(default=())


@dataclass(frozen=True)
class BlockModel:
    """What a block learned from the reference cohort, to transform new participants the same way.

    Attributes
    ----------
    modality : str
    columns : tuple of str
        Feature columns after screening, in order.
    imputer, scaler : fitted scikit-learn transformers
    features : ClinicalFeatures, PrsFeatures, ConnectivityFeatures or WearableFeatures
        The modality's fitted features (:mod:`analysis.features.extractors`): what they learned from
        the reference cohort (yes/no columns, PRS adjustment, connectivity PCA and ComBat estimates).
    """

    modality: str
    columns: tuple[str, ...]
    imputer: object
    scaler: object
    features: ModalityFeatures

    def __setstate__(self, state: dict) -> None:
        """Unpickle, turning the dict of fitted values of a model saved before the features were typed into them."""
        if "params" in state:
            state = {**state, "features": features_from_saved_params(state["modality"], state["params"])}
            del state["params"]
        self.__dict__.update(state)

    @classmethod
    def fit(cls, modality: str, cohort: Cohort, config: RunConfig) -> tuple[BlockModel | None, Block | None, list[Issue]]:
        """Fit one modality's features, screening, imputer and scaler on ``cohort``.

        Returns
        -------
        model : BlockModel or None
        block : Block or None
            None when the cohort has no usable feature of the modality.
        issues : list of Issue
            Why the modality is left out (only when ``block`` is None).
        """
        features, raw, notes = EXTRACTORS[modality].fit_transform(cohort, config)
        raw = raw.drop(columns=[c for c in config.exclude_columns if c in raw.columns])
        raw, screened = screen_columns(raw, modality, config.max_missing_fraction)
        notes = notes + screened
        if raw.shape[1] == 0 or raw.shape[0] == 0:
            return None, None, _left_out(modality, notes)
        values, n_imputed, imputer, scaler = impute_and_scale(raw, config)
        notes += _imputed_note(modality, n_imputed, config)
        return cls(modality, tuple(raw.columns), imputer, scaler, features), Block(modality, values, raw, n_imputed, tuple(notes)), []

    def transform(self, cohort: Cohort, config: RunConfig) -> tuple[Block | None, list[Issue]]:
        """The block of ``cohort`` computed, imputed and scaled exactly as for the reference cohort (nothing refitted).

        A feature of the reference the cohort lacks is imputed (and said); participants with none
        of the features are left out of the block. Returns the block (None when nothing is usable)
        and, when it is None, why the modality is left out.
        """
        raw, notes = self.features.transform(cohort, config)
        absent = [c for c in self.columns if c not in raw.columns]
        if absent:
            notes.append(
                Issue(
                    "warning",
                    f"{len(absent)} {self.modality} feature(s) of the reference run are absent and imputed: {', '.join(absent[:6])}",
                    self.modality,
                    "give the same columns as the reference cohort",
                )
            )
        raw = raw.reindex(columns=list(self.columns))
        raw = raw[raw.notna().any(axis=1)]
        if raw.shape[1] == 0 or raw.shape[0] == 0:
            return None, _left_out(self.modality, notes)
        n_imputed = int(raw.isna().to_numpy().sum())
        values = pd.DataFrame(
            self.scaler.transform(self.imputer.transform(raw.to_numpy(dtype=np.float64, copy=True))),
            index=raw.index,
            columns=raw.columns,
        )
        notes += _imputed_note(self.modality, n_imputed, config)
        return Block(self.modality, values, raw, n_imputed, tuple(notes)), []


def build_blocks(
    cohort: Cohort, config: RunConfig, fitted: dict[str, BlockModel] | None = None
) -> tuple[dict[str, Block], list[Issue], dict[str, BlockModel]]:
    """Build the block of every selected modality the cohort has.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
    fitted : dict of str to BlockModel, optional
        A reference run's block models: features are then computed, imputed and scaled exactly as
        for the reference cohort (for assigning new participants) instead of being fitted.

    Returns
    -------
    blocks : dict of str to Block
        In the order of ``config.modalities``; modalities with no usable feature are left out.
    issues : list of Issue
        Modalities asked for but absent or empty, with the reason.
    models : dict of str to BlockModel
        The fitted (or given) block models.
    """
    blocks, issues, models = {}, [], {}
    for modality in config.modalities:
        if fitted is None:
            model, block, left_out = BlockModel.fit(modality, cohort, config)
        elif modality in fitted:
            model = fitted[modality]
            block, left_out = model.transform(cohort, config)
        else:
            continue
        if block is None:
            issues.extend(left_out)
            continue
        blocks[modality], models[modality] = block, model
    return blocks, issues, models


def _left_out(modality: str, notes: list[Issue]) -> list[Issue]:
    """Why a modality with no usable feature is left out, followed by its notes."""
    return [
        Issue(
            "warning",
            f"the cohort has no usable {modality} feature; the modality is left out",
            modality,
            "add data for it or leave it out of the run",
        ),
        *notes,
    ]


def _imputed_note(modality: str, n_imputed: int, config: RunConfig) -> list[Issue]:
    """A note counting the values filled in, if any."""
    return [Issue("info", f"{n_imputed} missing {modality} value(s) imputed ({config.impute})", modality, "")] if n_imputed else []


def harmonisation_choice(cohort: Cohort, config: RunConfig) -> tuple[RunConfig, Issue | None]:
    """Resolve automatic site harmonisation (``harmonise_sites`` None) for this cohort.

    Harmonisation is turned on when connectivity is among the modalities, the cohort has
    connectivity, and its participants with connectivity come from two or more sites (``scanner``
    column, else ``site``), each with at least two of them and none with the site missing.
    Protected covariates the table lacks are dropped from ``harmonise_protect``.

    Returns
    -------
    config : RunConfig
        With ``harmonise_sites`` True or False (and ``harmonise_protect`` trimmed when on).
    note : Issue or None
        Why it was turned on or left off (None when the user decided).
    """
    if config.harmonise_sites is not None:
        return config, None
    frame = cohort.participants
    lowered = {c.lower(): c for c in frame.columns}
    batch_column = lowered.get("scanner") or lowered.get("site")
    if M.CONNECTIVITY not in config.modalities or cohort.connectivity is None:
        return config.with_(harmonise_sites=False), None
    imaging = ids_in(frame.index, cohort.connectivity.ids)
    if batch_column is None:
        return config.with_(harmonise_sites=False), Issue(
            "warning",
            "connectivity is clustered without site harmonisation: the table has no 'site' or 'scanner' column",
            "automatic harmonisation",
            "add a site or scanner column if the scans come from more than one site",
        )
    sites = frame.loc[np.asarray(imaging, dtype=bool), batch_column]
    counts = sites.value_counts()
    if sites.isna().any() or (counts < 2).any() or counts.size < 2:
        why = (
            f"{int(sites.isna().sum())} participant(s) with imaging have no {batch_column}"
            if sites.isna().any()
            else f"{batch_column}(s) {', '.join(map(str, counts.index[counts < 2]))} have a single participant with imaging"
            if (counts < 2).any()
            else f"all participants with imaging share one {batch_column}"
        )
        severity = "info" if counts.size < 2 and not sites.isna().any() else "warning"
        return config.with_(harmonise_sites=False), Issue(
            severity,
            f"connectivity is not harmonised across sites: {why}",
            "automatic harmonisation",
            "" if severity == "info" else "fix the site column, or set harmonisation on or off yourself",
        )
    protect = tuple(c for c in config.harmonise_protect if c.lower() in lowered)
    return config.with_(harmonise_sites=True, harmonise_protect=protect), Issue(
        "info",
        f"connectivity comes from {counts.size} {batch_column}s, so ComBat harmonisation was turned on (automatic; turn it off in the configuration)",
        "automatic harmonisation",
        "",
    )


def screen_columns(raw: pd.DataFrame, modality: str, max_missing: float) -> tuple[pd.DataFrame, list[Issue]]:
    """Drop columns missing for too many of the block's participants, and constant columns; say so.

    Rows with no value left are dropped from the block (those participants lack the modality).
    """
    notes = []
    rows = raw.notna().any(axis=1)
    raw = raw[rows]
    missing = raw.isna().mean()
    too_sparse = missing.index[missing > max_missing].tolist()
    if too_sparse:
        notes.append(
            Issue(
                "warning",
                f"{len(too_sparse)} {modality} column(s) missing for more than {max_missing:.0%} of participants are not used: {named_columns(too_sparse)}",
                modality,
                "raise max_missing_fraction to keep them",
                columns=tuple(too_sparse),
            )
        )
    raw = raw.drop(columns=too_sparse)
    constant = [c for c in raw.columns if raw[c].nunique(dropna=True) <= 1]
    if constant:
        notes.append(
            Issue("info", f"constant {modality} column(s) not used: {named_columns(constant)}", modality, "", columns=tuple(constant))
        )
    raw = raw.drop(columns=constant)
    return raw[raw.notna().any(axis=1)], notes


def impute_and_scale(raw: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, int, object, object]:
    """Fill missing values (median, KNN or iterative) and scale each feature (standard or robust).

    Returns
    -------
    values : DataFrame, same index and columns as ``raw``
    n_imputed : int
    imputer, scaler : the fitted transformers (to treat new participants the same way)
    """
    x = raw.to_numpy(dtype=np.float64, copy=True)  # a writable copy: some imputers fill in place
    n_imputed = int(np.isnan(x).sum())
    imputer = {
        "median": lambda: SimpleImputer(strategy="median", keep_empty_features=True),
        "knn": lambda: KNNImputer(n_neighbors=5, keep_empty_features=True),
        "iterative": lambda: IterativeImputer(random_state=config.seed, max_iter=10, keep_empty_features=True),
    }[config.impute]()
    x = imputer.fit_transform(x)
    scaler = StandardScaler() if config.scale == "standard" else RobustScaler()
    x = scaler.fit_transform(x)
    return pd.DataFrame(x, index=raw.index, columns=raw.columns), n_imputed, imputer, scaler


@dataclass(frozen=True)
class ShownConnectivity:
    """The connectivity a run's brain views summarise and test, and what was done to it.

    Attributes
    ----------
    connectivity : Connectivity
        The cohort's matrices, or a copy whose edges are ComBat-harmonised across sites.
    harmonised : bool
    description : str
        One line for captions and the report, e.g. "harmonised across 3 sites with ComBat on the edges".
    """

    connectivity: Connectivity
    harmonised: bool
    description: str


def shown_connectivity(cohort: Cohort, config: RunConfig, harmonise: bool = True) -> ShownConnectivity | None:
    """The connectivity to summarise per biotype: harmonised like the clustering features when the run harmonised sites.

    A run that harmonised sites clustered ComBat-corrected connectivity features; summaries, tests
    and glass brains of the raw matrices would show the scanner offsets the run removed (a biotype
    made of one site's participants then differs from the rest by that site's offset on every edge).
    So ComBat is fitted on the edges themselves, with the run's batch column and protected
    covariates (:func:`analysis.features.extractors.harmonised_features`), and those edges are shown.

    Parameters
    ----------
    cohort : Cohort
    config : RunConfig
        The run's resolved configuration (``harmonise_sites`` True or False).
    harmonise : bool
        False gives the raw matrices even when the run harmonised (the labelled raw view).

    Returns
    -------
    ShownConnectivity or None
        None when the cohort has no matrices.
    """
    raw = cohort.connectivity
    if raw is None:
        return None
    if not (config.harmonise_sites and harmonise):
        what = "raw matrices, as uploaded" + (" (the run harmonised sites; this view does not)" if config.harmonise_sites else "")
        return ShownConnectivity(raw, False, what)
    edges = pd.DataFrame(np.asarray(raw.edges, dtype=np.float64), index=pd.Index(raw.ids, name="participant"))
    harmonised, model, _ = harmonised_features(cohort, edges, config)
    if model is None:
        return ShownConnectivity(raw, False, "raw matrices (one site: nothing to harmonise)")
    protect = ", ".join(config.harmonise_protect) or "nothing"
    return ShownConnectivity(
        replace(raw, edges=harmonised.to_numpy(dtype=np.float32)),
        True,
        f"harmonised across {len(model.batches)} sites with ComBat on the edges (as the clustering features were), protecting {protect}",
    )
