"""The cohort: one loader per modality (participants table, PRS, connectivity, wearables), the column roles, the validation report and the synthetic cohort."""
