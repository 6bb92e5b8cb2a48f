"""How well an image keeps another's outlines: correlation of their Sobel edge maps."""

from __future__ import annotations

import numpy as np


def sobel_edges(pixels: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the brightness of a uint8 (H, W[, C]) image, float (H, W)."""
    gray = np.asarray(pixels, np.float64)
    if gray.ndim == 3:
        gray = gray.mean(axis=2)
    padded = np.pad(gray, 1, mode="edge")
    # Sobel: a [1, 2, 1] smoothing across, a central difference along.
    rows = padded[:-2] + 2 * padded[1:-1] + padded[2:]
    cols = padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]
    gx = rows[:, 2:] - rows[:, :-2]
    gy = cols[2:, :] - cols[:-2, :]
    return np.hypot(gx, gy)


def shrink(pixels: np.ndarray, factor: int) -> np.ndarray:
    """The image averaged over factor x factor blocks (edges cropped to fit)."""
    pixels = np.asarray(pixels, np.float64)
    h, w = (pixels.shape[0] // factor) * factor, (pixels.shape[1] // factor) * factor
    cropped = pixels[:h, :w]
    return cropped.reshape(h // factor, factor, w // factor, factor, *pixels.shape[2:]).mean((1, 3))


def edge_correlation(a: np.ndarray, b: np.ndarray, scale: int = 4) -> float:
    """Pearson correlation of two same-sized images' edge maps: 1 = the same outlines.

    The maps are taken at 1/`scale` of the size: the outlines of things, not the brush strokes
    a style adds everywhere (at full size those swamp any outline a result keeps).
    """
    ea, eb = sobel_edges(shrink(a, scale)).ravel(), sobel_edges(shrink(b, scale)).ravel()
    if ea.shape != eb.shape:
        raise ValueError("edge maps of images of different sizes cannot be compared")
    if ea.std() == 0 or eb.std() == 0:
        return 0.0
    return float(np.corrcoef(ea, eb)[0, 1])
