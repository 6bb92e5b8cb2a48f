"""The Training page and Train dock: the form, the training session bridge, live curves, sample
grids and the how-long estimate."""
