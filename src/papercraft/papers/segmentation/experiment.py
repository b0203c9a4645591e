"""Skip connections against FCN-32s on the coco entry's generated shapes (FCN §4.2, Table 2; U-Net §2).

FCN-32s, FCN-16s, FCN-8s (one backbone and classifier, differing only in the skips) and U-Net are
trained with the same data, steps, batches, optimizer and schedule on the semantic masks of the
coco entry's shapes (background + one class per category), for several seeds, and evaluated on a
held-out set of generated images by mean IoU and the boundary F-score (BF) of Csurka et al. 2013.
The class-agnostic foreground IoU and the per-class IoU are reported beside them, to tell
localization (what skips are for) from recognition of the category.

The claim, as criteria fixed before the full run (FCN-16s is reported, not judged):

- (a) mean IoU: FCN-8s beats FCN-32s, and U-Net beats FCN-32s;
- (b) "especially at boundaries": for FCN-8s and for U-Net, the gain in BF over FCN-32s exceeds
  the gain in mean IoU (both in absolute points of [0, 1] scores);
- (c) no arm at chance: every model in every seed has a mean IoU at least ``chance_margin`` above
  that of predicting background everywhere. If not, the comparison cannot speak to the claim and
  the verdict is inconclusive (``passed=None``), not a failure.

How (a) and (b) are decided. The interval is a **paired bootstrap over test images, pooled across
seeds**: one resample draws test images with replacement; on it, each seed's difference between
the two arms is recomputed (mean IoU from the resampled images' summed confusion matrices, BF as
the mean of the resampled images' BF), and the statistic is the mean over seeds. A mean IoU is a
ratio of pixel counts summed over the data set, not a mean over images, so a per-image t-interval
would be wrong, and with 2 seeds a t-interval of the per-seed differences has ``t = 12.7`` and
decides nothing. The bootstrap does not see the training-seed variance, so a criterion passes (or
fails) only if its 95% interval lies above (below) 0 *and every seed's difference has that sign*;
otherwise it is inconclusive. The notes give the per-seed t-intervals beside it.

"By more on boundaries" is read in absolute points, the stricter reading: FCN-32s's BF is near 0
at a 1-pixel tolerance, so any relative gain in BF would be enormous.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from papercraft.errors import UsageError
from papercraft.papers.segmentation.fcn import FCN8s, FCN16s, FCN32s
from papercraft.papers.segmentation.metrics import (
    boundary_f_per_image,
    confusion_matrix,
    iou_per_class,
    mean_iou,
    per_image_confusion,
    pixel_accuracy,
)
from papercraft.papers.segmentation.unet import UNet
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext
from papercraft.statistics import Interval, mean_interval, paired_bootstrap
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

MODELS = ("fcn32s", "fcn16s", "fcn8s", "unet")
LABELS = {"fcn32s": "FCN-32s", "fcn16s": "FCN-16s", "fcn8s": "FCN-8s", "unet": "U-Net"}
JUDGED = ("fcn8s", "unet")  # the arms with skips that the claim is about; FCN-16s is reported only


# -------------------------------------------------------------------------------------------- data

def load_shapes(n: int, size: int, seed: int, categories: Sequence[str],
                max_objects: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` generated images as ``uint8 [N, 3, S, S]`` and their semantic masks ``int64 [N, S, S]``
    (0 = background, else the category id 1..K of the visible object)."""
    from papercraft.papers.coco.shapes import make_shapes

    data = make_shapes(n, size=size, seed=seed, categories=tuple(categories), max_objects=max_objects)
    images = torch.from_numpy(np.ascontiguousarray(data.images)).permute(0, 3, 1, 2).contiguous()
    return images, torch.from_numpy(np.ascontiguousarray(data.semantic_masks())).long()


def load_data(p: dict) -> dict[str, torch.Tensor]:
    """Training and held-out test sets (different generator seeds), images standardized per
    channel with the training set's statistics: ``x_* [N, 3, S, S]`` float, ``y_* [N, S, S]``."""
    train_images, y_train = load_shapes(p["n_train"], p["size"], p["data_seed"], p["categories"], p["max_objects"])
    test_images, y_test = load_shapes(p["n_test"], p["size"], p["data_seed"] + 1, p["categories"], p["max_objects"])
    x_train = train_images.float() / 255
    mean, std = x_train.mean((0, 2, 3), keepdim=True), x_train.std((0, 2, 3), keepdim=True).clamp(min=1e-6)
    return {"x_train": (x_train - mean) / std, "y_train": y_train,
            "x_test": (test_images.float() / 255 - mean) / std, "y_test": y_test, "test_images": test_images}


# ------------------------------------------------------------------------------------------ models

def build_model(name: str, num_classes: int, p: dict) -> torch.nn.Module:
    """One arm. The three FCNs get the same backbone and classifier (``fcn_convs``/``fcn_widths``,
    ``fc_width``, ``dropout``); U-Net gets ``unet_width`` channels at its first of ``unet_depth + 1``
    levels."""
    stages = tuple(zip(p["fcn_convs"], p["fcn_widths"]))
    fcn = {"fcn32s": FCN32s, "fcn16s": FCN16s, "fcn8s": FCN8s}
    if name in fcn:
        return fcn[name](num_classes, stages=stages, fc_width=p["fc_width"], dropout=p["dropout"])
    if name == "unet":
        return UNet(num_classes, width=p["unet_width"], depth=p["unet_depth"])
    raise ValueError(f"unknown model {name!r}; expected one of {list(MODELS)}")


def trainable_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def pixel_loss(model: torch.nn.Module,
               batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Per-pixel cross-entropy of ``model(x) [B, K, H, W]`` against ``y [B, H, W]`` (FCN §3,
    "a per-pixel multinomial logistic loss"; U-Net's energy without its weight map)."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), {"pixel_acc": (logits.argmax(1) == y).float().mean().item()}


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Predicted labels ``[N, H, W]`` of ``model`` in eval mode on ``x [N, 3, H, W]``."""
    was = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    model.train(was)
    return out


def scores(pred: torch.Tensor, target: torch.Tensor, num_classes: int, tolerance: float) -> dict[str, float]:
    """Data-set mean IoU and pixel accuracy (from the summed confusion matrix), BF (mean over
    images), and the class-agnostic foreground IoU (object vs background: localization alone)."""
    conf = confusion_matrix(pred, target, num_classes)
    foreground = iou_per_class(confusion_matrix((pred > 0).long(), (target > 0).long(), 2))[1]
    return {"miou": mean_iou(conf), "pixel_acc": pixel_accuracy(conf),
            "bf": float(boundary_f_per_image(pred, target, num_classes, tolerance).mean()),
            "foreground_iou": float(foreground)}


def train_one(ctx: RunContext, name: str, seed: int, data: dict[str, torch.Tensor], num_classes: int) -> dict:
    """Train one arm with the shared recipe; return its test predictions, per-image statistics and curve."""
    p = ctx.params
    torch.manual_seed(seed)
    model = build_model(name, num_classes, p)
    params = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=p["lr"], weight_decay=p["weight_decay"])
    scheduler = warmup_cosine(optimizer, p["steps"], p["warmup_steps"])
    x_test, y_test, tol = data["x_test"], data["y_test"], p["boundary_tolerance"]
    result = ctx.train(f"{name}-seed{seed}", model, optimizer, pixel_loss,
                       TensorBatches(data["x_train"], data["y_train"], batch_size=p["batch_size"], seed=seed),
                       steps=p["steps"], seed=seed, scheduler=scheduler, log_every=max(1, p["steps"] // 100),
                       eval_every=max(1, p["steps"] // p["test_points"]),
                       evaluate=lambda m: scores(predict(m, x_test), y_test, num_classes, tol))
    pred = predict(model, x_test)
    final = scores(pred, y_test, num_classes, tol)
    ctx.log(f"{LABELS[name]} seed {seed}: mIoU {final['miou']:.4f}, BF {final['bf']:.4f}, pixel accuracy "
            f"{final['pixel_acc']:.4f} ({result.wall_s:.0f} s)")
    return {**final, "pred": pred, "parameters": trainable_parameters(model),
            "class_iou": iou_per_class(confusion_matrix(pred, y_test, num_classes)).tolist(),
            "confusion": per_image_confusion(pred, y_test, num_classes).double().numpy(),
            "bf_images": boundary_f_per_image(pred, y_test, num_classes, tol).numpy(),
            "curve": [(r["step"], r["miou"], r["bf"]) for r in result.evals()], "wall_s": round(result.wall_s, 1)}


# -------------------------------------------------------------------------------------- statistics

def miou_of(confusion: np.ndarray) -> float:
    """Mean IoU over the classes present of a ``[K, K]`` float confusion matrix (as ``metrics.mean_iou``)."""
    intersection = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - intersection
    present = union > 0
    return float((intersection[present] / union[present]).mean())


def gain_statistics(runs: dict, arm: str, base: str, seeds: Sequence[int]) -> dict[str, Callable[[np.ndarray], float]]:
    """Statistics of a resample of test-image indices, averaged over seeds: the arm's gain over
    ``base`` in mean IoU, in BF, and the BF gain minus the mean-IoU gain."""
    n = len(runs[arm, seeds[0]]["bf_images"])

    def gains(idx: np.ndarray) -> tuple[float, float]:
        weights = np.bincount(idx, minlength=n).astype(float)
        d_miou, d_bf = [], []
        for s in seeds:
            a, b = runs[arm, s], runs[base, s]
            d_miou.append(miou_of(np.tensordot(weights, a["confusion"], 1))
                          - miou_of(np.tensordot(weights, b["confusion"], 1)))
            d_bf.append(float(weights @ (a["bf_images"] - b["bf_images"])) / len(idx))
        return statistics.fmean(d_miou), statistics.fmean(d_bf)

    return {"miou": lambda idx: gains(idx)[0], "bf": lambda idx: gains(idx)[1],
            "bf_minus_miou": lambda idx: gains(idx)[1] - gains(idx)[0]}


def per_seed_gains(runs: dict, arm: str, base: str, seeds: Sequence[int]) -> dict[str, list[float]]:
    """Each seed's gain of ``arm`` over ``base`` on the whole test set."""
    d_miou = [runs[arm, s]["miou"] - runs[base, s]["miou"] for s in seeds]
    d_bf = [runs[arm, s]["bf"] - runs[base, s]["bf"] for s in seeds]
    return {"miou": d_miou, "bf": d_bf, "bf_minus_miou": [b - m for b, m in zip(d_bf, d_miou)]}


def seeds_agree(interval: Interval, per_seed: Sequence[float]) -> bool | None:
    """The interval's decision (above 0: True, below: False), kept only if every seed's own
    difference has the same sign; otherwise None (the seeds disagree: inconclusive)."""
    decision = interval.decide(0.0)
    if decision is True and all(d > 0 for d in per_seed):
        return True
    if decision is False and all(d < 0 for d in per_seed):
        return False
    return None


def gain_criterion(name: str, statement: str, interval: Interval, per_seed: Sequence[float], part: str,
                   primary: bool = True) -> Criterion:
    return Criterion(name, statement, {**interval.as_dict(), "per_seed": [round(d, 5) for d in per_seed]},
                     "95% interval above 0 and every seed > 0", seeds_agree(interval, per_seed), part=part,
                     primary=primary)


# --------------------------------------------------------------------------------------------- run

def check_params(p: dict) -> None:
    """Refuse parameters the experiment cannot run with (a usage error naming the parameter)."""
    models = list(p["models"])
    if any(m not in MODELS for m in models) or len(set(models)) != len(models) or "fcn32s" not in models \
            or not any(m in models for m in JUDGED):
        raise UsageError(f"models: expected distinct names from {list(MODELS)} including fcn32s and one of "
                         f"{list(JUDGED)}, got {models}")
    shapes = ("circle", "square", "triangle", "star", "digit")  # the coco generator's categories
    categories = list(p["categories"])
    if not categories or any(c not in shapes for c in categories) or len(set(categories)) != len(categories):
        raise UsageError(f"categories: expected distinct names from {list(shapes)}, got {p['categories']}")
    if len(p["fcn_convs"]) != 5 or len(p["fcn_widths"]) != 5 or min(*p["fcn_convs"], *p["fcn_widths"]) < 1:
        raise UsageError(f"fcn_convs and fcn_widths: expected five positive integers each (the five VGG stages), got "
                         f"{p['fcn_convs']} and {p['fcn_widths']}")
    if "unet" in models and (p["unet_depth"] < 1 or p["size"] % 2 ** p["unet_depth"]):
        raise UsageError(f"size: U-Net with unet_depth={p['unet_depth']} needs a size divisible by "
                         f"{2 ** max(p['unet_depth'], 0)}, got {p['size']}")
    for key in ("size", "n_train", "n_test", "seeds", "steps", "batch_size", "test_points", "bootstrap_samples",
                "max_objects", "fc_width", "unet_width"):
        if p[key] < 1:
            raise UsageError(f"{key}: expected a positive integer, got {p[key]}")
    if not 0 <= p["warmup_steps"] <= p["steps"]:
        raise UsageError(f"warmup_steps: expected 0 to steps={p['steps']}, got {p['warmup_steps']}")
    if p["batch_size"] > p["n_train"] or p["size"] < 16:
        raise UsageError(f"batch_size must be at most n_train and size at least 16, got batch_size={p['batch_size']}, "
                         f"n_train={p['n_train']}, size={p['size']}")


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    check_params(p)
    models = list(p["models"])
    num_classes = len(p["categories"]) + 1
    data = load_data(p)
    seeds = ctx.seeds(p["seeds"])
    runs: dict[tuple[str, int], dict] = {}
    for seed in seeds:
        for name in models:
            runs[name, seed] = train_one(ctx, name, seed, data, num_classes)

    y_test = data["y_test"]
    majority = scores(torch.zeros_like(y_test), y_test, num_classes, p["boundary_tolerance"])
    background_share = float((y_test == 0).float().mean())
    numbers: dict = {"majority_miou": round(majority["miou"], 5), "majority_bf": round(majority["bf"], 5),
                     "background_pixel_share": round(background_share, 5)}
    for name in models:
        for key in ("miou", "bf", "pixel_acc", "foreground_iou"):
            values = [runs[name, s][key] for s in seeds]
            numbers[f"{name}_{key}"] = round(statistics.fmean(values), 5)
            numbers[f"{name}_{key}_per_seed"] = [round(v, 5) for v in values]
        numbers[f"{name}_parameters"] = runs[name, seeds[0]]["parameters"]
        numbers[f"{name}_class_iou"] = [round(statistics.fmean(runs[name, s]["class_iou"][c] for s in seeds), 5)
                                        for c in range(num_classes)]

    criteria: list[Criterion] = []
    notes: list[str] = []
    for arm in [m for m in models if m != "fcn32s"]:
        stats = gain_statistics(runs, arm, "fcn32s", seeds)
        per_seed = per_seed_gains(runs, arm, "fcn32s", seeds)
        intervals = {key: paired_bootstrap(len(y_test), stats[key], samples=p["bootstrap_samples"], seed=0)
                     for key in ("miou", "bf", "bf_minus_miou")}
        for key, interval in intervals.items():
            numbers[f"{arm}_minus_fcn32s_{key}"] = interval.as_dict()
            numbers[f"{arm}_minus_fcn32s_{key}_per_seed"] = [round(d, 5) for d in per_seed[key]]
        label = LABELS[arm]
        judged = arm in JUDGED
        criteria += [
            gain_criterion(f"{arm}_beats_fcn32s_miou", f"test mean IoU of {label} minus FCN-32s's",
                           intervals["miou"], per_seed["miou"], "a" if judged else "fcn16s", primary=judged),
            gain_criterion(f"{arm}_boundary_gain_exceeds_miou_gain",
                           f"{label}'s gain over FCN-32s in boundary F minus its gain in mean IoU (points of [0, 1])",
                           intervals["bf_minus_miou"], per_seed["bf_minus_miou"], "b" if judged else "fcn16s",
                           primary=judged),
            gain_criterion(f"{arm}_beats_fcn32s_bf", f"test boundary F of {label} minus FCN-32s's",
                           intervals["bf"], per_seed["bf"], "b" if judged else "fcn16s", primary=False),
        ]
        notes.append(seed_interval_note(label, per_seed, len(seeds)))
    worst = min((runs[m, s]["miou"], m, s) for m in models for s in seeds)
    above = worst[0] - majority["miou"]
    criteria.append(Criterion(
        "no_arm_at_chance", f"lowest test mean IoU of any model and seed ({LABELS[worst[1]]}, seed {worst[2]}) minus "
        f"that of predicting background everywhere", round(above, 5), f">= {p['chance_margin']:g} (else inconclusive)",
        True if above >= p["chance_margin"] else None, part="c"))
    numbers["lowest_miou_above_majority"] = round(above, 5)
    for arm in JUDGED:  # flat copies of the estimates, for the headline
        if arm in models:
            numbers[f"{arm}_miou_gain"] = numbers[f"{arm}_minus_fcn32s_miou"]["estimate"]

    rows = [[LABELS[m], f"{runs[m, seeds[0]]['parameters']:,}",
             " / ".join(f"{100 * runs[m, s]['miou']:.1f}" for s in seeds),
             " / ".join(f"{100 * runs[m, s]['bf']:.1f}" for s in seeds),
             " / ".join(f"{100 * runs[m, s]['foreground_iou']:.1f}" for s in seeds),
             " / ".join(f"{100 * runs[m, s]['pixel_acc']:.1f}" for s in seeds),
             round(statistics.fmean(runs[m, s]["wall_s"] for s in seeds), 1)] for m in models]
    rows.append(["background everywhere", "0", f"{100 * majority['miou']:.1f}", f"{100 * majority['bf']:.1f}",
                 f"{100 * majority['foreground_iou']:.1f}", f"{100 * majority['pixel_acc']:.1f}", "-"])
    tables = [Table(f"Held-out scores (%) per seed ({', '.join(map(str, seeds))}); {p['n_test']} test images of "
                    f"{p['size']} px; BF at a tolerance of {p['boundary_tolerance']:g} px",
                    ["model", "trainable parameters", "mean IoU", "boundary F", "foreground IoU", "pixel accuracy",
                     "train wall s/run"],
                    rows)]
    gains = [[LABELS[m], *(interval_text(numbers[f"{m}_minus_fcn32s_{k}"]) for k in ("miou", "bf", "bf_minus_miou"))]
             for m in models if m != "fcn32s"]
    tables.append(Table("Gain over FCN-32s (points), 95% paired bootstrap over test images, pooled over seeds",
                        ["model", "mean IoU", "boundary F", "BF gain − mIoU gain"], gains))
    notes = [
        f"Data: {p['n_train']} training and {p['n_test']} held-out images of {p['size']} px from the coco entry's "
        f"generator (seeds {p['data_seed']} and {p['data_seed'] + 1}), up to {p['max_objects']} objects of "
        f"{len(p['categories'])} categories ({', '.join(p['categories'])}) on textured backgrounds; background is "
        f"{100 * background_share:.1f}% of the test pixels. Classes: background + {len(p['categories'])}.",
        f"Every model: {p['steps']} AdamW steps of batch {p['batch_size']} (learning rate {p['lr']:g}, weight decay "
        f"{p['weight_decay']:g}, {p['warmup_steps']} warm-up steps then cosine), plain per-pixel cross-entropy, seeds "
        f"{seeds} (same seed: same batches for every model). The stride-32 map of a {p['size']} px image has "
        f"{-(-p['size'] // 32)}×{-(-p['size'] // 32)} cells (VOC's ~500 px images: about 16×12).",
        "Intervals: percentile bootstrap (" + str(p["bootstrap_samples"]) + " resamples) over test images, the "
        "same images for both models and every seed, of the seed-averaged difference; a criterion decides only "
        "when every seed's difference has the interval's sign.",
        *notes,
        "Per-class IoU (%, mean over seeds; " + ", ".join(["background", *p["categories"]]) + "): "
        + "; ".join(f"{LABELS[m]} " + " / ".join(f"{100 * v:.1f}" for v in numbers[f"{m}_class_iou"])
                    for m in models) + ". Foreground IoU (any object vs background) measures localization alone.",
        curve_note(runs, models, seeds),
    ]
    plot_masks(ctx, runs, models, seeds[0], data, num_classes, p["plot_images"])
    plot_scores(ctx, runs, models, seeds, majority)
    plot_curves(ctx, runs, models, seeds)
    return Outcome(numbers, criteria, tables=tables, notes=notes)


def interval_text(interval: dict) -> str:
    return f"{100 * interval['estimate']:+.2f} [{100 * interval['low']:+.2f}, {100 * interval['high']:+.2f}]"


def seed_interval_note(label: str, per_seed: dict[str, list[float]], n_seeds: int) -> str:
    """Per-seed gains of one arm over FCN-32s, with Student-t intervals of their mean."""
    parts = []
    for key, what in (("miou", "mean IoU"), ("bf", "boundary F")):
        values = per_seed[key]
        text = f"{what} {', '.join(f'{100 * d:+.2f}' for d in values)}"
        if n_seeds > 1:
            t = mean_interval(values)
            text += f" (t-interval over seeds [{100 * t.low:+.2f}, {100 * t.high:+.2f}])"
        parts.append(text)
    return f"{label} minus FCN-32s per seed, points: " + "; ".join(parts) + "."


def curve_note(runs: dict, models: Sequence[str], seeds: Sequence[int]) -> str:
    """How much each model's test mean IoU still moved over the last quarter of training."""
    moves = []
    for m in models:
        deltas = []
        for s in seeds:
            curve = runs[m, s]["curve"]
            if len(curve) >= 2:
                deltas.append(curve[-1][1] - curve[-2][1])
        if deltas:
            moves.append(f"{LABELS[m]} {100 * statistics.fmean(deltas):+.2f}")
    return ("Change of test mean IoU between the last two evaluations (points, mean over seeds): " + ", ".join(moves)
            + "." if moves else "No learning curve (a single evaluation).")


# ------------------------------------------------------------------------------------------- plots

def label_colors(num_classes: int) -> np.ndarray:
    """An RGB colour per class: black background, then tab10."""
    from matplotlib import colormaps

    colors = np.zeros((num_classes, 3))
    colors[1:] = np.asarray(colormaps["tab10"](np.arange(num_classes - 1) % 10))[:, :3]
    return colors


def plot_masks(ctx: RunContext, runs: dict, models: Sequence[str], seed: int, data: dict, num_classes: int,
               n_images: int) -> None:
    colors = label_colors(num_classes)
    n_images = min(n_images, len(data["y_test"]))
    columns = ["image", "ground truth", *[LABELS[m] for m in models]]
    with ctx.figure("masks.png", f"Held-out images, their ground-truth masks and each model's prediction "
                    f"(seed {seed}); "
                    "black is background, colours are the categories.", nrows=n_images, ncols=len(columns),
                    size=(1.9 * len(columns), 1.9 * n_images), squeeze=False) as (_, axes):
        for row in range(n_images):
            panels = [data["test_images"][row].permute(1, 2, 0).numpy(), colors[data["y_test"][row].numpy()],
                      *[colors[runs[m, seed]["pred"][row].numpy()] for m in models]]
            for col, panel in enumerate(panels):
                ax = axes[row, col]
                ax.imshow(panel, interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
                if row == 0:
                    ax.set_title(columns[col], fontsize=9)


def plot_scores(ctx: RunContext, runs: dict, models: Sequence[str], seeds: Sequence[int], majority: dict) -> None:
    with ctx.figure("scores.png", "Held-out mean IoU (left) and boundary F (right) per model: bars are the mean "
                    "over seeds, dots each seed; dashed: predicting background everywhere.", ncols=2,
                    size=(10, 3.8)) as (_, axes):
        x = np.arange(len(models))
        for ax, key, title in zip(axes, ("miou", "bf"), ("mean IoU", "boundary F")):
            means = [100 * statistics.fmean(runs[m, s][key] for s in seeds) for m in models]
            ax.bar(x, means, color=["#999999" if m == "fcn32s" else "#4477aa" for m in models], alpha=0.8)
            for i, m in enumerate(models):
                values = [100 * runs[m, s][key] for s in seeds]
                ax.scatter([i + 0.12 * (j - (len(seeds) - 1) / 2) for j in range(len(seeds))], values, color="black",
                           s=14, zorder=3)
            ax.axhline(100 * majority[key], color="black", ls="--", lw=1)
            ax.set_xticks(x, [LABELS[m] for m in models])
            ax.set_ylabel(f"{title} (%)")
            ax.set_title(title)
            ax.grid(axis="y", alpha=0.3)


def plot_curves(ctx: RunContext, runs: dict, models: Sequence[str], seeds: Sequence[int]) -> None:
    with ctx.figure("curves.png", "Held-out mean IoU (left) and boundary F (right) during training; one line per "
                    "model and seed.", ncols=2, size=(10, 3.6)) as (_, axes):
        from matplotlib import colormaps

        colors = colormaps["tab10"](np.arange(len(models)))
        for ax, index, title in zip(axes, (1, 2), ("mean IoU", "boundary F")):
            for color, m in zip(colors, models):
                for j, s in enumerate(seeds):
                    curve = runs[m, s]["curve"]
                    ax.plot([c[0] for c in curve], [100 * c[index] for c in curve], color=color, marker="o", ms=3,
                            alpha=1.0 if j == 0 else 0.5, label=LABELS[m] if j == 0 else None)
            ax.set_xlabel("step")
            ax.set_ylabel(f"{title} (%)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
