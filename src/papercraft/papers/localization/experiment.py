"""Detection on COCO-shapes: a small CenterNet far above a sliding-window baseline, scored with the
``coco`` entry's evaluation (AP over IoU .5:.95 and AP50); and single-object localization.

Data: the ``coco`` entry's seeded generator. A training set and a disjoint held-out test set of
``image_size``-pixel images (circles, squares, triangles, stars, MNIST digits; 1-6 objects each,
occlusion, some crowd regions); for the single-object task, separate ``single_size``-pixel images
with exactly one object.

Arms (same training images, same number of optimizer steps, same optimizer and schedule):

- **detector**: CenterNet (:mod:`.detector`) trained on whole images; decoding + per-class NMS;
- **sliding window**: a window classifier (:mod:`.sliding_window`) trained on positive and
  negative windows cut from the same images, applied at 6 window sizes on a dense grid, then
  per-class NMS. Its batch of windows is set so that its counted training FLOPs are of the same
  order as the detector's (the numbers report both).

The claim, as criteria fixed before the full run:

- (a) "far above": the detector's AP50 and its AP (IoU .5:.95) each exceed the sliding window's
  by more than 0.10 (ten AP points): the 95% Student-t interval of the paired difference, over
  ``groups`` disjoint groups of test images each scored by the COCO protocol, lies above 0.10
  (straddling it is inconclusive, wholly below is a failure);
- (b) neither arm sits at chance (random boxes score AP50 ≈ 0): the detector's AP50 >= 0.4 and
  the sliding window's >= 0.1 on the whole test set;
- (c, secondary) single-object localization works: class accuracy >= 0.8 (chance 0.2) and IoU >
  0.5 for >= 90% of held-out images.

The margins were set from short probes of each arm (not full runs) before the full run.

Files: ``test_instances.json`` (the test set's COCO ground truth) and ``detections_<arm>.json``
(COCO results), from which every AP here can be recomputed; plots of detections on test images.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import numpy as np
import torch

from papercraft.io import write_atomic
from papercraft.papers.coco.evaluation import STAT_NAMES, evaluate
from papercraft.papers.coco.shapes import make_shapes
from papercraft.papers.localization.detector import (
    CenterNet,
    CenterNetConfig,
    CenterTargets,
    centernet_loss,
    coco_detections,
    detect,
    encode_targets,
    images_to_tensor,
)
from papercraft.papers.localization.localizer import Localizer, LocalizerConfig, localization_loss, localization_scores
from papercraft.papers.localization.sliding_window import (
    WindowClassifier,
    sample_training_windows,
    sliding_window_detect,
    window_loss,
)
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext
from papercraft.statistics import mean_interval
from papercraft.training import TensorBatches
from papercraft.training.flops import step_flops
from papercraft.training.schedules import warmup_cosine

AP50_MARGIN = 0.10
AP_MARGIN = 0.10
DETECTOR_MIN_AP50 = 0.4
BASELINE_MIN_AP50 = 0.1
LOCALIZER_MIN_ACCURACY = 0.8
LOCALIZER_MIN_HIT_RATE = 0.9


# ------------------------------------------------------------------------------------------ data

def object_tensors(dataset, i: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Image ``i``'s non-crowd boxes ``[M, 4]`` (xyxy) and class indices ``[M]`` (category id - 1)."""
    boxes, category_ids = dataset.boxes(i)
    return torch.from_numpy(boxes), torch.from_numpy(category_ids) - 1


def flip_boxes(boxes: torch.Tensor, width: int) -> torch.Tensor:
    """Mirror xyxy boxes ``[M, 4]`` left-right in an image ``width`` pixels wide."""
    return torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], dim=1)


def subset(gt: dict, detections: list[dict], image_ids: set[int]) -> tuple[dict, list[dict]]:
    """The ground truth and detections of some images only."""
    return ({**gt, "images": [im for im in gt["images"] if im["id"] in image_ids],
             "annotations": [a for a in gt["annotations"] if a["image_id"] in image_ids]},
            [d for d in detections if d["image_id"] in image_ids])


# -------------------------------------------------------------------------------------- training

def optimizer_and_schedule(model: torch.nn.Module, lr: float, steps: int):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    return optimizer, warmup_cosine(optimizer, steps, warmup_steps=max(1, steps // 20))


def detector_config(p: dict, num_classes: int) -> CenterNetConfig:
    """The detector's configuration from the preset's parameters."""
    return CenterNetConfig(num_classes, widths=tuple(p["detector_widths"]), depths=tuple(p["detector_depths"]),
                           neck=p["detector_neck"], head=p["detector_neck"])


def train_detector(ctx: RunContext, train, num_classes: int, seed: int) -> tuple[CenterNet, dict]:
    p = ctx.params
    torch.manual_seed(seed)
    model = CenterNet(detector_config(p, num_classes))
    objects = [object_tensors(train, i) for i in range(len(train))]
    size = train.images.shape[1]

    def loss_fn(net: CenterNet, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        images, index = batch
        flip = torch.rand(len(index)) < 0.5  # horizontal flips, one of the paper's augmentations (§5)
        images = torch.where(flip[:, None, None, None].to(images.device), images.flip(2), images)
        boxes = [flip_boxes(objects[i][0], size) if f else objects[i][0] for i, f in zip(index.tolist(), flip.tolist())]
        targets = encode_targets(boxes, [objects[i][1] for i in index.tolist()], num_classes, (size, size))
        targets = CenterTargets(*(t.to(images.device) for t in targets))
        return centernet_loss(net(images_to_tensor(images)), targets)

    data = TensorBatches(torch.from_numpy(train.images), torch.arange(len(train)), batch_size=p["batch_size"], seed=seed)
    optimizer, scheduler = optimizer_and_schedule(model, p["lr"], p["steps"])
    flops = step_flops(model, loss_fn, next(TensorBatches(*data.tensors, batch_size=p["batch_size"], seed=seed)))
    result = ctx.train(f"detector-seed{seed}", model, optimizer, loss_fn, data, steps=p["steps"], seed=seed,
                       scheduler=scheduler, log_every=10, grad_clip=10.0)
    return model, {"history": result.history, "step_flops": flops, "wall_s": round(result.wall_s, 1)}


def train_window_classifier(ctx: RunContext, train, num_classes: int, seed: int) -> tuple[WindowClassifier, dict]:
    p = ctx.params
    objects = [object_tensors(train, i) for i in range(len(train))]
    crops, labels = sample_training_windows(train.images, [o[0] for o in objects], [o[1] for o in objects],
                                            num_classes, positives_per_object=p["window_positives_per_object"],
                                            negatives_per_image=p["window_negatives_per_image"],
                                            window_range=(min(p["window_sizes"]), max(p["window_sizes"])), seed=seed)
    torch.manual_seed(seed)
    model = WindowClassifier(num_classes, widths=tuple(p["window_widths"]))

    def loss_fn(net: WindowClassifier, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        windows, window_labels = batch
        flip = (torch.rand(len(windows)) < 0.5).to(windows.device)
        windows = torch.where(flip[:, None, None, None], windows.flip(2), windows)
        return window_loss(net, (windows, window_labels))

    data = TensorBatches(crops, labels, batch_size=p["window_batch_size"], seed=seed)
    optimizer, scheduler = optimizer_and_schedule(model, p["lr"], p["steps"])
    flops = step_flops(model, loss_fn, next(TensorBatches(crops, labels, batch_size=p["window_batch_size"], seed=seed)))
    result = ctx.train(f"window-classifier-seed{seed}", model, optimizer, loss_fn, data, steps=p["steps"], seed=seed,
                       scheduler=scheduler, log_every=10, grad_clip=10.0)
    counts = {"windows": len(labels), "positive_windows": int((labels < num_classes).sum())}
    return model, {"history": result.history, "step_flops": flops, "wall_s": round(result.wall_s, 1), **counts}


def train_localizer(ctx: RunContext, num_classes: int, seed: int) -> tuple[Localizer, dict, tuple]:
    """Train and score single-object localization on one-object images; returns the model, its
    scores on held-out images and those images (for the plot)."""
    p = ctx.params
    side = p["single_size"]

    def single(n: int, data_seed: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
        dataset = make_shapes(n, side, seed=data_seed, max_objects=1, crowd_fraction=0.0)
        boxes, labels = zip(*(object_tensors(dataset, i) for i in range(n)))
        return dataset.images, torch.cat(labels), torch.cat(boxes)

    train_images, train_labels, train_boxes = single(p["single_train"], p["data_seed"] + 2)
    test_images, test_labels, test_boxes = single(p["single_test"], p["data_seed"] + 3)
    torch.manual_seed(seed)
    config = LocalizerConfig(num_classes)
    model = Localizer(config)

    def loss_fn(net: Localizer, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict]:
        images, labels, boxes = batch
        flip = (torch.rand(len(images)) < 0.5).to(images.device)
        images = torch.where(flip[:, None, None, None], images.flip(2), images)
        boxes = torch.where(flip[:, None], flip_boxes(boxes, side), boxes)
        return localization_loss(*net(images_to_tensor(images)), labels, boxes, side, config)

    data = TensorBatches(torch.from_numpy(train_images), train_labels, train_boxes, batch_size=p["single_batch_size"],
                         seed=seed)
    optimizer, scheduler = optimizer_and_schedule(model, p["lr"], p["single_steps"])
    x_test = images_to_tensor(test_images)
    result = ctx.train(f"localizer-seed{seed}", model, optimizer, loss_fn, data, steps=p["single_steps"], seed=seed,
                       scheduler=scheduler, log_every=10, grad_clip=10.0,
                       evaluate=lambda m: localization_scores(m, x_test, test_labels, test_boxes))
    scores = localization_scores(model, x_test, test_labels, test_boxes)
    return model, {**scores, "history": result.history, "wall_s": round(result.wall_s, 1)}, (test_images, test_labels, test_boxes)


# ------------------------------------------------------------------------------------ experiment

def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    seed = ctx.seeds(1)[0]
    train = make_shapes(p["n_train"], p["image_size"], seed=p["data_seed"])
    test = make_shapes(p["n_test"], p["image_size"], seed=p["data_seed"] + 1)
    category_ids = [c["id"] for c in train.coco["categories"]]
    names = [c["name"] for c in train.coco["categories"]]
    num_classes = len(category_ids)
    image_ids = [im["id"] for im in test.coco["images"]]
    ctx.log(f"{len(train)} training and {len(test)} test images of {p['image_size']} px; "
            f"{sum(len(train.boxes(i)[0]) for i in range(len(train)))} training objects")

    localizer, loc, loc_test = train_localizer(ctx, num_classes, seed)
    ctx.log(f"localizer: accuracy {loc['accuracy']:.3f}, mean IoU {loc['mean_iou']:.3f}, "
            f"IoU > 0.5 for {loc['iou_above_half']:.3f}")
    detector, det = train_detector(ctx, train, num_classes, seed)
    windows, win = train_window_classifier(ctx, train, num_classes, seed)

    started = time.perf_counter()
    detections = {"detector": detect(detector, test.images, image_ids, category_ids, top_k=p["max_detections"])}
    seconds = {"detector": time.perf_counter() - started}
    started = time.perf_counter()
    detections["sliding_window"] = coco_detections(
        sliding_window_detect(windows, test.images, window_sizes=p["window_sizes"], max_detections=p["max_detections"]),
        image_ids, category_ids, image_size=test.images.shape[1:3])
    seconds["sliding_window"] = time.perf_counter() - started
    write_atomic(ctx.path("test_instances.json"), json.dumps(test.coco))
    for arm, dets in detections.items():
        write_atomic(ctx.path(f"detections_{arm}.json"), json.dumps(dets))
    evaluations = {arm: evaluate(test.coco, dets, "bbox") for arm, dets in detections.items()}
    stats = {arm: [float(v) for v in e.stats] for arm, e in evaluations.items()}

    # Paired differences over disjoint groups of test images, each group scored by the protocol.
    groups = np.array_split(np.array(image_ids), p["groups"])
    per_group: dict[str, list[list[float]]] = {arm: [] for arm in detections}
    for group in groups:
        ids = set(group.tolist())
        for arm, dets in detections.items():
            per_group[arm].append(list(evaluate(*subset(test.coco, dets, ids), "bbox").stats[:2]))
    diff_ap = [d[0] - s[0] for d, s in zip(per_group["detector"], per_group["sliding_window"])]
    diff_ap50 = [d[1] - s[1] for d, s in zip(per_group["detector"], per_group["sliding_window"])]
    ap_interval, ap50_interval = mean_interval(diff_ap), mean_interval(diff_ap50)

    criteria = [
        Criterion.interval_above("detector_ap50_far_above_sliding_window",
                                 f"detector AP50 minus sliding-window AP50, mean over {p['groups']} groups of test "
                                 f"images (95% t-interval), above {AP50_MARGIN}", ap50_interval, AP50_MARGIN, part="a"),
        Criterion.interval_above("detector_ap_far_above_sliding_window",
                                 f"detector AP minus sliding-window AP (IoU .5:.95), mean over {p['groups']} groups "
                                 f"of test images (95% t-interval), above {AP_MARGIN}", ap_interval, AP_MARGIN, part="a"),
        Criterion.at_least("detector_above_chance", f"detector AP50 on the test set >= {DETECTOR_MIN_AP50}",
                           round(stats["detector"][1], 4), DETECTOR_MIN_AP50, part="b"),
        Criterion.at_least("sliding_window_above_chance", f"sliding-window AP50 on the test set >= {BASELINE_MIN_AP50}",
                           round(stats["sliding_window"][1], 4), BASELINE_MIN_AP50, part="b"),
        Criterion.at_least("localizer_accuracy", f"single-object class accuracy >= {LOCALIZER_MIN_ACCURACY}",
                           round(loc["accuracy"], 4), LOCALIZER_MIN_ACCURACY, part="c", primary=False),
        Criterion.at_least("localizer_iou_above_half", f"single-object boxes with IoU > 0.5, fraction >= "
                           f"{LOCALIZER_MIN_HIT_RATE}", round(loc["iou_above_half"], 4), LOCALIZER_MIN_HIT_RATE,
                           part="c", primary=False),
    ]
    numbers: dict = {f"{arm}_{name}": round(v, 4) for arm, values in stats.items() for name, v in zip(STAT_NAMES, values)}
    numbers.update({
        "ap50_difference": ap50_interval.as_dict(), "ap_difference": ap_interval.as_dict(),
        "detector_minus_window_ap50": round(stats["detector"][1] - stats["sliding_window"][1], 4),
        "per_group_ap_ap50": {arm: [[round(v, 4) for v in g] for g in values] for arm, values in per_group.items()},
        "localizer_accuracy": round(loc["accuracy"], 4), "localizer_mean_iou": round(loc["mean_iou"], 4),
        "localizer_iou_above_half": round(loc["iou_above_half"], 4),
        "localizer_correct_and_iou_above_half": round(loc["correct_and_iou_above_half"], 4),
        "detector_step_gflops": round(det["step_flops"] / 1e9, 3), "window_step_gflops": round(win["step_flops"] / 1e9, 3),
        "training_windows": win["windows"], "positive_training_windows": win["positive_windows"],
        "ap_by_iou_threshold": {arm: [round(v, 4) for v in ap_by_threshold(e.precision)]
                                for arm, e in evaluations.items()},
        "detections_per_image": {arm: round(len(d) / len(image_ids), 1) for arm, d in detections.items()},
        "inference_ms_per_image": {arm: round(1e3 * t / len(image_ids), 1) for arm, t in seconds.items()},
    })
    tables = [
        Table(f"COCO bbox evaluation on {len(image_ids)} held-out images ({p['image_size']} px), papercraft's "
              "coco evaluation", ["statistic", "detector (CenterNet)", "sliding window"],
              [[name, round(stats["detector"][k], 4), round(stats["sliding_window"][k], 4)]
               for k, name in enumerate(STAT_NAMES)]),
        Table(f"Single-object localization on {p['single_test']} held-out images ({p['single_size']} px)",
              ["measure", "value"],
              [["class accuracy", round(loc["accuracy"], 4)], ["mean IoU", round(loc["mean_iou"], 4)],
               ["IoU > 0.5", round(loc["iou_above_half"], 4)],
               ["class right and IoU > 0.5", round(loc["correct_and_iou_above_half"], 4)]]),
    ]
    plot_detections(ctx, test, detections, names, category_ids, p["plot_images"])
    plot_ap(ctx, {arm: ap_by_threshold(e.precision) for arm, e in evaluations.items()}, per_group)
    plot_localization(ctx, localizer, loc_test, names)
    plot_training(ctx, {"detector": det["history"], "window classifier": win["history"], "localizer": loc["history"]})
    notes = [
        f"Training: {p['steps']} AdamW steps for both detection arms (lr {p['lr']}, warm-up then cosine), the detector "
        f"on batches of {p['batch_size']} whole images, the window classifier on batches of {p['window_batch_size']} "
        f"windows cut from the same {len(train)} images ({win['windows']} windows, {win['positive_windows']} of them "
        f"objects); counted training FLOPs per step {det['step_flops'] / 1e9:.1f} G (detector) vs "
        f"{win['step_flops'] / 1e9:.1f} G (window classifier), i.e. a ratio of {win['step_flops'] / det['step_flops']:.2f}.",
        f"The sliding window classifies square windows of {', '.join(str(a) for a in p['window_sizes'])} px on a grid "
        f"of stride window/8 and reports the window itself as the box; the detector regresses each box's size. "
        f"Inference (wall clock, this machine, for information only): {1e3 * seconds['detector'] / len(image_ids):.0f} "
        f"ms per image for the detector, {1e3 * seconds['sliding_window'] / len(image_ids):.0f} ms for the sliding "
        "window.",
        f"Single-object localization ({p['single_train']} training images of {p['single_size']} px with one object, "
        f"{p['single_steps']} steps of batch {p['single_batch_size']}): class accuracy {loc['accuracy']:.3f}, mean IoU "
        f"{loc['mean_iou']:.3f}, IoU > 0.5 for {loc['iou_above_half']:.3f} of {p['single_test']} held-out images.",
        f"Whole test set: detector AP {stats['detector'][0]:.3f} / AP50 {stats['detector'][1]:.3f}, sliding window "
        f"AP {stats['sliding_window'][0]:.3f} / AP50 {stats['sliding_window'][1]:.3f}. Over {p['groups']} groups of "
        f"{len(groups[0])} test images, the AP50 difference is {ap50_interval.estimate:+.3f} "
        f"[{ap50_interval.low:+.3f}, {ap50_interval.high:+.3f}] and the AP difference {ap_interval.estimate:+.3f} "
        f"[{ap_interval.low:+.3f}, {ap_interval.high:+.3f}] (95% t-intervals).",
    ]
    return Outcome(numbers, criteria, tables=tables, notes=notes)


# ----------------------------------------------------------------------------------------- plots

def plot_detections(ctx: RunContext, test, detections: dict[str, list[dict]], names: Sequence[str],
                    category_ids: Sequence[int], n_images: int, min_score: float = 0.3) -> None:
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    colors = colormaps["tab10"].colors
    arms = list(detections)
    with ctx.figure("detections.png", f"Detections with score >= {min_score} on the first {n_images} test images: "
                    "CenterNet (top) and the sliding window (bottom); dashed white = ground truth, colour = class, "
                    "number = score.", nrows=len(arms), ncols=n_images, size=(2.6 * n_images, 2.8 * len(arms))) as (_, axes):
        axes = np.asarray(axes).reshape(len(arms), n_images)
        for r, arm in enumerate(arms):
            for c in range(n_images):
                ax = axes[r, c]
                ax.imshow(test.images[c])
                image_id = test.coco["images"][c]["id"]
                for ann in test.annotations(c):
                    x, y, w, h = ann["bbox"]
                    ax.add_patch(Rectangle((x, y), w, h, fill=False, ec="white", ls="--", lw=0.8))
                for d in detections[arm]:
                    if d["image_id"] != image_id or d["score"] < min_score:
                        continue
                    k = list(category_ids).index(d["category_id"])
                    x, y, w, h = d["bbox"]
                    ax.add_patch(Rectangle((x, y), w, h, fill=False, ec=colors[k % 10], lw=1.4))
                    ax.text(x, y, f"{names[k][:4]} {d['score']:.2f}", color="white", fontsize=5,
                            bbox={"facecolor": colors[k % 10], "alpha": 0.8, "pad": 0.5, "lw": 0})
                ax.set_xticks([])
                ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(arm.replace("_", " "))


def ap_by_threshold(precision: np.ndarray) -> list[float]:
    """AP at each of the 10 IoU thresholds .50:.05:.95 (all areas, 100 detections) from COCO's
    precision array ``[T, R, K, A, M]``: the mean over recall points and categories (-1 = absent)."""
    values = []
    for t in range(precision.shape[0]):
        p = precision[t, :, :, 0, -1]
        values.append(float(p[p > -1].mean()) if (p > -1).any() else -1.0)
    return values


def plot_ap(ctx: RunContext, ap: dict[str, list[float]], per_group: dict[str, list[list[float]]]) -> None:
    thresholds = np.linspace(0.5, 0.95, 10)
    with ctx.figure("ap.png", "Left: AP at each IoU threshold (COCO's AP is their mean); the sliding window's "
                    "square windows fall off fastest as the threshold rises. Right: AP50 of each group of test "
                    "images, detector against sliding window (above the diagonal: the detector is better).",
                    ncols=2, size=(10, 3.8)) as (_, axes):
        for arm, values in ap.items():
            axes[0].plot(thresholds, values, marker="o", label=arm.replace("_", " "))
        axes[0].set_xlabel("IoU threshold")
        axes[0].set_ylabel("AP")
        axes[0].legend()
        axes[0].grid(alpha=0.3)
        window, detector = [g[1] for g in per_group["sliding_window"]], [g[1] for g in per_group["detector"]]
        axes[1].scatter(window, detector)
        axes[1].plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        axes[1].set_xlim(0, 1)
        axes[1].set_ylim(0, 1)
        axes[1].set_xlabel("sliding-window AP50 (group of test images)")
        axes[1].set_ylabel("detector AP50 (same group)")
        axes[1].grid(alpha=0.3)


def plot_localization(ctx: RunContext, model: Localizer, held_out: tuple, names: Sequence[str], n: int = 8) -> None:
    from matplotlib.patches import Rectangle

    images, labels, boxes = held_out
    model.eval()
    with torch.no_grad():
        logits, predicted = model(images_to_tensor(images[:n]))
    with ctx.figure("localization.png", "Single-object localization on held-out images: true box dashed white, "
                    "predicted box red, with the predicted class (true class in brackets).", ncols=n,
                    size=(1.9 * n, 2.2)) as (_, axes):
        for k, ax in enumerate(np.atleast_1d(axes)):
            ax.imshow(images[k])
            x1, y1, x2, y2 = boxes[k].tolist()
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, ec="white", ls="--", lw=1))
            x1, y1, x2, y2 = predicted[k].tolist()
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, ec="red", lw=1.4))
            ax.set_title(f"{names[int(logits[k].argmax())]} ({names[int(labels[k])]})", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])


def plot_training(ctx: RunContext, histories: dict[str, list[dict]]) -> None:
    with ctx.figure("training.png", "Training losses (per logged step) of the three models.", ncols=len(histories),
                    size=(4 * len(histories), 3)) as (_, axes):
        for ax, (name, history) in zip(np.atleast_1d(axes), histories.items()):
            rows = [r for r in history if r["split"] == "train"]
            ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], lw=1)
            ax.set_title(name)
            ax.set_xlabel("step")
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
        np.atleast_1d(axes)[0].set_ylabel("training loss")
