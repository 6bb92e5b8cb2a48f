"""The denoising view: one sample step by step, and the same seed at several step counts or
guidance scales; tools of the latent page for kinds whose decode takes many passes."""
