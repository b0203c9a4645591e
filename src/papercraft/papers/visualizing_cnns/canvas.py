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


def _disjoint(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Do two boxes ``(y0, x0, y1, x1)`` (exclusive ends) share no pixel?"""
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def place_with_distractors(digits: torch.Tensor, distractors: torch.Tensor, size: int = 56, clutter: int = 3,
                           clutter_size: int = 8, distractor_size: int = 20, seed: int = 0
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each uint8 digit ``[N, 28, 28]`` and one uint8 distractor object (e.g. a Fashion-MNIST item,
    ``[M, 28, 28]``, drawn at random and resized to ``distractor_size``²) on a ``size``² canvas, with
    ``clutter`` fragments of other digits as in :func:`place_on_canvas`.

    The distractor, scaled so that its brightest pixel is 1 like a digit's strokes, carries as much
    ink as the digit (or more) but no information about the digit's class, so a map that points at
    ink rather than at the evidence the network uses points at it about as often as at the digit.
    The two ink boxes never overlap: both positions are drawn uniformly and redrawn together until
    the boxes are disjoint, so neither object is favoured by its place. Returns float ``canvases [N, 1, size, size]`` in [0, 1], the digit's ink
    ``boxes [N, 4]`` and the distractor's ink ``distractor_boxes [N, 4]``, each ``(y0, x0, y1, x1)``.
    """
    if digits.dim() != 3 or digits.shape[1:] != (28, 28) or distractors.dim() != 3:
        raise ValueError(f"place_with_distractors expects uint8 digits [N, 28, 28] and distractors [M, h, w], "
                         f"got {tuple(digits.shape)} and {tuple(distractors.shape)}")
    if size < 28 + distractor_size:
        raise ValueError(f"canvas size must be >= 28 + distractor_size = {28 + distractor_size}, got {size}")
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(seed)
    n = len(digits)
    canvases = torch.zeros(n, 1, size, size)
    boxes = torch.zeros(n, 4, dtype=torch.long)
    distractor_boxes = torch.zeros(n, 4, dtype=torch.long)
    pixels = digits.float() / 255.0
    for i in range(n):
        for _ in range(clutter):
            other = int(torch.randint(0, n, (1,), generator=g))
            cy, cx = (int(v) for v in torch.randint(6, 22 - clutter_size + 1, (2,), generator=g))
            py, px = (int(v) for v in torch.randint(0, size - clutter_size + 1, (2,), generator=g))
            region = canvases[i, 0, py:py + clutter_size, px:px + clutter_size]
            torch.maximum(region, pixels[other, cy:cy + clutter_size, cx:cx + clutter_size], out=region)
        item = distractors[int(torch.randint(0, len(distractors), (1,), generator=g))].float()[None, None] / 255.0
        item = F.interpolate(item, size=(distractor_size, distractor_size), mode="bilinear", antialias=True,
                             align_corners=False)[0, 0].clamp_min(0)
        item = item / item.max().clamp_min(1e-6)  # as bright as a digit's strokes: brightness is no cue
        dy0, dx0, dy1, dx1 = ink_box((item * 255).round().to(torch.uint8))
        y0, x0, y1, x1 = ink_box(digits[i])
        while True:
            y, x = (int(v) for v in torch.randint(0, size - 28 + 1, (2,), generator=g))
            v, u = (int(t) for t in torch.randint(0, size - distractor_size + 1, (2,), generator=g))
            digit_box = (y + y0, x + x0, y + y1, x + x1)
            item_box = (v + dy0, u + dx0, v + dy1, u + dx1)
            if _disjoint(digit_box, item_box):
                break
        region = canvases[i, 0, v:v + distractor_size, u:u + distractor_size]
        torch.maximum(region, item, out=region)
        region = canvases[i, 0, y:y + 28, x:x + 28]
        torch.maximum(region, pixels[i], out=region)
        boxes[i] = torch.tensor(digit_box)
        distractor_boxes[i] = torch.tensor(item_box)
    return canvases, boxes, distractor_boxes
