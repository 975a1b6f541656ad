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
