"""The Latent space page: interpolation, four corners, sliders, the map and arithmetic, with their
model work."""
