"""Greedy non-maximum suppression (NMS): a readable reference, a vectorized version, per-class NMS.

A detector fires many overlapping boxes around each object. Greedy NMS (as in R-CNN, Girshick et
al. 2014, §2.2, and every detector since) keeps the highest-scoring box, removes every remaining
box whose IoU with it *exceeds* the threshold, and repeats on what is left:

    keep = []
    for i in boxes by decreasing score:          # ties: the lower index first (a stable sort)
        if IoU(box_i, box_k) <= t for every k in keep:
            keep.append(i)

Equivalently, box ``i`` (in score order) is kept iff no *kept* box before it overlaps it by more
than ``t``. That recursive definition is the fixed point of

    keep⁽ʳ⁺¹⁾_i = not any_{j < i} ( over_{j i} and keep⁽ʳ⁾_j ),     over_{j i} = IoU(j, i) > t

which :func:`nms` iterates with whole-matrix operations, as Cluster-NMS does (Zheng et al. 2021,
"Enhancing Geometric Factors in Model Learning and Inference for Object Detection and Instance
Segmentation", arXiv 2005.03572, §4.2). Starting from ``keep⁽⁰⁾ = all``, after round ``r`` the
first ``r + 1`` entries are final (entry ``i`` depends only on entries before it), so the
iteration reaches the greedy answer in at most ``n`` rounds, and in practice in a handful (the
length of the longest suppression chain). To bound memory and the worst case, :func:`nms` walks
the score-sorted boxes in blocks: a block first loses the boxes that an already kept box
suppresses, then resolves itself by the iteration above.

:func:`nms_reference` is the loop above in plain Python: the documentation, and the naive
baseline of ``benchmarks/bench_nms.py``. The tests check that the two agree exactly. (The
reference computes IoUs in Python floats, :func:`nms` in the boxes' dtype, so for float32 boxes the
two could disagree only on an IoU within float32 rounding of the threshold.)

Returned indices point into the input and are ordered by decreasing score (ties by index).
"""

from __future__ import annotations

import torch

from papercraft.papers.localization.boxes import _safe_divide, check_boxes


def _check_nms_inputs(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> None:
    check_boxes(boxes, "boxes", ndim=2)
    if not isinstance(scores, torch.Tensor) or scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"scores must have shape [N] = [{boxes.shape[0]}] (one per box), got {shape}")
    if scores.numel() and torch.isnan(scores).any():
        raise ValueError("scores contains NaN")
    if not isinstance(iou_threshold, (int, float)) or not 0.0 <= float(iou_threshold) <= 1.0:
        raise ValueError(f"iou_threshold must be a number in [0, 1], got {iou_threshold!r}")


def _score_order(scores: torch.Tensor) -> torch.Tensor:
    """Indices by decreasing score; equal scores keep their input order (stable sort)."""
    return torch.sort(scores, descending=True, stable=True).indices


def _pair_iou(a: list[float], b: list[float]) -> float:
    """IoU of two xyxy boxes given as lists of 4 floats (0 for an empty union)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    intersection = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union if union > 0 else 0.0


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS, one box at a time in plain Python (O(n·k) IoUs for k kept boxes).

    Args:
        boxes: ``[N, 4]`` xyxy boxes.
        scores: ``[N]`` scores.
        iou_threshold: a box is suppressed by a kept box when their IoU is ``> iou_threshold``.
    Returns:
        ``[K]`` int64 indices of the kept boxes, by decreasing score (ties: lower index first).
    """
    _check_nms_inputs(boxes, scores, iou_threshold)
    box_list = boxes.tolist()
    keep: list[int] = []
    for i in _score_order(scores).tolist():
        if all(_pair_iou(box_list[i], box_list[k]) <= iou_threshold for k in keep):
            keep.append(i)
    return torch.tensor(keep, dtype=torch.long)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, *, block_size: int = 256) -> torch.Tensor:
    """Greedy NMS with whole-matrix operations, block by block (see the module docstring).

    Same arguments and result as :func:`nms_reference`; ``block_size`` bounds the ``[B, B]`` IoU
    matrix resolved at once (any positive value gives the same answer).
    """
    _check_nms_inputs(boxes, scores, iou_threshold)
    if not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size must be a positive int, got {block_size!r}")
    order = _score_order(scores)
    x1, y1, x2, y2 = boxes[order].unbind(dim=1)  # coordinates as contiguous columns, in score order
    area = (x2 - x1) * (y2 - y1)
    n = order.shape[0]
    keep = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    kept = torch.zeros(0, dtype=torch.long, device=boxes.device)  # positions (in score order) kept so far

    def over(rows: torch.Tensor | slice, cols: slice) -> torch.Tensor:
        """IoU(row box, column box) > t for every pair (the formula of :func:`_pair_iou`)."""
        w = torch.minimum(x2[rows, None], x2[None, cols]) - torch.maximum(x1[rows, None], x1[None, cols])
        h = torch.minimum(y2[rows, None], y2[None, cols]) - torch.maximum(y1[rows, None], y1[None, cols])
        intersection = w.clamp(min=0) * h.clamp(min=0)
        union = area[rows, None] + area[None, cols] - intersection
        return _safe_divide(intersection, union) > iou_threshold

    for start in range(0, n, block_size):
        block = slice(start, min(start + block_size, n))
        # 1. Boxes overlapping a box kept in an earlier block are gone; they suppress nothing.
        alive = ~over(kept, block).any(dim=0)
        # 2. Within the block: suppresses[j, i] = box j (earlier, alive) would suppress box i.
        suppresses = torch.triu(over(block, block), diagonal=1) & alive[:, None]
        block_keep = alive
        while True:  # the fixed-point iteration (Cluster-NMS): at most len(block) rounds
            updated = alive & ~(suppresses & block_keep[:, None]).any(dim=0)
            if torch.equal(updated, block_keep):
                break
            block_keep = updated
        keep[block] = block_keep
        kept = torch.cat([kept, torch.nonzero(block_keep).flatten() + start])
    return order[keep]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float,
                *, reference: bool = False) -> torch.Tensor:
    """Per-class NMS: boxes of different labels never suppress each other.

    Args:
        boxes: ``[N, 4]`` xyxy boxes; scores: ``[N]``; labels: ``[N]`` integer class ids.
        iou_threshold: as :func:`nms`.
        reference: use :func:`nms_reference` for each class (slow; for checking).
    Returns:
        ``[K]`` int64 indices of the kept boxes over all classes, by decreasing score (ties: lower
        index first).
    """
    _check_nms_inputs(boxes, scores, iou_threshold)
    if not isinstance(labels, torch.Tensor) or labels.shape != scores.shape or labels.is_floating_point():
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be an integer tensor of shape [N] = [{boxes.shape[0]}], got {shape}")
    suppress = nms_reference if reference else nms
    kept = [members[suppress(boxes[members], scores[members], iou_threshold)]
            for members in (torch.nonzero(labels == c).flatten() for c in torch.unique(labels))]
    kept_all = torch.cat(kept) if kept else torch.zeros(0, dtype=torch.long, device=boxes.device)
    # Merge the classes: by decreasing score, ties by index (sort by index, then stably by score).
    kept_all = kept_all.sort().values
    return kept_all[_score_order(scores[kept_all])]


