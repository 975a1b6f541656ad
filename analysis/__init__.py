"""Pain Biotype Explorer analysis core: pure Python, no streamlit or plotting imports."""
