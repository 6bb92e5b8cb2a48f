"""What is computed from a trained model to understand it: latent paths and maps, test-set
evaluation and the quality of generated images."""
