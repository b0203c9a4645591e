"""The sliding-window baseline: a window classifier applied at a grid of positions and scales,
then per-class NMS (cs231n "Detection and Localization": "apply a CNN to many different crops of
the image"; done convolutionally as in OverFeat, Sermanet et al. 2014, arXiv 1312.6229, §3.5).

The classifier sees a ``32 × 32`` window and says which of ``K`` classes fills it, or background
(class index ``K``). It is trained on windows cut from the training images: a window is a
positive of class ``c`` when its IoU with an object of class ``c`` is at least 0.5 (the overlap
that counts as a hit for AP50), a negative when its IoU with every object is below 0.3, and
windows in between are not used (as in R-CNN's training, Girshick et al. 2014, §2.3).

At test time the image is resized by ``s = 32 / a`` for each window side ``a`` (in pixels of the
original image) and the classifier runs over the whole resized image. Its convolutions are
unpadded ("valid") and its last layer is a convolution the size of the remaining map, so output
``(i, j)`` at scale ``s`` *is* the classifier applied to the window
``[4j, 4i, 4j + 32, 4i + 32] / s``: the windows of one scale lie on a grid of stride ``4 / s``.
The window itself is the detected box (the classifier has no box regression), scored by the
class probability; per-class NMS then removes duplicate windows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.localization.boxes import box_iou, check_boxes
from papercraft.papers.localization.detector import Detections, images_to_tensor
from papercraft.papers.localization.nms import batched_nms

WINDOW = 32
"""Side of the classifier's input window, in pixels."""
STRIDE = 4
"""Stride of the fully convolutional classifier over its input (two 2×2 max-pools)."""


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class WindowClassifier(nn.Module):
    """``[B, 3, H, W]`` → logits ``[B, K + 1, (H - 32) / 4 + 1, (W - 32) / 4 + 1]`` (class ``K`` is
    background); a ``32 × 32`` input gives ``[B, K + 1, 1, 1]``, the classification of one window.

    Sizes: 32 → 30 → 28 → (pool) 14 → 12 → 10 → (pool) 5 → 3 → 1, with ``widths`` channels.
    """

    def __init__(self, num_classes: int, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if len(widths) != 3 or any(w < 1 for w in widths):
            raise ValueError(f"widths must be three positive ints, got {widths!r}")
        self.num_classes = num_classes
        c1, c2, c3 = widths
        self.features = nn.Sequential(
            *_conv_bn_relu(3, c1), *_conv_bn_relu(c1, c1), nn.MaxPool2d(2),
            *_conv_bn_relu(c1, c2), *_conv_bn_relu(c2, c2), nn.MaxPool2d(2),
            *_conv_bn_relu(c2, c3), *_conv_bn_relu(c3, c3),  # the last 3×3 covers the 3×3 map: a "dense" layer
        )
        self.classifier = nn.Conv2d(c3, num_classes + 1, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] != 3 or min(images.shape[2:]) < WINDOW:
            raise ValueError(f"images must have shape [B, 3, H, W] with H, W >= {WINDOW}, got {tuple(images.shape)}")
        return self.classifier(self.features(images))


def window_loss(model: WindowClassifier, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy on a batch of uint8 windows ``[B, 32, 32, 3]`` with labels ``[B]`` (``K`` =
    background); also the batch's accuracy."""
    crops, labels = batch
    logits = model(images_to_tensor(crops)).flatten(1)
    return F.cross_entropy(logits, labels), {"accuracy": (logits.argmax(1) == labels).float().mean().item()}


def _crop_resize(image: torch.Tensor, box: Sequence[float]) -> torch.Tensor:
    """The window ``box`` (xyxy pixels, inside the image) of ``image [3, H, W]`` resized to 32 × 32."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    crop = image[:, y1:y2, x1:x2][None]
    return F.interpolate(crop, size=(WINDOW, WINDOW), mode="bilinear", antialias=True, align_corners=False)[0]


def sample_training_windows(images: np.ndarray, boxes: Sequence[torch.Tensor], labels: Sequence[torch.Tensor],
                            num_classes: int, *, positives_per_object: int = 3, negatives_per_image: int = 12,
                            window_range: tuple[float, float] = (16.0, 96.0), seed: int = 0,
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Square training windows cut from ``images`` (uint8 ``[N, S, S, 3]``), resized to 32 × 32.

    Positives: around each object, windows of side ``sqrt(w h) · e^u`` (``u ~ U(-0.4, 0.4)``)
    with a jittered centre, kept when their IoU with that object is ``>= 0.5`` and no other object
    overlaps them more (up to 30 tries). Negatives: windows of a side log-uniform in
    ``window_range``, anywhere in the image, whose IoU with every object is ``< 0.3``.

    Returns:
        ``crops`` uint8 ``[M, 32, 32, 3]`` and ``labels`` ``[M]`` (class index, ``num_classes`` =
        background).
    """
    if len(images) != len(boxes) or len(boxes) != len(labels):
        raise ValueError(f"images, boxes and labels must list the same images, got {len(images)}, {len(boxes)}, {len(labels)}")
    rng = np.random.default_rng(seed)
    side = images.shape[1]
    lo, hi = window_range
    if not 0 < lo <= hi <= side:
        raise ValueError(f"window_range must satisfy 0 < low <= high <= image side {side}, got {window_range}")
    crops: list[torch.Tensor] = []
    out_labels: list[int] = []

    def inside(cx: float, cy: float, a: float) -> list[float]:
        a = min(a, side)
        x1, y1 = min(max(cx - a / 2, 0.0), side - a), min(max(cy - a / 2, 0.0), side - a)
        return [x1, y1, x1 + a, y1 + a]

    for n in range(len(images)):
        image = torch.as_tensor(images[n]).permute(2, 0, 1).float()
        gt = boxes[n]
        check_boxes(gt, f"boxes[{n}]", ndim=2)
        for j, (x1, y1, x2, y2) in enumerate(gt.tolist()):
            w, h = x2 - x1, y2 - y1
            for _ in range(positives_per_object):
                for _ in range(30):
                    a = max(math.sqrt(max(w * h, 1.0)) * math.exp(rng.uniform(-0.4, 0.4)), 8.0)
                    window = inside((x1 + x2) / 2 + rng.uniform(-0.2, 0.2) * a,
                                    (y1 + y2) / 2 + rng.uniform(-0.2, 0.2) * a, a)
                    ious = box_iou(torch.tensor([window], dtype=gt.dtype), gt)[0]
                    if ious[j] >= 0.5 and int(ious.argmax()) == j:
                        crops.append(_crop_resize(image, window))
                        out_labels.append(int(labels[n][j]))
                        break
        made, tries = 0, 0
        while made < negatives_per_image and tries < 50 * negatives_per_image:
            tries += 1
            a = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            x, y = rng.uniform(0, side - a), rng.uniform(0, side - a)
            window = [x, y, x + a, y + a]
            if len(gt) and box_iou(torch.tensor([window], dtype=gt.dtype), gt).max() >= 0.3:
                continue
            crops.append(_crop_resize(image, window))
            out_labels.append(num_classes)
            made += 1
    stacked = torch.stack(crops).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()
    return stacked, torch.tensor(out_labels, dtype=torch.long)


@torch.no_grad()
def sliding_window_detect(model: WindowClassifier, images: np.ndarray | torch.Tensor, *,
                          window_sizes: Sequence[float] = (16, 24, 32, 48, 64, 96), score_threshold: float = 0.05,
                          nms_threshold: float = 0.5, max_detections: int = 100,
                          batch_size: int = 16) -> list[Detections]:
    """Classify every window of every size in ``window_sizes`` (pixels of the original image) of
    uint8 images ``[N, H, W, 3]``; per image, windows scoring above ``score_threshold`` for some
    class go through per-class NMS and the best ``max_detections`` are returned (class indices
    ``0..K-1``, window boxes in xyxy pixels). The model is put in eval mode."""
    if not window_sizes or any(a <= 0 for a in window_sizes):
        raise ValueError(f"window_sizes must be positive sizes in pixels, got {list(window_sizes)}")
    model.eval()
    device = next(model.parameters()).device
    results: list[Detections] = []
    for start in range(0, len(images), batch_size):
        x = images_to_tensor(images[start:start + batch_size]).to(device)
        n, _, height, width = x.shape
        per_image: list[list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]] = [[] for _ in range(n)]
        for a in window_sizes:
            size = _resized(height, width, a)
            resized = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
            probs = torch.softmax(model(resized), dim=1)[:, :-1]  # [n, K, gh, gw], background dropped
            windows = window_grid((height, width), a).to(device)  # [gh * gw, 4], row-major like probs
            for i in range(n):
                p = probs[i].reshape(probs.shape[1], -1)  # [K, gh * gw]
                label, cell = torch.nonzero(p > score_threshold, as_tuple=True)
                per_image[i].append((windows[cell], p[label, cell], label))
        for parts in per_image:
            boxes = torch.cat([b for b, _, _ in parts])
            scores = torch.cat([s for _, s, _ in parts])
            labels = torch.cat([c for _, _, c in parts])
            kept = batched_nms(boxes, scores, labels, nms_threshold)[:max_detections]
            results.append(Detections(boxes[kept].cpu(), scores[kept].cpu(), labels[kept].cpu()))
    return results


def _resized(height: int, width: int, window_size: float) -> tuple[int, int]:
    """The image size at which a 32-pixel window covers ``window_size`` original pixels."""
    scale = WINDOW / window_size
    return max(WINDOW, round(height * scale)), max(WINDOW, round(width * scale))


def window_grid(image_size: tuple[int, int], window_size: float) -> torch.Tensor:
    """The windows ``[gh * gw, 4]`` (xyxy, original pixels, row-major) that the classifier's output
    map covers at one window size: output ``(i, j)`` sees resized pixels ``[4j, 4i, 4j + 32, 4i + 32]``,
    mapped back by the scale actually applied on each axis."""
    height, width = image_size
    size = _resized(height, width, window_size)
    sy, sx = size[0] / height, size[1] / width
    gh, gw = (size[0] - WINDOW) // STRIDE + 1, (size[1] - WINDOW) // STRIDE + 1
    top = (torch.arange(gh, dtype=torch.float32) * STRIDE)[:, None].expand(gh, gw).reshape(-1)
    left = (torch.arange(gw, dtype=torch.float32) * STRIDE)[None, :].expand(gh, gw).reshape(-1)
    return torch.stack([left / sx, top / sy, (left + WINDOW) / sx, (top + WINDOW) / sy], dim=1)
