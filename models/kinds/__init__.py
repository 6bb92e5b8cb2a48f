"""Training objectives, one module per kind, over networks shared between kinds."""
