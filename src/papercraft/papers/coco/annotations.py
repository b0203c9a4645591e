"""Reading COCO annotation files: ground truth (an instances dict) and detection results (a list).

The reader checks every field the evaluation reads and turns the file into columns (numpy arrays,
one row per image, annotation or detection). A malformed file is an error naming the field and
its index (``annotations[3].bbox: ...``), never a traceback; pycocotools would instead crash
somewhere inside its evaluation, or silently drop what it cannot use.

What a detection means follows pycocotools' ``COCO.loadRes`` (``coco.py``), which decides by the
**first** detection of the file:

* if it has a non-empty ``bbox``, every detection is *box-style*: its ``area`` is ``w * h`` of its
  box, even when it also carries a mask, and a detection without a ``segmentation`` is given its
  box as a polygon (so ``segm`` evaluation rasterizes the box);
* otherwise, if it has a ``segmentation``, every detection is *mask-style*: that must be a
  compressed RLE; the area is the mask's pixel count and, if no ``bbox`` is given, the box is
  pycocotools' ``toBbox`` of the mask.

Checks that pycocotools does not make, each an error here:

* a detection of a category the ground truth does not list — pycocotools silently ignores it
  (its ``getAnnIds`` filters by the ground truth's categories), so a typo in a category id would
  lower AP without a word;
* a detection on an image the ground truth does not list (pycocotools asserts "Results do not
  correspond to current coco set" without saying which);
* a box of negative width or height, a polygon with fewer than 3 points or an odd number of
  coordinates, an RLE whose counts do not add up to height x width, non-finite numbers, duplicate
  image, category or annotation ids.

An empty detection list is accepted and means no detections (pycocotools' ``loadRes`` fails on it
with an IndexError; a results object with no annotations scores as papercraft does).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papercraft.errors import PapercraftError, UsageError
from papercraft.papers.coco import mask as masks
from papercraft.papers.coco.rle_batch import RleStringError, decode_count_strings, quirk_boxes


class CocoFormatError(PapercraftError):
    """A COCO annotation or detection file that cannot be evaluated; the message names the field."""


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing file is a usage error (exit 2), bad JSON a format error (exit 1)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{what} file {str(path)!r} does not exist")
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CocoFormatError(f"{path}: not valid JSON ({err})") from None


_NUMBER_TYPES = {int, float}   # what JSON gives; numpy scalars (from in-memory lists) are accepted too


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_number(x: Any) -> bool:
    return (isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
            and math.isfinite(x))


def _all_numbers(values: list) -> bool:
    """Every value a finite number (fast for JSON's int and float)."""
    if set(map(type, values)) <= _NUMBER_TYPES:
        return all(map(math.isfinite, values))
    return all(map(_is_number, values))


@dataclass
class GroundTruth:
    """A COCO instances file as columns. Images and categories keep the file's order; so do the
    annotations (order matters to the evaluation: it breaks ties between equal IoUs).

    ``height``/``width`` are -1 where the file gives none (only ``segm`` evaluation needs them).
    ``segmentations[g]`` is the annotation's raw ``segmentation`` (or None where absent).
    """

    image_ids: np.ndarray          # int64 [N]
    heights: np.ndarray            # int64 [N]
    widths: np.ndarray             # int64 [N]
    category_ids: np.ndarray       # int64 [K]
    category_names: list[str]
    ann_ids: np.ndarray            # int64 [G]
    ann_image_ids: np.ndarray      # int64 [G]
    ann_category_ids: np.ndarray   # int64 [G]
    ann_bboxes: np.ndarray         # float64 [G, 4]  x, y, w, h
    ann_areas: np.ndarray          # float64 [G]
    ann_crowd: np.ndarray          # bool [G]
    segmentations: list[Any]

    def image_size(self, image_id: int) -> tuple[int, int]:
        k = int(np.flatnonzero(self.image_ids == image_id)[0])
        return int(self.heights[k]), int(self.widths[k])


@dataclass
class Detections:
    """A detection results list as columns, with pycocotools ``loadRes``'s derived fields.

    ``ids`` are 1..D in file order (``loadRes`` numbers them so). ``style`` is "box" or "mask"
    (module docstring). ``segmentations[d]`` is the raw ``segmentation`` or None (box-style
    detection without a mask: its box is its mask).
    """

    ids: np.ndarray                # int64 [D]
    image_ids: np.ndarray          # int64 [D]
    category_ids: np.ndarray       # int64 [D]
    scores: np.ndarray             # float64 [D]
    bboxes: np.ndarray             # float64 [D, 4]
    areas: np.ndarray              # float64 [D]
    segmentations: list[Any]
    style: str
    decoded: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """Compressed-RLE masks decoded by the reader: (counts, CSR offsets, row of each detection or -1)."""
    masks_read: bool = True
    """False when read for ``bbox`` evaluation only (box-style masks skipped)."""

    def __len__(self) -> int:
        return len(self.ids)


def _fail(source: str, message: str) -> CocoFormatError:
    return CocoFormatError(f"{source}: {message}")


def _require_list(data: dict, key: str, source: str) -> list:
    if key not in data:
        raise _fail(source, f"missing key '{key}' (a COCO instances file has images, annotations and categories)")
    if not isinstance(data[key], list):
        raise _fail(source, f"'{key}' must be a list, got {type(data[key]).__name__}")
    return data[key]


def _field(obj: Any, key: str, where: str, source: str) -> Any:
    if not isinstance(obj, dict):
        raise _fail(source, f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise _fail(source, f"{where}: missing key '{key}'")
    return obj[key]


def _check_box(box: Any, where: str, source: str) -> None:
    if not isinstance(box, (list, tuple, np.ndarray)) or len(box) != 4 or not all(_is_number(v) for v in box):
        raise _fail(source, f"{where}.bbox: expected [x, y, width, height] of 4 finite numbers, got {box!r}"[:300])
    if box[2] < 0 or box[3] < 0:
        raise _fail(source, f"{where}.bbox: negative box {box} (width and height must be >= 0)")


def check_segmentation(segm: Any, height: int, width: int, where: str, source: str,
                       compressed_only: bool = False) -> None:
    """Check a ``segmentation``: a list of polygons, or an RLE dict of the image's size."""
    if isinstance(segm, list) and not compressed_only:
        if len(segm) == 0:
            raise _fail(source, f"{where}.segmentation: empty list of polygons")
        for j, poly in enumerate(segm):
            if not isinstance(poly, list) or not _all_numbers(poly):
                raise _fail(source, f"{where}.segmentation[{j}]: a polygon must be a list of finite numbers [x1, y1, x2, y2, ...]")
            if len(poly) % 2:
                raise _fail(source, f"{where}.segmentation[{j}]: polygon has an odd number of coordinates ({len(poly)})")
            if len(poly) < 6:
                raise _fail(source, f"{where}.segmentation[{j}]: polygon with {len(poly) // 2} points; a polygon needs at least 3")
        return
    if not isinstance(segm, dict):
        kind = "compressed RLE {'size': [h, w], 'counts': str}" if compressed_only else "a list of polygons or an RLE {'size', 'counts'}"
        raise _fail(source, f"{where}.segmentation: expected {kind}, got {type(segm).__name__}")
    for key in ("size", "counts"):
        if key not in segm:
            raise _fail(source, f"{where}.segmentation: missing key '{key}'")
    size = segm["size"]
    if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v >= 0 for v in size)):
        raise _fail(source, f"{where}.segmentation.size: expected [height, width], got {size!r}"[:300])
    if height >= 0 and (size[0], size[1]) != (height, width):
        raise _fail(source, f"{where}.segmentation.size: {size} differs from the image's [height, width] = [{height}, {width}]")
    counts = segm["counts"]
    if isinstance(counts, str):
        try:
            values = masks.from_string(counts)
        except ValueError as err:
            raise _fail(source, f"{where}.segmentation.{err}") from None
    elif isinstance(counts, list) and not compressed_only:
        if not (set(map(type, counts)) <= {int} or all(map(_is_int, counts))) or (counts and min(counts) < 0):
            raise _fail(source, f"{where}.segmentation.counts: expected non-negative integers")
        values = np.asarray(counts, dtype=np.int64)
    else:
        kind = "a string (compressed RLE; pycocotools' loadRes reads mask-style detections only in that form)" if compressed_only else "a string or a list of integers"
        raise _fail(source, f"{where}.segmentation.counts: expected {kind}, got {type(counts).__name__}")
    if np.any(values < 0) or int(values.sum()) != size[0] * size[1]:
        raise _fail(source, f"{where}.segmentation.counts: runs add up to {int(values.sum())} pixels (or are negative); expected height*width = {size[0] * size[1]}")


def load_ground_truth(data: Any, source: str = "ground truth") -> GroundTruth:
    """Check a COCO instances dict and return its columns (raises :class:`CocoFormatError`)."""
    if not isinstance(data, dict):
        raise _fail(source, f"expected a COCO instances object {{images, annotations, categories}}, got {type(data).__name__}")
    images = _require_list(data, "images", source)
    anns = _require_list(data, "annotations", source)
    cats = _require_list(data, "categories", source)

    image_ids, heights, widths = [], [], []
    for i, img in enumerate(images):
        where = f"images[{i}]"
        iid = _field(img, "id", where, source)
        if not _is_int(iid):
            raise _fail(source, f"{where}.id: expected an integer, got {iid!r}")
        h, w = img.get("height", -1), img.get("width", -1)
        for name, v in (("height", h), ("width", w)):
            if name in img and not (_is_int(v) and v > 0):
                raise _fail(source, f"{where}.{name}: expected a positive integer, got {v!r}")
        image_ids.append(iid)
        heights.append(h)
        widths.append(w)
    _no_duplicates(image_ids, "images", "id", source)

    category_ids, names = [], []
    for k, cat in enumerate(cats):
        cid = _field(cat, "id", f"categories[{k}]", source)
        if not _is_int(cid):
            raise _fail(source, f"categories[{k}].id: expected an integer, got {cid!r}")
        category_ids.append(cid)
        names.append(str(cat.get("name", cid)))
    _no_duplicates(category_ids, "categories", "id", source)

    known_images, known_cats = set(image_ids), set(category_ids)
    size_of = dict(zip(image_ids, zip(heights, widths)))
    ann_ids, ann_img, ann_cat, boxes, areas, crowd, segms = [], [], [], [], [], [], []
    for g, ann in enumerate(anns):
        where = f"annotations[{g}]"
        values = {key: _field(ann, key, where, source) for key in ("id", "image_id", "category_id", "bbox", "area", "iscrowd")}
        for key in ("id", "image_id", "category_id"):
            if not _is_int(values[key]):
                raise _fail(source, f"{where}.{key}: expected an integer, got {values[key]!r}")
        if values["image_id"] not in known_images:
            raise _fail(source, f"{where}.image_id: {values['image_id']} is not in 'images'")
        if values["category_id"] not in known_cats:
            raise _fail(source, f"{where}.category_id: {values['category_id']} is not in 'categories'")
        _check_box(values["bbox"], where, source)
        if not _is_number(values["area"]) or values["area"] < 0:
            raise _fail(source, f"{where}.area: expected a non-negative number, got {values['area']!r}")
        if values["iscrowd"] not in (0, 1):
            raise _fail(source, f"{where}.iscrowd: expected 0 or 1, got {values['iscrowd']!r}")
        segm = ann.get("segmentation")
        if segm is not None:
            h, w = size_of[values["image_id"]]
            check_segmentation(segm, h, w, where, source)
        ann_ids.append(values["id"])
        ann_img.append(values["image_id"])
        ann_cat.append(values["category_id"])
        boxes.append(values["bbox"])
        areas.append(values["area"])
        crowd.append(bool(values["iscrowd"]))
        segms.append(segm)
    _no_duplicates(ann_ids, "annotations", "id", source)
    return GroundTruth(
        image_ids=np.array(image_ids, dtype=np.int64), heights=np.array(heights, dtype=np.int64),
        widths=np.array(widths, dtype=np.int64), category_ids=np.array(category_ids, dtype=np.int64),
        category_names=names, ann_ids=np.array(ann_ids, dtype=np.int64),
        ann_image_ids=np.array(ann_img, dtype=np.int64), ann_category_ids=np.array(ann_cat, dtype=np.int64),
        ann_bboxes=np.array(boxes, dtype=np.float64).reshape(-1, 4), ann_areas=np.array(areas, dtype=np.float64),
        ann_crowd=np.array(crowd, dtype=bool), segmentations=segms)


def _no_duplicates(ids: list[int], section: str, key: str, source: str) -> None:
    seen: dict[int, int] = {}
    for i, v in enumerate(ids):
        if v in seen:
            raise _fail(source, f"{section}[{i}].{key}: {v} repeats {section}[{seen[v]}].{key}")
        seen[v] = i


def check_segm_ready(gt: GroundTruth, source: str = "ground truth") -> None:
    """``segm`` evaluation needs every image's height and width and every annotation's mask."""
    for i in np.flatnonzero((gt.heights < 0) | (gt.widths < 0)):
        raise _fail(source, f"images[{i}]: missing key 'height' or 'width' (segm evaluation rasterizes at the image's size)")
    for g, segm in enumerate(gt.segmentations):
        if segm is None:
            raise _fail(source, f"annotations[{g}]: missing key 'segmentation' (needed for segm evaluation)")


def load_detections(data: Any, gt: GroundTruth, source: str = "detections", iou_type: str = "segm") -> Detections:
    """Check a detection results list against ``gt`` and derive what ``loadRes`` derives.

    With ``iou_type="bbox"`` the masks of box-style detections are not read (they play no part in
    box evaluation, and pycocotools does not read them either); everything else is checked.
    """
    if not isinstance(data, list):
        raise _fail(source, f"expected a list of detections, got {type(data).__name__}")
    n = len(data)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Detections(empty, empty, empty, np.zeros(0), np.zeros((0, 4)), np.zeros(0), [], "box")
    first = data[0]
    if not isinstance(first, dict):
        raise _fail(source, f"detections[0]: expected an object, got {type(first).__name__}")
    if "bbox" in first and not (hasattr(first["bbox"], "__len__") and len(first["bbox"]) == 0):
        style = "box"
    elif "segmentation" in first:
        style = "mask"
    else:
        raise _fail(source, "detections[0]: missing key 'bbox' (or 'segmentation'); pycocotools' loadRes "
                            "decides from the first detection whether the file holds boxes or masks")

    image_ids = _int_column(data, "image_id", source)
    category_ids = _int_column(data, "category_id", source)
    scores = _number_column(data, "score", source)
    known = gt.image_ids
    order = np.argsort(known)
    pos = np.clip(np.searchsorted(known[order], image_ids), 0, max(len(known) - 1, 0))
    bad = np.flatnonzero(known[order][pos] != image_ids) if len(known) else np.arange(n)
    if bad.size:
        d = int(bad[0])
        raise _fail(source, f"detections[{d}].image_id: {int(image_ids[d])} is not an image of the ground truth")
    bad = np.flatnonzero(~np.isin(category_ids, gt.category_ids))
    if bad.size:
        d = int(bad[0])
        listed = ", ".join(str(int(c)) for c in sorted(gt.category_ids)[:20])
        raise _fail(source, f"detections[{d}].category_id: {int(category_ids[d])} is not a category of the ground "
                            f"truth (categories {listed}); pycocotools would silently ignore this detection")
    size_of = dict(zip(gt.image_ids.tolist(), zip(gt.heights.tolist(), gt.widths.tolist())))

    if style == "box" and iou_type == "bbox":
        segms: list[Any] = [None] * n
    else:
        segms = [det.get("segmentation") if isinstance(det, dict) else None for det in data]
    if style == "mask":
        missing = [d for d, segm in enumerate(segms) if segm is None]
        if missing:
            raise _fail(source, f"detections[{missing[0]}]: missing key 'segmentation' (detections[0] has a mask and "
                                "no box, so pycocotools' loadRes reads every detection as a mask)")
    compressed = [d for d, segm in enumerate(segms) if type(segm) is dict and type(segm.get("counts")) is str]
    others = [d for d, segm in enumerate(segms) if segm is not None and not (type(segm) is dict and type(segm.get("counts")) is str)]
    for d in others:
        h, w = size_of[int(image_ids[d])]
        check_segmentation(segms[d], h, w, f"detections[{d}]", source, compressed_only=(style == "mask"))
    decoded = _decode_compressed(segms, compressed, image_ids, size_of, source)
    counts, offsets, rows = decoded
    if style == "box":
        boxes = _box_column(data, source)
        areas = boxes[:, 2] * boxes[:, 3]
    else:
        # a mask-style detection's area is its mask's; its box, if it has none, pycocotools' toBbox
        odd = np.zeros(counts.size + 1, dtype=np.int64)
        odd[1:] = np.cumsum(np.where((np.arange(counts.size) - np.repeat(offsets[:-1], np.diff(offsets))) % 2 == 1, counts, 0))
        areas = (odd[offsets[1:]] - odd[offsets[:-1]]).astype(np.float64)
        with_box = [d for d, det in enumerate(data) if "bbox" in det]
        hw = np.array([size_of[int(i)] for i in image_ids], dtype=np.int64).reshape(-1, 2)
        boxes = quirk_boxes(counts, offsets, hw[:, 0], hw[:, 1])
        if with_box:
            boxes[with_box] = _box_column([data[d] for d in with_box], source, index=with_box)
    return Detections(ids=np.arange(1, n + 1, dtype=np.int64), image_ids=image_ids, category_ids=category_ids,
                      scores=scores, bboxes=boxes, areas=areas, segmentations=segms, style=style, decoded=decoded,
                      masks_read=not (style == "box" and iou_type == "bbox"))


def _decode_compressed(segms: list[Any], which: list[int], image_ids: np.ndarray,
                       size_of: dict[int, tuple[int, int]], source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check and decode the compressed-RLE masks ``segms[which]`` all at once."""
    rows = -np.ones(len(segms), dtype=np.int64)
    rows[which] = np.arange(len(which))
    if not which:
        return np.zeros(0, dtype=np.int64), np.zeros(len(segms) + 1, dtype=np.int64), rows
    sizes = [segms[d].get("size") for d in which]
    expected = np.array([size_of[int(image_ids[d])] for d in which], dtype=np.int64).reshape(-1, 2)
    try:
        got = np.array(sizes)
        ok = got.shape == expected.shape and got.dtype.kind in "iu" and bool(np.all(got == expected))
    except ValueError:
        ok = False
    if not ok:
        for d in which:
            h, w = size_of[int(image_ids[d])]
            segm = segms[d]
            if "size" not in segm:
                raise _fail(source, f"detections[{d}].segmentation: missing key 'size'")
            size = segm["size"]
            if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v >= 0 for v in size)):
                raise _fail(source, f"detections[{d}].segmentation.size: expected [height, width], got {size!r}"[:300])
            if (size[0], size[1]) != (h, w):
                raise _fail(source, f"detections[{d}].segmentation.size: {size} differs from the image's [height, width] = [{h}, {w}]")
    try:
        counts, offsets = decode_count_strings([segms[d]["counts"] for d in which])
    except RleStringError as err:
        raise _fail(source, f"detections[{which[err.index]}].segmentation.{err}") from None
    total = np.concatenate(([0], np.cumsum(counts)))
    sums = total[offsets[1:]] - total[offsets[:-1]]
    bad = np.flatnonzero(sums != expected[:, 0] * expected[:, 1])
    if bad.size:
        d, k = which[int(bad[0])], int(bad[0])
        raise _fail(source, f"detections[{d}].segmentation.counts: runs add up to {int(sums[k])} pixels; "
                            f"expected height*width = {int(expected[k, 0] * expected[k, 1])}")
    # per detection CSR (detections without a compressed mask get no counts)
    per = np.zeros(len(segms), dtype=np.int64)
    per[which] = np.diff(offsets)
    return counts, np.concatenate(([0], np.cumsum(per))).astype(np.int64), rows


def _column(data: list, key: str, source: str) -> list:
    try:
        return [det[key] for det in data]
    except (KeyError, TypeError):
        for d, det in enumerate(data):
            _field(det, key, f"detections[{d}]", source)
        raise


def _int_column(data: list, key: str, source: str) -> np.ndarray:
    values = _column(data, key, source)
    if not (set(map(type, values)) <= {int} or all(map(_is_int, values))):
        d = next(d for d, v in enumerate(values) if not _is_int(v))
        raise _fail(source, f"detections[{d}].{key}: expected an integer, got {values[d]!r}")
    return np.array(values, dtype=np.int64)


def _number_column(data: list, key: str, source: str) -> np.ndarray:
    values = _column(data, key, source)
    if not (set(map(type, values)) <= _NUMBER_TYPES or all(isinstance(v, (int, float, np.integer, np.floating))
                                                             and not isinstance(v, (bool, np.bool_)) for v in values)):
        d = next(d for d, v in enumerate(values) if not isinstance(v, (int, float, np.integer, np.floating))
                 or isinstance(v, (bool, np.bool_)))
        raise _fail(source, f"detections[{d}].{key}: expected a number, got {values[d]!r}")
    out = np.array(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        raise _fail(source, f"detections[{int(bad[0])}].{key}: expected a finite number, got {values[int(bad[0])]!r}")
    return out


def _box_column(data: list, source: str, index: list[int] | None = None) -> np.ndarray:
    """Boxes [n, 4] of ``data``; ``index`` maps its rows to detection numbers in messages."""
    name = (lambda d: index[d]) if index is not None else (lambda d: d)
    values = _column(data, "bbox", source)
    try:
        raw = np.array(values)
        ok = raw.ndim == 2 and raw.shape[1] == 4 and raw.dtype.kind in "iuf"
    except ValueError:
        ok = False
    if not ok:
        for d, box in enumerate(values):
            _check_box(box, f"detections[{name(d)}]", source)
        raise _fail(source, "detections: boxes could not be read")
    boxes = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(boxes).all(axis=1))
    if bad.size:
        d = int(bad[0])
        raise _fail(source, f"detections[{name(d)}].bbox: expected 4 finite numbers, got {values[d]!r}")
    bad = np.flatnonzero((boxes[:, 2] < 0) | (boxes[:, 3] < 0))
    if bad.size:
        d = int(bad[0])
        raise _fail(source, f"detections[{name(d)}].bbox: negative box {values[d]} (width and height must be >= 0)")
    return boxes
