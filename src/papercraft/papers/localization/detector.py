"""A small one-stage, centre-based detector: CenterNet ("Objects as Points", Zhou, Wang and
Krähenbühl 2019, arXiv 1904.07850), with greedy NMS from :mod:`.nms` after decoding.

An object is the peak of a class heatmap at its box centre, plus the box size and the sub-cell
offset of the centre regressed at that peak (§3). For an input ``[3, H, W]`` the network outputs,
at output stride ``R = 4`` (``h = H/R``, ``w = W/R``):

- ``Ŷ ∈ [0, 1]^{K × h × w}``: one heatmap per class;
- ``Ŝ ∈ R^{2 × h × w}``: the box width and height (in output cells) at each location;
- ``Ô ∈ R^{2 × h × w}``: the offset of the true centre inside its cell.

Training targets (§3): for an object with centre ``p`` (pixels), its cell is ``p̃ = ⌊p / R⌋`` and

    Y_{x y c} = max over objects of class c of exp(-((x - p̃x)² + (y - p̃y)²) / (2 σ_p²))
    L_k    = -1/N Σ { (1 - Ŷ)^α log Ŷ              if Y = 1             (eq. 1, α = 2, β = 4)
                    { (1 - Y)^β Ŷ^α log(1 - Ŷ)      otherwise
    L_off  = 1/N Σ_p | Ô_p̃ - (p / R - p̃) |                             (eq. 2)
    L_size = 1/N Σ_p | Ŝ_p̃ - s_p / R |                                   (eq. 3)
    L      = L_k + λ_size L_size + λ_off L_off,   λ_size = 0.1, λ_off = 1   (eq. 4)

with ``N`` the number of objects and ``σ_p`` adapted to the object's size (CornerNet's radius:
:func:`gaussian_radius`). Decoding (§4): the peaks of ``Ŷ`` (values equal to their 3×3 max-pool),
the top ``k`` over classes and locations, and the box

    (p̂x + ôx - ŵ/2,  p̂y + ôy - ĥ/2,  p̂x + ôx + ŵ/2,  p̂y + ôy + ĥ/2) · R.

The paper replaces NMS by the max-pool (§4: the peak extraction "serves as a sufficient NMS
alternative"); we still run per-class NMS on the decoded boxes, which removes the few duplicates
the max-pool leaves (two neighbouring peaks of one object in the same class).

:func:`detect` returns COCO-format detections (``image_id``, ``category_id``, ``bbox`` as
``[x, y, w, h]``, ``score``) for a stack of images, for the ``coco`` entry's evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.localization.boxes import check_boxes, xyxy_to_xywh
from papercraft.papers.localization.nms import batched_nms
from papercraft.papers.resnet.model import BasicBlock


def images_to_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 images ``[N, H, W, 3]`` (as the shapes generator makes them) → float ``[N, 3, H, W]``
    in ``[-0.5, 0.5]``."""
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must have shape [N, H, W, 3] (uint8 RGB), got {tuple(images.shape)}")
    x = torch.as_tensor(images)
    if x.dtype != torch.uint8:
        raise ValueError(f"images must be uint8, got {x.dtype}")
    return x.permute(0, 3, 1, 2).float().div(255.0).sub(0.5).contiguous()


# ------------------------------------------------------------------------------------------ model

@dataclass(frozen=True)
class CenterNetConfig:
    """Sizes of the small CenterNet.

    Attributes:
        num_classes: K, one heatmap per class.
        widths: channels of the four backbone stages at strides 2, 4, 8, 16 (ResNet basic blocks).
        depths: basic blocks in each of the four stages.
        neck: channels of the upsampling path back to stride 4 (an FPN-style top-down path with
            lateral 1×1 convolutions, in place of the paper's DLA / hourglass backbones).
        head: channels of each head's hidden 3×3 convolution (§4: one 3×3 conv, ReLU, 1×1 conv).
        heat_prior: initial foreground probability of the heatmaps (the bias ``-2.19`` of the
            paper's code corresponds to 0.1).
    """

    num_classes: int
    widths: tuple[int, int, int, int] = (16, 32, 64, 96)
    depths: tuple[int, int, int, int] = (1, 1, 1, 1)
    neck: int = 48
    head: int = 48
    heat_prior: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {self.num_classes!r}")
        if len(self.widths) != 4 or any(not isinstance(w, int) or w < 1 for w in self.widths):
            raise ValueError(f"widths must be four positive ints (strides 2, 4, 8, 16), got {self.widths!r}")
        if len(self.depths) != 4 or any(not isinstance(d, int) or d < 1 for d in self.depths):
            raise ValueError(f"depths must be four ints >= 1 (blocks per stage), got {self.depths!r}")
        if self.neck < 1 or self.head < 1:
            raise ValueError(f"neck and head must be positive, got neck={self.neck}, head={self.head}")
        if not 0 < self.heat_prior < 1:
            raise ValueError(f"heat_prior must be in (0, 1), got {self.heat_prior}")


class CenterNetOutput(NamedTuple):
    """Raw outputs at stride 4: ``heatmap`` logits ``[B, K, h, w]``, ``size`` ``[B, 2, h, w]``
    (width, height in output cells), ``offset`` ``[B, 2, h, w]`` (x, y inside the cell)."""

    heatmap: torch.Tensor
    size: torch.Tensor
    offset: torch.Tensor


class CenterNet(nn.Module):
    """Images ``[B, 3, H, W]`` (H, W multiples of 16) → :class:`CenterNetOutput` at stride 4."""

    stride = 4

    def __init__(self, config: CenterNetConfig) -> None:
        super().__init__()
        self.config = config
        w1, w2, w3, w4 = config.widths
        d1, d2, d3, d4 = config.depths

        def stage(cin: int, cout: int, depth: int, stride: int) -> nn.Sequential:
            return nn.Sequential(BasicBlock(cin, cout, stride=stride), *(BasicBlock(cout, cout) for _ in range(depth - 1)))

        self.stem = nn.Sequential(nn.Conv2d(3, w1, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w1),
                                  nn.ReLU(inplace=True), stage(w1, w1, d1, 1))              # stride 2
        self.stage2 = stage(w1, w2, d2, 2)                                                  # stride 4
        self.stage3 = stage(w2, w3, d3, 2)                                                  # stride 8
        self.stage4 = stage(w3, w4, d4, 2)                                                  # stride 16
        self.lateral = nn.ModuleList(nn.Conv2d(c, config.neck, 1) for c in (w2, w3, w4))
        self.smooth = nn.ModuleList(nn.Sequential(nn.Conv2d(config.neck, config.neck, 3, padding=1, bias=False),
                                                  nn.BatchNorm2d(config.neck), nn.ReLU(inplace=True))
                                    for _ in range(2))

        def head(out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(config.neck, config.head, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(config.head, out, 1))

        self.heatmap_head, self.size_head, self.offset_head = head(config.num_classes), head(2), head(2)
        nn.init.constant_(self.heatmap_head[-1].bias, -math.log((1 - config.heat_prior) / config.heat_prior))

    def forward(self, images: torch.Tensor) -> CenterNetOutput:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"images must have shape [B, 3, H, W], got {tuple(images.shape)}")
        if images.shape[2] % 16 or images.shape[3] % 16:
            raise ValueError(f"image height and width must be multiples of 16, got {tuple(images.shape[2:])}")
        c2 = self.stage2(self.stem(images))
        c3 = self.stage3(c2)
        c4 = self.stage4(c3)
        # Top-down path: upsample the coarser map and add the lateral projection (as in an FPN).
        p = self.lateral[2](c4)
        p = self.smooth[0](F.interpolate(p, scale_factor=2.0, mode="nearest") + self.lateral[1](c3))
        p = self.smooth[1](F.interpolate(p, scale_factor=2.0, mode="nearest") + self.lateral[0](c2))
        return CenterNetOutput(self.heatmap_head(p), self.size_head(p), self.offset_head(p))


# ---------------------------------------------------------------------------------------- targets

def gaussian_radius(width: float, height: float, min_overlap: float = 0.7) -> float:
    """CornerNet's size-adaptive Gaussian radius (Law and Deng 2018, §3.2) for a ``width × height``
    box (in output cells), exactly as the released CornerNet / CenterNet code computes it.

    The idea is the largest radius within which a shifted box keeps IoU >= ``min_overlap`` with
    the true one. The code takes the minimum of three quadratic roots (one corner inside, both
    corners inside, both outside), with a known slip (the roots are divided by 2 instead of 2a), so
    its radii are larger than the derivation gives; CenterNet's results were obtained with this
    version, and the larger Gaussians train faster, so we keep it."""
    if not 0 < min_overlap < 1:
        raise ValueError(f"min_overlap must be in (0, 1), got {min_overlap}")
    if width < 0 or height < 0:
        raise ValueError(f"width and height must be >= 0, got {width}, {height}")
    b1, c1 = height + width, width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    a2, b2, c2 = 4, 2 * (height + width), (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (height + width), (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


class CenterTargets(NamedTuple):
    """Dense training targets at stride 4: ``heatmap [B, K, h, w]`` in [0, 1], ``size [B, 2, h, w]``
    and ``offset [B, 2, h, w]`` (set only at object centres), ``mask [B, h, w]`` (1.0 at centres)."""

    heatmap: torch.Tensor
    size: torch.Tensor
    offset: torch.Tensor
    mask: torch.Tensor


def encode_targets(boxes: Sequence[torch.Tensor], labels: Sequence[torch.Tensor], num_classes: int,
                   image_size: tuple[int, int], stride: int = CenterNet.stride) -> CenterTargets:
    """CenterNet's targets (§3) for a batch.

    Args:
        boxes: per image, ``[M_i, 4]`` xyxy boxes in pixels.
        labels: per image, ``[M_i]`` class indices in ``[0, num_classes)``.
        image_size: ``(H, W)`` of the input images (multiples of ``stride``).
    Returns:
        :class:`CenterTargets`. Where two objects fall in the same cell, the smaller one (drawn
        last) owns the size and offset; the heatmaps keep the maximum of their Gaussians.
    """
    if len(boxes) != len(labels):
        raise ValueError(f"boxes and labels must list the same images, got {len(boxes)} and {len(labels)}")
    height, width = image_size
    if height % stride or width % stride:
        raise ValueError(f"image_size {image_size} must be a multiple of stride {stride}")
    h, w = height // stride, width // stride
    b = len(boxes)
    heatmap = torch.zeros(b, num_classes, h, w)
    size = torch.zeros(b, 2, h, w)
    offset = torch.zeros(b, 2, h, w)
    mask = torch.zeros(b, h, w)
    ys, xs = torch.arange(h, dtype=torch.float32)[:, None], torch.arange(w, dtype=torch.float32)[None, :]
    for i, (image_boxes, image_labels) in enumerate(zip(boxes, labels)):
        check_boxes(image_boxes, f"boxes[{i}]", ndim=2)
        if image_labels.shape != image_boxes.shape[:1]:
            raise ValueError(f"labels[{i}] must have shape [{image_boxes.shape[0]}], got {tuple(image_labels.shape)}")
        if image_labels.numel() and (image_labels.min() < 0 or image_labels.max() >= num_classes):
            raise ValueError(f"labels[{i}] must lie in [0, {num_classes}), got {image_labels.tolist()}")
        areas = (image_boxes[:, 2] - image_boxes[:, 0]) * (image_boxes[:, 3] - image_boxes[:, 1])
        for j in torch.argsort(areas, descending=True, stable=True).tolist():
            x1, y1, x2, y2 = (v / stride for v in image_boxes[j].tolist())
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            px, py = min(int(math.floor(cx)), w - 1), min(int(math.floor(cy)), h - 1)
            radius = int(gaussian_radius(x2 - x1, y2 - y1))
            sigma = (2 * radius + 1) / 6  # the paper's code: σ = diameter / 6
            gaussian = torch.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma * sigma))
            c = int(image_labels[j])
            heatmap[i, c] = torch.maximum(heatmap[i, c], gaussian)
            size[i, :, py, px] = torch.tensor([x2 - x1, y2 - y1])
            offset[i, :, py, px] = torch.tensor([cx - px, cy - py])
            mask[i, py, px] = 1.0
    return CenterTargets(heatmap, size, offset, mask)


# ------------------------------------------------------------------------------------------- loss

def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """CenterNet's penalty-reduced pixel-wise focal loss (eq. 1), summed and divided by the number
    of centres (``target == 1``; at least 1). ``logits``, ``target``: ``[B, K, h, w]``."""
    if logits.shape != target.shape:
        raise ValueError(f"logits and target must have the same shape, got {tuple(logits.shape)} and {tuple(target.shape)}")
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)  # log Ŷ, log(1 - Ŷ), stable
    p = log_p.exp()
    positive = target.eq(1).float()
    pos_term = (1 - p) ** alpha * log_p * positive
    neg_term = (1 - target) ** beta * p ** alpha * log_not_p * (1 - positive)
    return -(pos_term.sum() + neg_term.sum()) / positive.sum().clamp(min=1)


def centernet_loss(output: CenterNetOutput, targets: CenterTargets, size_weight: float = 0.1,
                   offset_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 4: ``L_k + λ_size L_size + λ_off L_off``; returns the loss and its three terms."""
    if output.heatmap.shape != targets.heatmap.shape:
        raise ValueError(f"output heatmap {tuple(output.heatmap.shape)} and target heatmap "
                         f"{tuple(targets.heatmap.shape)} must have the same shape")
    n = targets.mask.sum().clamp(min=1)
    mask = targets.mask[:, None]
    heat = focal_loss(output.heatmap, targets.heatmap)
    size = ((output.size - targets.size).abs() * mask).sum() / n
    offset = ((output.offset - targets.offset).abs() * mask).sum() / n
    loss = heat + size_weight * size + offset_weight * offset
    return loss, {"heatmap_loss": heat.item(), "size_loss": size.item(), "offset_loss": offset.item()}


# --------------------------------------------------------------------------------------- decoding

class Detections(NamedTuple):
    """One image's detections: ``boxes [D, 4]`` xyxy pixels, ``scores [D]``, ``labels [D]`` (class
    indices ``0..K-1``), by decreasing score."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor


def decode(heatmap: torch.Tensor, size: torch.Tensor, offset: torch.Tensor, *, top_k: int = 100,
           stride: int = CenterNet.stride, nms_threshold: float | None = 0.5,
           score_threshold: float = 0.0) -> list[Detections]:
    """Peaks of the heatmaps → boxes (§4), then per-class NMS.

    Args:
        heatmap: ``[B, K, h, w]`` probabilities (the sigmoid of :class:`CenterNet`'s logits, or a
            target heatmap).
        size, offset: ``[B, 2, h, w]``.
        top_k: peaks kept per image before NMS (the paper's 100).
        nms_threshold: IoU threshold of :func:`~.nms.batched_nms`; None skips NMS.
        score_threshold: peaks with a score at or below this are dropped.
    Returns:
        one :class:`Detections` per image.
    """
    if heatmap.dim() != 4:
        raise ValueError(f"heatmap must have shape [B, K, h, w], got {tuple(heatmap.shape)}")
    b, k, h, w = heatmap.shape
    for name, t in (("size", size), ("offset", offset)):
        if t.shape != (b, 2, h, w):
            raise ValueError(f"{name} must have shape [{b}, 2, {h}, {w}], got {tuple(t.shape)}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    # A peak is a location equal to the maximum of its 3×3 neighbourhood (§4: "instead of NMS").
    peaks = heatmap * (F.max_pool2d(heatmap, 3, stride=1, padding=1) == heatmap)
    scores, flat = peaks.reshape(b, -1).topk(min(top_k, k * h * w), dim=1)
    labels, cell = flat // (h * w), flat % (h * w)
    ys, xs = (cell // w).float(), (cell % w).float()
    results = []
    for i in range(b):
        sw, sh = size[i, 0].reshape(-1)[cell[i]], size[i, 1].reshape(-1)[cell[i]]
        cx = xs[i] + offset[i, 0].reshape(-1)[cell[i]]
        cy = ys[i] + offset[i, 1].reshape(-1)[cell[i]]
        sw, sh = sw.clamp(min=0), sh.clamp(min=0)  # a negative size regression is an empty box
        boxes = torch.stack([cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2], dim=1) * stride
        keep = scores[i] > score_threshold
        boxes, image_scores, image_labels = boxes[keep], scores[i][keep], labels[i][keep]
        if nms_threshold is not None:
            kept = batched_nms(boxes, image_scores, image_labels, nms_threshold)
            boxes, image_scores, image_labels = boxes[kept], image_scores[kept], image_labels[kept]
        results.append(Detections(boxes, image_scores, image_labels))
    return results


def coco_detections(detections: Sequence[Detections], image_ids: Sequence[int], category_ids: Sequence[int],
                    image_size: tuple[int, int] | None = None) -> list[dict]:
    """COCO result dicts (``image_id``, ``category_id``, ``bbox`` ``[x, y, w, h]``, ``score``).

    ``category_ids[c]`` is the COCO category id of class index ``c``. With ``image_size = (H, W)``
    boxes are clipped to the image first."""
    if len(detections) != len(image_ids):
        raise ValueError(f"image_ids must have one id per image ({len(detections)}), got {len(image_ids)}")
    out = []
    for det, image_id in zip(detections, image_ids):
        boxes = det.boxes
        if image_size is not None:
            boxes = torch.stack([boxes[:, 0].clamp(0, image_size[1]), boxes[:, 1].clamp(0, image_size[0]),
                                 boxes[:, 2].clamp(0, image_size[1]), boxes[:, 3].clamp(0, image_size[0])], dim=1)
        for box, score, label in zip(xyxy_to_xywh(boxes).tolist(), det.scores.tolist(), det.labels.tolist()):
            if not 0 <= label < len(category_ids):
                raise ValueError(f"class index {label} has no entry in category_ids (length {len(category_ids)})")
            out.append({"image_id": int(image_id), "category_id": int(category_ids[label]),
                        "bbox": [round(v, 3) for v in box], "score": round(float(score), 5)})
    return out


@torch.no_grad()
def detect(model: CenterNet, images: np.ndarray | torch.Tensor, image_ids: Sequence[int],
           category_ids: Sequence[int], *, batch_size: int = 32, top_k: int = 100,
           nms_threshold: float | None = 0.5) -> list[dict]:
    """Run ``model`` on uint8 images ``[N, H, W, 3]`` and return COCO-format detections.

    ``image_ids[n]`` is the COCO id of image ``n``; ``category_ids[c]`` the COCO category id of
    class index ``c`` (e.g. ``[1, 2, 3, 4, 5]``). The model is put in eval mode (and left there)."""
    if len(image_ids) != len(images):
        raise ValueError(f"image_ids must have one id per image ({len(images)}), got {len(image_ids)}")
    if len(category_ids) != model.config.num_classes:
        raise ValueError(f"category_ids must have {model.config.num_classes} ids (one per class), got {len(category_ids)}")
    model.eval()
    device = next(model.parameters()).device
    detections: list[Detections] = []
    for start in range(0, len(images), batch_size):
        x = images_to_tensor(images[start:start + batch_size]).to(device)
        out = model(x)
        detections += decode(torch.sigmoid(out.heatmap).float(), out.size.float(), out.offset.float(),
                             top_k=top_k, nms_threshold=nms_threshold)
    detections = [Detections(d.boxes.cpu(), d.scores.cpu(), d.labels.cpu()) for d in detections]
    height, width = images.shape[1], images.shape[2]
    return coco_detections(detections, image_ids, category_ids, image_size=(height, width))
