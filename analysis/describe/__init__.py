"""What the biotypes are: profiles, confound audits, feature importance, per-modality summaries, custom groups, the density map."""
