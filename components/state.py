"""Session-state keys, in one place. Page-local keys carry the page's prefix."""

#: The loaded Cohort of this session (kept when a later upload fails, so nothing is lost).
COHORT = "cohort"
#: "sample" or "upload": where the current cohort comes from.
DATA_SOURCE = "data_source"
#: The last user-facing error of the Data page, if the latest files could not be loaded.
DATA_ERROR = "data_error"

#: Suffix of the key under which an upload's InputFile is kept (see components/uploads.py).
INPUT_SUFFIX = "__input"

# Data page widgets
DATA_PARTICIPANTS = "data_participants_file"
DATA_PRS = "data_prs_file"
DATA_CONNECTIVITY = "data_connectivity_file"
DATA_CONNECTIVITY_IDS = "data_connectivity_ids_file"
DATA_ATLAS = "data_atlas_choice"
DATA_ATLAS_COORDS = "data_atlas_coords_file"
DATA_WEARABLES = "data_wearables_file"
DATA_DICTIONARY = "data_dictionary_file"
DATA_LOAD_SAMPLE = "data_load_sample"

#: This session's biotype runs: {(cohort fingerprint, RunConfig): RunResult}, newest last (see components/cache.py).
RUNS = "biotype_runs"
#: (cohort fingerprint, RunConfig) of the run the pages show.
CURRENT_RUN = "current_run"

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
BIOTYPES_SEED = "biotypes_seed"
BIOTYPES_COMPUTE = "biotypes_compute"
BIOTYPES_COLOUR = "biotypes_colour_by"

# Profiles page widgets
PROFILES_MODALITIES = "profiles_modalities"
PROFILES_MAX_Q = "profiles_max_q"
