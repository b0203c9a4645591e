"""The degradation problem (He et al. 2015, Fig. 1 and Fig. 6) on Fashion-MNIST padded to 32 px.

Plain and residual CIFAR-style networks (§4.2) of several depths are trained with the same recipe
and budget; for each family we compare the deepest with the shallowest.

The claim, as criteria fixed before running (``passed`` is decided per seed, paired by seed):

- (a) plain: the deepest plain net ends with a *higher* training error than the shallowest, in
  every seed (``passed=None`` if the seeds disagree, False if every seed shows the opposite);
- (b) residual: the deepest residual net ends with a *lower* training error than the shallowest,
  in every seed (same rule);
- (c, secondary) at the deepest depth, the residual net's training error is below the plain one's.

Training error is measured at the end, in eval mode, on the whole training subset; the curves
are the per-batch training error during training (thin lines of Fig. 1/6) and the test error at
a few points (bold lines).

Recipe (§4.2): SGD, momentum 0.9, weight decay 1e-4, batch 128, learning rate 0.1 divided by 10
at 50% and 75% of training (the paper's 32k and 48k of 64k iterations), He initialization, BN.
Deviations (stated on the page): Fashion-MNIST instead of CIFAR-10, a training subset, a few
epochs instead of 164, narrower nets (``width``), no augmentation (we measure optimization).
"""

from __future__ import annotations

import statistics

import torch
import torch.nn.functional as F

from papercraft.testbeds.images import first_per_class, pad_to_32, standardize, torch_threads
from papercraft.papers.resnet.model import cifar_resnet
from papercraft.results import Criterion, Outcome, Plot, Table
from papercraft.runner import RunContext
from papercraft.training import TensorBatches, TrainConfig, Trainer


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


def train_one(ctx: RunContext, depth: int, plain: bool, seed: int, data: tuple[torch.Tensor, ...]) -> dict:
    """Train one network; return its curves and final errors."""
    p = ctx.params
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    model = cifar_resnet(depth, plain=plain, in_channels=1, width=p["width"])
    steps = p["epochs"] * (len(x_train) // p["batch_size"])
    optimizer = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [steps // 2, (3 * steps) // 4], gamma=0.1)

    def loss_fn(m, batch):
        x, y = batch
        logits = m(x)
        return F.cross_entropy(logits, y), {"error": (logits.argmax(1) != y).float().mean().item()}

    name = f"{'plain' if plain else 'resnet'}-{depth}-seed{seed}"
    trainer = Trainer(model, optimizer, loss_fn, TensorBatches(x_train, y_train, batch_size=p["batch_size"], seed=seed),
                      TrainConfig(max_steps=steps, eval_every=max(1, steps // p["test_points"]), desc=name),
                      out_dir=ctx.subdir(name), scheduler=scheduler, device=ctx.device, resume=ctx.resume,
                      evaluate=lambda m: {"test_error": error_rate(m, x_test, y_test)},
                      identity={"depth": depth, "plain": plain, "seed": seed, **p})
    result = trainer.fit()
    train_curve = [(r["step"], r["error"]) for r in result.history if r["split"] == "train"]
    test_curve = [(r["step"], r["test_error"]) for r in result.history if r["split"] == "eval"]
    final = {"train_error": error_rate(model, x_train, y_train), "test_error": test_curve[-1][1],
             "train_curve": train_curve, "test_curve": test_curve, "wall_s": round(result.wall_s, 1)}
    ctx.log(f"{name}: train error {final['train_error']:.4f}, test error {final['test_error']:.4f} ({final['wall_s']} s)")
    return final


def paired_criterion(name: str, statement: str, deltas: list[float], part: str, primary: bool = True) -> Criterion:
    """True if every seed's ``delta > 0``, False if every seed's ``delta < 0``, else undecided."""
    passed = True if all(d > 0 for d in deltas) else False if all(d < 0 for d in deltas) else None
    return Criterion(name, statement, [round(d, 4) for d in deltas], "> 0 in every seed", passed, part=part, primary=primary)


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    with torch_threads(p["torch_threads"]):
        data = load_fashion_32(p["n_train"], p["n_test"])
        seeds = ctx.seeds(p["seeds"])
        depths = sorted(p["depths"])
        runs: dict[tuple[str, int, int], dict] = {}
        for seed in seeds:
            for depth in depths:
                for family in ("plain", "resnet"):
                    runs[family, depth, seed] = train_one(ctx, depth, family == "plain", seed, data)

    def mean(family: str, depth: int, key: str) -> float:
        return statistics.fmean(runs[family, depth, s][key] for s in seeds)

    def spread(family: str, depth: int, key: str) -> float:
        values = [runs[family, depth, s][key] for s in seeds]
        return max(values) - min(values)

    shallow, deep = depths[0], depths[-1]
    plain_deltas = [runs["plain", deep, s]["train_error"] - runs["plain", shallow, s]["train_error"] for s in seeds]
    res_deltas = [runs["resnet", shallow, s]["train_error"] - runs["resnet", deep, s]["train_error"] for s in seeds]
    cross = [runs["plain", deep, s]["train_error"] - runs["resnet", deep, s]["train_error"] for s in seeds]
    criteria = [
        paired_criterion("plain_degrades", f"plain-{deep} training error minus plain-{shallow}'s", plain_deltas, "a"),
        paired_criterion("residual_improves", f"resnet-{shallow} training error minus resnet-{deep}'s", res_deltas, "b"),
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
                         round(statistics.fmean(runs[family, depth, s]["wall_s"] for s in seeds), 1)])
    numbers["plain_deep_minus_shallow_train_error"] = round(statistics.fmean(plain_deltas), 4)
    numbers["resnet_shallow_minus_deep_train_error"] = round(statistics.fmean(res_deltas), 4)
    table = Table(f"Final errors (%), mean ± half-range over {len(seeds)} seeds; Fashion-MNIST subset padded to 32 px",
                  ["network", "train error", "test error", "train wall s/run"], rows)
    plots = [plot_curves(ctx, runs, depths, seeds)]
    notes = [
        f"{p['n_train']} training / {p['n_test']} test images (balanced subsets), {p['epochs']} epochs of batch "
        f"{p['batch_size']} at learning rate {p['lr']} (÷10 at 50% and 75%), stage widths {p['width']}/{2 * p['width']}/{4 * p['width']} (paper: 16/32/64), "
        f"seeds {seeds}, torch threads {p['torch_threads']}.",
        "Training error is measured at the end in eval mode on the whole training subset; the curves show the "
        "per-batch training error (thin) and the test error (bold) as in the paper's Fig. 6.",
    ]
    return Outcome(numbers, criteria, plots, [table], notes)


def plot_curves(ctx: RunContext, runs: dict, depths: list[int], seeds: list[int]) -> Plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    colors = plt.cm.viridis([i / max(1, len(depths) - 1) * 0.85 for i in range(len(depths))])
    for ax, family in zip(axes, ("plain", "resnet")):
        for color, depth in zip(colors, depths):
            seed = seeds[0]
            r = runs[family, depth, seed]
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
    fig.suptitle("Degradation on Fashion-MNIST 32 px: thin = training error (per batch, smoothed), bold = test error")
    fig.tight_layout()
    fig.savefig(ctx.path("degradation.png"), dpi=110)
    plt.close(fig)
    return Plot("degradation.png", "Training (thin) and test (bold) error of plain (left) and residual (right) "
                "networks of several depths, as the paper's Fig. 6 (seed shown: the first).")
