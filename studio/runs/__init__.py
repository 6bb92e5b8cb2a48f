"""The run history dock: listing, following, comparing, renaming and noting runs."""
