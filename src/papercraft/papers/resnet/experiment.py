"""The degradation problem (He et al. 2015, Fig. 1 and Fig. 6) on Fashion-MNIST padded to 32 px.

Plain and residual CIFAR-style networks (§4.2) of several depths are trained with the same recipe
and budget; for each family we compare the deepest with the shallowest.

The claim, as criteria fixed before the run (redesign of issue 12; the differences are paired by
seed, and decided by the 95% Student-t interval of the per-seed differences over >= 3 seeds: with
three seeds its half-width is 2.5 standard deviations of the differences, so a margin must be well
outside the seed spread to pass; an interval straddling 0 is inconclusive, not a failure):

- (a) plain nets degrade with depth: at every step of the depth ladder (e.g. 20 -> 32 -> 44, the
  plain nets of Fig. 6, left), the deeper plain net's final training error minus the shallower
  one's has its interval above 0 (one criterion per step);
- (b) residual nets do not: the deepest residual net's training error is below the shallowest's
  (interval of shallow minus deep above 0);
- (c, secondary) at the deepest depth, the residual net's training error is below the plain one's;
  and at every step, the residual nets' error does not rise (interval of shallower minus deeper
  above 0).

Training error is measured at the end, in eval mode, on the whole training subset; the curves
are the per-batch training error during training (thin lines of Fig. 1/6) and the test error at
a few points (bold lines).

Recipe (§4.2): SGD, momentum 0.9, weight decay 1e-4, batch 128, learning rate 0.1 divided by 10
at 50% and 75% of training (the paper's 32k and 48k of 64k iterations), He initialization, BN.
Deviations (stated on the page): Fashion-MNIST instead of CIFAR-10, a training subset, a few
epochs instead of 164, narrower nets (``width``), no augmentation (we measure optimization). The
depth ladder starts at 20, as the paper's does: at width 8 an 8-layer net lacks the capacity to fit
the subset, so its training error measures capacity, not optimization.

The notes say, from this run's own numbers, how the margins compare with the seed spread (a
margin inside one arm's spread over seeds is weak evidence even when every seed agrees).
"""

from __future__ import annotations

import statistics

import torch
import torch.nn.functional as F

from papercraft.papers.resnet.model import cifar_resnet
from papercraft.results import Criterion, Outcome, Table
from papercraft.runner import RunContext
from papercraft.statistics import mean_interval, seed_spread
from papercraft.testbeds.images import first_per_class, pad_to_32, standardize
from papercraft.training import TensorBatches


def error_rate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> float:
    """Classification error (fraction) of ``model`` in eval mode on ``x [N, C, H, W]``, ``y [N]``."""
    was = model.training
    model.eval()
    wrong = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            wrong += (model(x[i:i + batch]).argmax(1) != y[i:i + batch]).sum().item()
    model.train(was)
    return wrong / len(x)


def load_fashion_32(n_train: int, n_test: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Balanced subsets of Fashion-MNIST padded to ``[N, 1, 32, 32]`` and standardized."""
    from papercraft.data import load_fashion_mnist

    split = load_fashion_mnist()
    tr, te = first_per_class(split.y_train, n_train), first_per_class(split.y_test, n_test)
    x_train, x_test = standardize(pad_to_32(split.x_train[tr]), pad_to_32(split.x_test[te]))
    return x_train, split.y_train[tr], x_test, split.y_test[te]


def error_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of ``model(x)`` (logits ``[B, 10]``) against ``y [B]``, with the batch's error rate."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), {"error": (logits.argmax(1) != y).float().mean().item()}


def train_one(ctx: RunContext, depth: int, plain: bool, seed: int, data: tuple[torch.Tensor, ...]) -> dict:
    """Train one network with the paper's recipe (§4.2); return its curves and final errors.

    ``data`` is ``(x_train [N, 1, 32, 32], y_train [N], x_test, y_test)``."""
    p = ctx.params
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    model = cifar_resnet(depth, plain=plain, in_channels=1, width=p["width"])
    steps = p["epochs"] * (len(x_train) // p["batch_size"])
    optimizer = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=0.9, weight_decay=1e-4)
    # §4.2: the learning rate is divided by 10 at 32k and 48k of 64k iterations (50% and 75%).
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [steps // 2, (3 * steps) // 4], gamma=0.1)
    name = f"{'plain' if plain else 'resnet'}-{depth}-seed{seed}"
    result = ctx.train(name, model, optimizer, error_loss,
                       TensorBatches(x_train, y_train, batch_size=p["batch_size"], seed=seed), steps=steps, seed=seed,
                       scheduler=scheduler, eval_every=max(1, steps // p["test_points"]), log_every=1,
                       evaluate=lambda m: {"test_error": error_rate(m, x_test, y_test)})
    train_curve = [(r["step"], r["error"]) for r in result.history if r["split"] == "train"]
    test_curve = [(r["step"], r["test_error"]) for r in result.history if r["split"] == "eval"]
    final = {"train_error": error_rate(model, x_train, y_train), "test_error": test_curve[-1][1],
             "train_curve": train_curve, "test_curve": test_curve, "wall_s": round(result.wall_s, 1)}
    ctx.log(f"{name}: train error {final['train_error']:.4f}, test error {final['test_error']:.4f} ({final['wall_s']} s)")
    return final


def paired_criterion(name: str, statement: str, deltas: list[float], part: str, primary: bool = True) -> Criterion:
    """The 95% Student-t interval of the per-seed ``deltas`` above 0 (undecided with one seed)."""
    interval = mean_interval(deltas)
    return Criterion.interval_above(name, f"{statement}, per seed: 95% t-interval of the mean above 0 "
                                    f"(per seed: {', '.join(f'{100 * d:+.2f}' for d in deltas)} points)",
                                    interval, 0.0, part=part, primary=primary)


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    data = load_fashion_32(p["n_train"], p["n_test"])
    seeds = ctx.seeds(p["seeds"])
    depths = sorted(p["depths"])
    runs: dict[tuple[str, int, int], dict] = {}
    for seed in seeds:
        for depth in depths:
            for family in ("plain", "resnet"):
                runs[family, depth, seed] = train_one(ctx, depth, family == "plain", seed, data)

    def values(family: str, depth: int, key: str) -> list[float]:
        return [runs[family, depth, s][key] for s in seeds]

    def mean(family: str, depth: int, key: str) -> float:
        return statistics.fmean(values(family, depth, key))

    def spread(family: str, depth: int, key: str) -> float:
        return max(values(family, depth, key)) - min(values(family, depth, key))

    shallow, deep = depths[0], depths[-1]

    def deltas(family: str, upper: int, lower: int) -> list[float]:
        """Per seed: training error of ``family``-``upper`` minus ``family``-``lower``."""
        return [runs[family, upper, s]["train_error"] - runs[family, lower, s]["train_error"] for s in seeds]

    plain_deltas = deltas("plain", deep, shallow)
    res_deltas = deltas("resnet", shallow, deep)
    cross = [runs["plain", deep, s]["train_error"] - runs["resnet", deep, s]["train_error"] for s in seeds]
    steps = list(zip(depths, depths[1:]))
    criteria = [
        *[paired_criterion(f"plain_degrades_{a}_to_{b}", f"plain-{b} training error minus plain-{a}'s",
                           deltas("plain", b, a), "a") for a, b in steps],
        paired_criterion("residual_improves", f"resnet-{shallow} training error minus resnet-{deep}'s", res_deltas, "b"),
        *[paired_criterion(f"residual_improves_{a}_to_{b}", f"resnet-{a} training error minus resnet-{b}'s",
                           deltas("resnet", a, b), "c", primary=False) for a, b in steps if (a, b) != (shallow, deep)],
        paired_criterion("residual_beats_plain_deep", f"plain-{deep} training error minus resnet-{deep}'s", cross, "c",
                         primary=False),
    ]
    numbers: dict = {}
    rows = []
    for family in ("plain", "resnet"):
        for depth in depths:
            tr, te = mean(family, depth, "train_error"), mean(family, depth, "test_error")
            numbers[f"{family}{depth}_train_error"] = round(tr, 4)
            numbers[f"{family}{depth}_test_error"] = round(te, 4)
            rows.append([f"{family}-{depth}", f"{100 * tr:.2f} ± {100 * spread(family, depth, 'train_error') / 2:.2f}",
                         f"{100 * te:.2f} ± {100 * spread(family, depth, 'test_error') / 2:.2f}",
                         round(statistics.fmean(values(family, depth, "wall_s")), 1)])
    numbers["plain_deep_minus_shallow_train_error"] = round(statistics.fmean(plain_deltas), 4)
    numbers["resnet_shallow_minus_deep_train_error"] = round(statistics.fmean(res_deltas), 4)
    table = Table(f"Final errors (%), mean ± half-range over {len(seeds)} seeds; Fashion-MNIST subset padded to 32 px",
                  ["network", "train error", "test error", "train wall s/run"], rows)
    plot_curves(ctx, runs, depths, seeds)
    notes = [
        f"{p['n_train']} training / {p['n_test']} test images (balanced subsets), {p['epochs']} epochs of batch "
        f"{p['batch_size']} at learning rate {p['lr']} (÷10 at 50% and 75%), stage widths {p['width']}/{2 * p['width']}/{4 * p['width']} (paper: 16/32/64), "
        f"seeds {seeds}.",
        "Training error is measured at the end in eval mode on the whole training subset; the curves show the "
        "per-batch training error (thin) and the test error (bold) as in the paper's Fig. 6.",
        *margin_notes(runs, depths, seeds, plain_deltas, res_deltas),
    ]
    return Outcome(numbers, criteria, tables=[table], notes=notes)


def margin_notes(runs: dict, depths: list[int], seeds: list[int], plain_deltas: list[float],
                 res_deltas: list[float]) -> list[str]:
    """What the margins mean at this scale, computed from this run's numbers: each family's margin
    against the shallow net's spread over seeds and the Student-t interval of the per-seed margins,
    which plain depth trained best, and how far from convergence the nets are."""
    shallow, deep = depths[0], depths[-1]
    notes = []
    for family, deltas, what in (("plain", plain_deltas, f"plain-{deep} minus plain-{shallow}"),
                                 ("resnet", res_deltas, f"resnet-{shallow} minus resnet-{deep}")):
        sd = seed_spread([runs[family, shallow, s]["train_error"] for s in seeds]).sd
        margin = statistics.fmean(deltas)
        per_seed = ", ".join(f"{100 * d:+.1f}" for d in deltas)
        if len(seeds) > 1:
            interval = mean_interval(deltas)
            inside = abs(margin) <= sd
            notes.append(f"{family}: training error {what} = {100 * margin:+.2f} points (per seed: {per_seed}); "
                         f"{family}-{shallow}'s seed standard deviation is {100 * sd:.2f} points, so the margin is "
                         f"{'within' if inside else 'outside'} the seed spread; 95% t-interval of the per-seed margin "
                         f"[{100 * interval.low:+.2f}, {100 * interval.high:+.2f}] points "
                         f"({'excludes' if interval.decide() is not None else 'includes'} 0).")
        else:
            notes.append(f"{family}: training error {what} = {100 * margin:+.2f} points from one seed: no seed spread "
                         "to compare it with.")
    plain_means = {d: statistics.fmean(runs["plain", d, s]["train_error"] for s in seeds) for d in depths}
    best = min(plain_means, key=plain_means.get)
    all_errors = [runs[f, d, s]["train_error"] for f in ("plain", "resnet") for d in depths for s in seeds]
    notes.append(f"The best plain net by training error is plain-{best}"
                 f"{' (the shallowest)' if best == shallow else ' (the deepest)' if best == deep else ''}; final "
                 f"training errors range {100 * min(all_errors):.1f}-{100 * max(all_errors):.1f}% over all nets, "
                 "so the comparison is of early training, not of converged nets.")
    return notes


def plot_curves(ctx: RunContext, runs: dict, depths: list[int], seeds: list[int]) -> None:
    with ctx.figure("degradation.png", "Training (thin) and test (bold) error of plain (left) and residual (right) "
                    "networks of several depths, as the paper's Fig. 6 (seed shown: the first).", ncols=2,
                    size=(11, 4), sharey=True, title="Degradation on Fashion-MNIST 32 px: thin = training error "
                    "(per batch, smoothed), bold = test error") as (_, axes):
        from matplotlib import colormaps

        colors = colormaps["viridis"]([i / max(1, len(depths) - 1) * 0.85 for i in range(len(depths))])
        for ax, family in zip(axes, ("plain", "resnet")):
            for color, depth in zip(colors, depths):
                r = runs[family, depth, seeds[0]]
                steps, errs = zip(*r["train_curve"])
                k = max(1, len(errs) // 25)  # moving average over ~1/25 of training
                smooth = [sum(errs[max(0, i - k + 1):i + 1]) / len(errs[max(0, i - k + 1):i + 1]) for i in range(len(errs))]
                ax.plot(steps, [100 * e for e in smooth], color=color, lw=0.8, alpha=0.8)
                ts, te = zip(*r["test_curve"])
                ax.plot(ts, [100 * e for e in te], color=color, lw=2.2, label=f"{family}-{depth}")
            ax.set_title(f"{'plain' if family == 'plain' else 'residual'} networks (seed {seeds[0]})")
            ax.set_xlabel("iteration")
            ax.legend()
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("error (%)")
