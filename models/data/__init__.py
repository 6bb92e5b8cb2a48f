"""Datasets: the bundled digits, torchvision downloads, `folder:` and `npz:` sources, a person's
image files, batch augmentation and image grids."""
