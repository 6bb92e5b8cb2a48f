"""Driving a run: the Trainer and its loop, the reports they yield, devices, CPU sharing and the
ETA."""
