"""Optimizers written from their update equations, and generic learning-rate schedules.

- :class:`SGD` — momentum, dampening, Nesterov, L2 weight decay (:mod:`.sgd`);
- :class:`Adam` (with L2 weight decay) and :class:`AdamW` (decoupled weight decay; Loshchilov &
  Hutter 2019, arXiv 1711.05101) (:mod:`.adam`);
- :class:`ScheduleFreeSGD` and :class:`ScheduleFreeAdamW` (Defazio et al. 2024, arXiv 2405.15682)
  (:mod:`.schedule_free`);
- schedules: :class:`LinearWarmup`, :class:`WarmupCosine`, :class:`PiecewiseConstant` and the
  by-name factory :func:`make_schedule` (:mod:`.schedules`).

All optimizers are ``torch.optim.Optimizer`` subclasses, so the trainer and its checkpoints use them
like torch's own. The experiment (:mod:`.experiment`) reproduces the AdamW paper's decoupling claim
and the Schedule-Free claim on Fashion-MNIST.
"""

from papercraft.papers.optimizers.adam import Adam, AdamW, paper_weight_decay
from papercraft.papers.optimizers.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD
from papercraft.papers.optimizers.schedules import (
    SCHEDULES,
    Constant,
    LinearWarmup,
    MultiplierSchedule,
    PiecewiseConstant,
    WarmupCosine,
    make_schedule,
    parse_schedule_spec,
)
from papercraft.papers.optimizers.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "ScheduleFreeSGD", "ScheduleFreeAdamW", "paper_weight_decay", "Constant",
           "LinearWarmup", "WarmupCosine", "PiecewiseConstant", "MultiplierSchedule", "SCHEDULES", "make_schedule",
           "parse_schedule_spec"]
