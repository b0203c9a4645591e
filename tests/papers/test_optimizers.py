"""Tests of the optimizers entry: parity with torch.optim and the schedulefree package, the
per-parameter and multi-tensor paths agreeing, schedules (the cosine one being the shared warm-up +
cosine schedule), argument checks, and the experiment (its quick numbers recomputed from the runs'
metrics logs)."""

from __future__ import annotations

import copy
import itertools
import math

import pytest
import torch
from torch import nn

from papercraft.papers.optimizers import (
    SGD,
    Adam,
    AdamW,
    LinearWarmup,
    PiecewiseConstant,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
    WarmupCosine,
    make_schedule,
    paper_weight_decay,
)

from oracles import oracle

STEPS = 120
TOL = dict(rtol=1e-12, atol=1e-12)


def tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).double()


def batches(n: int, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(8, 6, generator=g, dtype=torch.float64), torch.randn(8, 3, generator=g, dtype=torch.float64))
            for _ in range(n)]


def backward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, y = batch
    model.zero_grad(set_to_none=True)
    ((model(x) - y) ** 2).mean().backward()


def assert_same_params(a: nn.Module, b: nn.Module, **tol: float) -> None:
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, **(tol or TOL), msg=lambda m, name=name: f"{name}: {m}")


def run_pair(ours: torch.optim.Optimizer, theirs: torch.optim.Optimizer, a: nn.Module, b: nn.Module,
             steps: int = STEPS, seed: int = 1) -> None:
    """Train both models on the same batches (each computing its own gradients)."""
    for batch in batches(steps, seed):
        backward(a, batch)
        backward(b, batch)
        ours.step()
        theirs.step()


def param_groups(model: nn.Module, lr: float) -> list[dict]:
    """Two groups with different learning rates, to check per-group hyper-parameters."""
    first, second = list(model[0].parameters()), list(model[2].parameters())
    return [{"params": first}, {"params": second, "lr": lr / 2}]


# ----------------------------------------------------------------------------- SGD

SGD_FLAGS = [dict(momentum=m, dampening=d, nesterov=n, weight_decay=wd)
             for m, d, n, wd in itertools.product([0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 1e-2])
             if not (n and (m == 0 or d != 0))]


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("flags", SGD_FLAGS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
def test_sgd_matches_torch(flags: dict, foreach: bool) -> None:
    a, b = tiny_model(), tiny_model()
    ours = SGD(param_groups(a, 0.05), lr=0.05, foreach=foreach, **flags)
    theirs = torch.optim.SGD(param_groups(b, 0.05), lr=0.05, **flags)
    run_pair(ours, theirs, a, b)
    assert_same_params(a, b)


# ----------------------------------------------------------------------------- Adam / AdamW

@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("ours_cls,theirs_cls,wd", [(Adam, torch.optim.Adam, 0.0), (Adam, torch.optim.Adam, 0.05),
                                                    (AdamW, torch.optim.AdamW, 0.0), (AdamW, torch.optim.AdamW, 0.1)])
def test_adam_and_adamw_match_torch(ours_cls, theirs_cls, wd: float, foreach: bool) -> None:
    a, b = tiny_model(), tiny_model()
    kw = dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-7, weight_decay=wd)
    ours = ours_cls(param_groups(a, 3e-3), foreach=foreach, **kw)
    theirs = theirs_cls(param_groups(b, 3e-3), foreach=False, **kw)
    run_pair(ours, theirs, a, b)
    assert_same_params(a, b)


def test_adam_l2_and_adamw_differ() -> None:
    """Sanity check that the decay really is applied differently (the entry's whole point)."""
    a, b = tiny_model(), tiny_model()
    run_pair(Adam(a.parameters(), lr=1e-2, weight_decay=0.1), AdamW(b.parameters(), lr=1e-2, weight_decay=0.1), a, b, 20)
    assert max((pa - pb).abs().max().item() for pa, pb in zip(a.parameters(), b.parameters())) > 1e-4


def test_adamw_with_torch_scheduler_and_state_roundtrip() -> None:
    """Mid-run save/load of the optimizer state continues exactly, with a schedule running."""
    a, b = tiny_model(), tiny_model()
    ours = AdamW(a.parameters(), lr=1e-2, weight_decay=0.05)
    theirs = torch.optim.AdamW(b.parameters(), lr=1e-2, weight_decay=0.05, foreach=False)
    s_ours, s_theirs = WarmupCosine(ours, 100, 10), WarmupCosine(theirs, 100, 10)
    data = batches(100)
    for i, batch in enumerate(data):
        if i == 50:
            saved, saved_sched = copy.deepcopy(ours.state_dict()), s_ours.state_dict()
            ours = AdamW(a.parameters(), lr=1.0)
            s_ours = WarmupCosine(ours, 100, 10)  # as the trainer does: build both, then load both
            ours.load_state_dict(saved)
            s_ours.load_state_dict(saved_sched)
        backward(a, batch)
        backward(b, batch)
        ours.step(), theirs.step(), s_ours.step(), s_theirs.step()
    assert_same_params(a, b)


def test_paper_weight_decay_gives_lr_independent_decay() -> None:
    for lr in (1e-4, 1e-3, 1e-2):
        p = nn.Parameter(torch.ones(4, dtype=torch.float64))
        opt = AdamW([p], lr=lr, weight_decay=paper_weight_decay(0.01, lr))
        p.grad = torch.zeros_like(p)  # no gradient: only the decay moves θ
        opt.step()
        torch.testing.assert_close(p.detach(), torch.full((4,), 0.99, dtype=torch.float64), rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------- foreach vs readable

@pytest.mark.parametrize("make", [
    lambda ps, fe: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3, foreach=fe),
    lambda ps, fe: Adam(ps, lr=1e-2, weight_decay=1e-2, foreach=fe),
    lambda ps, fe: AdamW(ps, lr=1e-2, weight_decay=1e-1, foreach=fe),
    lambda ps, fe: ScheduleFreeSGD(ps, lr=0.1, warmup_steps=5, weight_decay=1e-3, foreach=fe),
    lambda ps, fe: ScheduleFreeAdamW(ps, lr=1e-2, warmup_steps=5, weight_decay=1e-2, foreach=fe),
], ids=["sgd", "adam", "adamw", "sf-sgd", "sf-adamw"])
def test_foreach_path_equals_readable_path(make) -> None:
    a, b = tiny_model(), tiny_model()
    run_pair(make(a.parameters(), False), make(b.parameters(), True), a, b, 60)
    assert_same_params(a, b, rtol=1e-13, atol=1e-14)


# ----------------------------------------------------------------------------- Schedule-Free

# name: (our class, the schedulefree package's class, arguments both get)
SF_CASES = {
    "adamw": (ScheduleFreeAdamW, "AdamWScheduleFree", dict(betas=(0.9, 0.99), eps=1e-8, foreach=True)),
    "adamw-noforeach": (ScheduleFreeAdamW, "AdamWScheduleFree", dict(betas=(0.9, 0.99), eps=1e-8, foreach=False)),
    "adamw-reference": (ScheduleFreeAdamW, "AdamWScheduleFreeReference", dict(betas=(0.9, 0.99), eps=1e-8)),
    "sgd": (ScheduleFreeSGD, "SGDScheduleFree", dict(momentum=0.8, foreach=True)),
    "sgd-reference": (ScheduleFreeSGD, "SGDScheduleFreeReference", dict(momentum=0.8)),
}


@pytest.mark.parametrize("settings", [dict(warmup_steps=0, weight_decay=0.0),
                                      dict(warmup_steps=20, weight_decay=1e-2),
                                      dict(warmup_steps=10, weight_decay=1e-3, r=1.0, weight_lr_power=1.0)],
                         ids=["plain", "warmup-wd", "r1-power1"])
@pytest.mark.parametrize("case", list(SF_CASES))
def test_schedule_free_matches_package(case: str, settings: dict, capsys) -> None:
    """Parity with the schedulefree package including warm-up, eval()/train() switching (x and y
    both compared) and a mid-run state save/load into fresh optimizers."""
    schedulefree = oracle("schedulefree")
    ours_cls, theirs_name, common = SF_CASES[case]

    def make_ours(ps, **kw):
        return ours_cls(ps, **common, **kw)

    def make_theirs(ps, **kw):
        return getattr(schedulefree, theirs_name)(ps, **common, **kw)

    lr = 0.05 if case.startswith("sgd") else 5e-3
    a, b = tiny_model(), tiny_model()
    ours, theirs = make_ours(a.parameters(), lr=lr, **settings), make_theirs(b.parameters(), lr=lr, **settings)
    ours.train(), theirs.train()
    for i, batch in enumerate(batches(STEPS)):
        backward(a, batch)
        backward(b, batch)
        ours.step(), theirs.step()
        assert_same_params(a, b)  # y
        if i % 25 == 24:  # evaluate at x, then go back to training
            ours.eval(), theirs.eval()
            assert_same_params(a, b)  # x
            if i == 49:  # checkpoint in eval mode, as the package recommends, into fresh optimizers
                saved_ours, saved_theirs = copy.deepcopy(ours.state_dict()), copy.deepcopy(theirs.state_dict())
                ours, theirs = make_ours(a.parameters(), lr=1.0), make_theirs(b.parameters(), lr=1.0)
                ours.load_state_dict(saved_ours), theirs.load_state_dict(saved_theirs)
            ours.train(), theirs.train()
            assert_same_params(a, b)
    ours.eval(), theirs.eval()
    assert_same_params(a, b)
    capsys.readouterr()  # the reference versions print on every switch


def test_schedule_free_eval_holds_the_average_and_refuses_steps() -> None:
    model = tiny_model()
    opt = ScheduleFreeAdamW(model.parameters(), lr=1e-2)
    for batch in batches(5):
        backward(model, batch)
        opt.step()
    opt.eval()
    for p in model.parameters():
        torch.testing.assert_close(p.detach(), opt.state[p]["x"], rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="train"):
        opt.step()


# ----------------------------------------------------------------------------- schedules

def lrs_of(scheduler, optimizer, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def fresh_opt(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)


def test_schedules_equal_torch_closed_forms() -> None:
    from torch.optim import lr_scheduler as ls

    o1, o2 = fresh_opt(), fresh_opt()
    ours, theirs = lrs_of(WarmupCosine(o1, 50), o1, 50), lrs_of(ls.CosineAnnealingLR(o2, T_max=50), o2, 50)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)
    o1, o2 = fresh_opt(), fresh_opt()
    ours = lrs_of(PiecewiseConstant(o1, [10, 30], factor=0.1), o1, 40)
    theirs = lrs_of(ls.MultiStepLR(o2, milestones=[10, 30], gamma=0.1), o2, 40)
    assert ours == pytest.approx(theirs, rel=1e-12)
    o1, o2 = fresh_opt(), fresh_opt()
    ours = lrs_of(LinearWarmup(o1, 8), o1, 20)
    theirs = lrs_of(ls.LinearLR(o2, start_factor=1 / 8, end_factor=1.0, total_iters=7), o2, 20)
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("total,warmup,floor", [(50, 0, 0.0), (37, 5, 0.0), (20, 4, 0.1), (9, 8, 0.3)])
def test_cosine_is_the_shared_warmup_cosine_schedule(total: int, warmup: int, floor: float) -> None:
    """make_schedule("cosine") and WarmupCosine give exactly the shared schedule's learning rates
    (papercraft.training.schedules.warmup_cosine), past the end of the schedule too."""
    from papercraft.training.schedules import warmup_cosine

    o1, o2, o3 = fresh_opt(), fresh_opt(), fresh_opt()
    shared = lrs_of(warmup_cosine(o1, total, warmup, floor), o1, total + 3)
    assert lrs_of(make_schedule("cosine", o2, total_steps=total, warmup_steps=warmup, min_factor=floor), o2, total + 3) == shared
    assert lrs_of(WarmupCosine(o3, total, warmup, floor), o3, total + 3) == shared


def test_warmup_cosine_shape() -> None:
    o = fresh_opt(1.0)
    values = lrs_of(WarmupCosine(o, 20, warmup_steps=4, min_factor=0.1), o, 22)
    assert values[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert values[4] == pytest.approx(1.0) and values[14] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 10 / 16)))
    assert values[20:] == pytest.approx([0.1, 0.1])


@pytest.mark.parametrize("name,kw", [("cosine", dict(total_steps=40, warmup_steps=5)),
                                     ("piecewise-constant", dict(milestones=[10, 25])),
                                     ("linear-warmup", dict(warmup_steps=7))])
def test_resumed_schedule_continues_exactly(name: str, kw: dict) -> None:
    o1 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    full = lrs_of(make_schedule(name, o1, **kw), o1, 40)
    o2 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    s2 = make_schedule(name, o2, **kw)
    first = lrs_of(s2, o2, 17)
    saved_opt, saved_sched = copy.deepcopy(o2.state_dict()), copy.deepcopy(s2.state_dict())
    o3 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    s3 = make_schedule(name, o3, **kw)
    o3.load_state_dict(saved_opt)
    s3.load_state_dict(saved_sched)
    assert first + lrs_of(s3, o3, 23) == full


def test_schedule_spec_strings_name_a_schedule_and_its_arguments() -> None:
    from papercraft.papers.optimizers import parse_schedule_spec

    assert parse_schedule_spec("piecewise-constant:milestones=[10, 30],factor=0.5") == (
        "piecewise-constant", {"milestones": [10, 30], "factor": 0.5})
    assert parse_schedule_spec("cosine:total_steps=1,mode=linear,restart=true") == (
        "cosine", {"total_steps": 1, "mode": "linear", "restart": True})
    assert parse_schedule_spec("constant") == ("constant", {})
    o1, o2 = fresh_opt(), fresh_opt()
    from_spec = lrs_of(make_schedule("cosine:warmup_steps=5", o1, total_steps=30), o1, 30)
    direct = lrs_of(WarmupCosine(o2, total_steps=30, warmup_steps=5), o2, 30)
    assert from_spec == direct
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_schedule_spec("cosine:warmup_steps")


def test_make_schedule_rejects_unknown_names_and_arguments() -> None:
    with pytest.raises(ValueError, match="unknown schedule 'cosin'"):
        make_schedule("cosin", fresh_opt())
    with pytest.raises(ValueError, match="cosine"):
        make_schedule("cosine", fresh_opt(), total=3)


# ----------------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("build,argument", [
    (lambda ps: SGD(ps, lr=-0.1), "lr"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1.0), "weight_decay"),
    (lambda ps: Adam(ps, lr=-1e-3), "lr"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), "betas"),
    (lambda ps: AdamW(ps, betas=(0.9, -0.1)), "betas"),
    (lambda ps: AdamW(ps, betas=(0.9,)), "betas"),
    (lambda ps: AdamW(ps, eps=-1e-8), "eps"),
    (lambda ps: AdamW(ps, lr=float("nan")), "lr"),
    (lambda ps: ScheduleFreeAdamW(ps, betas=(0.9, 1.5)), "betas"),
    (lambda ps: ScheduleFreeAdamW(ps, lr=-1.0), "lr"),
    (lambda ps: ScheduleFreeAdamW(ps, warmup_steps=-3), "warmup_steps"),
    (lambda ps: ScheduleFreeSGD(ps, momentum=1.0), "momentum"),
    (lambda ps: WarmupCosine(torch.optim.SGD(ps, lr=0.1), total_steps=10, warmup_steps=10), "warmup_steps"),
    (lambda ps: PiecewiseConstant(torch.optim.SGD(ps, lr=0.1), milestones=[5, 2]), "milestones"),
])
def test_bad_hyperparameters_raise_value_error_naming_the_argument(build, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        build([nn.Parameter(torch.zeros(2))])


# ----------------------------------------------------------------------------- the experiment

def test_coupling_slope_reads_diagonal_and_axis_aligned_grids() -> None:
    import numpy as np

    from papercraft.papers.optimizers.experiment import argmin_slope, coupling_slope

    lrs, wds = [1e-4, 1e-3, 1e-2], [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    log_lr, log_wd = np.log10(lrs)[:, None], np.log10(wds)[None, :]
    diagonal = 0.1 + 0.02 * (log_lr + log_wd + 5) ** 2  # best where lr·wd = 1e-5
    aligned = 0.1 + 0.02 * (log_wd + 3) ** 2 + 0.0 * log_lr  # best wd = 1e-3 whatever the lr
    assert coupling_slope(diagonal, lrs, wds) == pytest.approx(-1.0, abs=0.05)
    assert argmin_slope(diagonal, lrs, wds) == pytest.approx(-1.0)
    assert coupling_slope(aligned, lrs, wds) == pytest.approx(0.0, abs=1e-9)
    assert coupling_slope(np.full((3, 5), 0.2), lrs, wds) == pytest.approx(0.0, abs=1e-9)  # flat: no preference


def test_good_region_gate_and_slope_intervals_on_synthetic_grids() -> None:
    """On noisy 2-seed grids whose true optimum is diagonal (best wd ∝ 1/lr) or axis-aligned, every
    row qualifies, the bootstrap interval of the slope excludes the other shape, and the criteria's
    thresholds classify them; rows with an edge optimum or no gain over no decay do not qualify."""
    import numpy as np

    from papercraft.papers.optimizers.experiment import (
        ADAMW_MAX_ABS_SLOPE,
        L2_MAX_SLOPE,
        bootstrap_draws,
        fitted_slopes,
        percentile_interval,
        seed_noise_sd,
        slope_decidable,
        valid_rows,
    )

    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    wds = [10.0 ** e for e in np.arange(-6.0, -0.9, 0.5)]
    log_lr, log_wd = np.log10(lrs)[:, None], np.log10(wds)[None, :]
    rng = np.random.default_rng(1)
    shapes = {"diagonal": 0.15 + 0.01 * (log_lr + log_wd + 6) ** 2, "aligned": 0.15 + 0.01 * (log_wd + 3) ** 2 + 0 * log_lr}
    for name, surface in shapes.items():
        runs = surface[..., None] + rng.normal(0, 0.003, size=(*surface.shape, 2))
        mean = runs.mean(axis=2)
        no_decay = mean.min(axis=1) + 0.02
        rows = valid_rows(mean, no_decay)
        assert rows.all() and slope_decidable(rows, lrs)
        sd = seed_noise_sd(runs)
        assert 0.0015 < sd < 0.006
        slope = fitted_slopes(mean[None], lrs, wds, rows)[0]
        interval = percentile_interval(slope, fitted_slopes(
            bootstrap_draws(mean, sd / np.sqrt(2), 2000, rng), lrs, wds, rows), "test")
        if name == "diagonal":
            assert interval.low <= -1.0 <= interval.high and interval.high < L2_MAX_SLOPE
            assert interval.equivalent(ADAMW_MAX_ABS_SLOPE) is False
        else:
            assert interval.equivalent(ADAMW_MAX_ABS_SLOPE) is True
    aligned = shapes["aligned"]
    assert not valid_rows(aligned, aligned.min(axis=1) + 0.005).any()  # decay helps by less than a point
    edge = 0.15 + 0.01 * (np.log10(wds)[None, :] + 6.0) ** 2 + 0 * np.log10(lrs)[:, None]  # best at the smallest wd
    assert not valid_rows(edge, edge.min(axis=1) + 0.02).any()
    assert not slope_decidable(np.array([True, True, False, False, False]), lrs)  # 2 rows
    assert slope_decidable(np.array([False, False, True, True, True]), lrs)  # 3 rows over one decade
    assert not slope_decidable(np.array([True, True, True]), [1e-3, 2e-3, 4e-3])  # 3 rows within 0.6 decade
    assert np.isnan(seed_noise_sd(np.zeros((2, 3, 1))))
    assert percentile_interval(0.0, np.full(3, np.nan), "test").decide() is None


@pytest.mark.slow
def test_quick_preset_numbers_follow_from_its_runs(tmp_path) -> None:
    """The quick run, recomputed independently from its sub-runs' metrics logs: every grid cell,
    no-decay reference and per-seed error is the run's last evaluation; the seed-mean grids, the
    rows that can locate their optimum, the slopes and the (b) interval and decision follow from
    them; the cosine runs' learning rates are the shared warm-up + cosine schedule. At this scale
    the claim (b) shows: Schedule-Free AdamW's mean error is within the margin of cosine's."""
    import json

    import numpy as np

    from papercraft.data import is_available
    from papercraft.papers.optimizers.experiment import METRIC_RULES, MIN_VALID_ROWS, SF_TOLERANCE, coupling_slope
    from papercraft.runner import run_entry
    from papercraft.statistics import mean_interval
    from papercraft.training.schedules import warmup_cosine_factor

    if not is_available("fashion-mnist"):
        pytest.skip("Fashion-MNIST is not fetched: run `papercraft data get fashion-mnist`")
    run_dir, result = run_entry("optimizers", preset="quick", seed=0, device="cpu", out=tmp_path)
    exp_dir = run_dir / "adamw-and-schedule-free"
    exp = json.loads((run_dir / "result.json").read_text())["experiments"]["adamw-and-schedule-free"]
    numbers, params = exp["numbers"], exp["params"]
    steps, warmup = params["steps"], round(params["warmup_frac"] * params["steps"])

    def records(name: str) -> list[dict]:
        return [json.loads(line) for line in (exp_dir / name / "metrics.jsonl").read_text().splitlines()]

    def final_error(name: str, metric: str = "test_error") -> float:
        last = [r for r in records(name) if r["split"] == "eval"][-1]
        assert last["step"] == steps
        return last[metric]

    # (a) the grids (seed means of the judged metric), the no-decay references, the qualifying rows and the slopes
    metric = numbers["metric"]
    assert metric == params["metric"]
    tau, matters = METRIC_RULES[metric][:2]
    lrs, grid_seeds = params["lrs"], [0 + 1000 * k for k in range(params["grid_seeds"])]
    no_decay = np.array([[final_error(f"a/no-decay/lr{lr:g}-seed{s}", metric) for s in grid_seeds] for lr in lrs])
    assert numbers["no_decay_per_seed"] == no_decay.round(5).tolist()
    no_decay = no_decay.mean(axis=1)
    grids = {}
    for optimizer, wds in (("adam-l2", params["l2_wds"]), ("adamw", params["adamw_wds"])):
        runs = np.array([[[final_error(f"a/{optimizer}/lr{lr:g}-wd{wd:g}-seed{s}", metric) for s in grid_seeds]
                          for wd in wds] for lr in lrs])
        assert numbers[f"grid_{optimizer}_per_seed"] == runs.round(5).tolist()
        grids[optimizer] = grid = runs.mean(axis=2)
        assert numbers[f"grid_{optimizer}"] == grid.round(5).tolist()
        assert numbers[f"slope_all_rows_{optimizer}"] == pytest.approx(coupling_slope(grid, lrs, wds, tau), abs=5e-4)
        best = grid.argmin(axis=1)
        rows = (best > 0) & (best < len(wds) - 1) & (no_decay - grid.min(axis=1) >= matters)
        assert numbers[f"valid_rows_{optimizer}"] == rows.tolist()
        assert numbers[f"decay_gain_{optimizer}"] == pytest.approx((no_decay - grid.min(axis=1)).tolist(), abs=1e-5)
        criterion = next(c for c in exp["criteria"]
                         if c["name"] == {"adamw": "adamw_decoupled", "adam-l2": "adam_l2_coupled"}[optimizer])
        span = np.ptp(np.log10(lrs)[rows]) if rows.any() else 0.0
        if rows.sum() < MIN_VALID_ROWS or span < 1.0 - 1e-9:  # too few rows where decay locates an optimum
            assert numbers[f"slope_{optimizer}"] is None and criterion["passed"] is None
        else:
            log_wd = np.log10(wds)
            weights = np.exp(-(grid - grid.min(axis=1, keepdims=True)) / tau)
            centres = (weights * log_wd).sum(axis=1) / weights.sum(axis=1)
            slope = np.polyfit(np.log10(lrs)[rows], centres[rows], 1)[0]
            assert numbers[f"slope_{optimizer}"] == pytest.approx(slope, abs=5e-4)
            interval = numbers[f"slope_{optimizer}_interval"]
            assert interval["low"] <= slope <= interval["high"]
    i, j = np.unravel_index(np.argmin(grids["adamw"]), grids["adamw"].shape)
    assert (numbers["b_cosine_lr"], numbers["b_cosine_wd"]) == (lrs[i], params["adamw_wds"][j])

    # (b) per-seed errors, the shared cosine schedule, the paired interval and the decision
    seeds = [0 + 1000 * k for k in range(params["seeds"])]
    assert sorted(result["seeds"]) == sorted(set(seeds) | set(grid_seeds))
    lr_cos, lr_sf = numbers["b_cosine_lr"], numbers["b_sf_lr"]
    cos = np.array([final_error(f"b/adamw-cosine/seed{s}") for s in seeds])
    sf = np.array([final_error(f"b/sf-adamw/lr{lr_sf:g}-seed{s}") for s in seeds])
    assert numbers["b_cosine_errors"] == cos.round(5).tolist() and numbers["b_sf_errors"] == sf.round(5).tolist()
    for s in seeds:
        trace = [(r["step"], r["lr"]) for r in records(f"b/adamw-cosine/seed{s}") if r["split"] == "train"]
        assert len(trace) == steps // params["log_every"]
        for step, lr in trace:  # logged after `step` scheduler steps
            assert lr == pytest.approx(lr_cos * warmup_cosine_factor(step, steps, warmup), rel=1e-12, abs=1e-15)
    gap = mean_interval(sf - cos)
    assert numbers["b_sf_minus_cosine"] == pytest.approx(gap.estimate, abs=1e-5)
    interval = numbers["b_sf_minus_cosine_interval"]
    assert [interval["low"], interval["high"]] == pytest.approx([gap.low, gap.high], abs=1e-5)
    criterion = next(c for c in exp["criteria"] if c["name"] == "sf_matches_cosine")
    assert criterion["passed"] == mean_interval(cos - sf).decide(-SF_TOLERANCE)
    assert numbers["b_sf_minus_cosine"] <= SF_TOLERANCE  # the claim's shape: SF matches or beats cosine
    assert result["headline"]["value"] == numbers["b_sf_minus_cosine"]
    for plot in ("lr_wd_heatmaps.png", "schedule_free_vs_cosine.png"):
        assert (exp_dir / plot).stat().st_size > 1000


# ----------------------------------------------------------------------------- through the trainer

@pytest.mark.parametrize("build", [
    lambda m: (lambda o: (o, make_schedule("cosine", o, total_steps=30, warmup_steps=5)))(
        AdamW(m.parameters(), lr=0.01, weight_decay=0.1)),
    lambda m: (ScheduleFreeAdamW(m.parameters(), lr=0.01, warmup_steps=5, weight_decay=0.01), None),
    lambda m: (lambda o: (o, make_schedule("piecewise-constant", o, milestones=[12, 20])))(
        SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True)),
], ids=["adamw-cosine", "schedule-free-adamw", "sgd-nesterov-step"])
def test_trainer_checkpoint_resume_is_exact(tmp_path, build) -> None:
    """Killed after step 13 and resumed from the step-10 checkpoint (safetensors + JSON metadata),
    training ends exactly where an uninterrupted run ends."""
    from papercraft.training import TensorBatches, TrainConfig, Trainer

    class Interrupt(Exception):
        pass

    def fit(out_dir, stop_at=None, resume=False):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
        optimizer, scheduler = build(model)
        g = torch.Generator().manual_seed(3)
        x = torch.randn(64, 5, generator=g)
        y = x.sum(-1)
        calls = [0]

        def loss_fn(m, batch):
            calls[0] += 1
            if stop_at is not None and calls[0] > stop_at:
                raise Interrupt
            return ((m(batch[0]).squeeze(-1) - batch[1]) ** 2).mean(), {}

        trainer = Trainer(model, optimizer, loss_fn, TensorBatches(x, y, batch_size=16, seed=0),
                          TrainConfig(max_steps=30, checkpoint_every=10), out_dir=out_dir, scheduler=scheduler,
                          resume=resume)
        try:
            trainer.fit()
        except Interrupt:
            pass
        return [p.detach().clone() for p in model.parameters()]

    straight = fit(tmp_path / "a")
    fit(tmp_path / "b", stop_at=13)
    resumed = fit(tmp_path / "b", resume=True)
    for a, b in zip(straight, resumed):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
