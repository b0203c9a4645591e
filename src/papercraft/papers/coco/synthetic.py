"""Seeded synthetic detections for a COCO ground truth: jittered true boxes and masks, duplicates,
class confusions and false positives, with scores that mostly (not always) rank good detections
first. They exercise every path of the protocol — partial overlaps across the IoU thresholds,
duplicates that become false positives, detections on crowd regions, ties in score, more than 100
detections in an image — without a trained detector.

How one detection of a true object is made, with ``q = jitter * U(0, 2)`` its "quality noise":
its box is the object's box moved by ``N(0, q) * (w, h)`` and scaled by ``exp(N(0, q))`` in each
side; its mask is the object's visible mask moved by the same (rounded) offset and, at random, grown
or shrunk by one pixel at both ends of every column run; its score is ``sigmoid(2 - 6 q + N(0, 0.5))`` rounded to ``score_digits``
decimals (rounding makes ties). False positives are boxes of random place and size with an
inscribed ellipse as mask and scores ``U(0, 0.6)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from papercraft.papers.coco.rle_batch import Intervals, encode_count_strings, segmentation_intervals, union_intervals


def _column_runs(coco: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every annotation's visible mask as runs within columns: (col, row0, row1) with rows
    [row0, row1), and CSR offsets [n_annotations + 1] in annotation order."""
    size = {img["id"]: (img["height"], img["width"]) for img in coco["images"]}
    anns = coco["annotations"]
    hs = np.array([size[a["image_id"]][0] for a in anns], dtype=np.int64)
    ws = np.array([size[a["image_id"]][1] for a in anns], dtype=np.int64)
    iv = segmentation_intervals([a["segmentation"] for a in anns], hs, ws)
    owner = np.repeat(np.arange(len(anns)), np.diff(iv.offsets))
    h = hs[owner]
    c0, c1 = iv.starts // h, (iv.ends - 1) // h
    pieces = c1 - c0 + 1
    rep = np.repeat(np.arange(iv.starts.size), pieces)
    col = c0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(pieces) - pieces, pieces))
    hr = h[rep]
    row0 = np.maximum(iv.starts[rep] - col * hr, 0)
    row1 = np.minimum(iv.ends[rep] - col * hr, hr)
    per = np.bincount(owner[rep], minlength=len(anns))
    return col, row0, row1, np.concatenate(([0], np.cumsum(per))).astype(np.int64)


def _counts_from_runs(det: np.ndarray, start: np.ndarray, end: np.ndarray, sizes: np.ndarray, n: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """CSR RLE counts of ``n`` masks from their runs of 1s [start, end) (flat column-major),
    ``det`` [V] the mask of each run; overlapping or touching runs are merged."""
    iv = union_intervals(Intervals(start, end, np.arange(start.size + 1, dtype=np.int64), np.ones(n, np.int64)),
                         det, n, np.ones(n, np.int64))
    owner = np.repeat(np.arange(n), np.diff(iv.offsets))
    last_end = np.zeros(n, dtype=np.int64)
    has = np.diff(iv.offsets) > 0
    last_end[has] = iv.ends[iv.offsets[1:][has] - 1]
    tail = ~has | (last_end < sizes)
    key = np.concatenate((np.arange(n), owner, owner, np.flatnonzero(tail)))
    val = np.concatenate((np.zeros(n, np.int64), iv.starts, iv.ends, sizes[tail]))
    rank = np.concatenate((np.zeros(n, np.int64), 2 * np.arange(iv.starts.size) + 1,
                           2 * np.arange(iv.starts.size) + 2, np.full(int(tail.sum()), 2 * iv.starts.size + 3)))
    order = np.lexsort((rank, key))
    key, val = key[order], val[order]
    same = key[1:] == key[:-1]
    counts = np.diff(val)[same]
    per = np.bincount(key, minlength=n) - 1
    return counts, np.concatenate(([0], np.cumsum(per))).astype(np.int64)


def synthetic_detections(coco: dict[str, Any], seed: int, *, jitter: float = 0.1, per_image: int | None = None,
                         with_masks: bool = True, miss_rate: float = 0.1, duplicate_rate: float = 0.3,
                         confusion: float = 0.05, false_positives: float = 2.0, score_digits: int = 2
                         ) -> list[dict[str, Any]]:
    """Detections (a loadRes-style list) for every image of the instances dict ``coco``.

    ``per_image`` pads each image with false positives up to that many detections (beyond 100 some
    images then exceed ``maxDets``); otherwise each image gets Poisson(``false_positives``) of them.
    ``with_masks`` adds a compressed-RLE ``segmentation`` to every detection.
    """
    if not jitter >= 0:
        raise ValueError(f"jitter: expected >= 0, got {jitter!r}")
    if per_image is not None and per_image < 0:
        raise ValueError(f"per_image: expected None or >= 0, got {per_image!r}")
    cats = [c["id"] for c in coco["categories"]]
    by_image: dict[int, list[int]] = {img["id"]: [] for img in coco["images"]}
    for k, ann in enumerate(coco["annotations"]):
        by_image[ann["image_id"]].append(k)
    records: list[tuple[int, int, list[float], float]] = []     # image id, category, box, score
    # mask recipe per detection: (source annotation or -1, dx, dy, grow, ellipse box)
    source, shift_x, shift_y, grows, ellipses = [], [], [], [], []
    heights, widths = [], []
    for img in coco["images"]:
        rng = np.random.default_rng([seed, img["id"]])
        h, w = img["height"], img["width"]
        n_before = len(records)
        for k in by_image[img["id"]]:
            ann = coco["annotations"][k]
            if ann["iscrowd"] and rng.uniform() > 0.5:
                continue
            if rng.uniform() < miss_rate:
                continue
            x, y, bw, bh = ann["bbox"]
            for _ in range(int(rng.geometric(1 - duplicate_rate))):
                q = jitter * rng.uniform(0, 2)
                dx, dy = rng.normal(0, q) * bw, rng.normal(0, q) * bh
                box = [x + dx, y + dy, bw * math.exp(rng.normal(0, q)), bh * math.exp(rng.normal(0, q))]
                cat = ann["category_id"]
                if rng.uniform() < confusion and len(cats) > 1:
                    others = [c for c in cats if c != cat]
                    cat = others[int(rng.integers(len(others)))]
                logit = 2 - 6 * q + rng.normal(0, 0.5)
                records.append((img["id"], cat, [round(v, 2) for v in box], round(1 / (1 + math.exp(-logit)), score_digits)))
                source.append(k)
                shift_x.append(int(round(dx)))
                shift_y.append(int(round(dy)))
                grows.append(int(rng.integers(-1, 2)) if q > 0 else 0)
                ellipses.append((0.0, 0.0, 0.0, 0.0))
        n_fp = max(0, per_image - (len(records) - n_before)) if per_image is not None else int(rng.poisson(false_positives))
        if n_fp:
            side = np.exp(rng.uniform(math.log(6), math.log(0.6 * min(h, w)), n_fp))
            bw = np.minimum(side * np.exp(rng.normal(0, 0.3, n_fp)), 0.9 * w)
            bh = np.minimum(side * np.exp(rng.normal(0, 0.3, n_fp)), 0.9 * h)
            x0 = rng.uniform(-0.1 * bw, w - 0.9 * bw)
            y0 = rng.uniform(-0.1 * bh, h - 0.9 * bh)
            labels = rng.integers(len(cats), size=n_fp)
            fp_scores = rng.uniform(0, 0.6, n_fp)
            for j in range(n_fp):
                box = [round(float(v), 2) for v in (x0[j], y0[j], bw[j], bh[j])]
                records.append((img["id"], cats[labels[j]], box, round(float(fp_scores[j]), score_digits)))
                ellipses.append((x0[j], y0[j], bw[j], bh[j]))
            source += [-1] * n_fp
            shift_x += [0] * n_fp
            shift_y += [0] * n_fp
            grows += [0] * n_fp
        heights += [h] * (len(records) - n_before)
        widths += [w] * (len(records) - n_before)
    out = [{"image_id": i, "category_id": c, "bbox": b, "score": s} for i, c, b, s in records]
    if not with_masks or not out:
        return out
    strings = _mask_strings(coco, np.array(source), np.array(shift_x), np.array(shift_y), np.array(grows),
                            np.array(ellipses, dtype=np.float64).reshape(-1, 4), np.array(heights), np.array(widths))
    for det, s, h, w in zip(out, strings, heights, widths):
        det["segmentation"] = {"size": [h, w], "counts": s}
    return out


def _mask_strings(coco: dict[str, Any], source: np.ndarray, sx: np.ndarray, sy: np.ndarray, grow: np.ndarray,
                  ellipse: np.ndarray, h: np.ndarray, w: np.ndarray) -> list[str]:
    """Compressed RLE strings of the detections' masks: a true mask moved by (sx, sy) and grown or
    shrunk by a pixel in its columns, or an ellipse inscribed in a box (source -1)."""
    n = source.size
    col, r0, r1, off = _column_runs(coco)
    # jittered true masks
    from_truth = np.flatnonzero(source >= 0)
    lens = off[source[from_truth] + 1] - off[source[from_truth]]
    det_t = np.repeat(from_truth, lens)
    piece = off[source[det_t]] + (np.arange(det_t.size) - np.repeat(np.cumsum(lens) - lens, lens))
    c_t = col[piece] + sx[det_t]
    a_t = r0[piece] + sy[det_t] - grow[det_t]
    b_t = r1[piece] + sy[det_t] + grow[det_t]
    # ellipses
    fp = np.flatnonzero(source < 0)
    x0, y0, bw, bh = ellipse[fp].T
    cx, cy, ax, by = x0 + bw / 2, y0 + bh / 2, bw / 2, bh / 2
    first = np.floor(cx - ax).astype(np.int64)
    ncol = np.ceil(cx + ax).astype(np.int64) - first + 1
    det_e = np.repeat(fp, ncol)
    k = np.repeat(np.arange(fp.size), ncol)
    c_e = first[k] + (np.arange(k.size) - np.repeat(np.cumsum(ncol) - ncol, ncol))
    u = (c_e + 0.5 - cx[k]) / ax[k]
    half = by[k] * np.sqrt(np.clip(1 - u * u, 0, None))
    inside = np.abs(u) <= 1
    a_e = np.ceil(cy[k] - half - 0.5).astype(np.int64)
    b_e = np.floor(cy[k] + half - 0.5).astype(np.int64) + 1
    det = np.concatenate((det_t, det_e[inside]))
    c = np.concatenate((c_t, c_e[inside]))
    hh, ww = h[det], w[det]
    a = np.clip(np.concatenate((a_t, a_e[inside])), 0, hh)
    b = np.clip(np.concatenate((b_t, b_e[inside])), 0, hh)
    ok = (c >= 0) & (c < ww) & (b > a)
    det, c, a, b, hh = det[ok], c[ok], a[ok], b[ok], hh[ok]
    order = np.lexsort((c * hh + a, det))
    det, start, end = det[order], (c * hh + a)[order], (c * hh + b)[order]
    counts, offsets = _counts_from_runs(det, start, end, h * w, n)
    return encode_count_strings(counts, offsets)


def ground_truth_as_detections(coco: dict[str, Any]) -> list[dict[str, Any]]:
    """Every non-crowd object as a detection of score 1: its own box, and its own mask as
    compressed RLE. Scored against ``coco`` itself this gives AP = 1 wherever AP is defined."""
    size = {img["id"]: (img["height"], img["width"]) for img in coco["images"]}
    anns = [a for a in coco["annotations"] if not a["iscrowd"]]
    if not anns:
        return []
    hs = np.array([size[a["image_id"]][0] for a in anns], dtype=np.int64)
    ws = np.array([size[a["image_id"]][1] for a in anns], dtype=np.int64)
    iv = segmentation_intervals([a["segmentation"] for a in anns], hs, ws)
    owner = np.repeat(np.arange(len(anns)), np.diff(iv.offsets))
    counts, offsets = _counts_from_runs(owner, iv.starts, iv.ends, hs * ws, len(anns))
    strings = encode_count_strings(counts, offsets)
    return [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": list(a["bbox"]), "score": 1.0,
             "segmentation": {"size": [int(h), int(w)], "counts": s}} for a, s, h, w in zip(anns, strings, hs, ws)]
