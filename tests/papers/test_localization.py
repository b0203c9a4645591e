"""localization: IoU/GIoU against torchvision, NMS against a direct O(n²) definition (with ties),
the GIoU loss's gradients, CenterNet's target encoding/decoding round trip, the sliding-window
classifier's convolutional equivalence, and the quick preset recomputed from its files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from oracles import oracle
from papercraft.papers.localization import (
    CenterNet,
    CenterNetConfig,
    Localizer,
    LocalizerConfig,
    WindowClassifier,
    aligned_box_iou,
    batched_nms,
    box_iou,
    coco_detections,
    decode,
    detect,
    encode_targets,
    focal_loss,
    gaussian_radius,
    generalized_box_iou,
    giou_loss,
    images_to_tensor,
    iou_loss,
    localization_loss,
    nms,
    nms_reference,
    sample_training_windows,
    window_grid,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from papercraft.papers.localization.sliding_window import WINDOW
from papercraft.runner import torch_threads


@pytest.fixture(autouse=True)
def one_thread():
    """These tests run many tiny tensor ops; with two OpenMP threads on a busy 2-core machine each op
    can wait on a descheduled thread (seen: 0.2 s → 18 s for the localizer loop)."""
    with torch_threads(1):
        yield


def random_boxes(n: int, generator: torch.Generator, *, integer: bool = False, dtype=torch.float32) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=generator, dtype=torch.float64) * 60
    wh = torch.rand(n, 2, generator=generator, dtype=torch.float64) * 30
    if integer:  # small integer boxes: exact ties in IoU, duplicates, IoU exactly at the threshold
        xy, wh = xy.div(6).floor(), wh.div(6).floor()
    return torch.cat([xy, xy + wh], dim=1).to(dtype)


# --------------------------------------------------------------------------------- IoU and GIoU

def test_iou_and_giou_match_torchvision():
    ops = oracle("torchvision.ops")
    g = torch.Generator().manual_seed(0)
    a, b = random_boxes(13, g, dtype=torch.float64), random_boxes(7, g, dtype=torch.float64)
    torch.testing.assert_close(box_iou(a, b), ops.box_iou(a, b), rtol=0, atol=1e-12)
    torch.testing.assert_close(generalized_box_iou(a, b), ops.generalized_box_iou(a, b), rtol=0, atol=1e-12)
    # torchvision's loss adds eps = 1e-7 to its denominators (areas here are ~100-1000 px²).
    torch.testing.assert_close(giou_loss(a[:7], b, reduction="none"), ops.generalized_box_iou_loss(a[:7], b),
                               rtol=0, atol=1e-9)
    torch.testing.assert_close(giou_loss(a[:7], b), ops.generalized_box_iou_loss(a[:7], b, reduction="mean"),
                               rtol=0, atol=1e-9)
    torch.testing.assert_close(aligned_box_iou(a[:7], b), ops.box_iou(a[:7], b).diagonal())


def test_iou_closed_forms_and_degenerate_boxes():
    unit = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    shifted = torch.tensor([[1.0, 0.0, 3.0, 2.0]])  # overlap 2, union 6
    far = torch.tensor([[4.0, 0.0, 6.0, 2.0]])  # disjoint; enclosing box 6 × 2 = 12, union 8
    assert box_iou(unit, shifted).item() == pytest.approx(1 / 3)
    assert generalized_box_iou(unit, shifted).item() == pytest.approx(1 / 3)  # enclosing = union
    assert box_iou(unit, far).item() == 0
    assert generalized_box_iou(unit, far).item() == pytest.approx(-(12 - 8) / 12)
    point = torch.tensor([[1.0, 1.0, 1.0, 1.0]])  # zero area: IoU and GIoU 0/0 are defined as 0
    assert box_iou(point, point).item() == 0 and generalized_box_iou(point, point).item() == 0
    assert generalized_box_iou(point, unit).item() == 0  # inside the unit box: enclosing = union
    xywh = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    torch.testing.assert_close(xywh_to_xyxy(xywh), torch.tensor([[1.0, 2.0, 4.0, 6.0]]))
    torch.testing.assert_close(xyxy_to_xywh(xywh_to_xyxy(xywh)), xywh)


def test_box_functions_reject_bad_shapes_and_boxes():
    ok = torch.zeros(2, 4)
    with pytest.raises(ValueError, match=r"boxes1 must have shape \[N, 4\]"):
        box_iou(torch.zeros(2, 3), ok)
    with pytest.raises(ValueError, match="boxes2 must have shape"):
        box_iou(ok, torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="x2 >= x1"):
        generalized_box_iou(torch.tensor([[2.0, 0.0, 1.0, 1.0]]), ok)
    with pytest.raises(ValueError, match="NaN"):
        box_iou(torch.tensor([[0.0, 0.0, float("nan"), 1.0]]), ok)
    with pytest.raises(ValueError, match="floating-point"):
        box_iou(torch.zeros(2, 4, dtype=torch.long), ok)
    with pytest.raises(ValueError, match="same shape"):
        giou_loss(torch.zeros(3, 4), ok)
    with pytest.raises(ValueError, match="reduction"):
        giou_loss(ok, ok, reduction="avg")


def test_giou_loss_gradients():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    target = random_boxes(6, g, dtype=torch.float64)
    pred = (target + torch.randn(6, 4, dtype=torch.float64) * 4).detach()
    pred = torch.cat([torch.minimum(pred[:, :2], pred[:, 2:]), torch.maximum(pred[:, :2], pred[:, 2:])], 1)
    pred[0] = torch.tensor([200.0, 200.0, 210.0, 215.0], dtype=torch.float64)  # disjoint from its target
    pred.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: giou_loss(p, target, reduction="none"), (pred,))
    # Disjoint boxes: 1 - IoU has no gradient, GIoU's enclosing term pulls the box towards its target.
    iou_loss(pred[:1], target[:1]).backward()
    assert pred.grad.abs().sum() == 0
    pred.grad = None
    giou_loss(pred[:1], target[:1]).backward()
    step = pred.detach()[:1] - 1.0 * pred.grad[:1]
    assert giou_loss(step, target[:1]) < giou_loss(pred.detach()[:1], target[:1])
    # The mean over no boxes is 0, not NaN.
    assert giou_loss(torch.zeros(0, 4), torch.zeros(0, 4)).item() == 0


# ------------------------------------------------------------------------------------------ NMS

def nms_by_definition(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> list[int]:
    """Greedy NMS straight from its definition, in float64 numpy: sort by score (stable), walk the
    list, drop a box when a kept one overlaps it by more than the threshold."""
    b = boxes.double().tolist()
    order = sorted(range(len(b)), key=lambda i: -float(scores[i]))  # Python's sort is stable
    kept: list[int] = []
    for i in order:
        suppressed = False
        for k in kept:
            (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = b[i], b[k]
            inter = max(min(ax2, bx2) - max(ax1, bx1), 0.0) * max(min(ay2, by2) - max(ay1, by1), 0.0)
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            if union > 0 and inter / union > threshold:
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
    return kept


@pytest.mark.parametrize("integer", [False, True])
def test_nms_matches_the_definition_with_ties(integer):
    g = torch.Generator().manual_seed(3 + integer)
    trials = 0
    for n in [0, 1, 2, 5, 40, 150, 300]:
        for _ in range(3):
            boxes = random_boxes(n, g, integer=integer)
            scores = torch.randint(0, 4, (n,), generator=g).float()  # few distinct scores: many ties
            threshold = [0.0, 0.3, 0.5, 0.7, 1.0][trials % 5]
            expected = nms_by_definition(boxes, scores, threshold)
            assert nms_reference(boxes, scores, threshold).tolist() == expected
            for block in (1, 7, 256):
                assert nms(boxes, scores, threshold, block_size=block).tolist() == expected, (n, threshold, block)
            trials += 1
    # Identical boxes with identical scores: the first survives, the rest are suppressed (IoU 1 > t).
    same = torch.tensor([[0.0, 0.0, 5.0, 5.0]]).repeat(4, 1)
    assert nms(same, torch.ones(4), 0.5).tolist() == [0]
    # IoU exactly at the threshold is kept ("suppress when IoU > t"): overlap 2 of union 4 (IoU 0.5).
    pair = torch.tensor([[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0]])
    assert nms(pair, torch.tensor([1.0, 0.9]), 0.5).tolist() == [0, 1]
    assert nms(pair, torch.tensor([1.0, 0.9]), 0.49).tolist() == [0]


def test_batched_nms_is_nms_per_class():
    g = torch.Generator().manual_seed(5)
    boxes = random_boxes(300, g)
    scores = torch.randint(0, 6, (300,), generator=g).float()
    labels = torch.randint(0, 4, (300,), generator=g)
    expected = []
    for c in range(4):
        idx = torch.nonzero(labels == c).flatten()
        expected += idx[torch.tensor(nms_by_definition(boxes[idx], scores[idx], 0.5), dtype=torch.long)].tolist()
    expected.sort(key=lambda i: (-float(scores[i]), i))
    assert batched_nms(boxes, scores, labels, 0.5).tolist() == expected
    assert batched_nms(boxes, scores, labels, 0.5, reference=True).tolist() == expected
    assert batched_nms(boxes[:0], scores[:0], labels[:0], 0.5).tolist() == []


def test_nms_rejects_bad_input():
    boxes = torch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"scores must have shape \[N\] = \[3\]"):
        nms(boxes, torch.zeros(2), 0.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(boxes, torch.zeros(3), 1.5)
    with pytest.raises(ValueError, match="NaN"):
        nms(boxes, torch.tensor([0.0, float("nan"), 1.0]), 0.5)
    with pytest.raises(ValueError, match="block_size"):
        nms(boxes, torch.zeros(3), 0.5, block_size=0)
    with pytest.raises(ValueError, match="labels must be an integer tensor"):
        batched_nms(boxes, torch.zeros(3), torch.zeros(3), 0.5)


# ------------------------------------------------------------------------------------- detector

def test_centernet_targets_decode_back_to_the_boxes():
    boxes = [torch.tensor([[10.0, 12.0, 40.5, 30.0], [70.25, 60.0, 120.0, 118.0], [3.0, 90.0, 20.0, 101.0]]),
             torch.tensor([[33.0, 33.0, 97.0, 71.0]]), torch.zeros(0, 4)]
    labels = [torch.tensor([0, 2, 2]), torch.tensor([1]), torch.zeros(0, dtype=torch.long)]
    targets = encode_targets(boxes, labels, num_classes=3, image_size=(128, 128))
    assert targets.heatmap.shape == (3, 3, 32, 32) and targets.size.shape == (3, 2, 32, 32)
    assert targets.mask.sum(dim=(1, 2)).tolist() == [3, 1, 0]
    assert (targets.heatmap == 1).sum().item() == 4  # one exact peak per object
    decoded = decode(targets.heatmap, targets.size, targets.offset, score_threshold=0.999, nms_threshold=None)
    for det, gt_boxes, gt_labels in zip(decoded, boxes, labels):
        order = sorted(range(len(det.labels)), key=lambda i: det.boxes[i].tolist())
        expected = sorted(range(len(gt_labels)), key=lambda i: gt_boxes[i].tolist())
        torch.testing.assert_close(det.boxes[order], gt_boxes[expected], rtol=0, atol=1e-4)
        assert det.labels[order].tolist() == gt_labels[expected].tolist()
        assert det.scores.tolist() == [1.0] * len(gt_labels)
    # With a random model the outputs have the right shapes, and detections become COCO dicts.
    model = CenterNet(CenterNetConfig(num_classes=3, widths=(4, 6, 8, 10), neck=6, head=5)).eval()
    out = model(torch.randn(2, 3, 64, 96))
    assert out.heatmap.shape == (2, 3, 16, 24) and out.size.shape == out.offset.shape == (2, 2, 16, 24)
    dets = coco_detections(decoded[:2], [7, 8], [1, 2, 3])
    assert dets[0].keys() == {"image_id", "category_id", "bbox", "score"} and len(dets) == 4
    assert {d["category_id"] for d in dets if d["image_id"] == 8} == {2}


def test_centernet_radius_loss_and_shape_errors():
    # The released code's radius: for a 20 × 12 box and t = 0.7 its third root is the smallest,
    # (-2t(w + h) + sqrt(4t²(w + h)² + 16t(1 - t)wh)) / 2 (hand-derived from the code's a3, b3, c3).
    w, h, t = 20.0, 12.0, 0.7
    expected = (-2 * t * (w + h) + math.sqrt(4 * t * t * (w + h) ** 2 + 16 * t * (1 - t) * w * h)) / 2
    assert gaussian_radius(w, h, t) == pytest.approx(expected) == pytest.approx(4.1209, abs=1e-4)
    assert gaussian_radius(0.0, 0.0) == 0.0
    # Focal loss: a confident right heatmap costs much less than a uniform one.
    target = torch.zeros(1, 1, 5, 5)
    target[0, 0, 2, 2] = 1.0
    good = torch.full_like(target, -8.0)
    good[0, 0, 2, 2] = 8.0
    assert focal_loss(good, target) < 0.01 < focal_loss(torch.zeros_like(target), target)
    with pytest.raises(ValueError, match="multiples of 16"):
        CenterNet(CenterNetConfig(2))(torch.zeros(1, 3, 40, 64))
    with pytest.raises(ValueError, match="num_classes"):
        CenterNetConfig(0)
    with pytest.raises(ValueError, match=r"labels\[0\] must lie in \[0, 2\)"):
        encode_targets([torch.tensor([[0.0, 0.0, 4.0, 4.0]])], [torch.tensor([2])], 2, (16, 16))
    with pytest.raises(ValueError, match=r"size must have shape \[1, 2, 4, 4\]"):
        decode(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 5), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"images must have shape \[N, H, W, 3\]"):
        images_to_tensor(np.zeros((2, 8, 8, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        images_to_tensor(np.zeros((2, 8, 8, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="category_ids must have 2 ids"):
        detect(CenterNet(CenterNetConfig(2, widths=(4, 4, 4, 4), neck=4, head=4)), np.zeros((1, 32, 32, 3), np.uint8),
               [1], [1, 2, 3])


# ------------------------------------------------------------------------------- sliding window

def test_window_classifier_is_the_classifier_on_every_window():
    torch.manual_seed(0)
    model = WindowClassifier(num_classes=3, widths=(4, 5, 6)).eval()
    image = torch.randn(1, 3, 52, 44)
    dense = model(image)  # [1, 4, 6, 4]: windows at stride 4
    assert dense.shape == (1, 4, (52 - WINDOW) // 4 + 1, (44 - WINDOW) // 4 + 1)
    for i in range(dense.shape[2]):
        for j in range(dense.shape[3]):
            crop = image[:, :, 4 * i:4 * i + WINDOW, 4 * j:4 * j + WINDOW]
            torch.testing.assert_close(model(crop)[0, :, 0, 0], dense[0, :, i, j], rtol=1e-5, atol=1e-5)
    # The grid of windows at scale 1 is those crops; at window side 64 the grid is twice as coarse.
    grid = window_grid((52, 44), WINDOW)
    assert grid.shape == (dense.shape[2] * dense.shape[3], 4)
    torch.testing.assert_close(grid[1], torch.tensor([4.0, 0.0, 36.0, 32.0]))
    coarse = window_grid((128, 128), 64)
    assert coarse.shape == (9 * 9, 4) and torch.allclose(coarse[1], torch.tensor([8.0, 0.0, 72.0, 64.0]))
    with pytest.raises(ValueError, match="H, W >= 32"):
        model(torch.zeros(1, 3, 20, 40))


def test_training_windows_are_labelled_by_overlap():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(2, 64, 64, 3), dtype=np.uint8)
    boxes = [torch.tensor([[10.0, 10.0, 30.0, 34.0]]), torch.tensor([[30.0, 20.0, 60.0, 50.0], [2.0, 2.0, 14.0, 12.0]])]
    labels = [torch.tensor([1]), torch.tensor([0, 2])]
    crops, window_labels = sample_training_windows(images, boxes, labels, 3, positives_per_object=2,
                                                   negatives_per_image=3, window_range=(12, 48), seed=1)
    assert crops.shape == (len(window_labels), 32, 32, 3) and crops.dtype == torch.uint8
    assert (window_labels == 3).sum() == 6  # negatives, labelled background
    assert sorted(window_labels[window_labels < 3].tolist()) == [0, 0, 1, 1, 2, 2]


# ---------------------------------------------------------------------------------- localizer

def test_localizer_outputs_valid_boxes_and_learns_a_box():
    torch.manual_seed(0)
    config = LocalizerConfig(num_classes=2, widths=(4, 8))
    model = Localizer(config)
    x = torch.randn(8, 3, 16, 16)
    logits, boxes = model(x)
    assert logits.shape == (8, 2) and boxes.shape == (8, 4)
    assert (boxes[:, 2:] >= boxes[:, :2]).all() and boxes.min() >= 0 and boxes.max() <= 16
    labels, target = torch.zeros(8, dtype=torch.long), torch.tensor([[2.0, 3.0, 10.0, 13.0]]).repeat(8, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(40):
        loss, metrics = localization_loss(*model(x), labels, target, 16, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert metrics["mean_iou"] > 0.8 and metrics["accuracy"] == 1.0
    with pytest.raises(ValueError, match="square"):
        model(torch.zeros(1, 3, 32, 30))


# ------------------------------------------------------------------------------------- quick preset

def test_quick_preset_numbers_match_a_recomputation_from_its_files(tmp_path):
    """At the quick scale (25 steps per model, 64-px images) every arm is near chance, so the claim
    cannot show; instead every AP is recomputed from the files the run wrote, and the detector's
    detections are recomputed from its final checkpoint on freshly generated test images."""
    from papercraft.papers.coco.evaluation import evaluate
    from papercraft.papers.coco.shapes import make_shapes
    from papercraft.runner import run_entry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    try:
        _, result = run_entry("localization", preset="quick", out=tmp_path)
    except Exception as exc:  # noqa: BLE001 - only a missing data set (MNIST digits) may skip
        if type(exc).__name__ == "DataMissingError":
            pytest.skip(str(exc))
        raise
    exp = result["experiments"]["detection"]
    p, numbers, run_dir = exp["params"], exp["numbers"], tmp_path / "detection"
    assert {c["name"] for c in exp["criteria"]} == {
        "detector_ap50_far_above_sliding_window", "detector_ap_far_above_sliding_window", "detector_above_chance",
        "sliding_window_above_chance", "localizer_accuracy", "localizer_iou_above_half"}
    assert sorted(plot["path"] for plot in exp["plots"]) == [
        "detection/ap.png", "detection/detections.png", "detection/localization.png", "detection/training.png"]
    assert all((tmp_path / plot["path"]).stat().st_size > 0 for plot in exp["plots"])
    seed = result["seed"]
    assert {name: run["steps"] for name, run in exp["subruns"].items()} == {
        f"detector-seed{seed}": p["steps"], f"window-classifier-seed{seed}": p["steps"],
        f"localizer-seed{seed}": p["single_steps"]}

    gt = json.loads((run_dir / "test_instances.json").read_text())
    test = make_shapes(p["n_test"], p["image_size"], seed=p["data_seed"] + 1)
    assert gt == json.loads(json.dumps(test.coco))  # the held-out set is the generator's, regenerated
    groups = np.array_split(np.array([im["id"] for im in gt["images"]]), p["groups"])
    per_group = {}
    for arm in ("detector", "sliding_window"):
        dets = json.loads((run_dir / f"detections_{arm}.json").read_text())
        counts = np.bincount([d["image_id"] for d in dets], minlength=len(gt["images"]) + 1)
        assert counts.max() <= p["max_detections"]
        assert all(0 <= d["bbox"][0] and d["bbox"][0] + d["bbox"][2] <= p["image_size"] + 1e-3 for d in dets)
        evaluation = evaluate(gt, dets)
        for name, value in zip(("AP", "AP50", "AP75"), evaluation.stats):
            assert numbers[f"{arm}_{name}"] == pytest.approx(value, abs=1e-4)
        # COCO's AP is the mean of the per-threshold APs, and AP50 the first of them.
        assert np.mean(numbers["ap_by_iou_threshold"][arm]) == pytest.approx(evaluation.stats[0], abs=1e-3)
        assert numbers["ap_by_iou_threshold"][arm][0] == pytest.approx(evaluation.stats[1], abs=1e-4)
        per_group[arm] = []
        for group in groups:
            ids = set(group.tolist())
            sub_gt = {**gt, "images": [im for im in gt["images"] if im["id"] in ids],
                      "annotations": [a for a in gt["annotations"] if a["image_id"] in ids]}
            per_group[arm].append(evaluate(sub_gt, [d for d in dets if d["image_id"] in ids]).stats[1])
    diffs = np.subtract(per_group["detector"], per_group["sliding_window"])
    assert numbers["ap50_difference"]["estimate"] == pytest.approx(diffs.mean(), abs=1e-4)

    # The detector's final checkpoint, run again through the public detect(), gives the same file.
    from papercraft.papers.localization.experiment import detector_config

    model = CenterNet(detector_config(p, 5))
    step, path = list_checkpoints(run_dir / f"detector-seed{seed}" / "checkpoints")[-1]
    load_checkpoint(path, model=model, restore_rng=False)
    assert step == p["steps"]
    again = detect(model, test.images, [im["id"] for im in gt["images"]], [1, 2, 3, 4, 5], top_k=p["max_detections"])
    assert again == json.loads((run_dir / "detections_detector.json").read_text())

    # The localizer's held-out scores, recomputed from its checkpoint on regenerated one-object images.
    from papercraft.papers.localization import localization_scores

    single = make_shapes(p["single_test"], p["single_size"], seed=p["data_seed"] + 3, max_objects=1, crowd_fraction=0.0)
    boxes = torch.cat([torch.from_numpy(single.boxes(i)[0]) for i in range(len(single))])
    labels = torch.cat([torch.from_numpy(single.boxes(i)[1]) - 1 for i in range(len(single))])
    localizer = Localizer(LocalizerConfig(5))
    load_checkpoint(list_checkpoints(run_dir / f"localizer-seed{seed}" / "checkpoints")[-1][1], model=localizer,
                    restore_rng=False)
    scores = localization_scores(localizer, images_to_tensor(single.images), labels, boxes)
    assert numbers["localizer_accuracy"] == pytest.approx(scores["accuracy"], abs=1e-4)
    assert numbers["localizer_mean_iou"] == pytest.approx(scores["mean_iou"], abs=1e-4)
