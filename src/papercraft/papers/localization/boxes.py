"""Axis-aligned boxes: area, IoU, generalized IoU (GIoU) and the IoU-based losses built on them.

Boxes are ``xyxy`` (``x1, y1, x2, y2`` with ``x2 >= x1``, ``y2 >= y1``) in pixels, as float
tensors whose last dimension is 4. COCO stores ``xywh``; :func:`xywh_to_xyxy` and
:func:`xyxy_to_xywh` convert.

For boxes A, B and C the smallest box enclosing both (Rezatofighi et al. 2019, "Generalized
Intersection over Union", arXiv 1902.09630, Alg. 1):

    IoU(A, B)  = |A ∩ B| / |A ∪ B|,        |A ∪ B| = |A| + |B| - |A ∩ B|
    GIoU(A, B) = IoU(A, B) - |C \\ (A ∪ B)| / |C|          (in [-1, 1])
    L_GIoU     = 1 - GIoU                                     (§3, Alg. 2)

Unlike ``1 - IoU`` (UnitBox), ``L_GIoU`` still has a gradient when the boxes do not overlap: the
enclosing-box term pulls a disjoint prediction towards the target. Both are invariant to scale,
unlike an L1/L2 loss on coordinates, which weighs a 2-pixel error on a small box like one on a
large box.

Degenerate boxes (zero area) are allowed: an empty union gives IoU 0, and an empty enclosing box
gives an enclosing term of 0 (both are 0/0 by the formulas above; torchvision returns NaN there).
"""

from __future__ import annotations

import torch


def check_boxes(boxes: torch.Tensor, name: str = "boxes", *, ndim: int | None = None) -> None:
    """Raise ``ValueError`` unless ``boxes`` is a finite floating tensor ``[..., 4]`` of xyxy boxes
    with ``x2 >= x1`` and ``y2 >= y1`` (and exactly ``ndim`` dimensions if given)."""
    if not isinstance(boxes, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of xyxy boxes, got {type(boxes).__name__}")
    expected = "[..., 4]" if ndim is None else "[N, 4]" if ndim == 2 else f"{ndim} dimensions ending in 4"
    if (ndim is not None and boxes.dim() != ndim) or boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape {expected} (x1, y1, x2, y2), got {tuple(boxes.shape)}")
    if not boxes.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {boxes.dtype}")
    if boxes.numel() and not torch.isfinite(boxes).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates")
    if boxes.numel() and ((boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])).any():
        raise ValueError(f"{name} must be xyxy with x2 >= x1 and y2 >= y1 (got an inverted box; "
                         "convert COCO's xywh with xywh_to_xyxy)")


def xywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """COCO ``[x, y, w, h]`` → ``[x1, y1, x2, y2]``; shape ``[..., 4]`` preserved."""
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"boxes must have shape [..., 4] (x, y, w, h), got {tuple(boxes.shape)}")
    return torch.cat([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], dim=-1)


def xyxy_to_xywh(boxes: torch.Tensor) -> torch.Tensor:
    """``[x1, y1, x2, y2]`` → COCO ``[x, y, w, h]``; shape ``[..., 4]`` preserved."""
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"boxes must have shape [..., 4] (x1, y1, x2, y2), got {tuple(boxes.shape)}")
    return torch.cat([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], dim=-1)


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas ``[...]`` of xyxy boxes ``[..., 4]``."""
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _safe_divide(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator`` with 0/0 = 0, for non-negative denominators.

    Clamping (rather than ``torch.where``) keeps gradients finite at an empty denominator; for any
    denominator above the smallest normal float the result is the exact quotient."""
    return numerator / denominator.clamp(min=torch.finfo(denominator.dtype).tiny)


def _iou_terms(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Intersection and union areas of broadcastable box tensors ``a [..., 4]``, ``b [..., 4]``."""
    top_left = torch.maximum(a[..., :2], b[..., :2])
    bottom_right = torch.minimum(a[..., 2:], b[..., 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    intersection = wh[..., 0] * wh[..., 1]
    union = box_area(a) + box_area(b) - intersection
    return intersection, union


def _giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """GIoU of broadcastable box tensors (Alg. 1 of Rezatofighi et al.)."""
    intersection, union = _iou_terms(a, b)
    iou = _safe_divide(intersection, union)
    enclosing = box_area(torch.cat([torch.minimum(a[..., :2], b[..., :2]),
                                    torch.maximum(a[..., 2:], b[..., 2:])], dim=-1))
    return iou - _safe_divide(enclosing - union, enclosing)


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU: ``boxes1 [N, 4]``, ``boxes2 [M, 4]`` (xyxy) → ``[N, M]``."""
    check_boxes(boxes1, "boxes1", ndim=2)
    check_boxes(boxes2, "boxes2", ndim=2)
    intersection, union = _iou_terms(boxes1[:, None, :], boxes2[None, :, :])
    return _safe_divide(intersection, union)


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise GIoU: ``boxes1 [N, 4]``, ``boxes2 [M, 4]`` (xyxy) → ``[N, M]`` in ``[-1, 1]``."""
    check_boxes(boxes1, "boxes1", ndim=2)
    check_boxes(boxes2, "boxes2", ndim=2)
    return _giou(boxes1[:, None, :], boxes2[None, :, :])


def aligned_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU of corresponding boxes: ``boxes1 [..., 4]``, ``boxes2 [..., 4]`` (same shape) → ``[...]``."""
    _check_aligned(boxes1, boxes2)
    intersection, union = _iou_terms(boxes1, boxes2)
    return _safe_divide(intersection, union)


def _check_aligned(pred: torch.Tensor, target: torch.Tensor, names: tuple[str, str] = ("boxes1", "boxes2")) -> None:
    check_boxes(pred, names[0])
    check_boxes(target, names[1])
    if pred.shape != target.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape [..., 4], got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum()  # an empty batch costs 0, not NaN
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def giou_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``1 - GIoU(pred, target)`` of corresponding boxes ``[..., 4]`` (Rezatofighi et al., Alg. 2).

    Returns ``[...]`` for ``reduction="none"``, else a scalar (``"mean"``: 0 for no boxes)."""
    _check_aligned(pred, target, ("pred", "target"))
    return _reduce(1 - _giou(pred, target), reduction)


def iou_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``1 - IoU(pred, target)`` of corresponding boxes ``[..., 4]`` (UnitBox's loss, without its log);
    zero gradient once the boxes are disjoint, which is what GIoU fixes."""
    _check_aligned(pred, target, ("pred", "target"))
    intersection, union = _iou_terms(pred, target)
    return _reduce(1 - _safe_divide(intersection, union), reduction)
