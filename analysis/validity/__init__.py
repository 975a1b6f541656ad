"""Are the biotypes real? Distinctness against null cohorts, split-half replication, external replication."""
