"""Super-convergence on Fashion-MNIST: one-cycle against one long piecewise-constant run.

Claim (Smith & Topin 2017, Fig. 1a, Table 1): with the one-cycle policy and a large maximum
learning rate (read off the range test), a network reaches a target test accuracy in several times
fewer iterations than with the standard piecewise-constant schedule (ResNet-56 on CIFAR-10: ≈10k
vs ≈80k iterations).

Design (redesign of issue 12; the first design's MLP reached its ceiling within ~5 epochs under
both schedules, so its iteration ratio measured nothing):

- Model and data: a CIFAR-style ResNet (:func:`papercraft.papers.resnet.model.cifar_resnet`, He et
  al. §4.2, BatchNorm, option-A shortcuts, narrower stages) on a balanced Fashion-MNIST subset padded
  to 32 px, no augmentation. SGD with momentum 0.9 and weight decay ``weight_decay`` for both arms.
- Baseline: ONE piecewise-constant run per seed of ``epochs`` epochs, the ResNet recipe (He et al.
  §4.2: lr 0.1 at batch 128, here scaled linearly to the batch size, ÷10 at 50 % and 75 % of the
  run). Test accuracy is logged every epoch, so the run's whole trajectory is known.
- One-cycle: one run per rung of a ladder of shorter budgets, ``oc_fractions`` of the baseline's
  steps (1/8, 1/4, 1/2), the paper's three-phase linear shape, max lr from the range test (the
  learning rate of the lowest smoothed loss, :func:`~.range_test.lr_range_test`, on the first
  seed's network), test accuracy every epoch and at the end.
- Control (secondary): piecewise-constant compressed to the shortest rung's budget
  (``pc_short_fractions``), so that "one-cycle is faster" can be told apart from "a shorter schedule
  of any shape would do".
- Second one-cycle arm (secondary; added after the probe described below, before any full run):
  max lr = the range test's reading × ``secondary_max_lr_factor`` (0.1, the convention of fast.ai's
  ``lr_find``: the lowest-loss rate is already at the edge of divergence), on the rungs
  ``secondary_fractions`` (1/8 and 1/4, the only rungs that can give a ratio above ``SEVERAL``).
- Seeds: both arms of a seed share the initialization and the batch order.

Criteria, fixed before any full run of this design (constants below):

1. The target is set per seed from that seed's baseline run, before looking at any one-cycle run:
   ``target = (mean test accuracy over the evaluations of the baseline's last phase, after the
   second ÷10, i.e. the accuracy the schedule settles at) − TARGET_MARGIN`` (1 point, about 1.5
   standard errors of a 2,000-image test accuracy). The paper's 92 % played this role for ResNet-56.
2. Baseline iterations: the first evaluation step of the baseline run at which the test accuracy
   reaches the target (the first crossing, which favours the baseline: a lucky early spike counts).
   One-cycle iterations: the first crossing in the shortest rung whose run reaches the target (the
   rungs are separate runs, each with its schedule fitted to its own budget, as in the paper's
   Table 1). A seed whose one-cycle never reaches the target within its longest rung is censored:
   its ratio enters with the upper bound (baseline iterations ÷ longest rung), and the criterion
   cannot pass with a censored seed.
3. Primary: the per-seed ratio baseline iterations ÷ one-cycle iterations; its geometric mean over
   seeds with the 95 % Student-t interval of the mean log-ratio. Reproduced if the interval lies
   above ``SEVERAL`` (3, "several times"), not reproduced if it lies below, inconclusive if it
   straddles it. With the ladder 1/8, 1/4, 1/2 and a baseline that crosses after its first drop,
   a ratio above 3 needs one-cycle to reach the target on the 1/8 (or early in the 1/4) rung.
4. Secondary, the design's own check ("could this experiment show the claim?"): on every seed the
   baseline crosses the target only after its first learning-rate drop (step > 50 % of its run),
   i.e. the target is not a ceiling reached within a few epochs.
5. Secondary, equal-budget control: at the shortest rung's budget, one-cycle's final test accuracy
   minus that of piecewise-constant compressed to the same budget: 95 % t-interval over seeds above
   0 (one-cycle better), below 0 (worse), else inconclusive.

6. Secondary, the second one-cycle arm: criterion 3 with its own iterations (censored beyond its
   longest rung, 1/4 of the baseline, where the ratio's upper bound is already below ``SEVERAL``
   for a baseline crossing after its first drop).

Probe before the full run (one seed of the full preset, on a loaded machine): the baseline settled at
84.8 % (target 83.8 %) and first reached it at step 680 of 1280, just after its first drop; the
range test read max lr 2.0 (40× the baseline's rate), and one-cycle reached 74.2 / 79.8 / 83.0 % on
the 160 / 320 / 640-step rungs, with test accuracy swinging down to 14 % mid-cycle (the rate is at
the edge of divergence). The primary rule was kept unchanged; the second arm was added to tell a
mis-read range test apart from a slow schedule.

Nothing here depends on wall-clock time: budgets are epochs and steps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from papercraft.errors import NonFiniteLossError
from papercraft.papers.optimizers import SGD, PiecewiseConstant
from papercraft.papers.resnet.model import cifar_resnet
from papercraft.papers.super_convergence.one_cycle import OneCycle
from papercraft.papers.super_convergence.range_test import draw_range_test, lr_range_test
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import Interval, mean_interval
from papercraft.testbeds.images import first_per_class, pad_to_32, standardize
from papercraft.training import TensorBatches

if TYPE_CHECKING:
    from papercraft.runner import RunContext

SEVERAL = 3.0  # "several times fewer iterations": the baseline/one-cycle ratio must be above this
TARGET_MARGIN = 0.01  # target = the baseline's settled (last-phase) test accuracy minus 1 point
MILESTONES = (0.5, 0.75)  # the ResNet recipe: ÷10 at 50 % and 75 % of the run


# ----------------------------------------------------------------------------- data, model, runs

def load_data(n_train: int, n_test: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Balanced Fashion-MNIST subsets padded to ``[N, 1, 32, 32]`` and standardized with the
    training subset's statistics: ``(x_train, y_train, x_test, y_test)``."""
    from papercraft.data import load_fashion_mnist

    split = load_fashion_mnist()
    tr, te = first_per_class(split.y_train, n_train), first_per_class(split.y_test, n_test)
    x_train, x_test = standardize(pad_to_32(split.x_train[tr]), pad_to_32(split.x_test[te]))
    return x_train, split.y_train[tr], x_test, split.y_test[te]


def classification_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of ``model(x)`` (logits ``[B, 10]``) against ``y [B]``, with the batch accuracy."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), {"acc": (logits.argmax(1) == y).float().mean().item()}


def accuracy_evaluator(x: torch.Tensor, y: torch.Tensor, batch: int = 1000):
    """``evaluate(model) -> {"test_acc"}`` (the trainer calls it in eval mode, without gradients)."""
    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        device = next(model.parameters()).device
        correct = sum(int((model(x[i:i + batch].to(device)).argmax(1).cpu() == y[i:i + batch]).sum())
                      for i in range(0, len(x), batch))
        return {"test_acc": correct / len(x)}
    return evaluate


def make_model(p: dict[str, Any], seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return cifar_resnet(int(p["depth"]), in_channels=1, width=int(p["width"]))


def make_schedule(optimizer: torch.optim.Optimizer, schedule: str, lr: float, steps: int, p: dict[str, Any]):
    if schedule == "one-cycle":  # the paper's shape: linear up and down, then annihilation (§3)
        return OneCycle(optimizer, max_lr=lr, total_steps=steps, pct_start=p["pct_start"], anneal="linear",
                        three_phase=True, div_factor=p["div_factor"], final_div_factor=p["final_div_factor"],
                        base_momentum=0.85, max_momentum=0.95)
    if schedule == "piecewise-constant":
        return PiecewiseConstant(optimizer, milestones=[int(steps * m) for m in MILESTONES], factor=0.1)
    raise ValueError(f"unknown schedule {schedule!r}")


def train_run(ctx: RunContext, name: str, data: tuple[torch.Tensor, ...], schedule: str, lr: float, steps: int,
              seed: int, epoch_steps: int) -> dict[str, Any]:
    """Train one run of ``schedule`` for ``steps`` steps; test accuracy every epoch and at the end.

    Returns ``{"evals": [(step, acc)], "final_acc", "diverged", "history"}``."""
    p = ctx.params
    x_train, y_train, x_test, y_test = data
    model = make_model(p, seed)
    opt = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=p["weight_decay"])
    sched = make_schedule(opt, schedule, lr, steps, p)
    try:
        result = ctx.train(name, model, opt, classification_loss,
                           TensorBatches(x_train, y_train, batch_size=p["batch_size"], seed=seed), steps=steps,
                           seed=seed, scheduler=sched, evaluate=accuracy_evaluator(x_test, y_test),
                           eval_every=epoch_steps, log_every=p["log_every"],
                           identity={"schedule": schedule, "lr": lr, "budget": steps})
    except NonFiniteLossError:
        ctx.log(f"{name}: the loss diverged")
        return {"evals": [], "final_acc": 0.0, "diverged": True, "history": []}
    evals = [(int(r["step"]), float(r["test_acc"])) for r in result.evals()]
    return {"evals": evals, "final_acc": evals[-1][1], "diverged": False, "history": result.history}


# ----------------------------------------------------------------------------- the criteria's arithmetic

def settled_accuracy(evals: list[tuple[int, float]], steps: int) -> float:
    """Mean test accuracy of the evaluations in the baseline's last phase (after its second ÷10)."""
    last = [acc for step, acc in evals if step > int(steps * MILESTONES[-1])]
    if not last:
        raise ValueError("no evaluation in the last phase of the run")
    return float(np.mean(last))


def first_crossing(evals: list[tuple[int, float]], target: float) -> int | None:
    """The first evaluation step whose accuracy reaches ``target``, or None."""
    return next((step for step, acc in evals if acc >= target), None)


def one_cycle_iterations(rungs: list[dict[str, Any]], target: float) -> tuple[int | None, int | None]:
    """``(iterations, budget)``: the first crossing in the shortest rung that reaches ``target``
    (rungs in increasing budget, each ``{"budget", "evals"}``), or ``(None, None)``."""
    for rung in sorted(rungs, key=lambda r: r["budget"]):
        hit = first_crossing(rung["evals"], target)
        if hit is not None:
            return hit, rung["budget"]
    return None, None


def speedup_interval(ratios: list[float]) -> Interval:
    """Geometric mean of the per-seed ratios with the 95 % Student-t interval of the mean log-ratio,
    back on the ratio scale (unbounded with one seed)."""
    if not ratios or any(not r > 0 for r in ratios):
        raise ValueError(f"need positive ratios, got {ratios}")
    logs = mean_interval([math.log(r) for r in ratios])
    return Interval(math.exp(logs.estimate), math.exp(logs.low) if math.isfinite(logs.low) else 0.0,
                    math.exp(logs.high) if math.isfinite(logs.high) else math.inf, 0.95,
                    f"geometric mean; t-interval of the mean log-ratio, n={len(ratios)}")


def decide_speedup(interval: Interval, censored: list[bool]) -> bool | None:
    """``passed`` for "ratio above SEVERAL"; a censored one-cycle seed (its ratio an upper bound)
    can make the criterion fail or stay undecided, never pass."""
    if len(censored) < 2:
        return None
    decision = interval.decide(SEVERAL)
    if decision is True and any(censored):
        return None
    return decision


# ----------------------------------------------------------------------------- the experiment

def _plot_runs(ctx: RunContext, seed: int, baseline: dict[str, Any], rungs: list[dict[str, Any]],
               controls: list[dict[str, Any]], target: float, max_lr: float, low_rungs: list[dict[str, Any]],
               low_lr: float) -> None:
    with ctx.figure("accuracy_vs_iterations.png", f"seed {seed}: test accuracy against iterations of the "
                    "piecewise-constant run, the one-cycle ladder and the compressed piecewise-constant control, "
                    "with the target (dashed); right: their learning rates", ncols=2, size=(12, 4.5),
                    title=f"one-cycle (max lr {max_lr:.3g}) vs piecewise-constant, seed {seed}") as (fig, (ax, ax_lr)):
        runs = [("piecewise-constant", baseline, "C0", "-")]
        runs += [(f"one-cycle, {r['budget']} steps", r, f"C{3 + k}", "-") for k, r in enumerate(rungs)]
        runs += [(f"piecewise-constant, {c['budget']} steps", c, "0.5", ":") for c in controls]
        runs += [(f"one-cycle max lr {low_lr:.3g}, {r['budget']} steps", r, f"C{3 + k}", "--")
                 for k, r in enumerate(low_rungs)]
        for label, run, color, ls in runs:
            if run["evals"]:
                ax.plot(*np.array([(s, 100 * a) for s, a in run["evals"]]).T, color=color, ls=ls, marker=".",
                        label=label)
            lrs = [(r["step"], r["lr"]) for r in run["history"] if r["split"] == "train"]
            if lrs:
                ax_lr.plot(*np.array(lrs).T, color=color, ls=ls, label=label)
        ax.axhline(100 * target, color="0.3", ls="--", label=f"target {100 * target:.1f}%")
        ax.set_xlabel("iteration")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(max(ax.get_ylim()[0], 100 * target - 20), None)
        ax.legend(fontsize=7)
        ax_lr.set_xlabel("iteration")
        ax_lr.set_ylabel("learning rate")
        ax_lr.set_yscale("log")
        ax_lr.legend(fontsize=7)


def run(ctx: RunContext) -> Outcome:
    """Range test; one piecewise-constant run and a one-cycle ladder per seed; the ratio of
    iterations to the target."""
    p = ctx.params
    data = load_data(int(p["n_train"]), int(p["n_test"]))
    n_train = data[0].shape[0]
    epoch_steps = n_train // int(p["batch_size"])
    pc_steps = int(p["epochs"]) * epoch_steps
    rung_budgets = [int(round(f * pc_steps)) for f in p["oc_fractions"]]
    control_budgets = [int(round(f * pc_steps)) for f in p["pc_short_fractions"]]
    low_budgets = [int(round(f * pc_steps)) for f in p["secondary_fractions"]]
    seeds = ctx.seeds(int(p["seeds"]))
    numbers: dict[str, Any] = {"epoch_steps": epoch_steps, "piecewise_steps": pc_steps, "budgets": rung_budgets,
                               "control_budgets": control_budgets}

    # 1. range test on the first seed's network
    model = make_model(p, seeds[0])
    opt = SGD(model.parameters(), lr=p["range_lr_min"], momentum=0.9, weight_decay=p["weight_decay"])
    rt = lr_range_test(model, classification_loss, TensorBatches(data[0], data[1], batch_size=p["batch_size"],
                                                                 seed=seeds[0]),
                       opt, lr_min=p["range_lr_min"], lr_max=p["range_lr_max"], steps=int(p["range_steps"]),
                       device=ctx.device)
    max_lr = rt.suggested_max_lr * float(p["max_lr_factor"])
    low_lr = rt.suggested_max_lr * float(p["secondary_max_lr_factor"])
    with ctx.figure("range_test.png", "LR range test: training loss against an exponentially increasing learning "
                    "rate; dashed: the lowest smoothed loss, one-cycle's maximum learning rate", size=(6, 4)) as (fig, ax):
        draw_range_test(ax, rt, f"LR range test: ResNet-{p['depth']} on Fashion-MNIST, SGD momentum 0.9")
    numbers.update({"range_test_suggested_max_lr": rt.suggested_max_lr, "one_cycle_max_lr": max_lr,
                    "one_cycle_low_max_lr": low_lr, "low_budgets": low_budgets, "pc_lr": float(p["pc_lr"])})
    ctx.log(f"range test: suggested max lr {rt.suggested_max_lr:.4g}; piecewise-constant lr {p['pc_lr']:g}")

    # 2. per seed: the baseline run, its target, the one-cycle ladder and the control
    per_seed: list[dict[str, Any]] = []
    for seed in seeds:
        base = train_run(ctx, f"piecewise-constant/seed{seed}", data, "piecewise-constant", float(p["pc_lr"]),
                         pc_steps, seed, epoch_steps)
        settled = settled_accuracy(base["evals"], pc_steps) if not base["diverged"] else 0.0
        target = settled - TARGET_MARGIN
        pc_hit = first_crossing(base["evals"], target)
        ctx.log(f"seed {seed}: piecewise-constant settles at {settled:.4f}; target {target:.4f}, first reached at "
                f"step {pc_hit} of {pc_steps}")
        def ladder(arm: str, schedule: str, lr: float, budgets: list[int], seed: int = seed,
                   target: float = target) -> list[dict[str, Any]]:
            """One run of ``schedule`` at max lr ``lr`` per budget (sub-runs ``arm/seed/budget``)."""
            runs = []
            for budget in budgets:
                r = train_run(ctx, f"{arm}/seed{seed}/budget{budget}", data, schedule, lr, budget, seed, epoch_steps)
                runs.append({**r, "budget": budget})
                ctx.log(f"seed {seed}: {arm} (lr {lr:.3g}) {budget} steps: final acc {r['final_acc']:.4f}, first "
                        f"reaches the target at {first_crossing(r['evals'], target)}")
            return runs

        rungs = ladder("one-cycle", "one-cycle", max_lr, rung_budgets)
        controls = ladder("piecewise-constant-short", "piecewise-constant", float(p["pc_lr"]), control_budgets)
        low_rungs = ladder("one-cycle-low", "one-cycle", low_lr, low_budgets)
        oc_hit, oc_budget = one_cycle_iterations(rungs, target)
        low_hit, low_budget = one_cycle_iterations(low_rungs, target)
        per_seed.append({"seed": seed, "settled": settled, "target": target, "pc_hit": pc_hit, "oc_hit": oc_hit,
                         "oc_budget": oc_budget, "rungs": rungs, "controls": controls, "base": base,
                         "low_hit": low_hit, "low_budget": low_budget, "low_rungs": low_rungs})
        if seed == seeds[0]:
            _plot_runs(ctx, seed, base, rungs, controls, target, max_lr, low_rungs, low_lr)

    # 3. ratios and criteria
    censored = [s["oc_hit"] is None for s in per_seed]
    pc_its = [s["pc_hit"] if s["pc_hit"] is not None else pc_steps for s in per_seed]
    oc_its = [s["oc_hit"] if s["oc_hit"] is not None else rung_budgets[-1] for s in per_seed]
    ratios = [a / b for a, b in zip(pc_its, oc_its)]
    speedup = speedup_interval(ratios)
    low_ratios = ([a / (s["low_hit"] if s["low_hit"] is not None else low_budgets[-1])
                   for a, s in zip(pc_its, per_seed)] if low_budgets else [])
    low_censored = [s["low_hit"] is None for s in per_seed]
    late = [s["pc_hit"] is not None and s["pc_hit"] > int(pc_steps * MILESTONES[0]) for s in per_seed]
    numbers.update({
        "settled_accuracy_piecewise": [round(s["settled"], 5) for s in per_seed],
        "target_acc": [round(s["target"], 5) for s in per_seed],
        "iterations_piecewise": [s["pc_hit"] for s in per_seed],
        "iterations_one_cycle": [s["oc_hit"] for s in per_seed],
        "one_cycle_rung_reaching_target": [s["oc_budget"] for s in per_seed],
        "speedup": round(speedup.estimate, 3),
        "speedup_per_seed": [round(r, 3) for r in ratios],
        "speedup_interval": speedup.as_dict(3),
        "one_cycle_final_acc": {str(b): [round(s["rungs"][k]["final_acc"], 5) for s in per_seed]
                                for k, b in enumerate(rung_budgets)},
        "piecewise_short_final_acc": {str(b): [round(s["controls"][k]["final_acc"], 5) for s in per_seed]
                                      for k, b in enumerate(control_budgets)},
        "piecewise_final_acc": [round(s["base"]["final_acc"], 5) for s in per_seed],
        "iterations_one_cycle_low": [s["low_hit"] for s in per_seed],
        "one_cycle_low_final_acc": {str(b): [round(s["low_rungs"][k]["final_acc"], 5) for s in per_seed]
                                    for k, b in enumerate(low_budgets)},
    })
    criteria = [
        Criterion("several_times_fewer_iterations",
                  f"iterations to the target, piecewise-constant ÷ one-cycle, geometric mean over seeds: 95% t-interval "
                  f"of the mean log-ratio above {SEVERAL:g} (below: not reproduced; across: inconclusive; a seed whose "
                  "one-cycle never reaches the target enters with its upper bound and blocks a pass)",
                  speedup.as_dict(3), f"interval above {SEVERAL:g}", decide_speedup(speedup, censored), part="a"),
        Criterion("target_reached_late_by_piecewise",
                  "design check: on every seed the piecewise-constant run first reaches the target after its first "
                  "learning-rate drop (the target is not a ceiling reached within a few epochs)",
                  [s["pc_hit"] for s in per_seed], f"> {int(pc_steps * MILESTONES[0])} steps", all(late), part="a",
                  primary=False),
    ]
    if low_budgets:
        low_speedup = speedup_interval(low_ratios)
        numbers.update({"speedup_low": round(low_speedup.estimate, 3),
                        "speedup_low_per_seed": [round(r, 3) for r in low_ratios],
                        "speedup_low_interval": low_speedup.as_dict(3)})
        criteria.append(Criterion(
            "several_times_fewer_iterations_low_max_lr",
            f"second arm (max lr = range-test reading × {p['secondary_max_lr_factor']:g}, rungs {low_budgets} steps): "
            f"the same ratio and rule as the primary criterion, against {SEVERAL:g}",
            low_speedup.as_dict(3), f"interval above {SEVERAL:g}", decide_speedup(low_speedup, low_censored),
            part="a", primary=False))
    if control_budgets:
        b = control_budgets[0]
        k = rung_budgets.index(b) if b in rung_budgets else None
        if k is not None:
            diffs = [s["rungs"][k]["final_acc"] - s["controls"][0]["final_acc"] for s in per_seed]
            interval = mean_interval(diffs)
            numbers["one_cycle_minus_piecewise_at_equal_budget"] = interval.as_dict(5)
            criteria.append(Criterion.interval_above(
                "one_cycle_beats_piecewise_at_equal_budget",
                f"control: at {b} steps, one-cycle's final test accuracy minus that of piecewise-constant compressed to "
                f"the same budget, 95% t-interval over seeds above 0 (per seed: "
                f"{', '.join(f'{100 * d:+.2f}' for d in diffs)} points)", interval, 0.0, part="a", primary=False))

    rows = []
    for s, r in zip(per_seed, ratios):
        rows.append([s["seed"], f"{100 * s['settled']:.2f}", f"{100 * s['target']:.2f}", s["pc_hit"],
                     s["oc_hit"] if s["oc_hit"] is not None else f"> {rung_budgets[-1]}", s["oc_budget"], round(r, 2),
                     *[f"{100 * rung['final_acc']:.2f}" for rung in s["rungs"]],
                     *[f"{100 * c['final_acc']:.2f}" for c in s["controls"]],
                     s["low_hit"] if s["low_hit"] is not None else f"> {low_budgets[-1] if low_budgets else '-'}",
                     *[f"{100 * rung['final_acc']:.2f}" for rung in s["low_rungs"]]])
    table = Table("iterations to the target test accuracy, per seed",
                  ["seed", "PC settled acc %", "target %", "PC iterations", "one-cycle iterations", "in rung (steps)",
                   "ratio", *[f"one-cycle {b} steps: final acc %" for b in rung_budgets],
                   *[f"PC {b} steps: final acc %" for b in control_budgets], "one-cycle low-lr iterations",
                   *[f"one-cycle low-lr {b} steps: final acc %" for b in low_budgets]], rows)
    notes = [
        f"Model: CIFAR-style ResNet-{p['depth']} (stage widths {p['width']}/{2 * p['width']}/{4 * p['width']}, "
        f"BatchNorm, option-A shortcuts) on {n_train} Fashion-MNIST training images padded to 32 px (balanced, no "
        f"augmentation), test accuracy on {data[2].shape[0]} test images every epoch ({epoch_steps} steps of batch "
        f"{p['batch_size']}); SGD momentum 0.9, weight decay {p['weight_decay']:g}; seeds {seeds}.",
        f"Piecewise-constant: one run of {p['epochs']} epochs ({pc_steps} steps) at lr {p['pc_lr']:g}, ÷10 at 50% and "
        "75%; target = mean accuracy of its last-phase evaluations − "
        f"{TARGET_MARGIN * 100:g} point (per seed).",
        f"One-cycle: max lr {max_lr:.4g} (range test's lowest smoothed loss × {p['max_lr_factor']:g}), three phases, "
        f"linear, pct_start {p['pct_start']}, div_factor {p['div_factor']:g}, final_div_factor "
        f"{p['final_div_factor']:g}, momentum 0.95→0.85→0.95; budgets {rung_budgets} steps "
        f"({', '.join(f'{f:g}' for f in p['oc_fractions'])} of the baseline).",
        f"Ratio = baseline's first crossing ÷ one-cycle's first crossing in the shortest rung that reaches the target; "
        f"geometric mean {speedup.estimate:.2f}, 95% interval [{speedup.low:.2f}, {speedup.high:.2f}]. "
        "Resolution: evaluations every epoch, so each crossing is known to within one epoch.",
        f"Second one-cycle arm (secondary): max lr {low_lr:.4g} (range-test reading × "
        f"{p['secondary_max_lr_factor']:g}) on {low_budgets} steps"
        + (f"; ratio geometric mean {low_speedup.estimate:.2f}, 95% interval [{low_speedup.low:.2f}, "
           f"{low_speedup.high:.2f}]." if low_budgets else "."),
    ]
    if any(censored):
        notes.append(f"On {sum(censored)} seed(s) one-cycle never reached the target within {rung_budgets[-1]} steps; "
                     "their ratio is an upper bound.")
    if not all(late):
        notes.append("On some seed the piecewise-constant run reached the target before its first drop: there the "
                     "target sits near a ceiling reached early, and the ratio says little about the schedules.")
    return Outcome(numbers=numbers, criteria=criteria, tables=[table], notes=notes)
