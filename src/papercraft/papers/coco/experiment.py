"""The COCO protocol, reproduced: COCO-shapes data, synthetic detections, boxes and masks.

There is no real COCO and no trained detector here, so the protocol is exercised on a generated set
(``shapes.py``) with seeded synthetic detections (``synthetic.py``) at several noise levels
``jitters``: the noisier the detections, the lower the IoU with their objects and the lower the AP,
so every IoU threshold and area range is visited with a different share of true positives.

Criteria fixed before the run (all primary):

- (a) the readable evaluator (``evaluation.evaluate_reference``, loop by loop as in the paper's
  protocol) and the array evaluator (``fast.py``) agree **exactly**: the largest absolute difference
  over the 12 stats, the precision array [T, R, K, A, M] and the recall array, for every noise level
  and both IoU types, is 0 (on the first ``reference_images`` images; the array one scores the rest);
- (b) protocol identities: AP@[.5:.95] is the mean over the 10 thresholds of the per-threshold AP
  read from the precision array, AP50 and AP75 are its entries at .50 and .75 (to 1e-12);
- (c) the ground truth offered as detections (score 1) gives AP = 1 and AR@100 = 1 in every stat
  that is defined (to 1e-12; pycocotools' precision ``tp / (tp + fp + eps)`` is 1 - 2⁻⁵² at tp = 1).

Secondary (shape of the protocol, which these detections should show): AP falls as the IoU
threshold rises, and AP@[.5:.95] falls as the detections get noisier.

Parity with pycocotools: the library may not import pycocotools (an oracle), so the experiment
writes ``ground_truth.json`` and one ``detections_<noise>.json`` per noise level into its run
directory; ``tests/papers/test_coco.py`` runs the quick preset and re-scores those files with
pycocotools, requiring identical stats (and can re-score any run directory, e.g. a full run's).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from papercraft.io import write_atomic
from papercraft.papers.coco.evaluation import (
    AREA_LABELS,
    IOU_THRESHOLDS,
    RECALL_THRESHOLDS,
    STAT_NAMES,
    CocoEvaluation,
    evaluate,
)
from papercraft.papers.coco.shapes import make_shapes
from papercraft.papers.coco.synthetic import ground_truth_as_detections, synthetic_detections
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext

IOU_TYPES = ("bbox", "segm")


def subset(coco: dict[str, Any], detections: list[dict[str, Any]], n_images: int) -> tuple[dict, list]:
    """The first ``n_images`` images of a ground truth and the detections on them."""
    keep = {img["id"] for img in coco["images"][:n_images]}
    gt = {**coco, "images": [i for i in coco["images"] if i["id"] in keep],
          "annotations": [a for a in coco["annotations"] if a["image_id"] in keep]}
    return gt, [d for d in detections if d["image_id"] in keep]


def largest_difference(a: CocoEvaluation, b: CocoEvaluation) -> float:
    """max |a - b| over stats, precision and recall (inf if the shapes differ)."""
    if a.precision.shape != b.precision.shape:
        return float("inf")
    return float(max(np.max(np.abs(a.stats - b.stats)), np.max(np.abs(a.precision - b.precision), initial=0.0),
                     np.max(np.abs(a.recall - b.recall), initial=0.0)))


def identity_deviation(e: CocoEvaluation) -> float:
    """How far the summary is from its definition through the per-threshold APs (criterion b)."""
    per_t = e.ap_per_threshold()
    if np.any(per_t < 0):
        return float("inf")
    return float(max(abs(e.stats[0] - per_t.mean()), abs(e.stats[1] - per_t[0]), abs(e.stats[2] - per_t[5])))


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    seed = ctx.seeds(1)[0]
    data = make_shapes(p["n_images"], size=p["size"], seed=seed, render=False)
    gt = data.coco
    write_atomic(ctx.path("ground_truth.json"), json.dumps(gt))
    anns = gt["annotations"]
    areas = np.array([a["area"] for a in anns if not a["iscrowd"]])
    ctx.log(f"{len(gt['images'])} images, {len(anns)} annotations ({sum(a['iscrowd'] for a in anns)} crowd); "
            f"small/medium/large: {np.sum(areas < 32 ** 2)}/{np.sum((areas >= 32 ** 2) & (areas <= 96 ** 2))}/"
            f"{np.sum(areas > 96 ** 2)}")

    levels: dict[float, dict[str, Any]] = {}
    for k, jitter in enumerate(p["jitters"]):
        dets = synthetic_detections(gt, seed + 1 + k, jitter=jitter, per_image=p["per_image"] or None)
        write_atomic(ctx.path(f"detections_{jitter:g}.json"), json.dumps(dets))
        gt_ref, dets_ref = subset(gt, dets, p["reference_images"])
        level: dict[str, Any] = {"n": len(dets), "detections": dets}
        for iou_type in IOU_TYPES:
            fast = evaluate(gt, dets, iou_type)
            ref_fast = evaluate(gt_ref, dets_ref, iou_type) if p["reference_images"] < p["n_images"] else fast
            ref = evaluate(gt_ref, dets_ref, iou_type, method="reference")
            level[iou_type] = fast
            level[f"{iou_type}_diff"] = largest_difference(ref_fast, ref)
        levels[jitter] = level
        ctx.log(f"noise {jitter:g}: {len(dets)} detections, AP bbox {level['bbox'].stats[0]:.3f}, "
                f"segm {level['segm'].stats[0]:.3f}; evaluators differ by {max(level['bbox_diff'], level['segm_diff']):g}")

    perfect = {t: evaluate(gt, ground_truth_as_detections(gt), t) for t in IOU_TYPES}
    return outcome(ctx, levels, perfect)


def outcome(ctx: RunContext, levels: dict[float, dict[str, Any]], perfect: dict[str, CocoEvaluation]) -> Outcome:
    jitters = sorted(levels)
    max_diff = max(levels[j][f"{t}_diff"] for j in jitters for t in IOU_TYPES)
    identity = max(identity_deviation(levels[j][t]) for j in jitters for t in IOU_TYPES)
    perfect_values = [float(v) for t in IOU_TYPES for i, v in enumerate(perfect[t].stats) if i in (0, 1, 2, 3, 4, 5, 8, 9, 10, 11) and v != -1]
    worst_perfect = min(perfect_values) if perfect_values else float("nan")
    # secondary: AP against the IoU threshold, and against the noise level
    rises = [float(np.max(np.diff(levels[j][t].ap_per_threshold()))) for j in jitters for t in IOU_TYPES]
    ap_by_noise = {t: [float(levels[j][t].stats[0]) for j in jitters] for t in IOU_TYPES}
    noise_rises = max(float(np.max(np.diff(v))) for v in ap_by_noise.values()) if len(jitters) > 1 else float("nan")
    criteria = [
        Criterion.at_most("evaluators_agree", "largest |readable - array| over stats, precision and recall, every "
                          "noise level, bbox and segm", max_diff, 0.0, part="a"),
        Criterion.at_most("ap_is_mean_over_thresholds", "largest deviation of AP, AP50, AP75 from the per-threshold "
                          "APs of the precision array", identity, 1e-12, part="b"),
        Criterion.at_least("perfect_detections_score_one", "smallest AP / AR@100 stat (defined ones) with the ground "
                           "truth as detections, bbox and segm", worst_perfect, 1 - 1e-12, part="c"),
        Criterion.at_most("ap_falls_with_iou_threshold", "largest rise of AP from one IoU threshold to the next, over "
                          "noise levels and IoU types", max(rises), 1e-12, part="shape", primary=False),
        Criterion.at_most("ap_falls_with_noise", "largest rise of AP@[.5:.95] from one noise level to the next "
                          "(bbox, segm)", noise_rises, 0.0, part="shape", primary=False),
    ]
    numbers: dict[str, Any] = {"max_fast_vs_reference_difference": max_diff, "identity_deviation": identity,
                               "perfect_min_stat": worst_perfect}
    for j in jitters:
        for t in IOU_TYPES:
            for name, value in zip(STAT_NAMES, levels[j][t].stats):
                numbers[f"{t}_{name}_noise{j:g}"] = round(float(value), 6)
    rows = [[f"{j:g}", t, levels[j]["n"], *[f"{v:.3f}" for v in levels[j][t].stats]] for t in IOU_TYPES for j in jitters]
    table = Table("The 12 COCO numbers per noise level (papercraft; pycocotools gives the same, see the tests)",
                  ["noise", "IoU type", "detections", *STAT_NAMES], rows)
    plot_ap(ctx, levels, jitters)
    middle = jitters[len(jitters) // 2]
    plot_pr(ctx, levels[middle]["bbox"], middle)
    plot_examples(ctx, levels[middle]["detections"], middle)
    notes = [
        "The protocol: per image and category, detections are taken in score order (at most 100) and each "
        "takes the unmatched object of highest IoU >= t, at each of the 10 thresholds t = .50, .55, ..., .95; "
        "crowd regions and objects outside the area range are 'ignored' (a detection on them is neither a true "
        "nor a false positive). Per category, precision is made monotone and read at 101 recall points; AP is "
        "the mean over recall points, categories and thresholds (AP50, AP75: one threshold; AP small/medium/"
        "large: objects of visible area < 32², 32²–96², > 96² pixels). AR is the final recall with 1, 10 or 100 "
        "detections per image, averaged over thresholds and categories.",
        *findings(levels, jitters),
        f"{len(jitters)} noise levels {', '.join(f'{j:g}' for j in jitters)}; every detection of a true object has "
        "its box moved by N(0, q)·(w, h) and scaled by exp(N(0, q)), q = noise·U(0, 2), its mask moved likewise, "
        "plus duplicates, class confusions and false positives (synthetic.py).",
        "Parity with pycocotools is not part of the verdict (the library may not import it): the run writes "
        "ground_truth.json and detections_<noise>.json, and tests/papers/test_coco.py re-scores such files with "
        "pycocotools and requires identical stats (PAPERCRAFT_COCO_RUN=<run dir> re-scores this run's files).",
        "pycocotools silently drops detections whose category the ground truth does not list; papercraft refuses "
        "the file and names the detection.",
    ]
    return Outcome(numbers, criteria, tables=[table], notes=notes)


def findings(levels: dict[float, dict[str, Any]], jitters: list[float]) -> list[str]:
    """What this run's numbers say about AP against the IoU threshold and object size."""
    out = []
    for j in (jitters[0], jitters[-1]):
        for t, what in (("bbox", "boxes"), ("segm", "masks")):
            s = levels[j][t].stats
            per_t = levels[j][t].ap_per_threshold()
            out.append(f"Noise {j:g}, {what}: AP50 {s[1]:.3f}, AP75 {s[2]:.3f}, AP@.95 {per_t[-1]:.3f}, AP@[.5:.95] "
                       f"{s[0]:.3f}; by size (small / medium / large) {' / '.join(f'{v:.3f}' for v in s[3:6])}; "
                       f"AR@1/10/100 {s[6]:.3f} / {s[7]:.3f} / {s[8]:.3f}.")
    drop = [levels[j]["bbox"].stats[1] - levels[j]["bbox"].stats[2] for j in jitters]
    out.append("From AP50 to AP75 (boxes) AP falls by " + ", ".join(f"{d:.3f}" for d in drop)
               + f" at noise {', '.join(f'{j:g}' for j in jitters)}: a strict threshold rewards localization, "
                 "which is what averaging over .50:.95 measures and AP50 alone does not.")
    return out


def plot_ap(ctx: RunContext, levels: dict[float, dict[str, Any]], jitters: list[float]) -> None:
    with ctx.figure("ap_threshold_size.png", "Left: AP against the IoU threshold for each noise level (solid: "
                    "boxes, dashed: masks); AP@[.5:.95] is the mean of each curve. Right: AP@[.5:.95] by object "
                    "size (boxes; small < 32², medium 32²–96², large > 96² pixels of visible area).",
                    ncols=2, size=(11, 4)) as (_, axes):
        from matplotlib import colormaps

        colors = colormaps["viridis"](np.linspace(0, 0.85, len(jitters)))
        for color, j in zip(colors, jitters):
            for t, style in (("bbox", "-"), ("segm", "--")):
                axes[0].plot(IOU_THRESHOLDS, levels[j][t].ap_per_threshold(), style, color=color, marker="o", ms=3,
                             label=f"noise {j:g}" if t == "bbox" else None)
        axes[0].set_xlabel("IoU threshold")
        axes[0].set_ylabel("AP")
        axes[0].set_title("AP falls as the IoU threshold rises")
        axes[0].legend()
        axes[0].grid(alpha=0.3)
        width = 0.8 / len(jitters)
        for k, (color, j) in enumerate(zip(colors, jitters)):
            values = [max(levels[j]["bbox"].stats[i], 0) for i in (3, 4, 5)]
            axes[1].bar(np.arange(3) + (k - (len(jitters) - 1) / 2) * width, values, width, color=color, label=f"noise {j:g}")
        axes[1].set_xticks(range(3), list(AREA_LABELS[1:]))
        axes[1].set_ylabel("AP@[.5:.95] (boxes)")
        axes[1].set_title("AP by object size")
        axes[1].grid(alpha=0.3, axis="y")


def plot_examples(ctx: RunContext, dets: list[dict[str, Any]], jitter: float, n: int = 4) -> None:
    """The first images with their ground truth (boxes; crowds dotted) and the detections scored above 0.5."""
    p = ctx.params
    shown = make_shapes(min(n, p["n_images"]), size=p["size"], seed=ctx.seed)
    names = shown.categories
    with ctx.figure("examples.png", f"COCO-shapes images (first {len(shown)}) with the ground truth (green boxes, "
                    f"crowd regions dotted) and the synthetic detections of noise {jitter:g} scored above 0.5 (red, "
                    "with category and score).", ncols=len(shown), size=(3.2 * len(shown), 3.4)) as (_, axes):
        from matplotlib.patches import Rectangle

        axes = np.atleast_1d(axes)
        for i, ax in enumerate(axes):
            ax.imshow(shown.images[i])
            for a in shown.annotations(i):
                x, y, w, h = a["bbox"]
                ax.add_patch(Rectangle((x - .5, y - .5), w, h, fill=False, color="lime", lw=1.2,
                                       ls=":" if a["iscrowd"] else "-"))
            for d in dets:
                if d["image_id"] == i + 1 and d["score"] > 0.5:
                    x, y, w, h = d["bbox"]
                    ax.add_patch(Rectangle((x - .5, y - .5), w, h, fill=False, color="red", lw=0.9, ls="--"))
                    ax.text(x, y - 1, f"{names[d['category_id'] - 1]} {d['score']:.2f}", color="red", fontsize=6)
            ax.set_axis_off()


def plot_pr(ctx: RunContext, e: CocoEvaluation, jitter: float) -> None:
    with ctx.figure("precision_recall.png", f"Interpolated precision against recall (boxes, noise {jitter:g}, all "
                    "sizes, 100 detections per image), averaged over the categories, at IoU .50, .75 and .95: the "
                    "area under each curve is that threshold's AP.", size=(5.5, 4)) as (_, ax):
        ax = ax[0] if isinstance(ax, (list, np.ndarray)) else ax
        for t, color in ((0, "C0"), (5, "C1"), (9, "C3")):
            p = e.precision[t, :, :, 0, 2]
            valid = p[:, (p > -1).all(axis=0)]
            if valid.size:
                ax.plot(RECALL_THRESHOLDS, valid.mean(axis=1), color=color, label=f"IoU {IOU_THRESHOLDS[t]:.2f}")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.legend()
        ax.grid(alpha=0.3)
