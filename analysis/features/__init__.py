"""From a cohort to the matrix that is clustered: per-modality feature blocks, site harmonisation, fusion."""
