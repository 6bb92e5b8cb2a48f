"""How good generated images are, judged by a classifier trained on the same data.

Inception-based FID needs downloaded weights and says little about 28 x 28 digits, so every
figure here is computed in the feature space of a reference classifier of the run's dataset
(reference.py): Fréchet distance, KID, precision and recall, the class histogram and the
spread within a class. The measures are pure functions (frechet.py, kernel_distance.py,
manifold.py, classes.py); measure.py puts them together; monitor.py measures a run while it
trains. figures.py describes the figures as plain data and imports no torch.
"""
