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

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'Adam': 'adam',
    'AdamW': 'adam',
    'paper_weight_decay': 'adam',
    'ScheduleFreeAdamW': 'schedule_free',
    'ScheduleFreeSGD': 'schedule_free',
    'SCHEDULES': 'schedules',
    'Constant': 'schedules',
    'LinearWarmup': 'schedules',
    'MultiplierSchedule': 'schedules',
    'PiecewiseConstant': 'schedules',
    'WarmupCosine': 'schedules',
    'make_schedule': 'schedules',
    'parse_schedule_spec': 'schedules',
    'SGD': 'sgd',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['SGD', 'Adam', 'AdamW', 'ScheduleFreeSGD', 'ScheduleFreeAdamW', 'paper_weight_decay', 'Constant', 'LinearWarmup', 'WarmupCosine', 'PiecewiseConstant', 'MultiplierSchedule', 'SCHEDULES', 'make_schedule', 'parse_schedule_spec']
