"""Pain Biotype Explorer analysis core: pure Python, no streamlit or plotting imports.

Importing it changes nothing outside it. The entry points (``python -m analysis``, app.py, the
test session) call :func:`analysis.engine.compiled_code.use_private_cache_folder` first, so that
numba keeps umap-learn's compiled code in a private folder between processes.
"""
