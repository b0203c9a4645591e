"""Learning-rate schedules as torch LR schedulers: linear warm-up, cosine, piecewise-constant.

Each schedule is a closed-form multiplier of the base learning rate as a function of the step
``t`` (``last_epoch``, counted from 0 at construction; the trainer steps the scheduler after every
optimizer step). Being closed-form, a schedule resumed from ``state_dict()`` continues exactly.

- linear warm-up (Goyal et al. 2017, §2.2; the AdamW and Schedule-Free papers warm up this way):
  multiplier (t + 1) / T_warmup for the first T_warmup steps;
- cosine annealing (Loshchilov & Hutter 2017, SGDR eq. 5, one cycle without restarts; the AdamW
  paper's η_t) after an optional warm-up: papercraft's one warm-up + cosine schedule,
  :func:`papercraft.training.schedules.warmup_cosine_factor`, as a scheduler class;
- piecewise-constant ("step") decay: the base rate times ``factor`` at each milestone.

:func:`make_schedule` builds any of them by name, so an experiment's preset can name its schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from papercraft.training.schedules import warmup_cosine_factor


class MultiplierSchedule(LRScheduler):
    """Base of the closed-form schedules: ``lr_t = base_lr · multiplier(t)`` for every group."""

    def multiplier(self, step: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:  # called by LRScheduler.step() after it advanced last_epoch
        m = self.multiplier(self.last_epoch)
        return [base * m for base in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()


def _check_steps(name: str, value: int, minimum: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


class LinearWarmup(MultiplierSchedule):
    """Linear warm-up over ``warmup_steps`` steps, then constant: multiplier min(1, (t + 1) / T_w)."""

    def __init__(self, optimizer: torch.optim.Optimizer, warmup_steps: int, last_epoch: int = -1) -> None:
        _check_steps("warmup_steps", warmup_steps)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)

    def multiplier(self, step: int) -> float:
        return min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0


class WarmupCosine(MultiplierSchedule):
    """Optional linear warm-up, then cosine annealing to ``min_factor`` at ``total_steps``.

    The multiplier is :func:`papercraft.training.schedules.warmup_cosine_factor` (``floor`` =
    ``min_factor``): (t + 1) / T_w during warm-up; then, with t' = t − T_w and T' = T − T_w,
    ``min_factor + (1 − min_factor) · (1 + cos(π t' / T')) / 2`` (SGDR eq. 5), and ``min_factor``
    after ``total_steps``. Unlike the shared function, the warm-up must end before ``total_steps``
    (a cosine phase of length 0 is almost certainly a mistaken argument).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0,
                 min_factor: float = 0.0, last_epoch: int = -1) -> None:
        _check_steps("total_steps", total_steps, 1)
        _check_steps("warmup_steps", warmup_steps)
        if warmup_steps >= total_steps:
            raise ValueError(f"warmup_steps ({warmup_steps}) must be < total_steps ({total_steps})")
        if not 0.0 <= min_factor <= 1.0:
            raise ValueError(f"min_factor must be in [0, 1], got {min_factor!r}")
        self.total_steps, self.warmup_steps, self.min_factor = total_steps, warmup_steps, min_factor
        super().__init__(optimizer, last_epoch)

    def multiplier(self, step: int) -> float:
        return warmup_cosine_factor(step, self.total_steps, self.warmup_steps, self.min_factor)


class PiecewiseConstant(MultiplierSchedule):
    """Step decay: the base rate times ``factor`` once per milestone passed (e.g. ÷10 at 50% and 75%).

    ``milestones`` are increasing step numbers; from step ``milestones[i]`` on, the multiplier is
    ``factor ** (i + 1)``. An optional linear warm-up precedes it.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, milestones: Sequence[int], factor: float = 0.1,
                 warmup_steps: int = 0, last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            _check_steps("milestones", m)
        if milestones != sorted(milestones):
            raise ValueError(f"milestones must be increasing, got {milestones}")
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor!r}")
        _check_steps("warmup_steps", warmup_steps)
        self.milestones, self.factor, self.warmup_steps = milestones, factor, warmup_steps
        super().__init__(optimizer, last_epoch)

    def multiplier(self, step: int) -> float:
        passed = sum(1 for m in self.milestones if step >= m)
        warm = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        return warm * self.factor ** passed


class Constant(MultiplierSchedule):
    """No schedule (multiplier 1); lets presets say ``schedule="constant"``."""

    def multiplier(self, step: int) -> float:
        return 1.0


SCHEDULES: dict[str, type[MultiplierSchedule]] = {
    "constant": Constant,
    "linear-warmup": LinearWarmup,
    "cosine": WarmupCosine,
    "piecewise-constant": PiecewiseConstant,
}
"""This entry's schedules by name. Schedules of later entries are not listed (an earlier entry
never names a later one); those entries build their own schedule classes directly."""


def parse_schedule_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split a schedule spec string, as a preset or ``--set schedule=...`` gives it, into name and arguments.

    ``"cosine:total_steps=1000,warmup_steps=50"`` → ``("cosine", {"total_steps": 1000, "warmup_steps": 50})``.
    Values are read as JSON where they parse (numbers, booleans, lists such as ``milestones=[10,20]``),
    else kept as strings (``anneal=linear``).
    """
    import json

    name, _, rest = spec.strip().partition(":")
    kwargs: dict[str, Any] = {}
    depth, item, items = 0, "", []
    for ch in rest:  # split on commas outside brackets, so that lists may hold commas
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
        else:
            item += ch
    items.append(item)
    for entry in filter(None, (i.strip() for i in items)):
        key, sep, raw = entry.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"schedule spec {spec!r}: expected KEY=VALUE after the name, got {entry!r}")
        try:
            kwargs[key.strip()] = json.loads(raw)
        except ValueError:
            kwargs[key.strip()] = raw.strip()
    return name, kwargs


def make_schedule(name: str, optimizer: torch.optim.Optimizer, **kwargs: Any) -> LRScheduler:
    """Build the schedule called ``name`` (a key of :data:`SCHEDULES`) over ``optimizer``.

    Example: ``make_schedule("cosine", opt, total_steps=1000, warmup_steps=50)``. ``name`` may also be
    a spec string with arguments (:func:`parse_schedule_spec`), ``"cosine:warmup_steps=50"``; keyword
    arguments given here fill in what the spec leaves out (e.g. ``total_steps`` from the run length).
    """
    name, spec_kwargs = parse_schedule_spec(name)
    kwargs = {**kwargs, **spec_kwargs}
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; expected one of {', '.join(sorted(SCHEDULES))}")
    try:
        return SCHEDULES[name](optimizer, **kwargs)
    except TypeError as exc:  # a wrong keyword: say which schedule and what it takes
        raise ValueError(f"schedule {name!r}: {exc}") from exc
