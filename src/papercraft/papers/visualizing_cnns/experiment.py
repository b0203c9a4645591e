"""Where does a CNN look? Localization maps scored against known digit positions, against a map
that knows nothing about the model, and against the same network with its weights randomized.

Data. Each real MNIST digit (the label) is pasted at a random place of a 56×56 canvas beside a
*distractor*: a Fashion-MNIST item shrunk to 20×20 and scaled to the digit strokes' brightness,
which carries as much ink as the digit, or more, and no information about its class. The two ink
boxes never overlap; their places are drawn together, so neither object is favoured by its place.
Three small fragments of other digits are scattered on top as clutter. The network
(:func:`~papercraft.papers.visualizing_cnns.network.canvas_cnn`, ZFNet-style: papercraft's AlexNet
with a 5×5 stride-1 first layer and a stride-2 second layer, no LRN) must find the digit and
ignore the distractor. Training canvases are drawn afresh for every seed, each training digit on
``placements`` canvases (new places, distractors and clutter), with Fashion-MNIST *training*
items as distractors. The held-out canvases are the same for every seed (MNIST test
digits, Fashion-MNIST test items).

Maps. For each held-out canvas and the true class: occlusion sensitivity (Zeiler & Fergus §4.2),
Grad-CAM, gradient saliency, guided backprop and the deconvnet projection. Each map is scored by
the pointing game: a hit when its maximum lies inside the digit's ink box (ties between maximal
pixels broken at random, so that a flat map scores like a random one). Three baselines:

- a uniform random map (chance: the box's share of the canvas);
- *ink* maps, which know nothing about any model: the canvas's own intensity, blurred by a
  Gaussian of σ ∈ ``INK_SIGMAS`` px. The baseline is the best of them on the same canvases (the
  strongest model-free map, chosen after seeing its score: a conservative baseline);
- the sanity check of Adebayo et al. 2018: every method on the *same network with randomized
  weights*, i.e. the trained network's own weights at initialization. A method whose map points
  at the digit as often on random weights does not explain what the network learned.

Covering the digit's ink box (Zeiler & Fergus Fig. 7) is compared with covering an equal box
elsewhere (the control); covering the distractor's box is reported beside it.

Seeds and intervals. ``seeds`` networks (different initial weights, training canvases and batch
order) are each trained for ``epochs`` epochs. Per held-out canvas, a method's hit is averaged over
the seeds; intervals are 95 % paired percentile bootstraps over canvases (``BOOTSTRAP_SAMPLES``
resamples, the same canvases for both arms of a difference). A difference criterion passes when
the whole interval lies above its margin and every seed's own estimate does; it fails when the
whole interval lies below the margin and no seed's estimate is above it; otherwise (inside noise,
or the seeds disagree) it is inconclusive.

Criteria, fixed before the redesigned full run (parts: a occlusion, b Grad-CAM, c the covered
digit, d the other gradient maps):

- (a, b) for occlusion and Grad-CAM, each:
  - pointing score ≥ ``UNIFORM_RATIO`` (3) × the uniform random map's (chance; the first design's
    "far above chance");
  - pointing score − the best ink map's score: interval above ``INK_MARGIN`` (0.10: the method
    finds the evidence on at least one canvas in ten where a model-free map would not);
  - pointing score on the trained network − on the randomized network: interval above
    ``RANDOMIZED_MARGIN`` (0.10);
- (c) drop of p(correct) when the digit is covered − when an equal box elsewhere is covered:
  interval above ``DROP_MARGIN`` (0.25, as in the first design);
- (d, secondary) the same three criteria for gradient saliency, guided backprop and the
  deconvnet projection.

The margins were chosen on principle before any map of the redesigned data was scored. For
each method, the Spearman rank correlation between its maps on the trained and on the
randomized network (Adebayo et al.'s similarity, on 4×4-pooled maps) is reported, not judged.
"""

from __future__ import annotations

import copy
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from papercraft.papers.visualizing_cnns.canvas import place_with_distractors
from papercraft.papers.visualizing_cnns.methods import (
    deconvnet,
    first_layer_filters,
    grad_cam,
    guided_backprop,
    ink_map,
    occlusion_map,
    pointing_hits,
    saliency,
    top_activation_reconstructions,
)
from papercraft.papers.visualizing_cnns.network import canvas_cnn, last_conv_relu
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext
from papercraft.statistics import Interval, paired_bootstrap, spearman
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

METHODS = ("occlusion", "grad_cam", "saliency", "guided_backprop", "deconvnet")
PRIMARY = {"occlusion": "a", "grad_cam": "b"}  # the catalogue's two methods; the rest are part d
INK_SIGMAS = (0.0, 0.5, 1.0, 2.0, 4.0)  # px; the ink baseline is the best of these maps
UNIFORM_RATIO = 3.0
INK_MARGIN = 0.10
RANDOMIZED_MARGIN = 0.10
DROP_MARGIN = 0.25
BOOTSTRAP_SAMPLES = 2000
SPEARMAN_POOL = 4  # maps are average-pooled 4×4 (56 → 14 px) before the rank correlation


def tie_breaker(seed: int, name: str) -> torch.Generator:
    """The generator that breaks ties in the pointing game for one map set (``name``, e.g.
    ``"trained/grad_cam/0"``): seeded from the run's seed and the name, so that every score can be
    recomputed on its own."""
    return torch.Generator().manual_seed(seed * 100_003 + zlib.crc32(name.encode()))


def occlusion_drops(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, boxes: torch.Tensor,
                    seed: int, other_boxes: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """p(correct class) on the original, with the digit box blanked, and with an equal box blanked
    at a random place that does not touch the digit box (the control). Each ``[B]``. With
    ``other_boxes`` (e.g. the distractors'), also p(correct) with those boxes blanked."""
    g = torch.Generator().manual_seed(seed)
    size = x.shape[-1]
    covered, control = x.clone(), x.clone()
    for i, (y0, x0, y1, x1) in enumerate(boxes.tolist()):
        covered[i, :, y0:y1, x0:x1] = 0
        h, w = y1 - y0, x1 - x0
        for _ in range(200):
            cy, cx = (int(v) for v in torch.randint(0, size - max(h, w) + 1, (2,), generator=g))
            if cy >= y1 or cy + h <= y0 or cx >= x1 or cx + w <= x0:  # disjoint from the digit box
                control[i, :, cy:cy + h, cx:cx + w] = 0
                break
    versions = [x, covered, control]
    if other_boxes is not None:
        other = x.clone()
        for i, (y0, x0, y1, x1) in enumerate(other_boxes.tolist()):
            other[i, :, y0:y1, x0:x1] = 0
        versions.append(other)
    model.eval()
    with torch.no_grad():
        probs = [F.softmax(model(t), 1).gather(1, y.view(-1, 1))[:, 0] for t in versions]
    return tuple(probs)


def classification_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]
                        ) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of ``model(x)`` (logits ``[B, 10]``) against ``y [B]``, with the batch accuracy.
    ``x`` may be uint8 canvases (pixel values × 255), converted here."""
    x, y = batch
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    logits = model(x)
    return F.cross_entropy(logits, y), {"acc": (logits.argmax(1) == y).float().mean().item()}


def all_maps(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, patch: int, stride: int
             ) -> dict[str, torch.Tensor]:
    """Every method's map ``[B, H, W]`` of ``model`` for the classes ``y``."""
    return {
        "occlusion": occlusion_map(model, x, y, patch=patch, stride=stride),
        "grad_cam": grad_cam(model, x, last_conv_relu(model), y),
        "saliency": saliency(model, x, y),
        "guided_backprop": guided_backprop(model, x, y),
        "deconvnet": deconvnet(model, x, y),
    }


def map_similarity(a: torch.Tensor, b: torch.Tensor, pool: int = SPEARMAN_POOL) -> np.ndarray:
    """Per image, Spearman's rank correlation of two maps ``[B, H, W]`` after ``pool``×``pool``
    average pooling (Adebayo et al. 2018's similarity between maps)."""
    pa = F.avg_pool2d(a[:, None], pool).flatten(1).numpy()
    pb = F.avg_pool2d(b[:, None], pool).flatten(1).numpy()
    return np.array([spearman(u, v) for u, v in zip(pa, pb)])


def difference_interval(a: np.ndarray, b: np.ndarray, seed: int) -> Interval:
    """Paired bootstrap over canvases of ``mean(a - b)``, where ``a`` and ``b`` are ``[seeds, N]``
    per-canvas values averaged over the seeds first (or ``[N]``, broadcast)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    per_item = diff.mean(0) if diff.ndim == 2 else diff
    return paired_bootstrap(len(per_item), lambda idx: float(per_item[idx].mean()), samples=BOOTSTRAP_SAMPLES,
                            seed=seed)


def decide_over_seeds(interval: Interval, per_seed: list[float], margin: float) -> bool | None:
    """True if the interval lies above ``margin`` and so does every seed's estimate; False if the
    interval lies below it and no seed's estimate is above it; else None (inconclusive)."""
    passed = interval.decide(margin)
    if passed is True and not all(v > margin for v in per_seed):
        return None
    if passed is False and any(v > margin for v in per_seed):
        return None
    return passed


def difference_criterion(name: str, statement: str, a: np.ndarray, b: np.ndarray, margin: float, seed: int,
                         **kw) -> Criterion:
    """A criterion on ``mean(a - b)`` decided by :func:`decide_over_seeds` (``a`` ``[seeds, N]``)."""
    interval = difference_interval(a, b, seed)
    diff = np.asarray(a, float) - np.asarray(b, float)
    per_seed = [round(float(d.mean()), 4) for d in np.atleast_2d(diff)]
    measured = {**interval.as_dict(4), "per_seed": per_seed}
    return Criterion(name, statement, measured, f"interval and every seed above {margin:g}",
                     decide_over_seeds(interval, per_seed, margin), **kw)


def run(ctx: RunContext) -> Outcome:
    from papercraft.data import load_fashion_mnist, load_mnist

    p = ctx.params
    canvas = p["canvas"]
    split, fashion = load_mnist(), load_fashion_mnist()
    n_train = min(p["n_train"], len(split.x_train))
    x_test, boxes, distractor_boxes = place_with_distractors(
        split.x_test[:p["n_test"]], fashion.x_test, canvas, p["clutter"], distractor_size=p["distractor_size"],
        seed=ctx.seed + 1)
    y_test = split.y_test[:p["n_test"]]
    n = min(p["n_maps"], len(x_test))
    xm, ym, bm, dm = x_test[:n], y_test[:n], boxes[:n], distractor_boxes[:n]

    def hits_of(maps: torch.Tensor, name: str, on: torch.Tensor = bm) -> np.ndarray:
        return pointing_hits(maps, on, tie_breaker(ctx.seed, name)).float().numpy()

    # Baselines that know nothing about any model: a uniform random map and the canvas's blurred ink.
    g = torch.Generator().manual_seed(ctx.seed + 7)
    random_hits = hits_of(torch.rand(n, canvas, canvas, generator=g), "random")
    box_area = ((bm[:, 2] - bm[:, 0]) * (bm[:, 3] - bm[:, 1])).float()
    expected_random = (box_area / canvas ** 2).mean().item()
    ink_hits = {s: hits_of(ink_map(xm, s), f"ink/{s:g}") for s in INK_SIGMAS}
    ink_on_distractor = {s: hits_of(ink_map(xm, s), f"ink/{s:g}", dm).mean().item() for s in INK_SIGMAS}
    best_sigma = max(INK_SIGMAS, key=lambda s: ink_hits[s].mean())
    best_ink = ink_hits[best_sigma]
    ctx.log("ink-map pointing scores: " + ", ".join(f"σ={s:g}: {100 * ink_hits[s].mean():.1f}%"
                                                     for s in INK_SIGMAS))

    seeds = ctx.seeds(p["seeds"])
    steps = p["epochs"] * (p["placements"] * n_train // p["batch_size"])
    hits = {arm: {m: [] for m in METHODS} for arm in ("trained", "randomized")}
    similarity = {m: [] for m in METHODS}
    accuracy, random_accuracy, probs = [], [], []
    examples: dict[str, dict[str, torch.Tensor]] = {}
    for k, seed in enumerate(seeds):
        # Every training digit on ``placements`` canvases (new places, distractors and clutter each time),
        # kept as uint8 (4× less memory; the loss converts back).
        x_train = torch.cat([(place_with_distractors(split.x_train[:n_train], fashion.x_train, canvas, p["clutter"],
                                                     distractor_size=p["distractor_size"],
                                                     seed=seed + 2 + 100 * j)[0] * 255).round().to(torch.uint8)
                             for j in range(p["placements"])])
        y_train = split.y_train[:n_train].repeat(p["placements"])
        torch.manual_seed(seed)
        model = canvas_cnn(canvas)
        randomized = copy.deepcopy(model)  # the sanity check's network: these weights, before training
        optimizer = torch.optim.Adam(model.parameters(), lr=p["lr"])
        x_eval, y_eval = x_test[:p["n_eval"]], y_test[:p["n_eval"]]

        def evaluate(net: torch.nn.Module) -> dict[str, float]:
            net.eval()
            with torch.no_grad():
                return {"test_acc": (net(x_eval).argmax(1) == y_eval).float().mean().item()}

        ctx.train(f"canvas-cnn-seed{seed}", model, optimizer, classification_loss,
                  TensorBatches(x_train, y_train, batch_size=p["batch_size"], seed=seed),
                  steps=steps, seed=seed, scheduler=warmup_cosine(optimizer, max(1, steps)), evaluate=evaluate,
                  eval_every=max(1, steps // 10))
        del x_train, y_train
        model.eval()
        with torch.no_grad():
            accuracy.append((model(x_test).argmax(1) == y_test).float().mean().item())
            random_accuracy.append((randomized.eval()(x_test).argmax(1) == y_test).float().mean().item())
        ctx.log(f"seed {seed}: canvas test accuracy {100 * accuracy[-1]:.2f}% (randomized weights: "
                f"{100 * random_accuracy[-1]:.2f}%)")

        maps = {arm: all_maps(net, xm, ym, p["occlusion_patch"], p["occlusion_stride"])
                for arm, net in (("trained", model), ("randomized", randomized))}
        for arm in maps:
            for m in METHODS:
                hits[arm][m].append(hits_of(maps[arm][m], f"{arm}/{m}/{k}"))
        for m in METHODS:
            similarity[m].append(map_similarity(maps["trained"][m], maps["randomized"][m]))
        probs.append(occlusion_drops(model, xm, ym, bm, ctx.seed + 11, other_boxes=dm))
        if k == 0:
            examples = maps
            layer = last_conv_relu(model)
            reconstructions = top_activation_reconstructions(
                model, x_test[:p["n_deconv_images"]], layer, channels=list(range(min(6, model.config.widths[4]))),
                top_k=4)
            plot_filters(ctx, model)
            plot_deconv(ctx, x_test, reconstructions)

    hit = {arm: {m: np.stack(v) for m, v in per.items()} for arm, per in hits.items()}  # [seeds, n]
    score = {arm: {m: float(v.mean()) for m, v in per.items()} for arm, per in hit.items()}
    random_score = float(random_hits.mean())
    baseline = max(random_score, expected_random)
    p_orig, p_covered, p_control, p_distractor = (torch.stack([pr[i] for pr in probs]).numpy() for i in range(4))
    ink_name = f"ink σ={best_sigma:g}"
    plot_maps(ctx, xm, bm, dm, ink_map(xm, best_sigma), ink_name, examples)
    plot_pointing(ctx, score, hit, float(best_ink.mean()), ink_name, random_score, expected_random)

    criteria = []
    for i, m in enumerate(METHODS):
        part, primary = PRIMARY.get(m, "d"), m in PRIMARY
        label = m.replace("_", " ")
        criteria += [
            Criterion.at_least(f"{m}_pointing", f"{label} pointing score ÷ the uniform random map's",
                               round(score["trained"][m] / baseline, 2), UNIFORM_RATIO, part=part, primary=primary),
            difference_criterion(f"{m}_beats_ink", f"{label} pointing score − the best ink map's ({ink_name}), "
                                 "paired over canvases", hit["trained"][m], best_ink, INK_MARGIN,
                                 seed=ctx.seed + 100 + i, part=part, primary=primary),
            difference_criterion(f"{m}_beats_randomized", f"{label} pointing score on the trained network − on the "
                                 "same network with randomized weights, paired over canvases", hit["trained"][m],
                                 hit["randomized"][m], RANDOMIZED_MARGIN, seed=ctx.seed + 200 + i, part=part,
                                 primary=primary),
        ]
        if m == "occlusion":
            criteria.append(difference_criterion(
                "occluding_digit_drop", "drop of p(correct) covering the digit − covering an equal box elsewhere, "
                "paired over canvases", p_control, p_covered, DROP_MARGIN, seed=ctx.seed + 300, part="c"))
    criteria.sort(key=lambda c: (not c.primary, c.part))

    numbers: dict = {}
    for m in METHODS:
        numbers[f"pointing_{m}"] = round(score["trained"][m], 4)
        numbers[f"pointing_{m}_randomized"] = round(score["randomized"][m], 4)
        numbers[f"pointing_{m}_per_seed"] = [round(float(v.mean()), 4) for v in hit["trained"][m]]
        numbers[f"spearman_{m}_trained_vs_randomized"] = round(float(np.nanmean(np.stack(similarity[m]))), 4)
    numbers.update({
        "pointing_ink": round(float(best_ink.mean()), 4), "ink_sigma": best_sigma,
        **{f"pointing_ink_sigma_{s:g}": round(float(ink_hits[s].mean()), 4) for s in INK_SIGMAS},
        **{f"ink_sigma_{s:g}_on_distractor": round(ink_on_distractor[s], 4) for s in INK_SIGMAS},
        "pointing_random": round(random_score, 4), "pointing_random_expected": round(expected_random, 4),
        "canvas_test_accuracy": round(float(np.mean(accuracy)), 4),
        "canvas_test_accuracy_per_seed": [round(a, 4) for a in accuracy],
        "randomized_test_accuracy": round(float(np.mean(random_accuracy)), 4),
        "p_correct_original": round(float(p_orig.mean()), 4),
        "p_correct_digit_covered": round(float(p_covered.mean()), 4),
        "p_correct_control_covered": round(float(p_control.mean()), 4),
        "p_correct_distractor_covered": round(float(p_distractor.mean()), 4),
        "digit_occlusion_drop": round(float((p_orig - p_covered).mean()), 4),
        "control_occlusion_drop": round(float((p_orig - p_control).mean()), 4),
        "distractor_occlusion_drop": round(float((p_orig - p_distractor).mean()), 4),
    })
    table = Table(f"Pointing game on {n} held-out canvases (map maximum inside the digit's ink box), mean over "
                  f"{len(seeds)} seeds",
                  ["map", "trained net %", "per seed %", "randomized net %", "Spearman trained vs randomized"],
                  [[m.replace("_", " "), f"{100 * score['trained'][m]:.1f}",
                    " / ".join(f"{100 * v.mean():.1f}" for v in hit["trained"][m]),
                    f"{100 * score['randomized'][m]:.1f}", f"{numbers[f'spearman_{m}_trained_vs_randomized']:.2f}"]
                   for m in METHODS]
                  + [[f"ink σ={s:g} (no model)", f"{100 * ink_hits[s].mean():.1f}", "", "", ""] for s in INK_SIGMAS]
                  + [["uniform random map", f"{100 * random_score:.1f} (expected {100 * expected_random:.1f})",
                      "", "", ""]])
    notes = [
        f"MNIST digits ({n_train} training, {p['n_test']} test) pasted at random on {canvas}² canvases beside a "
        f"Fashion-MNIST distractor ({p['distractor_size']}² px, as bright as the strokes) and {p['clutter']} clutter "
        f"fragments; {len(seeds)} seeds × {p['epochs']} epochs ({steps} steps) of Adam (lr {p['lr']}, cosine, "
        f"batch {p['batch_size']}); canvas test accuracy "
        + " / ".join(f"{100 * a:.2f}%" for a in accuracy) + f" (randomized weights: "
        + " / ".join(f"{100 * a:.1f}%" for a in random_accuracy) + ").",
        f"Occlusion: {p['occlusion_patch']}² zero patches every {p['occlusion_stride']} px; Grad-CAM on the ReLU "
        "after the last convolution (7×7 maps, bilinearly upsampled); maps scored for the true class; the "
        "randomized network is each seed's network at its initial weights.",
        f"Ink maps point at the distractor instead on " + ", ".join(
            f"{100 * ink_on_distractor[s]:.0f}% (σ={s:g})" for s in INK_SIGMAS) + " of the canvases.",
        f"Covering the digit's box: p(correct) {p_orig.mean():.3f} → {p_covered.mean():.3f}; an equal box "
        f"elsewhere: → {p_control.mean():.3f}; the distractor's box: → {p_distractor.mean():.3f}.",
    ]
    return Outcome(numbers, criteria, tables=[table], notes=notes)


def plot_filters(ctx: RunContext, model: torch.nn.Module) -> None:
    filters = first_layer_filters(model)[:, 0]
    with ctx.figure("filters.png", "The first seed's trained first-layer filters, each scaled to [0, 1] (Zeiler & "
                    "Fergus Fig. 5/6).", ncols=len(filters), size=(1.2 * len(filters), 1.5),
                    title="First-layer filters (5×5)", squeeze=False) as (_, axes):
        for ax, f in zip(axes[0], filters):
            ax.imshow(f.numpy(), cmap="gray")
            ax.axis("off")


def plot_maps(ctx: RunContext, x: torch.Tensor, boxes: torch.Tensor, distractor_boxes: torch.Tensor,
              ink: torch.Tensor, ink_name: str, maps: dict[str, dict[str, torch.Tensor]], rows: int = 4) -> None:
    from matplotlib.patches import Rectangle

    rows = min(rows, len(x))
    with ctx.figure("maps.png", "Held-out canvases (digit's ink box in cyan, distractor's in yellow), the best ink "
                    "map, and each method's map for the true class on the first seed's trained network (upper row "
                    "of each pair) and on the same network with its initial, random weights (lower row); + marks "
                    "the map's maximum (the pointing game's guess).", nrows=2 * rows, ncols=len(METHODS) + 2,
                    size=(1.8 * (len(METHODS) + 2), 1.8 * 2 * rows), squeeze=False) as (_, axes):
        for r in range(rows):
            for half, arm in enumerate(("trained", "randomized")):
                row = axes[2 * r + half]
                panels = [("image", x[r, 0]), (ink_name, ink[r])] + [(m, maps[arm][m][r]) for m in METHODS]
                for c, (title, img) in enumerate(panels):
                    ax = row[c]
                    if half == 1 and c < 2:
                        ax.axis("off")
                        continue
                    ax.imshow(img.numpy(), cmap="gray" if c == 0 else "inferno")
                    for (y0, x0, y1, x1), colour in ((boxes[r].tolist(), "cyan"),
                                                     (distractor_boxes[r].tolist(), "yellow")):
                        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1))
                    if c > 0:
                        peak = int(img.flatten().argmax())
                        ax.plot(peak % img.shape[1], peak // img.shape[1], "c+", ms=10, mew=2)
                    ax.set_xticks([]), ax.set_yticks([])
                    if r == 0 and half == 0:
                        ax.set_title(title.replace("_", " "), fontsize=9)
                    if c == 2:
                        ax.set_ylabel(arm, fontsize=8)


def plot_deconv(ctx: RunContext, images: torch.Tensor, recon: dict) -> None:
    channels = list(recon)
    k = len(recon[channels[0]])
    with ctx.figure("deconvnet.png", "Zeiler & Fergus Fig. 2 style: for several channels of the last convolutional "
                    "layer (first seed), the deconvnet projection of each of its strongest activations alone, beside "
                    "the image it came from.", nrows=len(channels), ncols=2 * k,
                    size=(1.5 * 2 * k, 1.6 * len(channels)),
                    squeeze=False) as (fig, axes):
        for r, c in enumerate(channels):
            for j, (n, value, rec) in enumerate(recon[c]):
                img = rec[0]
                axes[r, 2 * j].imshow((img / img.abs().max().clamp_min(1e-12)).numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
                axes[r, 2 * j + 1].imshow(images[n, 0].numpy(), cmap="gray")
                axes[r, 2 * j].set_title(f"ch {c} · {value:.1f}", fontsize=7)
            for ax in axes[r]:
                ax.set_xticks([]), ax.set_yticks([])
        fig.suptitle(f"Deconvnet projections of the {k} strongest activations of {len(channels)} last-layer channels "
                     "(left) and their images (right)", fontsize=9)


def plot_pointing(ctx: RunContext, score: dict, hit: dict, ink: float, ink_name: str, random_score: float,
                  expected: float) -> None:
    x = np.arange(len(METHODS))
    with ctx.figure("pointing.png", "Pointing-game score of each method on the trained networks (dots: each seed) "
                    "and on the same networks with randomized weights, against the best ink map (no model) and "
                    "a uniform random map; the criteria ask for the trained score to clear the ink map by "
                    f"{100 * INK_MARGIN:.0f} points and the randomized network by {100 * RANDOMIZED_MARGIN:.0f}.",
                    size=(7.5, 4.6)) as (_, ax):
        ax.bar(x - 0.2, [100 * score["trained"][m] for m in METHODS], 0.4, color="C0", label="trained")
        ax.bar(x + 0.2, [100 * score["randomized"][m] for m in METHODS], 0.4, color="C7", label="randomized weights")
        for i, m in enumerate(METHODS):
            ax.plot([i - 0.2] * len(hit["trained"][m]), [100 * v.mean() for v in hit["trained"][m]], "k.", ms=4)
        ax.axhline(100 * ink, color="C1", ls="--", lw=1, label=ink_name)
        ax.axhline(100 * (ink + INK_MARGIN), color="C1", ls=":", lw=1, label=f"{ink_name} + {100 * INK_MARGIN:.0f}")
        ax.axhline(100 * max(random_score, expected), color="grey", ls="--", lw=1, label="uniform random map")
        ax.set_xticks(x, [m.replace("_", " ") for m in METHODS], rotation=15)
        ax.set_ylabel("pointing score (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
