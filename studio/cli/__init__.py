"""The headless command line (never imports Qt): parsing, each sub-command, progress bars."""
