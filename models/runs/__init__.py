"""A run is a folder: its files, checkpoints, lock, notes and resume point, written atomically."""
