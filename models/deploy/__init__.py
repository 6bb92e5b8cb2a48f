"""Deploying a trained run: ONNX and TorchScript files, int8 quantisation, an HTTP service."""
