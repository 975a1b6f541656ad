"""Do the biotypes matter? Outcomes beyond a dimensional summary, treatment interaction, time-to-event outcomes."""
