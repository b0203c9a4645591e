"""Where does a CNN look? Localization maps scored against known digit positions.

A ZFNet-style CNN (:func:`~papercraft.papers.visualizing_cnns.network.canvas_cnn`: papercraft's
AlexNet with a 5×5 stride-1 first layer and a stride-2 second layer, no LRN) is trained to
classify real MNIST digits pasted at random places of a 56×56 canvas among clutter fragments of
other digits. On held-out canvases each method's map is scored by the pointing game — the
fraction of images whose map peaks inside the digit's ink box — against a random map, and the
digit is occluded to measure the drop in the correct class's probability (Zeiler & Fergus Fig. 7),
beside an equal box occluded elsewhere as a control.

Criteria, fixed before the first full run ("far above chance" read as ≥ 3× the random map):

- (a) occlusion's pointing score ≥ 3 × the random-map score;
- (b) Grad-CAM's pointing score ≥ 3 × the random-map score;
- (c) covering the digit lowers p(correct class) by at least 0.25 more than covering an equal
  box elsewhere (mean over images);
- (d, secondary) gradient saliency, guided backprop and the deconvnet projection each ≥ 3 × random.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from papercraft.papers.visualizing_cnns.canvas import place_on_canvas
from papercraft.papers.visualizing_cnns.methods import (
    deconvnet,
    first_layer_filters,
    grad_cam,
    guided_backprop,
    occlusion_map,
    pointing_hits,
    saliency,
    top_activation_reconstructions,
)
from papercraft.papers.visualizing_cnns.network import canvas_cnn, last_conv_relu
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

def occlusion_drops(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, boxes: torch.Tensor,
                    seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """p(correct class) on the original, with the digit box blanked, and with an equal box blanked
    at a random place that does not touch the digit box (the control). Each ``[B]``."""
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
    model.eval()
    with torch.no_grad():
        probs = [F.softmax(model(t), 1).gather(1, y.view(-1, 1))[:, 0] for t in (x, covered, control)]
    return probs[0], probs[1], probs[2]


def classification_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]
                        ) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of ``model(x)`` (logits ``[B, 10]``) against ``y [B]``, with the batch accuracy."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), {"acc": (logits.argmax(1) == y).float().mean().item()}


def run(ctx: RunContext) -> Outcome:
    from papercraft.data import load_mnist

    p = ctx.params
    # Data: real MNIST digits on cluttered canvases; the test canvases' ink boxes are the ground truth.
    split = load_mnist()
    n_train = min(p["n_train"], len(split.x_train))
    x_train, _ = place_on_canvas(split.x_train[:n_train], p["canvas"], p["clutter"], seed=ctx.seed)
    x_test, boxes = place_on_canvas(split.x_test[:p["n_test"]], p["canvas"], p["clutter"], seed=ctx.seed + 1)
    y_train, y_test = split.y_train[:n_train], split.y_test[:p["n_test"]]

    # The network, trained with Adam and a cosine decay.
    torch.manual_seed(ctx.seed)
    model = canvas_cnn(p["canvas"])
    steps = p["epochs"] * (n_train // p["batch_size"])
    optimizer = torch.optim.Adam(model.parameters(), lr=p["lr"])
    ctx.train("canvas-cnn", model, optimizer, classification_loss,
              TensorBatches(x_train, y_train, batch_size=p["batch_size"], seed=ctx.seed), steps=steps,
              scheduler=warmup_cosine(optimizer, max(1, steps)))
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    ctx.log(f"canvas CNN test accuracy {100 * accuracy:.2f}%")

    # Every method's map for the true class, scored by the pointing game against a random map.
    n = p["n_maps"]
    xm, ym, bm = x_test[:n], y_test[:n], boxes[:n]
    layer = last_conv_relu(model)
    maps = {
        "occlusion": occlusion_map(model, xm, ym, patch=p["occlusion_patch"], stride=p["occlusion_stride"]),
        "grad_cam": grad_cam(model, xm, layer, ym),
        "saliency": saliency(model, xm, ym),
        "guided_backprop": guided_backprop(model, xm, ym),
        "deconvnet": deconvnet(model, xm, ym),
    }
    g = torch.Generator().manual_seed(ctx.seed + 7)
    random_maps = torch.rand(n, p["canvas"], p["canvas"], generator=g)
    scores = {name: pointing_hits(m, bm).float().mean().item() for name, m in maps.items()}
    random_score = pointing_hits(random_maps, bm).float().mean().item()
    box_area = ((bm[:, 2] - bm[:, 0]) * (bm[:, 3] - bm[:, 1])).float()
    expected_random = (box_area / p["canvas"] ** 2).mean().item()

    # Fig. 7: occluding the object against occluding an equal box elsewhere.
    p_orig, p_covered, p_control = occlusion_drops(model, xm, ym, bm, ctx.seed + 11)
    digit_drop = (p_orig - p_covered).mean().item()
    control_drop = (p_orig - p_control).mean().item()
    reconstructions = top_activation_reconstructions(model, x_test[:p["n_deconv_images"]], layer,
                                                     channels=list(range(min(6, model.config.widths[4]))), top_k=4)
    plot_filters(ctx, model)
    plot_maps(ctx, xm, bm, maps)
    plot_deconv(ctx, x_test, reconstructions)
    plot_pointing(ctx, scores, random_score, expected_random)

    baseline = max(random_score, expected_random)
    criteria = [
        Criterion.at_least("occlusion_pointing", "occlusion pointing score ÷ random-map score",
                           round(scores["occlusion"] / baseline, 2), 3.0, part="a"),
        Criterion.at_least("grad_cam_pointing", "Grad-CAM pointing score ÷ random-map score",
                           round(scores["grad_cam"] / baseline, 2), 3.0, part="b"),
        Criterion.at_least("occluding_digit_drop", "mean drop of p(correct) covering the digit minus covering an "
                           "equal box elsewhere", round(digit_drop - control_drop, 3), 0.25, part="c"),
        *[Criterion.at_least(f"{m}_pointing", f"{m} pointing score ÷ random-map score",
                             round(scores[m] / baseline, 2), 3.0, part="d", primary=False)
          for m in ("saliency", "guided_backprop", "deconvnet")],
    ]
    numbers = {f"pointing_{k}": round(v, 4) for k, v in scores.items()}
    numbers.update({"pointing_random": round(random_score, 4), "pointing_random_expected": round(expected_random, 4),
                    "canvas_test_accuracy": round(accuracy, 4), "p_correct_original": round(p_orig.mean().item(), 4),
                    "p_correct_digit_covered": round(p_covered.mean().item(), 4),
                    "p_correct_control_covered": round(p_control.mean().item(), 4),
                    "digit_occlusion_drop": round(digit_drop, 4), "control_occlusion_drop": round(control_drop, 4)})
    table = Table(f"Pointing game on {n} held-out canvases (map maximum inside the digit's ink box)",
                  ["method", "pointing score %", "× random"],
                  [[name, f"{100 * s:.1f}", f"{s / baseline:.1f}"] for name, s in scores.items()]
                  + [["random map", f"{100 * random_score:.1f} (expected {100 * expected_random:.1f})", "1.0"]])
    notes = [
        f"MNIST digits ({n_train} training, {p['n_test']} test) pasted at random on {p['canvas']}² canvases with "
        f"{p['clutter']} clutter fragments each; {p['epochs']} epochs of Adam (lr {p['lr']}, cosine, batch "
        f"{p['batch_size']}); canvas test accuracy {100 * accuracy:.2f}%.",
        f"Occlusion: {p['occlusion_patch']}² zero patches every {p['occlusion_stride']} px; Grad-CAM on the ReLU "
        "after the last convolution (7×7 maps, bilinearly upsampled); maps scored for the true class.",
        f"Covering the digit's box: p(correct) {p_orig.mean():.3f} → {p_covered.mean():.3f}; covering an equal box "
        f"elsewhere: → {p_control.mean():.3f}.",
    ]
    return Outcome(numbers, criteria, tables=[table], notes=notes)


def plot_filters(ctx: RunContext, model: torch.nn.Module) -> None:
    filters = first_layer_filters(model)[:, 0]
    with ctx.figure("filters.png", "The trained network's first-layer filters, each scaled to [0, 1] (Zeiler & "
                    "Fergus Fig. 5/6).", ncols=len(filters), size=(1.2 * len(filters), 1.5),
                    title="First-layer filters (5×5)", squeeze=False) as (_, axes):
        for ax, f in zip(axes[0], filters):
            ax.imshow(f.numpy(), cmap="gray")
            ax.axis("off")


def plot_maps(ctx: RunContext, x: torch.Tensor, boxes: torch.Tensor, maps: dict[str, torch.Tensor],
              rows: int = 6) -> None:
    from matplotlib.patches import Rectangle

    rows = min(rows, len(x))
    names = list(maps)
    with ctx.figure("maps.png", "Held-out canvases (digit's ink box in cyan) and each method's map for the true "
                    "class; + marks the map's maximum (the pointing game's guess).", nrows=rows, ncols=len(names) + 1,
                    size=(1.9 * (len(names) + 1), 1.9 * rows), squeeze=False) as (_, axes):
        for r in range(rows):
            y0, x0, y1, x1 = boxes[r].tolist()
            panels = [("image", x[r, 0])] + [(name, maps[name][r]) for name in names]
            for c, (title, img) in enumerate(panels):
                ax = axes[r, c]
                ax.imshow(img.numpy(), cmap="gray" if c == 0 else "inferno")
                ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="cyan", lw=1))
                if c > 0:
                    peak = int(img.flatten().argmax())
                    ax.plot(peak % img.shape[1], peak // img.shape[1], "c+", ms=10, mew=2)
                ax.set_xticks([]), ax.set_yticks([])
                if r == 0:
                    ax.set_title(title.replace("_", " "), fontsize=9)


def plot_deconv(ctx: RunContext, images: torch.Tensor, recon: dict) -> None:
    channels = list(recon)
    k = len(recon[channels[0]])
    with ctx.figure("deconvnet.png", "Zeiler & Fergus Fig. 2 style: for several channels of the last convolutional "
                    "layer, the deconvnet projection of each of its strongest activations alone, beside the image it "
                    "came from.", nrows=len(channels), ncols=2 * k, size=(1.5 * 2 * k, 1.6 * len(channels)),
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


def plot_pointing(ctx: RunContext, scores: dict[str, float], random_score: float, expected: float) -> None:
    names = list(scores) + ["random map"]
    values = [100 * scores[k] for k in scores] + [100 * random_score]
    with ctx.figure("pointing.png", "Pointing-game score of each method against a random map.",
                    size=(6.5, 3.5)) as (_, ax):
        ax.bar([n.replace("_", " ") for n in names], values, color=["C0"] * len(scores) + ["grey"])
        ax.axhline(100 * expected, color="grey", ls="--", lw=1, label="expected for a random map")
        ax.axhline(300 * expected, color="C3", ls=":", lw=1, label="3 × random (criterion)")
        ax.set_ylabel("pointing score (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=8)
        for label in ax.get_xticklabels():
            label.set_rotation(20)
