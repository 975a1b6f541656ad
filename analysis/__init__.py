"""Pain Biotype Explorer analysis core: pure Python, no streamlit or plotting imports."""

from analysis.compiled_code import use_private_cache_folder

# Before anything imports numba: its compiled code is kept in a private temporary folder.
use_private_cache_folder()
