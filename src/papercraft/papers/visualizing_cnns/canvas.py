"""Digits at known places: the data on which localization maps can be scored.

Each real MNIST digit is pasted at a random position of a larger blank canvas, and a few
"clutter" fragments (small crops of *other* digits) are scattered over it, so that a network
must find the digit among distracting strokes and a map that points at any ink is not enough.
The digit's box is the bounding box of its ink, known exactly.
"""

from __future__ import annotations

import torch


def ink_box(digit: torch.Tensor, threshold: int = 0) -> tuple[int, int, int, int]:
    """``(y0, x0, y1, x1)`` (exclusive ends) of the pixels ``> threshold`` of a ``[h, w]`` image."""
    ys, xs = torch.nonzero(digit > threshold, as_tuple=True)
    if len(ys) == 0:
        return 0, 0, digit.shape[0], digit.shape[1]
    return int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1


def place_on_canvas(digits: torch.Tensor, size: int = 56, clutter: int = 3, clutter_size: int = 8,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Paste each uint8 digit ``[N, 28, 28]`` at a random place of a ``size``² canvas, with clutter.

    Returns ``canvases`` float ``[N, 1, size, size]`` in [0, 1] and ``boxes`` long ``[N, 4]``: the
    ink box ``(y0, x0, y1, x1)`` of the digit on the canvas. Clutter fragments are
    ``clutter_size``² crops from the central part of other digits, combined by maximum.
    """
    if digits.dim() != 3 or digits.shape[1:] != (28, 28):
        raise ValueError(f"place_on_canvas expects uint8 digits [N, 28, 28], got {tuple(digits.shape)}")
    if size < 28:
        raise ValueError(f"canvas size must be >= 28, got {size}")
    g = torch.Generator().manual_seed(seed)
    n = len(digits)
    canvases = torch.zeros(n, size, size)
    boxes = torch.zeros(n, 4, dtype=torch.long)
    pixels = digits.float() / 255.0
    for i in range(n):
        for _ in range(clutter):
            other = int(torch.randint(0, n, (1,), generator=g))
            cy, cx = (int(v) for v in torch.randint(6, 22 - clutter_size + 1, (2,), generator=g))
            py, px = (int(v) for v in torch.randint(0, size - clutter_size + 1, (2,), generator=g))
            crop = pixels[other, cy:cy + clutter_size, cx:cx + clutter_size]
            region = canvases[i, py:py + clutter_size, px:px + clutter_size]
            torch.maximum(region, crop, out=region)
        y, x = (int(v) for v in torch.randint(0, size - 28 + 1, (2,), generator=g))
        region = canvases[i, y:y + 28, x:x + 28]
        torch.maximum(region, pixels[i], out=region)
        y0, x0, y1, x1 = ink_box(digits[i])
        boxes[i] = torch.tensor([y + y0, x + x0, y + y1, x + x1])
    return canvases[:, None], boxes
