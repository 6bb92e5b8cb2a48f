"""A trained model applied to a person's files: classification with its evidence and explanations,
reconstruction, and exported images."""
