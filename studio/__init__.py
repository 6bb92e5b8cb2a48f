"""Image Studio: the desktop application and its command line."""
