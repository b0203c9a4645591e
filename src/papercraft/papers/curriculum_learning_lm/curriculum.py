"""Competence-based curriculum (Platanios et al. 2019, §3; used by Campos 2021).

The model's *competence* ``c(t)`` in ``(0, 1]`` grows with the training step ``t``; at step ``t``
a batch is drawn uniformly from the training examples whose difficulty CDF value (Platanios §3.1,
:func:`.difficulty.difficulty_cdf`) is at most ``c(t)`` (Platanios Algorithm 1). The easiest
``c0`` of the data is available from the start; from step ``T`` (the curriculum length) on, all of
it.

Competence schedules (Platanios §3.2; eq. 5 is the square root; the "p-root" family generalizes both):

    linear (p = 1):       c(t) = min(1, t (1 - c0) / T + c0)
    square root (p = 2):  c(t) = min(1, sqrt(t (1 - c0^2) / T + c0^2))     (eq. 5)
    p-root:               c(t) = min(1, (t (1 - c0^p) / T + c0^p)^(1/p))

The square root adds new examples at a rate inversely proportional to the amount already admitted
(``dc/dt ∝ 1/c``): fast while the admitted set is small, slower as it grows, so that each batch
still gives the newest examples a fair share of the draws (Platanios §3.2). Both satisfy
``c(0) = c0`` and ``c(T) = 1``.

:class:`CompetenceBatches` is an endless, resumable iterator of batches like
:class:`papercraft.training.TensorBatches` (the no-curriculum baseline: shuffled epochs), so the
two can be swapped in the same training loop.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from papercraft.papers.curriculum_learning_lm.difficulty import difficulty_cdf

SCHEDULES = {"linear": 1.0, "sqrt": 2.0}
"""Competence schedules by name: the power ``p`` of the p-root schedule."""


def _check_schedule(curriculum_steps: int, initial_competence: float, power: float) -> None:
    if not curriculum_steps > 0:
        raise ValueError(f"curriculum_steps (T) must be > 0, got {curriculum_steps}")
    if not 0.0 < initial_competence <= 1.0:
        raise ValueError(f"initial_competence (c0) must be in (0, 1], got {initial_competence}")
    if not power > 0:
        raise ValueError(f"power (p) must be > 0, got {power}")


def competence(step: int, curriculum_steps: int, initial_competence: float = 0.01, power: float = 2.0) -> float:
    """The p-root competence ``c(t) = min(1, (t (1 - c0^p) / T + c0^p)^(1/p))`` (Platanios eq. 5 for
    ``power=2``, the linear schedule for ``power=1``).

    Args:
        step: ``t >= 0``, optimizer steps taken before the batch.
        curriculum_steps: ``T > 0``, the step from which the whole data set is available.
        initial_competence: ``c0`` in ``(0, 1]``, the fraction of the data available at ``t = 0``.
        power: ``p > 0``.
    """
    _check_schedule(curriculum_steps, initial_competence, power)
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    c0p = initial_competence**power
    return min(1.0, (step * (1.0 - c0p) / curriculum_steps + c0p) ** (1.0 / power))


class CompetenceBatches:
    """Endless iterator of batches drawn under a competence schedule (Platanios Algorithm 1).

    Batch ``t`` (``t = 0, 1, ...``) is ``batch_size`` examples drawn uniformly, without replacement
    within the batch, from the admitted examples ``{i : cdf_i <= c(t)}`` (with replacement if fewer
    than ``batch_size`` are admitted; the easiest example is always admitted). Its randomness comes
    from a generator seeded by ``(seed, t)``, so batch ``t`` depends only on the seed and ``t`` and a
    resumed run draws the same batches.

    Args:
        *tensors: ``[N, ...]`` tensors sharing dimension 0 (e.g. padded token ids ``[N, L]`` and
            lengths ``[N]``); a batch is ``tuple(t[index] for t in tensors)``.
        difficulty: ``[N]`` difficulty scores (larger = harder); turned into the CDF with
            :func:`.difficulty.difficulty_cdf` (ties broken at random with ``seed``).
        batch_size: examples per batch.
        curriculum_steps: ``T``, the step at which the competence reaches 1.
        initial_competence: ``c0`` in ``(0, 1]``.
        schedule: ``"sqrt"`` (Platanios eq. 5) or ``"linear"``.
        seed: seed of the tie-breaking and of the draws.
    """

    def __init__(self, *tensors: Tensor, difficulty: Tensor, batch_size: int, curriculum_steps: int,
                 initial_competence: float = 0.01, schedule: str = "sqrt", seed: int = 0) -> None:
        if not tensors:
            raise ValueError("CompetenceBatches needs at least one tensor")
        n = tensors[0].shape[0]
        if n == 0:
            raise ValueError("the data are empty: tensors have 0 examples")
        for t in tensors:
            if t.shape[0] != n:
                raise ValueError(f"all tensors must share dimension 0; got {[tuple(t.shape) for t in tensors]}")
        if difficulty.shape != (n,):
            raise ValueError(f"difficulty must have shape [{n}] (one score per example), got {list(difficulty.shape)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
        _check_schedule(curriculum_steps, initial_competence, SCHEDULES[schedule])
        self.tensors = tensors
        self.batch_size = batch_size
        self.curriculum_steps = curriculum_steps
        self.initial_competence = initial_competence
        self.schedule = schedule
        self.seed = seed
        self.cdf = difficulty_cdf(difficulty, seed=seed)  # [N] in (0, 1]
        self.order = torch.argsort(self.cdf)  # example indices, easiest first
        self._sorted_cdf = self.cdf[self.order]
        self.step = 0

    def __len__(self) -> int:
        """Examples in the data set (the iterator itself is endless)."""
        return self.tensors[0].shape[0]

    def competence(self, step: int) -> float:
        """``c(step)`` of this sampler's schedule."""
        return competence(step, self.curriculum_steps, self.initial_competence, SCHEDULES[self.schedule])

    def admitted(self, step: int) -> Tensor:
        """Indices ``[K]`` of the examples available at ``step``: CDF value <= ``c(step)``, easiest
        first (at least the easiest example)."""
        k = int(torch.searchsorted(self._sorted_cdf, torch.tensor([self.competence(step)], dtype=torch.float64),
                                   right=True).item())
        return self.order[: max(1, k)]

    def indices(self, step: int) -> Tensor:
        """The example indices ``[batch_size]`` of batch ``step``."""
        pool = self.admitted(step)
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        if len(pool) >= self.batch_size:
            pick = torch.randperm(len(pool), generator=generator)[: self.batch_size]
        else:
            pick = torch.randint(len(pool), (self.batch_size,), generator=generator)
        return pool[pick]

    def __iter__(self) -> CompetenceBatches:
        return self

    def __next__(self) -> tuple[Tensor, ...]:
        index = self.indices(self.step)
        self.step += 1
        return tuple(t[index] for t in self.tensors)

    def state_dict(self) -> dict[str, Any]:
        """The position (next step) and the settings a resumed run must share."""
        return {"step": self.step, "seed": self.seed, "batch_size": self.batch_size,
                "curriculum_steps": self.curriculum_steps, "initial_competence": self.initial_competence,
                "schedule": self.schedule}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of a sampler with the same settings."""
        mine = self.state_dict()
        differ = [k for k in mine if k != "step" and state.get(k) != mine[k]]
        if differ:
            raise ValueError(f"sampler state differs in {differ}: saved {[state.get(k) for k in differ]}, "
                             f"this sampler has {[mine[k] for k in differ]}")
        self.step = int(state["step"])
