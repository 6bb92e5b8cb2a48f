"""The Classify page: dropped files classified with evidence (nearest images, explanations) and the
test-set confusion matrix."""
