"""Session-state keys, in one place. Page-local keys carry the page's prefix."""

#: The loaded Cohort of this session (kept when a later upload fails, so nothing is lost).
COHORT = "cohort"
#: "sample" or "upload": where the current cohort comes from.
DATA_SOURCE = "data_source"
#: The last user-facing error of the Data page, if the latest files could not be loaded.
DATA_ERROR = "data_error"
#: (fingerprint of the files as loaded, InputFile of the data dictionary with the roles edited on the Data page)
DATA_ROLES = "data_roles"
DATA_ROLES_TABLE = "data_roles_table"
DATA_ROLES_APPLY = "data_roles_apply"
DATA_ROLES_RESET = "data_roles_reset"
DATA_ROLES_PROPOSED_ONLY = "data_roles_proposed_only"

#: Suffix of the key under which an upload's InputFile is kept (see components/uploads.py).
INPUT_SUFFIX = "__input"
#: Suffixes of the session keys that keep a workbook upload's sheet names, and of its sheet select box.
SHEETS_SUFFIX = "__sheets"
SHEET_CHOICE_SUFFIX = "_sheet"
#: ... and of a longitudinal REDCap export's events, and of its event select box.
EVENTS_SUFFIX = "__events"
EVENT_CHOICE_SUFFIX = "_event"

# Upload widgets: the same form on the Data page (a cohort) and the Assign page (new participants).
UPLOAD_SUFFIXES = {
    "participants": "participants_file",
    "prs": "prs_file",
    "connectivity": "connectivity_file",
    "connectivity_ids": "connectivity_ids_file",
    "atlas": "atlas_choice",
    "atlas_coords": "atlas_coords_file",
    "wearables": "wearables_file",
    "dictionary": "dictionary_file",
    "phenotypes": "phenotype_files",
}


def upload_keys(prefix: str) -> dict[str, str]:
    """Widget keys of the upload form drawn with this prefix."""
    return {kind: prefix + suffix for kind, suffix in UPLOAD_SUFFIXES.items()}


# Data page widgets
DATA_PREFIX = "data_"
DATA_PARTICIPANTS = DATA_PREFIX + UPLOAD_SUFFIXES["participants"]
DATA_PRS = DATA_PREFIX + UPLOAD_SUFFIXES["prs"]
DATA_CONNECTIVITY = DATA_PREFIX + UPLOAD_SUFFIXES["connectivity"]
DATA_CONNECTIVITY_IDS = DATA_PREFIX + UPLOAD_SUFFIXES["connectivity_ids"]
DATA_ATLAS = DATA_PREFIX + UPLOAD_SUFFIXES["atlas"]
DATA_ATLAS_COORDS = DATA_PREFIX + UPLOAD_SUFFIXES["atlas_coords"]
DATA_WEARABLES = DATA_PREFIX + UPLOAD_SUFFIXES["wearables"]
DATA_DICTIONARY = DATA_PREFIX + UPLOAD_SUFFIXES["dictionary"]
DATA_PHENOTYPES = DATA_PREFIX + UPLOAD_SUFFIXES["phenotypes"]
DATA_LOAD_SAMPLE = "data_load_sample"
DATA_RUN_ZIP = "data_run_zip"
#: (upload id, SavedRun) of the run's zip last read on the Data page.
DATA_SAVED_RUN = "data_saved_run"
DATA_OPEN_RUN = "data_open_run"
DATA_OPEN_RUN_STOP = "data_open_run_stop"

#: This session's biotype runs: {(cohort fingerprint, RunConfig): RunResult}, newest last (see components/cache.py).
RUNS = "biotype_runs"
#: (cohort fingerprint, RunConfig) of the run the pages show.
CURRENT_RUN = "current_run"
#: {run key: name} of the runs the researcher keeps by name (never dropped for newer runs).
RUN_NAMES = "run_names"
#: {run key: n}: each run's number in the order this session computed them ("Run n").
RUN_SERIALS = "run_serials"

#: Run keys whose structure test or replication the researcher stopped (not restarted by themselves).
CHECKS_STOPPED = "checks_stopped"
#: Stop buttons of the structure test and of split-half replication (drawn by any page that starts them).
CHECKS_STOP_STRUCTURE = "checks_stop_structure"
CHECKS_STOP_REPLICATION = "checks_stop_replication"

#: Summaries of the kept runs: {(run key, name): value} (see components/cache.derived).
DERIVED = "run_summaries"

# Biotypes page widgets
BIOTYPES_FORM = "biotypes_form"
BIOTYPES_MODALITIES = "biotypes_modalities"
BIOTYPES_WEIGHT_PREFIX = "biotypes_weight_"
BIOTYPES_IMPUTE = "biotypes_impute"
BIOTYPES_MISSING_MODALITY = "biotypes_missing_modality"
BIOTYPES_HARMONISE = "biotypes_harmonise"
BIOTYPES_N_NEIGHBORS = "biotypes_n_neighbors"
BIOTYPES_MIN_CLUSTER_SIZE = "biotypes_min_cluster_size"
BIOTYPES_MIN_SAMPLES = "biotypes_min_samples"
BIOTYPES_METHOD = "biotypes_method"
BIOTYPES_EPSILON = "biotypes_epsilon"
BIOTYPES_N_COMPONENTS = "biotypes_n_components"
BIOTYPES_AGREEMENT = "biotypes_neighbour_agreement"
BIOTYPES_STABILITY = "biotypes_stability_resamples"
BIOTYPES_NULL_COHORTS = "biotypes_null_cohorts"
BIOTYPES_REPLICATION_SPLITS = "biotypes_replication_splits"
BIOTYPES_SITE_REPLICATION = "biotypes_site_replication"
BIOTYPES_SEVERITY_SCORE = "biotypes_severity_score"
BIOTYPES_SEED = "biotypes_seed"
BIOTYPES_COMPUTE = "biotypes_compute"
BIOTYPES_STOP = "biotypes_stop"
BIOTYPES_RESUME_CHECKS = "biotypes_resume_checks"
BIOTYPES_COLOUR = "biotypes_colour_by"
BIOTYPES_NAMING_FORM = "biotypes_naming_form"
BIOTYPES_NAME_PREFIX = "biotypes_name_"
BIOTYPES_SAVE_NAMES = "biotypes_save_names"
BIOTYPES_MAP = "biotypes_map"
#: Participants drawn over the density view of a very large cohort.
BIOTYPES_SAMPLE = "biotypes_sample_points"
BIOTYPES_SWEEP_RUN = "biotypes_sweep_run"
BIOTYPES_SWEEP_STOP = "biotypes_sweep_stop"
BIOTYPES_SWEEP_METRIC = "biotypes_sweep_metric"
BIOTYPES_SWEEP_MAP = "biotypes_sweep_map"
#: The sweep cell last clicked: (n_neighbors, min_cluster_size).
BIOTYPES_SWEEP_CELL = "biotypes_sweep_cell"
BIOTYPES_ADOPT = "biotypes_adopt"
BIOTYPES_SWEEP_K = "biotypes_sweep_n_neighbors"
BIOTYPES_SWEEP_M = "biotypes_sweep_min_cluster_size"
#: The cell whose parameters were put into the form, to say so above it.
BIOTYPES_ADOPTED = "biotypes_adopted"
BIOTYPES_GROUP_FORM = "biotypes_group_form"
BIOTYPES_GROUP_NAME = "biotypes_group_name"
BIOTYPES_SAVE_GROUP = "biotypes_save_group"
BIOTYPES_GROUP_EDIT_FORM = "biotypes_group_edit_form"
BIOTYPES_GROUP_PICK = "biotypes_group_pick"
BIOTYPES_GROUP_NEW_NAME = "biotypes_group_new_name"
BIOTYPES_GROUP_RENAME = "biotypes_group_rename"
BIOTYPES_GROUP_REMOVE = "biotypes_group_remove"
BIOTYPES_RESAMPLES = "biotypes_measure_resamples"
BIOTYPES_SUBSAMPLE = "biotypes_measure_subsample"
BIOTYPES_RECUT_FORM = "biotypes_recut_form"
BIOTYPES_RECUT_SIZE = "biotypes_recut_min_cluster_size"
BIOTYPES_RECUT_METHOD = "biotypes_recut_method"
BIOTYPES_RECUT_EPSILON = "biotypes_recut_epsilon"
BIOTYPES_RECUT = "biotypes_recut"
BIOTYPES_RECUT_STOP = "biotypes_recut_stop"
BIOTYPES_MEASURE = "biotypes_measure_stability"
BIOTYPES_STABILITY_STOP = "biotypes_stability_stop"

# Profiles page widgets
PROFILES_MODALITIES = "profiles_modalities"
PROFILES_MAX_Q = "profiles_max_q"
PROFILES_GROUP = "profiles_group"

# Brain connectivity page widgets
BRAIN_BIOTYPE = "brain_biotype"
BRAIN_MAX_Q = "brain_max_q"
BRAIN_EDGES = "brain_edges"
BRAIN_INTERACTIVE = "brain_interactive"
BRAIN_RAW = "brain_raw"
#: The Brain page's view (its tabs).
BRAIN_VIEW = "brain_view"

# Genetics page widgets
GENETICS_SCORE = "genetics_score"
GENETICS_OUTCOME = "genetics_outcome"

# Wearables page widgets
WEARABLES_METRIC = "wearables_metric"
WEARABLES_PARTICIPANT = "wearables_participant"
WEARABLES_MAP = "wearables_map"
#: The participant last picked by a click on the Wearables page's map.
WEARABLES_CLICKED = "wearables_clicked"

#: Prefix of the Export page's download buttons.
EXPORT_PREFIX = "export_"
#: The Export page's button that refits an opened run's model for the zip, and its Stop.
EXPORT_REFIT = "export_refit"
EXPORT_REFIT_STOP = "export_refit_stop"

# Compare page widgets
COMPARE_BIOTYPES = "compare_biotypes"
COMPARE_SCORE = "compare_score"
COMPARE_METRIC = "compare_metric"

# Compare runs page widgets
RUNS_NAME_FORM = "runs_name_form"
RUNS_NAME = "runs_name"
RUNS_KEEP = "runs_keep"
RUNS_STOP_KEEPING = "runs_stop_keeping"
RUNS_FIRST = "runs_first"
RUNS_SECOND = "runs_second"
RUNS_UNCLUSTERED = "runs_show_unclustered"
RUNS_SHOW = "runs_show"
RUNS_DOWNLOAD = "runs_download"

# Table 1 and flow page widgets
TABLE_ONE_BY = "table_one_by"
TABLE_ONE_GROUPS = "table_one_groups"
#: Prefix of the page's download buttons.
TABLE_ONE_PREFIX = "table_one_"

# Assign page widgets
ASSIGN_PREFIX = "assign_"
ASSIGN_PARTICIPANTS = ASSIGN_PREFIX + UPLOAD_SUFFIXES["participants"]
ASSIGN_DEMO = "assign_demo"
ASSIGN_STOP = "assign_stop"
#: (run key, new cohort fingerprint) whose placement was stopped (not restarted by itself).
ASSIGN_STOPPED = "assign_stopped"
ASSIGN_RESUME = "assign_resume"
#: The new cohort's assignments: (reference run key, new cohort fingerprint, assignments, issues).
ASSIGNED = "assigned"
ASSIGNED_COHORT = "assigned_cohort"
ASSIGN_REPLICATE = "assign_replicate"
ASSIGN_REPLICATE_STOP = "assign_replicate_stop"
