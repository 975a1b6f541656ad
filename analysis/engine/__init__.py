"""One biotype run: UMAP and HDBSCAN with data-driven defaults, stability, the sweep and split view, the saved model, where fits run."""
