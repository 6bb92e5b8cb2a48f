"""Image Studio's core: model kinds, datasets, training and run folders. Never imports Qt."""
