"""The COCO detection evaluation protocol (Lin et al. 2014, §4 and the evaluation page of cocodataset.org),
reproduced to the last bit of pycocotools' ``COCOeval`` for ``bbox`` and ``segm``.

The protocol, step by step (this module follows it literally; ``fast.py`` computes the same with
array operations, and the tests check both against pycocotools):

1. **Pairs.** Per image and category, the detections are sorted by score (stable: equal scores keep
   the file's order) and the first ``maxDets[-1] = 100`` kept. Their IoU with every ground-truth
   object of the same image and category is computed: box IoU for ``bbox``, mask IoU for ``segm``;
   against a *crowd* region the IoU is ``|d ∩ g| / |d|`` (a detection may cover any part of it).
2. **Matching**, for each of the T = 10 IoU thresholds t ∈ {.50, .55, …, .95} and each of the A = 4
   area ranges (all, small < 32², medium 32²–96², large > 96², bounds inclusive): a ground truth is
   *ignored* if it is a crowd or its ``area`` lies outside the range. Greedily, in score order, a
   detection takes the unmatched ground truth of highest IoU ≥ t, preferring non-ignored ones (a
   later object wins a tie); crowds can be matched any number of times. A detection matched to an
   ignored object, or unmatched and outside the area range, is ignored.
3. **Accumulation**, per category, area range and M = 3 detection limits (1, 10, 100 per image):
   all detections of the category in all images, each image's first ``maxDet``, sorted by score
   (stable, images in id order); cumulative true and false positives give recall ``tp / n_gt`` and
   precision ``tp / (tp + fp)``; precision is made monotone (each value becomes the maximum to its
   right) and read at the R = 101 recall points 0, .01, …, 1 (the first detection reaching each
   recall; 0 where recall never gets there): ``precision[T, R, K, A, M]``. ``recall[T, K, A, M]`` is
   the final recall. A category with no non-ignored ground truth gets -1 and drops out of the means.
4. **Summary**: AP = the mean of ``precision`` over everything that is not -1 in the selection
   (IoU .5:.95, or one threshold; an area range; a detection limit), AR = the same over ``recall``.
   ``stats`` are the 12 numbers of ``COCOeval.summarize()`` in its order, -1 where it prints -1.

Definitions of how a detection file is read (which area a detection has, and so on) are those of
pycocotools' ``loadRes``; see ``annotations.py``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from papercraft.papers.coco import mask as masks
from papercraft.papers.coco.annotations import (
    Detections,
    GroundTruth,
    check_segm_ready,
    load_detections,
    load_ground_truth,
)
from papercraft.papers.coco.params import (
    AREA_LABELS,
    AREA_RANGES,
    IOU_THRESHOLDS,
    IOU_TYPES,
    MAX_DETS,
    RECALL_THRESHOLDS,
    STAT_NAMES,
    STAT_SPECS,
)


@dataclass
class CocoEvaluation:
    """The result of :func:`evaluate`.

    ``precision`` float64 [T=10, R=101, K, A=4, M=3] and ``recall`` [T, K, A, M] as in
    ``COCOeval.eval``; ``stats`` float64 [12] in ``COCOeval.stats`` order; ``category_ids`` [K].
    """

    iou_type: str
    precision: np.ndarray
    recall: np.ndarray
    category_ids: np.ndarray
    stats: np.ndarray

    def summary_lines(self) -> list[str]:
        """The 12 lines pycocotools' ``summarize()`` prints, in its format and order."""
        lines = []
        for (ap, thr, area, max_det), value in zip(STAT_SPECS, self.stats):
            title, kind = ("Average Precision", "(AP)") if ap else ("Average Recall", "(AR)")
            iou = f"{IOU_THRESHOLDS[0]:0.2f}:{IOU_THRESHOLDS[-1]:0.2f}" if thr is None else f"{thr:0.2f}"
            lines.append(f" {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6s} | maxDets={max_det:>3d} ] = {value:0.3f}")
        return lines

    def as_dict(self) -> dict[str, float]:
        return dict(zip(STAT_NAMES, (float(s) for s in self.stats)))

    def ap_per_threshold(self, area: str = "all", max_det: int = 100) -> np.ndarray:
        """AP [T] at each IoU threshold: the mean of the precision array's non -1 entries there."""
        s = self.precision[:, :, :, AREA_LABELS.index(area), MAX_DETS.index(max_det)]
        return np.array([np.mean(p[p > -1]) if np.any(p > -1) else -1.0 for p in s])


def summarize(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """``stats`` [12] from the accumulated arrays, as ``COCOeval._summarize`` averages them."""
    stats = np.zeros(len(STAT_SPECS))
    for i, (ap, thr, area, max_det) in enumerate(STAT_SPECS):
        a, m = AREA_LABELS.index(area), MAX_DETS.index(max_det)
        s = precision if ap else recall
        if thr is not None:
            s = s[np.where(thr == IOU_THRESHOLDS)[0]]
        s = s[:, :, :, [a], [m]] if ap else s[:, :, [a], [m]]
        stats[i] = -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
    return stats


def evaluate(gt: dict[str, Any] | GroundTruth, detections: list[dict[str, Any]] | Detections,
             iou_type: str = "bbox", *, method: str = "fast") -> CocoEvaluation:
    """Score ``detections`` (a loadRes-style list) against ``gt`` (a COCO instances dict).

    ``method="fast"`` (default) is the array version in ``fast.py``; ``"reference"`` runs this
    module's step-by-step version. Both give identical results (tested). Malformed inputs raise
    :class:`~papercraft.papers.coco.annotations.CocoFormatError`.
    """
    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type: expected one of {IOU_TYPES}, got {iou_type!r}")
    if method not in ("fast", "reference"):
        raise ValueError(f"method: expected 'fast' or 'reference', got {method!r}")
    truth = gt if isinstance(gt, GroundTruth) else load_ground_truth(gt)
    dets = detections if isinstance(detections, Detections) else load_detections(detections, truth, iou_type=iou_type)
    if iou_type == "segm":
        check_segm_ready(truth)
        if not dets.masks_read:
            raise ValueError("detections: read with iou_type='bbox' (masks skipped); read them again for segm")
    if method == "fast":
        from papercraft.papers.coco.fast import evaluate_arrays

        precision, recall = evaluate_arrays(truth, dets, iou_type)
    else:
        precision, recall = evaluate_reference(truth, dets, iou_type)
    cat_ids = np.unique(truth.category_ids)
    return CocoEvaluation(iou_type, precision, recall, cat_ids, summarize(precision, recall))


# --------------------------------------------------------------------------------------------
# The readable version
# --------------------------------------------------------------------------------------------

def _gt_mask(truth: GroundTruth, g: int) -> masks.RLE:
    h, w = truth.image_size(int(truth.ann_image_ids[g]))
    return masks.from_segmentation(truth.segmentations[g], h, w)


def _dt_mask(truth: GroundTruth, dets: Detections, d: int) -> masks.RLE:
    h, w = truth.image_size(int(dets.image_ids[d]))
    segm = dets.segmentations[d]
    if segm is None:   # loadRes gives a box-style detection without a mask its box as a polygon
        x, y, bw, bh = dets.bboxes[d]
        segm = [[x, y, x, y + bh, x + bw, y + bh, x + bw, y]]
    return masks.from_segmentation(segm, h, w)


def _match_image(gt: list[int], dt: list[int], ious: np.ndarray, truth: GroundTruth, dets: Detections,
                 area_range: tuple[float, float]) -> dict[str, Any] | None:
    """Step 2 for one image, category and area range (``COCOeval.evaluateImg``).

    ``gt``/``dt`` are annotation/detection row indices, ``dt`` already sorted by score and cut at
    100; ``ious`` [len(dt), len(gt)].
    """
    if not gt and not dt:
        return None
    lo, hi = area_range
    ignore = [bool(truth.ann_crowd[g]) or truth.ann_areas[g] < lo or truth.ann_areas[g] > hi for g in gt]
    # ignored objects last (stable), so a detection tries the real objects first
    order = sorted(range(len(gt)), key=lambda j: ignore[j])
    gt = [gt[j] for j in order]
    ignore = [ignore[j] for j in order]
    ious = ious[:, order] if len(dt) and len(gt) else ious
    crowd = [bool(truth.ann_crowd[g]) for g in gt]

    T = len(IOU_THRESHOLDS)
    gt_match = np.zeros((T, len(gt)))          # id of the matching detection, 0 if none
    dt_match = np.zeros((T, len(dt)))          # id of the matching ground truth, 0 if none
    dt_ignore = np.zeros((T, len(dt)), dtype=bool)
    if len(dt) and len(gt):
        for t, threshold in enumerate(IOU_THRESHOLDS):
            for di in range(len(dt)):
                best_iou = min(threshold, 1 - 1e-10)
                best = -1
                for gi in range(len(gt)):
                    if gt_match[t, gi] > 0 and not crowd[gi]:
                        continue                           # taken (crowds never are)
                    if best > -1 and not ignore[best] and ignore[gi]:
                        break                              # a real match beats any ignored object
                    if ious[di, gi] < best_iou:
                        continue
                    best_iou, best = ious[di, gi], gi      # >=: a later object wins a tie
                if best == -1:
                    continue
                dt_ignore[t, di] = ignore[best]
                dt_match[t, di] = truth.ann_ids[gt[best]]
                gt_match[t, best] = dets.ids[dt[di]]
    outside = np.array([dets.areas[d] < lo or dets.areas[d] > hi for d in dt], dtype=bool)
    dt_ignore |= (dt_match == 0) & outside[None, :]
    return {"scores": [float(dets.scores[d]) for d in dt], "dt_match": dt_match, "dt_ignore": dt_ignore,
            "gt_ignore": np.array(ignore, dtype=bool)}


def evaluate_reference(truth: GroundTruth, dets: Detections, iou_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1–3, loop by loop: returns ``precision`` [T, R, K, A, M] and ``recall`` [T, K, A, M]."""
    img_ids = [int(i) for i in np.unique(truth.image_ids)]
    cat_ids = [int(c) for c in np.unique(truth.category_ids)]
    gts: dict[tuple[int, int], list[int]] = defaultdict(list)
    dts: dict[tuple[int, int], list[int]] = defaultdict(list)
    for g in range(len(truth.ann_ids)):
        gts[int(truth.ann_image_ids[g]), int(truth.ann_category_ids[g])].append(g)
    for d in range(len(dets)):
        dts[int(dets.image_ids[d]), int(dets.category_ids[d])].append(d)

    # Step 1: IoUs of each image's and category's top-100 detections with its objects
    top: dict[tuple[int, int], list[int]] = {}
    ious: dict[tuple[int, int], np.ndarray] = {}
    for img in img_ids:
        for cat in cat_ids:
            g, d = gts[img, cat], dts[img, cat]
            d = sorted(d, key=lambda k: -dets.scores[k])[:MAX_DETS[-1]]   # sorted() is stable
            top[img, cat] = d
            crowd = [bool(truth.ann_crowd[k]) for k in g]
            if iou_type == "bbox":
                ious[img, cat] = masks.box_iou(dets.bboxes[d], truth.ann_bboxes[g], crowd)
            else:
                ious[img, cat] = masks.iou([_dt_mask(truth, dets, k) for k in d], [_gt_mask(truth, k) for k in g], crowd)

    # Step 2: matching per category, area range and image
    evals = {(cat, a, img): _match_image(gts[img, cat], top[img, cat], ious[img, cat], truth, dets, rng)
             for cat in cat_ids for a, rng in enumerate(AREA_RANGES) for img in img_ids}

    # Step 3: accumulation
    T, R, K, A, M = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(cat_ids), len(AREA_RANGES), len(MAX_DETS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k, cat in enumerate(cat_ids):
        for a in range(A):
            for m, max_det in enumerate(MAX_DETS):
                E = [e for e in (evals[cat, a, img] for img in img_ids) if e is not None]
                if not E:
                    continue
                scores = np.concatenate([e["scores"][:max_det] for e in E])
                order = np.argsort(-scores, kind="mergesort")
                matched = np.concatenate([e["dt_match"][:, :max_det] for e in E], axis=1)[:, order]
                ignored = np.concatenate([e["dt_ignore"][:, :max_det] for e in E], axis=1)[:, order]
                n_gt = int(np.count_nonzero(np.concatenate([e["gt_ignore"] for e in E]) == 0))
                if n_gt == 0:
                    continue
                tp = np.cumsum((matched != 0) & ~ignored, axis=1).astype(float)
                fp = np.cumsum((matched == 0) & ~ignored, axis=1).astype(float)
                for t in range(T):
                    rc = tp[t] / n_gt
                    pr = (tp[t] / (fp[t] + tp[t] + np.spacing(1))).tolist()
                    n = len(pr)
                    recall[t, k, a, m] = rc[-1] if n else 0
                    for i in range(n - 1, 0, -1):           # the precision envelope
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    q = np.zeros(R)
                    for r, i in enumerate(np.searchsorted(rc, RECALL_THRESHOLDS, side="left")):
                        if i >= n:
                            break                           # recall never reaches this point
                        q[r] = pr[i]
                    precision[t, :, k, a, m] = q
    return precision, recall


def stats_from_files(gt_path: str, dt_path: str, iou_type: str = "bbox",
                     method: str = "fast") -> CocoEvaluation:
    """Read a ground-truth and a detections file and evaluate them (what ``papercraft coco eval`` does)."""
    from papercraft.papers.coco.annotations import read_json

    truth = load_ground_truth(read_json(gt_path, "ground-truth"), source=str(gt_path))
    dets = load_detections(read_json(dt_path, "detections"), truth, source=str(dt_path), iou_type=iou_type)
    return evaluate(truth, dets, iou_type, method=method)

