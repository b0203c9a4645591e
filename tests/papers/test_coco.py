"""coco: RLE masks, polygon rasterization, the evaluation protocol and the CLI against pycocotools;
the COCO-shapes generator; the quick preset's files re-scored by pycocotools."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papercraft.papers.coco import rle_batch as batch
from papercraft.papers.coco import mask as M
from papercraft.papers.coco.annotations import CocoFormatError
from papercraft.papers.coco.evaluation import evaluate
from papercraft.papers.coco.shapes import make_shapes
from papercraft.papers.coco.synthetic import ground_truth_as_detections, synthetic_detections
from oracles import oracle

# pycocotools' decode trips a numpy 2 deprecation of its own
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SHAPES = ("circle", "square", "triangle", "star")      # no digits: no MNIST needed


def coco_mask():
    return oracle("pycocotools.mask")


def pycoco_eval(gt: dict, dets: list, iou_type: str):
    """pycocotools' COCOeval on dicts (quietly); an empty list becomes a results object with no
    annotations (its loadRes fails on an empty list)."""
    coco = oracle("pycocotools.coco")
    cocoeval = oracle("pycocotools.cocoeval")
    with contextlib.redirect_stdout(io.StringIO()):
        truth = coco.COCO()
        truth.dataset = copy.deepcopy(gt)
        truth.createIndex()
        if dets:
            res = truth.loadRes(copy.deepcopy(dets))
        else:
            res = coco.COCO()
            res.dataset = {"images": list(gt["images"]), "categories": copy.deepcopy(gt["categories"]), "annotations": []}
            res.createIndex()
        e = cocoeval.COCOeval(truth, res, iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e


def assert_parity(gt: dict, dets: list, iou_type: str) -> np.ndarray:
    """Both papercraft evaluators give pycocotools' stats, precision and recall exactly."""
    ref = pycoco_eval(gt, dets, iou_type)
    for method in ("fast", "reference"):
        ours = evaluate(gt, dets, iou_type, method=method)
        assert np.array_equal(ours.stats, ref.stats), (method, ours.stats, ref.stats)
        assert np.array_equal(ours.precision, ref.eval["precision"]), method
        assert np.array_equal(ours.recall, ref.eval["recall"]), method
    return np.asarray(ref.stats)


@pytest.fixture(scope="module")
def shapes_gt() -> dict:
    return make_shapes(16, size=96, seed=3, categories=SHAPES, crowd_fraction=0.25).coco


# --------------------------------------------------------------------------------------------
# masks
# --------------------------------------------------------------------------------------------

masks_strategy = st.tuples(st.integers(1, 24), st.integers(1, 24), st.floats(0.0, 1.0), st.integers(0, 2 ** 32 - 1))


@settings(max_examples=60, deadline=None)
@given(masks_strategy)
def test_rle_encode_decode_and_strings_round_trip_and_match_pycocotools(params):
    h, w, density, seed = params
    m = (np.random.default_rng(seed).random((h, w)) < density).astype(np.uint8)
    rle = M.encode(m)
    assert np.array_equal(M.decode(rle), m)
    ref = coco_mask().encode(np.asfortranarray(m))
    assert M.to_string(rle.counts) == ref["counts"].decode()
    assert np.array_equal(M.from_string(ref["counts"]), rle.counts)
    assert M.area(rle) == coco_mask().area(ref)
    assert np.array_equal(M.to_bbox(rle), coco_mask().toBbox(ref))
    # the batch versions agree with the readable ones
    counts, offsets = batch.encode_masks(m[None])
    assert np.array_equal(counts, rle.counts)
    strings = batch.encode_count_strings(counts, offsets)
    assert strings == [M.to_string(rle.counts)]
    back, off = batch.decode_count_strings(strings)
    assert np.array_equal(back, rle.counts) and np.array_equal(off, offsets)
    assert np.array_equal(batch.quirk_boxes(counts, offsets, np.array([h]), np.array([w]))[0], M.to_bbox(rle))


def test_string_codec_handles_large_and_negative_deltas():
    counts = np.array([0, 70000, 3, 1, 69990, 5, 2 ** 20, 1, 0, 7])
    s = M.to_string(counts)
    assert np.array_equal(M.from_string(s), counts)
    ref = coco_mask().decode({"size": [1, int(counts.sum())], "counts": s.encode()})
    assert ref.sum() == counts[1::2].sum()
    with pytest.raises(ValueError, match="not in the RLE code"):
        M.from_string("ab~")
    with pytest.raises(ValueError, match="ends inside a value"):
        M.from_string("0P")       # 'P' = 32 + 0: a continuation character at the end


@pytest.mark.parametrize("counts", [[0, 0, 3, 2, 1], [0, 0, 6], [6, 0], [2, 0, 0, 4], [0, 6], [6], [1, 2, 0, 0, 1, 2]])
def test_tobbox_of_non_canonical_counts(counts):
    """pycocotools 2.0's rleToBbox skips empty runs and reads 2*(m//2) counts (unsigned arithmetic)."""
    ref = coco_mask().toBbox(coco_mask().frPyObjects({"size": [2, 3], "counts": counts}, 2, 3))
    assert np.array_equal(M.to_bbox(M.RLE(2, 3, counts)), ref)
    offsets = np.array([0, len(counts)])
    assert np.array_equal(batch.quirk_boxes(np.array(counts), offsets, np.array([2]), np.array([3]))[0], ref)


ODD_POLYGONS = [
    [0, 0, 10, 0, 10, 10, 0, 10],                                  # square on pixel corners
    [0, 0, 10, 10, 10, 0, 0, 10],                                  # bow tie (self-intersecting)
    [2.3, 1.7, 8.9, 2.2, 5.5, 9.8],                                # sub-pixel triangle
    [5, 0, 6, 9, 7, 0, 8, 9, 9, 0, 4, 5],                          # zig-zag, concave
    [0, 0, 12, 0, 12, 12, 0, 12, 0, 0, 6, 6, 6, 6],                # repeated vertices
    [-3, -2, 15, 4, 9, 18],                                        # outside the image on every side
    [0, 0, 11.999, 0, 11.999, 11.999, 0, 11.999],                  # touching the far border
    [1, 1, 1, 8, 1, 4],                                            # degenerate (a line)
    [0.49, 0.51, 0.51, 7.49, 7.5, 7.5, 7.51, 0.5],                 # half-pixel coordinates
    [3, 3, 9, 3, 9, 9, 3, 9, 3, 3, 5, 5, 7, 5, 7, 7, 5, 7, 5, 5],  # a hole by a zero-width cut
]


@pytest.mark.parametrize("poly", ODD_POLYGONS)
@pytest.mark.parametrize("size", [(12, 12), (7, 13)])
def test_polygon_rasterization_matches_frpyobjects(poly, size):
    h, w = size
    ref = coco_mask().frPyObjects([poly], h, w)[0]
    ours = M.from_polygon(poly, h, w)
    assert M.to_string(ours.counts) == ref["counts"].decode()
    iv = batch.polygon_intervals([poly], np.array([h]), np.array([w]))
    assert iv.areas()[0] == M.area(ours) == coco_mask().area(ref)
    assert np.array_equal(M.to_bbox(ours), coco_mask().toBbox(ref))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 30), st.integers(1, 30), st.integers(3, 9), st.integers(0, 2 ** 32 - 1), st.sampled_from(["float", "half", "int"]))
def test_random_polygons_rasterize_as_pycocotools(h, w, k, seed, grid):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-4, max(h, w) + 4, 2 * k)
    if grid == "half":
        xy = np.round(xy * 2) / 2
    elif grid == "int":
        xy = np.round(xy)
    ref = coco_mask().frPyObjects([xy.tolist()], h, w)[0]
    assert M.to_string(M.from_polygon(xy, h, w).counts) == ref["counts"].decode()
    backwards = xy.reshape(-1, 2)[::-1].ravel()                      # the same polygon, walked the other way
    iv = batch.polygon_intervals([xy.tolist(), backwards.tolist()], np.array([h, h]), np.array([w, w]))
    assert iv.areas().tolist() == [coco_mask().area(ref)] * 2


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 20), st.integers(2, 20), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2 ** 32 - 1))
def test_mask_iou_merge_and_pair_intersections_match_pycocotools(h, w, nd, ng, seed):
    rng = np.random.default_rng(seed)
    dmasks = [(rng.random((h, w)) < rng.uniform(0, 0.7)).astype(np.uint8) for _ in range(nd)]
    gmasks = [(rng.random((h, w)) < rng.uniform(0, 0.7)).astype(np.uint8) for _ in range(ng)]
    crowd = rng.integers(0, 2, ng)
    enc = lambda ms: [coco_mask().encode(np.asfortranarray(m)) for m in ms]    # noqa: E731
    ref = np.asarray(coco_mask().iou(enc(dmasks), enc(gmasks), crowd.tolist()))
    ours = M.iou([M.encode(m) for m in dmasks], [M.encode(m) for m in gmasks], crowd)
    assert np.array_equal(ours, ref.reshape(nd, ng))
    for intersect in (False, True):
        merged = coco_mask().merge(enc(dmasks), intersect=intersect)
        assert M.to_string(M.merge([M.encode(m) for m in dmasks], intersect=intersect).counts) == merged["counts"].decode()
    # the evaluator's interval arithmetic gives the same intersections
    a, off_a = batch.encode_masks(np.stack(dmasks))
    b, off_b = batch.encode_masks(np.stack(gmasks))
    iva = batch.intervals_from_counts(a, off_a, np.full(nd, h))
    ivb = batch.intervals_from_counts(b, off_b, np.full(ng, h))
    pa, pb = np.repeat(np.arange(nd), ng), np.tile(np.arange(ng), nd)
    inter = batch.pair_intersections(iva, ivb, pa, pb)
    assert inter.tolist() == [int(np.sum(dmasks[i] & gmasks[j])) for i, j in zip(pa, pb)]


def test_box_iou_is_bit_identical_to_pycocotools():
    rng = np.random.default_rng(0)
    d = np.round(rng.uniform(0, 50, (40, 4)), rng.integers(0, 4))
    g = np.round(rng.uniform(0, 50, (7, 4)), 1)
    g[3] = d[5]                                           # identical boxes
    g[4, 2:] = 0                                          # empty box
    crowd = [0, 1, 0, 0, 1, 0, 1]
    ref = np.asarray(coco_mask().iou(d.tolist(), g.tolist(), crowd))
    assert np.array_equal(M.box_iou(d, g, crowd), ref)


def test_polygons_from_mask_rasterize_back_exactly():
    rng = np.random.default_rng(1)
    for _ in range(30):
        h, w = rng.integers(1, 25, 2)
        m = (rng.random((h, w)) < rng.uniform(0.1, 0.9)).astype(np.uint8)
        polys = M.polygons_from_mask(m)
        if not m.any():
            assert polys == []
            continue
        assert all(len(p) >= 6 and len(p) % 2 == 0 for p in polys)
        merged = coco_mask().merge(coco_mask().frPyObjects(polys, int(h), int(w)))
        assert np.array_equal(coco_mask().decode(merged), m)


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------

def test_generator_is_deterministic_and_its_masks_agree_with_its_polygons():
    a = make_shapes(6, size=72, seed=11, categories=SHAPES, crowd_fraction=0.3)
    b = make_shapes(6, size=72, seed=11, categories=SHAPES, crowd_fraction=0.3)
    assert json.dumps(a.coco) == json.dumps(b.coco)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.instance_maps, b.instance_maps)
    c = make_shapes(6, size=72, seed=12, categories=SHAPES, crowd_fraction=0.3)
    assert not np.array_equal(a.images, c.images)
    prefix = make_shapes(3, size=72, seed=11, categories=SHAPES, crowd_fraction=0.3)
    assert np.array_equal(prefix.images, a.images[:3])
    blind = make_shapes(6, size=72, seed=11, categories=SHAPES, crowd_fraction=0.3, render=False)
    assert json.dumps(blind.coco) == json.dumps(a.coco)
    kinds = set()
    for i in range(len(a)):
        instances = a.instance_masks(i)
        for k, ann in enumerate(a.annotations(i)):
            segm = ann["segmentation"]
            if isinstance(segm, list):
                kinds.add("polygon-geometric" if any(v % 1 for v in segm[0]) else "polygon-traced")
                rle = coco_mask().merge(coco_mask().frPyObjects(segm, 72, 72))
            else:
                kinds.add("rle")
                assert ann["iscrowd"] == 1
                rle = coco_mask().frPyObjects(segm, 72, 72)
            assert np.array_equal(coco_mask().decode(rle).astype(bool), instances[k])   # visible mask
            assert ann["area"] == instances[k].sum() > 0
            ys, xs = np.nonzero(instances[k])
            assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
    assert kinds == {"polygon-geometric", "polygon-traced", "rle"}
    semantic = a.semantic_masks()
    assert semantic.dtype == np.int64 and set(np.unique(semantic)) <= {0, 1, 2, 3, 4}
    boxes, labels = a.boxes(0)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4 and np.all(boxes[:, 2:] > boxes[:, :2])
    assert labels.tolist() == [x["category_id"] for x in a.annotations(0) if not x["iscrowd"]]


def test_generator_spans_the_area_ranges_and_pastes_mnist_digits():
    data = make_shapes(30, size=256, seed=0)
    areas = np.array([a["area"] for a in data.coco["annotations"] if not a["iscrowd"]])
    assert (areas < 32 ** 2).any() and ((areas > 32 ** 2) & (areas < 96 ** 2)).any() and (areas > 96 ** 2).any()
    assert any(a["iscrowd"] for a in data.coco["annotations"])
    assert [c["name"] for c in data.coco["categories"]] == ["circle", "square", "triangle", "star", "digit"]
    assert any(a["category_id"] == 5 for a in data.coco["annotations"])
    with pytest.raises(ValueError, match="categories"):
        make_shapes(2, categories=("circle", "hexagon"))
    with pytest.raises(ValueError, match="size"):
        make_shapes(2, size=8)


# --------------------------------------------------------------------------------------------
# the protocol against pycocotools
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("jitter", [0.05, 0.3])
def test_random_detections_with_duplicates_ties_and_crowds(shapes_gt, iou_type, jitter):
    dets = synthetic_detections(shapes_gt, 7, jitter=jitter, duplicate_rate=0.5, score_digits=1, false_positives=3)
    assert len({d["score"] for d in dets}) < len(dets) / 3          # many ties in score
    stats = assert_parity(shapes_gt, dets, iou_type)
    assert np.all(stats[:5] > 0)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_perfect_detections(shapes_gt, iou_type):
    stats = assert_parity(shapes_gt, ground_truth_as_detections(shapes_gt), iou_type)
    defined = stats[[0, 1, 2, 3, 4, 5, 8]]
    assert np.all((defined > 1 - 1e-12) | (defined == -1))


def test_more_than_100_detections_per_image_and_every_area_range():
    gt = make_shapes(10, size=256, seed=4, categories=SHAPES, crowd_fraction=0.1).coco
    dets = synthetic_detections(gt, 8, jitter=0.1, per_image=130, score_digits=3)
    for iou_type in ("bbox", "segm"):
        stats = assert_parity(gt, dets, iou_type)
        assert np.all(stats[3:6] > 0) and np.all(stats[9:12] > 0)          # small, medium and large all present


def test_area_range_bounds_are_inclusive():
    """Areas of exactly 32² and 96² count in both neighbouring ranges, for objects and detections."""
    gt = {"images": [{"id": 1, "height": 300, "width": 300}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": k + 1, "image_id": 1, "category_id": 1, "bbox": [x, x, side, side], "area": side * side,
                           "iscrowd": 0, "segmentation": [[x, x, x + side, x, x + side, x + side, x, x + side]]}
                          for k, (x, side) in enumerate([(0, 32), (40, 96), (150, 20), (180, 100)])]}
    dets = [{"image_id": 1, "category_id": 1, "bbox": [x, x, side, side], "score": s}
            for x, side, s in [(0, 32, .9), (40, 96, .8), (150, 20, .3), (200, 32, .7), (5, 96, .6)]]
    for iou_type in ("bbox", "segm"):
        assert_parity(gt, dets, iou_type)


def test_images_without_ground_truth_and_empty_detection_lists(shapes_gt):
    gt = copy.deepcopy(shapes_gt)
    gt["images"] += [{"id": 900 + k, "file_name": f"{900 + k}.png", "height": 96, "width": 96} for k in range(3)]
    gt["categories"].append({"id": 9, "name": "unused"})                   # a category without objects
    dets = synthetic_detections(shapes_gt, 9, jitter=0.1)
    dets += [{"image_id": 901, "category_id": 1, "bbox": [3, 4, 20, 10], "score": 0.9},
             {"image_id": 902, "category_id": 9, "bbox": [3, 4, 20, 10], "score": 0.8}]
    for iou_type in ("bbox", "segm"):
        assert_parity(gt, dets, iou_type)
        stats = assert_parity(gt, [], iou_type)
        assert np.all((stats == 0) | (stats == -1))
    only_some = [d for d in dets if d["image_id"] <= 4]                     # most images get none
    assert_parity(gt, only_some, "bbox")


def test_crowd_regions_match_many_detections():
    gt = {"images": [{"id": 1, "height": 40, "width": 50}],
          "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
          "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 30, 30], "area": 900, "iscrowd": 1,
               "segmentation": M.to_coco(M.from_bbox([0, 0, 30, 30], 40, 50), compressed=False)},
              {"id": 2, "image_id": 1, "category_id": 1, "bbox": [5, 5, 10, 10], "area": 100, "iscrowd": 0,
               "segmentation": [[5, 5, 15, 5, 15, 15, 5, 15]]},
              {"id": 3, "image_id": 1, "category_id": 2, "bbox": [30, 20, 15, 15], "area": 225, "iscrowd": 0,
               "segmentation": [[30, 20, 45, 20, 45, 35, 30, 35]]}]}
    dets = [{"image_id": 1, "category_id": 1, "bbox": [x, y, 8, 8], "score": s}
            for x, y, s in [(5, 5, .9), (6, 5, .9), (1, 1, .8), (20, 20, .7), (2, 18, .6), (40, 30, .5), (5, 5, .4)]]
    dets += [{"image_id": 1, "category_id": 2, "bbox": [30, 20, 15, 15], "score": .3}]
    for iou_type in ("bbox", "segm"):
        assert_parity(gt, dets, iou_type)


def test_box_style_detections_take_their_area_from_the_box():
    """loadRes: a detection with a box and a mask has the box's area (here large) even in segm."""
    gt = {"images": [{"id": 1, "height": 200, "width": 200}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400,
                           "iscrowd": 0, "segmentation": [[10, 10, 30, 10, 30, 30, 10, 30]]}]}
    small_mask = M.to_coco(M.from_bbox([10, 10, 20, 20], 200, 200))
    dets = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 150, 150], "score": 0.9, "segmentation": small_mask},
            {"image_id": 1, "category_id": 1, "bbox": [100, 100, 25, 25], "score": 0.8, "segmentation": small_mask}]
    stats = assert_parity(gt, dets, "segm")
    assert stats[3] == 1 - 2 ** -52 or stats[3] > 0.99            # matched: small; the box area does not matter
    mask_style = [{k: v for k, v in d.items() if k != "bbox"} for d in dets]
    assert_parity(gt, mask_style, "segm")
    assert_parity(gt, mask_style, "bbox")                          # boxes from toBbox of the masks


def test_segm_with_polygon_uncompressed_and_missing_masks(shapes_gt):
    dets = synthetic_detections(shapes_gt, 10, jitter=0.1)
    rng = np.random.default_rng(0)
    for k, d in enumerate(dets):
        rle = M.RLE(96, 96, M.from_string(d["segmentation"]["counts"]))
        choice = k % 4
        if choice == 1:
            d["segmentation"] = M.to_coco(rle, compressed=False)
        elif choice == 2:
            polys = M.polygons_from_mask(M.decode(rle))
            d["segmentation"] = polys if polys else [[0, 0, 1, 0, 1, 1]]
        elif choice == 3 and rng.uniform() < 0.5:
            del d["segmentation"]                                    # its box is its mask
    assert_parity(shapes_gt, dets, "segm")


def test_numpy_values_in_memory_are_read_like_json_numbers(shapes_gt):
    dets = synthetic_detections(shapes_gt, 12, jitter=0.1)
    typed = [{**d, "image_id": np.int64(d["image_id"]), "score": np.float64(d["score"]),
              "bbox": np.array(d["bbox"])} for d in dets]
    for iou_type in ("bbox", "segm"):
        assert np.array_equal(evaluate(shapes_gt, typed, iou_type).stats, pycoco_eval(shapes_gt, dets, iou_type).stats)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10 ** 6), st.floats(0.0, 0.5), st.integers(0, 3), st.booleans())
def test_hypothesis_scenarios(shapes_gt, seed, jitter, digits, shuffle):
    dets = synthetic_detections(shapes_gt, seed, jitter=jitter, score_digits=digits, duplicate_rate=0.4)
    if shuffle:
        np.random.default_rng(seed).shuffle(dets)
    if dets:
        assert_parity(shapes_gt, dets, "bbox" if seed % 2 else "segm")


# --------------------------------------------------------------------------------------------
# bad input and the CLI
# --------------------------------------------------------------------------------------------

def _gt_and_dets() -> tuple[dict, list]:
    gt = make_shapes(3, size=64, seed=1, categories=SHAPES).coco
    return gt, synthetic_detections(gt, 1, jitter=0.1)


@pytest.mark.parametrize("mutate,message", [
    (lambda gt, d: d[2].pop("score"), r"detections\[2\]: missing key 'score'"),
    (lambda gt, d: d[1].update(image_id=77), r"detections\[1\]\.image_id: 77 is not an image"),
    (lambda gt, d: d[3].update(bbox=[1, 2, -3, 4]), r"detections\[3\]\.bbox: negative box"),
    (lambda gt, d: d[0].update(category_id=42), r"detections\[0\]\.category_id: 42 .*pycocotools would silently ignore"),
    (lambda gt, d: d[4].update(segmentation=[[1, 2, 3, 4]]), r"detections\[4\]\.segmentation\[0\]: polygon with 2 points"),
    (lambda gt, d: d[1].update(segmentation={"size": [64, 64], "counts": "0"}), r"detections\[1\]\.segmentation\.counts: runs add up to 0"),
    (lambda gt, d: d[1].update(segmentation={"size": [32, 64], "counts": "0"}), r"detections\[1\]\.segmentation\.size"),
    (lambda gt, d: d[2].update(score="high"), r"detections\[2\]\.score: expected a number"),
    (lambda gt, d: gt["annotations"][1].pop("area"), r"annotations\[1\]: missing key 'area'"),
    (lambda gt, d: gt["annotations"][0].update(bbox=[0, 0, 5, -1]), r"annotations\[0\]\.bbox: negative box"),
    (lambda gt, d: gt["annotations"][2].update(segmentation=[[1, 1, 5, 5]]), r"annotations\[2\]\.segmentation\[0\]: polygon with 2 points"),
    (lambda gt, d: gt["annotations"][0].update(image_id=5), r"annotations\[0\]\.image_id: 5 is not in 'images'"),
    (lambda gt, d: gt["images"].append(dict(gt["images"][0])), r"images\[3\]\.id: 1 repeats images\[0\]\.id"),
])
def test_malformed_inputs_name_the_field_and_index(mutate, message):
    gt, dets = _gt_and_dets()
    mutate(gt, dets)
    with pytest.raises(CocoFormatError, match=message):
        evaluate(gt, dets, "segm")


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papercraft", "coco", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_eval_prints_pycocotools_summary_and_writes_stats(tmp_path, shapes_gt):
    dets = synthetic_detections(shapes_gt, 4, jitter=0.1)
    (tmp_path / "gt.json").write_text(json.dumps(shapes_gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    ref = pycoco_eval(shapes_gt, dets, "segm")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ref.summarize()
    proc = _cli("eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--iou-type", "segm",
                "--json", str(tmp_path / "stats.json"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out.getvalue()
    assert json.loads((tmp_path / "stats.json").read_text())["stats"] == [float(s) for s in ref.stats]


def test_cli_bad_input_exit_codes(tmp_path):
    gt, dets = _gt_and_dets()
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    dets[5]["bbox"] = [0, 0, 3]
    (tmp_path / "bad.json").write_text(json.dumps(dets))
    (tmp_path / "broken.json").write_text("[{")
    cases = [
        (("eval", str(tmp_path / "gt.json"), str(tmp_path / "bad.json")), 1, r"detections\[5\]\.bbox: expected \[x, y, width, height\]"),
        (("eval", str(tmp_path / "gt.json"), str(tmp_path / "broken.json")), 1, "not valid JSON"),
        (("eval", str(tmp_path / "gt.json"), str(tmp_path / "missing.json")), 2, "does not exist"),
        (("eval", str(tmp_path / "gt.json"), str(tmp_path / "bad.json"), "--iou-type", "keypoints"), 2, "invalid choice"),
        (("make-shapes", str(tmp_path / "out"), "--images", "0"), 2, "--images"),
    ]
    for args, code, message in cases:
        proc = _cli(*args)
        assert proc.returncode == code, (args, proc.stderr)
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        import re
        assert re.search(message, proc.stderr), proc.stderr


def test_cli_make_shapes_writes_a_coco_set(tmp_path):
    proc = _cli("make-shapes", str(tmp_path / "set"), "--images", "3", "--size", "48", "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "set" / "instances.json").read_text())
    assert [img["id"] for img in data["images"]] == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "set" / "images").iterdir()) == ["1.png", "2.png", "3.png"]
    coco = oracle("pycocotools.coco")
    with contextlib.redirect_stdout(io.StringIO()):
        index = coco.COCO(str(tmp_path / "set" / "instances.json"))
    assert len(index.getAnnIds()) == len(data["annotations"])


# --------------------------------------------------------------------------------------------
# the experiment's files, re-scored by pycocotools
# --------------------------------------------------------------------------------------------

def rescore_run(directory: Path, numbers: dict | None = None) -> int:
    """pycocotools' stats on every detections file of a run equal papercraft's (and the result's)."""
    gt = json.loads((directory / "ground_truth.json").read_text())
    files = sorted(directory.glob("detections_*.json"))
    for path in files:
        noise = path.stem.split("_", 1)[1]
        dets = json.loads(path.read_text())
        for iou_type in ("bbox", "segm"):
            stats = assert_parity(gt, dets, iou_type) if numbers is not None else pycoco_eval(gt, dets, iou_type).stats
            ours = evaluate(gt, dets, iou_type).stats
            assert np.array_equal(ours, stats)
            if numbers is not None:
                assert numbers[f"{iou_type}_AP_noise{noise}"] == round(float(stats[0]), 6)
    return len(files)


def test_quick_preset_files_are_rescored_identically_by_pycocotools(tmp_path):
    from papercraft.runner import run_entry

    try:
        _, result = run_entry("coco", preset="quick", out=tmp_path)
    except Exception as exc:  # noqa: BLE001 - only a missing data set may skip
        if type(exc).__name__ == "DataMissingError":
            pytest.skip(str(exc))
        raise
    exp = result["experiments"]["protocol"]
    assert exp["numbers"]["max_fast_vs_reference_difference"] == 0
    assert {c["name"] for c in exp["criteria"]} >= {"evaluators_agree", "ap_is_mean_over_thresholds", "perfect_detections_score_one"}
    assert rescore_run(tmp_path / "protocol", exp["numbers"]) == len(exp["params"]["jitters"])
    for plot in ("ap_threshold_size.png", "precision_recall.png", "examples.png"):
        assert (tmp_path / "protocol" / plot).stat().st_size > 0


@pytest.mark.skipif("PAPERCRAFT_COCO_RUN" not in os.environ, reason="set PAPERCRAFT_COCO_RUN to a coco run directory")
def test_rescore_a_given_run():
    """``PAPERCRAFT_COCO_RUN=runs/coco/... pytest tests/papers/test_coco.py -k rescore_a_given`` re-scores
    a run's files (e.g. the full preset's) with pycocotools."""
    directory = Path(os.environ["PAPERCRAFT_COCO_RUN"])
    directory = directory / "protocol" if (directory / "protocol").is_dir() else directory
    assert rescore_run(directory) > 0


def test_localization_detectors_committed_detections_score_identically_to_pycocotools():
    """The coco claim on real detector output: the localization entry's committed full run wrote its
    test ground truth and the CenterNet and sliding-window detections; papercraft's stats on them
    equal pycocotools' exactly."""
    import contextlib
    import io
    import json
    from pathlib import Path

    from papercraft.papers.coco.evaluation import evaluate

    cocoeval = oracle("pycocotools.cocoeval")
    coco_api = oracle("pycocotools.coco")
    run = Path(__file__).resolve().parents[2] / "results" / "localization" / "full" / "detection"
    gt = json.loads((run / "test_instances.json").read_text())
    for arm in ("detector", "sliding_window"):
        detections = json.loads((run / f"detections_{arm}.json").read_text())
        ours = evaluate(gt, detections, "bbox").stats
        with contextlib.redirect_stdout(io.StringIO()):
            ground_truth = coco_api.COCO()
            ground_truth.dataset = gt
            ground_truth.createIndex()
            evaluation = cocoeval.COCOeval(ground_truth, ground_truth.loadRes(detections), "bbox")
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        assert list(ours) == list(evaluation.stats), arm
