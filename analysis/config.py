"""The run configuration: every parameter of a biotype run, checked once, serialised to run.json and back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace

from analysis.cohort import modalities as M
from analysis.errors import CohortError
from analysis.validity.replication import DEFAULT_REPLICATION_SPLITS
from analysis.validity.structure import DEFAULT_NULL_COHORTS, MIN_NULL_COHORTS

IMPUTERS = ("median", "knn", "iterative")
SCALERS = ("standard", "robust")
MISSING_MODALITY_POLICIES = ("exclude", "impute")
PRS_ADJUSTMENTS = ("auto", "within_ancestry", "residualise_pcs", "none")
CONNECTIVITY_FEATURES = ("networks", "pca", "both")
#: Longest name a biotype may be given by hand.
MAX_NAME_LENGTH = 80
# Fewer participants than this per stability subsample and HDBSCAN's scaled parameters become meaningless.
MIN_STABILITY_SUBSAMPLE = 50
SELECTION_METHODS = ("eom", "leaf")
#: Parameters a run can choose from the data (left as None).
AUTOMATIC_PARAMETERS = ("n_neighbors", "min_cluster_size", "min_samples")


@dataclass(frozen=True)
class RunConfig:
    """Every parameter of one biotype run.

    Parameters left as None are chosen from the data (see :mod:`analysis.engine.clustering`); the resolved
    values are written to run.json so that passing it back reproduces the run exactly.

    Attributes
    ----------
    modalities : tuple of str
        Modalities to cluster on, among clinical, prs, connectivity, wearables; those the cohort
        lacks are left out with a note.
    exclude_columns : tuple of str
        Columns never used as features.
    one_hot_columns : tuple of str
        Text columns with at most 10 levels to use as clinical features, one 0/1 column per level.
    max_missing_fraction : float in [0, 1)
        Feature columns missing for more than this share of the participants who have the
        modality are dropped with a warning.
    impute : {"median", "knn", "iterative"}
        How missing values inside a modality are filled.
    scale : {"standard", "robust"}
        Per-feature scaling (z-score, or median/IQR).
    missing_modality : {"exclude", "impute"}
        Participants lacking a whole selected modality are excluded (with the reason), or their
        block is imputed from the participants most like them in the other modalities (KNN).
    prs_adjustment : {"auto", "within_ancestry", "residualise_pcs", "none"}
        auto: standardise within ancestry group when an ``ancestry`` column exists, else none.
    connectivity_features : {"networks", "pca", "both"}
        Within/between-network mean connectivity from the atlas, PCA components of the edges, or both.
    connectivity_pca_components : int
    harmonise_sites : bool or None
        Remove site (or scanner) effects from the connectivity features with ComBat before clustering.
        None (the default) decides from the data: on when connectivity is clustered and its
        participants come from two or more sites with at least two participants each, every one
        with a known site (see :func:`analysis.features.blocks.harmonisation_choice`).
    harmonise_protect : tuple of str
        Covariates whose effects ComBat keeps (default age and sex). With automatic harmonisation,
        the ones the table lacks are left out (and the resolved configuration says so).
    wearable_min_valid_days : int
        Fewer valid (worn) days than this and the participant's wearable summary is missing.
    block_weights : tuple of (str, float)
        Weight of each modality block in the fused space; missing modalities weigh 1 (equal blocks).
    n_components : int
        UMAP dimensions used for clustering (the display embedding is always 2-D).
    n_neighbors, min_cluster_size, min_samples : int or None
        UMAP and HDBSCAN parameters; None chooses them from the data.
    min_dist : float
        UMAP min_dist for the clustering embedding (0 packs clusters tightly, as HDBSCAN prefers).
    cluster_selection_method : {"eom", "leaf"}
    cluster_selection_epsilon : float
    neighbour_agreement : float in [0, 1]
        A participant keeps its biotype only if at least this share of its nearest neighbours in
        the fused features (the UMAP graph) are in the same biotype; otherwise it is labelled noise
        (-1), because UMAP can pull a participant who lies between biotypes into one. 0 turns the
        check off.
    stability_resamples : int
        Subsamples (80%) re-clustered to measure each biotype's stability; 0 skips the check.
    stability_subsample : int
        Participants per stability subsample; 0 means 80% of the clustered participants. A smaller
        number (large cohorts) re-clusters that many participants per resample and places the others
        with the resample's UMAP ``transform`` and HDBSCAN ``approximate_predict``, so every
        participant is still compared.
    null_cohorts : int
        Null cohorts of the structure test (:mod:`analysis.validity.structure`): Gaussian cohorts with the
        fused features' mean and covariance, run through the same pipeline; 0 leaves the biotypes
        untested; otherwise at least 19, with which the smallest p-value is 0.05.
    replication_splits : int
        Random splits of the split-half replication (:mod:`analysis.validity.replication`): each half is
        clustered with the run's pipeline and placed into the other half's biotypes; 0 skips it (it is
        skipped anyway below 100 clustered participants).
    site_replication : bool
        Leave-one-site-out replication (:mod:`analysis.validity.external`) when the cohort has two or more
        sites: the pipeline, harmonisation included, is fitted on the other sites and each site is
        placed into those biotypes and clustered alone.
    severity_score : str
        A column (a composite severity score) that clinical value compares the biotypes with; ""
        compares them with the first principal components of the clustered features.
    chosen_from_data : tuple of str
        Which of n_neighbors, min_cluster_size and min_samples the run chose from the data (filled
        in when a run resolves them). The resolved values reproduce the run; the null cohorts choose
        these again, as the run did.
    seed : int
        Seed of every random step; equal seeds give identical assignments.
    biotype_names : tuple of (int, str)
        Names given by hand, keyed by biotype number (1 = B1); they replace the automatic names in
        every table and export. Names of biotypes the run does not find are ignored with a note.
    custom_groups : tuple of (str, tuple of str)
        Groups of participants chosen by hand (e.g. a lasso selection on the map), by name and
        participant ids; each is profiled against the other clustered participants like a biotype.
        They do not change the clustering.
    """

    modalities: tuple[str, ...] = M.FEATURE_MODALITIES
    exclude_columns: tuple[str, ...] = ()
    one_hot_columns: tuple[str, ...] = ()
    max_missing_fraction: float = 0.5
    impute: str = "median"
    scale: str = "standard"
    missing_modality: str = "exclude"
    prs_adjustment: str = "auto"
    connectivity_features: str = "networks"
    connectivity_pca_components: int = 10
    harmonise_sites: bool | None = None
    harmonise_protect: tuple[str, ...] = ("age", "sex")
    wearable_min_valid_days: int = 7
    block_weights: tuple[tuple[str, float], ...] = field(default=())
    n_components: int = 5
    n_neighbors: int | None = None
    min_dist: float = 0.0
    min_cluster_size: int | None = None
    min_samples: int | None = None
    cluster_selection_method: str = "eom"
    cluster_selection_epsilon: float = 0.0
    neighbour_agreement: float = 0.5
    stability_resamples: int = 0
    stability_subsample: int = 0
    null_cohorts: int = DEFAULT_NULL_COHORTS
    replication_splits: int = DEFAULT_REPLICATION_SPLITS
    site_replication: bool = True
    severity_score: str = ""
    chosen_from_data: tuple[str, ...] = ()
    seed: int = 0
    biotype_names: tuple[tuple[int, str], ...] = field(default=())
    custom_groups: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise CohortError naming the first parameter out of range (scikit-learn's message shape)."""
        _one_of("modalities", self.modalities, M.FEATURE_MODALITIES, many=True)
        if not self.modalities:
            _bad("modalities", "a non-empty list of clinical, prs, connectivity, wearables", self.modalities)
        _one_of("impute", self.impute, IMPUTERS)
        _one_of("scale", self.scale, SCALERS)
        _one_of("missing_modality", self.missing_modality, MISSING_MODALITY_POLICIES)
        _one_of("prs_adjustment", self.prs_adjustment, PRS_ADJUSTMENTS)
        _one_of("connectivity_features", self.connectivity_features, CONNECTIVITY_FEATURES)
        _one_of("cluster_selection_method", self.cluster_selection_method, SELECTION_METHODS)
        if not 0 <= self.max_missing_fraction < 1:
            _bad("max_missing_fraction", "a float in [0, 1)", self.max_missing_fraction)
        _int_at_least("connectivity_pca_components", self.connectivity_pca_components, 1)
        _int_at_least("wearable_min_valid_days", self.wearable_min_valid_days, 1)
        _int_at_least("n_components", self.n_components, 2)
        _int_at_least("seed", self.seed, 0)
        if self.seed > MAX_SEED:
            _bad("seed", f"an int from 0 to {MAX_SEED} (UMAP and NumPy take 32-bit seeds)", self.seed)
        _int_at_least("stability_resamples", self.stability_resamples, 0)
        _int_at_least("null_cohorts", self.null_cohorts, 0)
        if 0 < self.null_cohorts < MIN_NULL_COHORTS:
            _bad(
                "null_cohorts",
                f"0 (not tested) or an int >= {MIN_NULL_COHORTS} (with n null cohorts the smallest p-value is 1/(n + 1))",
                self.null_cohorts,
            )
        _int_at_least("replication_splits", self.replication_splits, 0)
        if not isinstance(self.site_replication, bool):
            _bad("site_replication", "true or false", self.site_replication)
        if not isinstance(self.severity_score, str):
            _bad("severity_score", 'a column name, or "" for principal components', self.severity_score)
        _one_of("chosen_from_data", self.chosen_from_data, AUTOMATIC_PARAMETERS, many=True)
        subsample = self.stability_subsample
        if isinstance(subsample, bool) or not isinstance(subsample, int) or 0 < subsample < MIN_STABILITY_SUBSAMPLE or subsample < 0:
            _bad("stability_subsample", f"0 (80% of the participants) or an int >= {MIN_STABILITY_SUBSAMPLE}", subsample)
        if self.harmonise_sites is not None and not isinstance(self.harmonise_sites, bool):
            _bad("harmonise_sites", "true, false or null (automatic)", self.harmonise_sites)
        if self.n_neighbors is not None:
            _int_at_least("n_neighbors", self.n_neighbors, 2)
        if self.min_cluster_size is not None:
            _int_at_least("min_cluster_size", self.min_cluster_size, 2)
        if self.min_samples is not None:
            _int_at_least("min_samples", self.min_samples, 1)
        if not 0 <= self.min_dist <= 1:
            _bad("min_dist", "a float in [0, 1]", self.min_dist)
        if not 0 <= self.neighbour_agreement <= 1:
            _bad("neighbour_agreement", "a float in [0, 1]", self.neighbour_agreement)
        if self.cluster_selection_epsilon < 0:
            _bad("cluster_selection_epsilon", "a float >= 0", self.cluster_selection_epsilon)
        for number, name in self.biotype_names:
            _int_at_least("biotype number in biotype_names", number, 1)
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or any(c in name for c in "\n\r\t"):
                _bad(f"name of biotype {number}", f"one line of 1 to {MAX_NAME_LENGTH} characters", name)
        seen = set()
        for name, ids in self.custom_groups:
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or any(c in name for c in "\n\r\t"):
                _bad("name of a custom group", f"one line of 1 to {MAX_NAME_LENGTH} characters", name)
            if name in seen:
                _bad("custom_groups", "groups with different names", name)
            seen.add(name)
            if not ids or not all(isinstance(i, str) for i in ids):
                _bad(f"participants of group '{name}'", "a non-empty list of participant ids", ids)
        for name, weight in self.block_weights:
            _one_of("block_weights", name, M.FEATURE_MODALITIES)
            if not weight > 0:
                _bad(f"block weight of {name}", "a float > 0", weight)

    def weight_of(self, modality: str) -> float:
        """Block weight of a modality (1.0 unless set)."""
        return dict(self.block_weights).get(modality, 1.0)

    def with_(self, **changes) -> RunConfig:
        """A copy with some parameters changed (checked again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (tuples become lists)."""
        out = asdict(self)
        out["block_weights"] = {name: weight for name, weight in self.block_weights}
        out["biotype_names"] = {str(number): name for number, name in self.biotype_names}
        out["custom_groups"] = {name: list(ids) for name, ids in self.custom_groups}
        return out

    def to_json(self) -> str:
        """The configuration as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict, where: str = "run configuration") -> RunConfig:
        """Build from a dict such as run.json's ``config``; unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise CohortError(f"unknown parameter(s) {', '.join(unknown)}", where, f"use only {', '.join(sorted(known))}")
        values = dict(values)
        for name in ("modalities", "exclude_columns", "one_hot_columns", "harmonise_protect", "chosen_from_data"):
            if name in values:
                values[name] = tuple(values[name])
        if "biotype_names" in values:
            names = values["biotype_names"]
            pairs = names.items() if isinstance(names, dict) else map(tuple, names)
            try:
                values["biotype_names"] = tuple(sorted((int(number), name) for number, name in pairs))
            except (TypeError, ValueError):
                _bad("biotype_names", 'an object of biotype number to name, e.g. {"1": "high distress"}', names)
        if "custom_groups" in values:
            groups = values["custom_groups"]
            if not isinstance(groups, dict) or not all(isinstance(ids, list) for ids in groups.values()):
                _bad("custom_groups", 'an object of group name to a list of participant ids, e.g. {"flare-ups": ["sub-01"]}', groups)
            values["custom_groups"] = tuple((name, tuple(ids)) for name, ids in groups.items())
        if "block_weights" in values:
            weights = values["block_weights"]
            values["block_weights"] = tuple(sorted(weights.items() if isinstance(weights, dict) else map(tuple, weights)))
        try:
            return cls(**values)
        except TypeError as exc:
            raise CohortError(f"a parameter has the wrong type ({exc})", where, "compare with a run.json written by this tool") from None

    @classmethod
    def from_json(cls, text: str, where: str = "run.json") -> RunConfig:
        """Read a configuration from JSON: either the object itself or run.json with a ``config`` key."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CohortError(f"not valid JSON ({exc.msg}, line {exc.lineno})", where, "give the run.json this tool wrote") from None
        if not isinstance(values, dict):
            raise CohortError("not a JSON object", where, "give the run.json this tool wrote")
        return cls.from_dict(values.get("config", values), where)


def _bad(name: str, expected: str, got) -> None:
    raise CohortError(f"the '{name}' parameter must be {expected}; got {got!r} instead", "the run configuration", "change that parameter")


def _one_of(name: str, value, allowed: tuple[str, ...], many: bool = False) -> None:
    values = value if many else (value,)
    if isinstance(values, str) or any(v not in allowed for v in values):
        _bad(name, f"{'any of' if many else 'one of'} {', '.join(allowed)}", value)


#: Largest seed: umap-learn and NumPy's legacy RandomState take seeds below 2**32.
MAX_SEED = 2**32 - 1


def _int_at_least(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _bad(name, f"an int >= {low}", value)
