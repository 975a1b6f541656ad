"""What a run writes: its files and run.json, the methods paragraph, AnnData."""
