"""Segmentation metrics: the confusion matrix, mean IoU, pixel accuracy and a boundary F-score.

Region metrics (FCN §5, "Metrics"): with ``n_ij`` the number of pixels of class ``i`` predicted
as class ``j`` (the confusion matrix, rows = ground truth), ``t_i = Σ_j n_ij`` pixels of class
``i`` and ``K`` classes,

- pixel accuracy ``Σ_i n_ii / Σ_i t_i``;
- mean IU ``(1/K') Σ_i n_ii / (t_i + Σ_j n_ji - n_ii)``, the intersection over union per class
  averaged over the ``K'`` classes *present*: a class whose union is empty (neither in the ground
  truth nor predicted anywhere in the evaluated pixels) has no IoU and is left out of the mean
  (the paper averages over its 21 classes, all present in VOC's val set). Accumulated over a whole
  data set, it is the dataset-level mIoU of the VOC protocol, not a mean of per-image mIoUs.

Boundary F-score (the BF score of Csurka, Larlus & Perronnin 2013, "What is a good evaluation
measure for semantic segmentation?", BMVC): for one image and class ``c``, let ``B_gt`` and
``B_pred`` be the boundary pixels of the ground-truth and predicted masks of ``c`` (pixels of the
mask with a 4-neighbour outside it; the image border is not a boundary). With a distance tolerance
``d`` (Euclidean, in pixels),

- precision ``P_c = |{p ∈ B_pred : dist(p, B_gt) ≤ d}| / |B_pred|``,
- recall ``R_c = |{p ∈ B_gt : dist(p, B_pred) ≤ d}| / |B_gt|``,
- ``F_c = 2 P_c R_c / (P_c + R_c)`` (0 when both are 0).

The image's BF is the mean of ``F_c`` over the classes present in the image's ground truth *or*
prediction (so a hallucinated class counts as a miss), background included; a class present with
no boundary in either mask (it fills the image in both) has ``F_c = 1``, and a class with a
boundary in one mask only has ``F_c = 0``. The data set's BF is the mean over images.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _check_masks(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.dtype.is_floating_point or target.dtype.is_floating_point:
        raise ValueError("pred and target must be integer class masks (take argmax over the scores first)")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    for name, mask in (("pred", pred), ("target", target)):
        if mask.numel() and (mask.min() < 0 or mask.max() >= num_classes):
            raise ValueError(f"{name} holds labels outside [0, {num_classes}): min {mask.min().item()}, "
                             f"max {mask.max().item()}")


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``n_ij``: pixels of ground-truth class ``i`` predicted as ``j``.

    ``pred``, ``target``: integer masks of any equal shape (e.g. ``[N, H, W]``) → ``[K, K]`` int64.
    """
    _check_masks(pred, target, num_classes)
    index = target.reshape(-1).long() * num_classes + pred.reshape(-1).long()
    return torch.bincount(index, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def per_image_confusion(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One confusion matrix per image: ``[N, H, W]`` masks → ``[N, K, K]`` int64 (summing over
    images gives :func:`confusion_matrix`; kept per image for bootstrapping over images)."""
    if pred.dim() != 3:
        raise ValueError(f"pred and target must be [N, H, W] masks, got {tuple(pred.shape)}")
    _check_masks(pred, target, num_classes)
    n = pred.shape[0]
    index = (torch.arange(n)[:, None] * num_classes ** 2
             + target.reshape(n, -1).long() * num_classes + pred.reshape(n, -1).long())
    return torch.bincount(index.reshape(-1), minlength=n * num_classes ** 2).reshape(n, num_classes, num_classes)


def iou_per_class(confusion: torch.Tensor) -> torch.Tensor:
    """``n_ii / (t_i + Σ_j n_ji - n_ii)`` per class, NaN where the union is empty. ``[K, K]`` → ``[K]``."""
    if confusion.dim() != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square [K, K] matrix, got {tuple(confusion.shape)}")
    confusion = confusion.double()
    intersection = confusion.diagonal()
    union = confusion.sum(0) + confusion.sum(1) - intersection
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.full_like(union, math.nan))


def mean_iou(confusion: torch.Tensor) -> float:
    """Mean IoU over the classes present (non-empty union) of a ``[K, K]`` confusion matrix."""
    iou = iou_per_class(confusion)
    present = ~iou.isnan()
    return float(iou[present].mean()) if present.any() else math.nan


def pixel_accuracy(confusion: torch.Tensor) -> float:
    """``Σ_i n_ii / Σ_ij n_ij`` of a ``[K, K]`` confusion matrix."""
    if confusion.dim() != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square [K, K] matrix, got {tuple(confusion.shape)}")
    total = confusion.sum()
    return float(confusion.diagonal().sum() / total) if total > 0 else math.nan


def mask_boundary(mask: torch.Tensor) -> torch.Tensor:
    """Boundary pixels of boolean masks: pixels of the mask with a 4-neighbour outside it.

    ``[..., H, W]`` bool → ``[..., H, W]`` bool. Pixels beyond the image border count as equal to
    their nearest pixel inside it, so the image border itself is not a boundary.
    """
    if mask.dtype != torch.bool or mask.dim() < 2:
        raise ValueError(f"mask must be a boolean [..., H, W] tensor, got {mask.dtype} {tuple(mask.shape)}")
    m = mask.float().reshape(-1, 1, *mask.shape[-2:])
    padded = F.pad(m, (1, 1, 1, 1), mode="replicate")
    # The minimum over the 4-neighbourhood (the mask eroded by a cross): 0 where a neighbour is outside.
    eroded = torch.minimum(torch.minimum(padded[..., :-2, 1:-1], padded[..., 2:, 1:-1]),
                           torch.minimum(padded[..., 1:-1, :-2], padded[..., 1:-1, 2:]))
    return (mask & (eroded.reshape(mask.shape) == 0))


def _dilate(mask: torch.Tensor, tolerance: float) -> torch.Tensor:
    """Pixels within Euclidean distance ``tolerance`` of a pixel of ``mask`` (``[N, H, W]`` bool)."""
    radius = int(math.floor(tolerance))
    if radius == 0:
        return mask
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    disk = ((offsets[:, None] ** 2 + offsets[None, :] ** 2) <= tolerance ** 2 + 1e-9).float()
    hits = F.conv2d(mask.float()[:, None], disk[None, None], padding=radius)
    return hits[:, 0] > 0.5


def boundary_prf(pred: torch.Tensor, target: torch.Tensor, num_classes: int, tolerance: float = 1.0) -> torch.Tensor:
    """Per image and class: the boundary precision, recall and F (Csurka et al. 2013).

    ``pred``, ``target``: ``[N, H, W]`` integer masks → ``[N, K, 3]`` float64 (P, R, F), NaN for a
    class absent from both the image's ground truth and prediction. See the module docstring for
    the conventions (empty boundaries, 4-neighbour boundaries, Euclidean tolerance).
    """
    if pred.dim() != 3:
        raise ValueError(f"pred and target must be [N, H, W] masks, got {tuple(pred.shape)}")
    _check_masks(pred, target, num_classes)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be a distance >= 0 in pixels, got {tolerance}")
    out = torch.full((pred.shape[0], num_classes, 3), math.nan, dtype=torch.float64)
    for c in range(num_classes):
        in_pred, in_gt = pred == c, target == c
        present = in_pred.flatten(1).any(1) | in_gt.flatten(1).any(1)
        b_pred, b_gt = mask_boundary(in_pred), mask_boundary(in_gt)
        n_pred, n_gt = b_pred.flatten(1).sum(1).double(), b_gt.flatten(1).sum(1).double()
        hit_pred = (b_pred & _dilate(b_gt, tolerance)).flatten(1).sum(1).double()
        hit_gt = (b_gt & _dilate(b_pred, tolerance)).flatten(1).sum(1).double()
        precision = torch.where(n_pred > 0, hit_pred / n_pred.clamp(min=1), (n_gt == 0).double())
        recall = torch.where(n_gt > 0, hit_gt / n_gt.clamp(min=1), (n_pred == 0).double())
        denom = precision + recall
        f = torch.where(denom > 0, 2 * precision * recall / denom.clamp(min=1e-300), torch.zeros_like(denom))
        values = torch.stack([precision, recall, f], dim=1)
        out[:, c] = torch.where(present[:, None], values, torch.full_like(values, math.nan))
    return out


def boundary_f_per_image(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                         tolerance: float = 1.0) -> torch.Tensor:
    """Each image's BF score: the mean boundary F over the classes present in its ground truth or
    prediction. ``[N, H, W]`` masks → ``[N]`` float64."""
    f = boundary_prf(pred, target, num_classes, tolerance)[..., 2]
    return f.nansum(1) / (~f.isnan()).sum(1)


def boundary_f_score(pred: torch.Tensor, target: torch.Tensor, num_classes: int, tolerance: float = 1.0) -> float:
    """The data set's BF score: the mean over images of :func:`boundary_f_per_image`."""
    return float(boundary_f_per_image(pred, target, num_classes, tolerance).mean())
