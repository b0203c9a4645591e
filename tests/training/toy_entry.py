"""A toy catalogue entry for infrastructure tests: runs the real CLI, runner and trainer.

Run as a script, it adds the entry ``toy`` to the registry and hands its arguments to
``papercraft.cli.main``, so tests can SIGKILL a real ``papercraft run toy ...`` and resume it, or
start it under ``torchrun``. The experiment trains a small MLP on a fixed synthetic problem in two
sub-runs (so resume must skip a finished sub-run and continue an interrupted one).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from papercraft.registry import Entry, Experiment, Preset, registry
from papercraft.results import Criterion, Outcome
from papercraft.training import TensorBatches

PARAMS = {"steps": 30, "checkpoint_every": 5, "sleep": 0.0, "batch_size": 16, "nan_at": 0, "dropout": 0.1,
          "width": 32, "save_params": ""}


def toy_data(seed: int = 123) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 10, generator=g)
    y = (x[:, :3].sum(1) > 0).long()
    return x, y


def toy_model(width: int, dropout: float) -> nn.Module:
    return nn.Sequential(nn.Linear(10, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 2))


def toy_experiment(ctx) -> Outcome:
    p = ctx.params
    x, y = toy_data()
    accs = {}
    for run in ("a", "b"):
        torch.manual_seed(ctx.seed + (run == "b"))
        model = toy_model(p["width"], p["dropout"])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)

        def loss_fn(m, batch, _run=run):
            if p["sleep"]:
                time.sleep(p["sleep"])
            xb, yb = batch
            logits = m(xb)
            loss = F.cross_entropy(logits, yb)
            if p["nan_at"] and _run == "b" and trainer_state["calls"] + 1 == p["nan_at"]:
                loss = loss * float("nan")
            trainer_state["calls"] += 1
            return loss, {"acc": (logits.argmax(1) == yb).float().mean()}

        trainer_state = {"calls": 0}

        def evaluate(m):
            return {"acc": (m(x).argmax(1) == y).float().mean().item(), "loss": F.cross_entropy(m(x), y).item()}

        result = ctx.train(run, model, opt, loss_fn, TensorBatches(x, y, batch_size=p["batch_size"], seed=ctx.seed),
                           steps=p["steps"], seed=ctx.seed + (run == "b"), scheduler=sched, evaluate=evaluate,
                           eval_every=5, log_every=1, checkpoint_every=p["checkpoint_every"], grad_clip=1.0)
        accs[run] = result.last_eval()["acc"]
        if p["save_params"] and run == "b":
            torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, p["save_params"])
    return Outcome(numbers={"acc_a": accs["a"], "acc_b": accs["b"]},
                   criteria=[Criterion.at_least("fit", "toy accuracy >= 0.5", accs["a"], 0.5)])


TOY = Entry(
    id="toy", title="Toy entry for tests", authors="tests", year=2026, section="tests",
    claim="A small MLP fits a linearly separable problem.",
    experiments=(Experiment(name="toy", description="two small sub-runs", target="toy_entry:toy_experiment",
                            presets={"quick": Preset(params=PARAMS, budget_s=5),
                                     "full": Preset(params={**PARAMS, "steps": 60}, budget_s=10)}),),
)


def install() -> None:
    """Add the toy entry to this process's registry (the cached one every command reads)."""
    reg = registry()
    if "toy" not in reg.ids():
        reg.entries.append(TOY)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    install()
    from papercraft.cli import main

    raise SystemExit(main(sys.argv[1:]))
