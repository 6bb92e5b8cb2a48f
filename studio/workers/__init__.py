"""Threads that keep torch off the GUI thread: the one-shot model task bridge and the thread every
long-lived worker runs on."""
