"""A made-up "photo" and "painting" for the style-transfer tests and benchmark: no download, the
same pixels on every machine.

The photo is a scene with hard edges (sky, sun, hills, houses with windows, a little sensor
noise); the painting is made of short curved brush strokes in a small palette, the kind of
texture whose statistics style transfer carries over.
"""

from __future__ import annotations

import numpy as np


def synthetic_photo(size: int = 256, seed: int = 0) -> np.ndarray:
    """uint8 (size, size, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.empty((size, size, 3), np.float32)
    image[...] = np.stack([0.45 + 0.3 * y, 0.65 + 0.2 * y, 0.95 - 0.1 * y], -1)  # sky
    sun = (x - 0.75) ** 2 + (y - 0.2) ** 2 < 0.08**2
    image[sun] = (1.0, 0.9, 0.4)
    hill = y > 0.55 + 0.08 * np.sin(x * 7.0)
    image[hill] = np.stack([0.25 + 0.1 * y, 0.55 - 0.2 * y, 0.2 + 0 * y], -1)[hill]
    for left, width, height, colour in ((0.08, 0.22, 0.2, (0.8, 0.3, 0.25)),
                                        (0.4, 0.18, 0.28, (0.9, 0.85, 0.7)),
                                        (0.66, 0.25, 0.16, (0.5, 0.5, 0.6))):  # fmt: skip
        top, bottom = 0.82 - height, 0.82
        house = (x > left) & (x < left + width) & (y > top) & (y < bottom)
        image[house] = colour
        roof = (
            (y <= top)
            & (y > top - 0.08)
            & (np.abs(x - left - width / 2) < (y - top + 0.08) * width / 0.16)
        )
        image[roof] = (0.35, 0.15, 0.1)
        for column in range(2):
            wx = left + width * (0.2 + 0.45 * column)
            window = (x > wx) & (x < wx + width * 0.2) & (y > top + 0.04) & (y < top + 0.1)
            image[window] = (0.15, 0.2, 0.35)
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def synthetic_painting(size: int = 256, seed: int = 1, strokes: int = 900) -> np.ndarray:
    """uint8 (size, size, 3): swirling strokes in blues and yellows."""
    rng = np.random.default_rng(seed)
    palette = np.array([(0.1, 0.2, 0.55), (0.2, 0.4, 0.8), (0.95, 0.85, 0.3), (0.9, 0.6, 0.15),
                        (0.05, 0.1, 0.25), (0.6, 0.8, 0.95)], np.float32)  # fmt: skip
    image = np.empty((size, size, 3), np.float32)
    image[...] = palette[0]
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    for _ in range(strokes):
        cx, cy = rng.uniform(0, size, 2)
        # Strokes follow a swirling field around a few centres, as in a starry night.
        angle = np.arctan2(cy - size / 2, cx - size / 2) + np.pi / 2 + rng.normal(0, 0.3)
        length, width = rng.uniform(6, 16) * size / 256, rng.uniform(1.2, 2.6) * size / 256
        dx, dy = np.cos(angle), np.sin(angle)
        along = (x - cx) * dx + (y - cy) * dy
        across = -(x - cx) * dy + (y - cy) * dx - 0.02 * along**2
        mask = (np.abs(along) < length) & (np.abs(across) < width)
        colour = palette[rng.integers(len(palette))] * rng.uniform(0.85, 1.1)
        image[mask] = colour
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
