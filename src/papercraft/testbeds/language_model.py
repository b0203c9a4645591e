"""Training and evaluating a next-token language model on windows of token ids (paper-agnostic).

Shared by the experiments that train a small decoder as a language model (``gpt``'s loss against
model size, ``normalization``'s RMSNorm vs LayerNorm). The model is passed in: anything with
``lm_loss(idx [B, T], targets [B, T]) -> scalar`` (mean next-token cross-entropy), such as the
``gpt`` entry's ``GPT``. Data are windows ``[W, T + 1]`` of token ids: a window's first ``T``
tokens are the input and its last ``T`` the targets.

The recipe of :func:`train_lm` is GPT-1's (§4.1: "increased linearly from zero over the first 2000
updates and annealed to 0 using a cosine schedule"), scaled down: AdamW, a linear warm-up over the
first 10% of the steps and cosine annealing to 10% of the peak rate (the shared
:func:`papercraft.training.schedules.warmup_cosine`), gradients clipped to norm 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from papercraft.training import TensorBatches, TrainResult
from papercraft.training.schedules import warmup_cosine

if TYPE_CHECKING:
    from papercraft.runner import RunContext


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _check_windows(windows: Tensor, name: str) -> None:
    if windows.dim() != 2 or windows.shape[1] < 2 or windows.dtype != torch.long:
        raise ValueError(f"{name} must be int64 windows [W, T + 1] with T >= 1, got {windows.dtype} "
                         f"{list(windows.shape)}")


@torch.no_grad()
def mean_lm_loss(model: nn.Module, windows: Tensor, batch_size: int = 32) -> float:
    """Mean next-token loss (nats per token) over ``windows`` ``[W, T + 1]``, token-weighted.

    The model is put in evaluation mode for the measurement and returned to its previous mode.
    """
    _check_windows(windows, "windows")
    was = model.training
    model.eval()
    device = _device(model)
    total, count = 0.0, 0
    for i in range(0, windows.shape[0], batch_size):
        x = windows[i : i + batch_size].to(device)
        total += model.lm_loss(x[:, :-1], x[:, 1:]).item() * x[:, 1:].numel()
        count += x[:, 1:].numel()
    model.train(was)
    return total / count


@torch.no_grad()
def window_lm_losses(model: nn.Module, windows: Tensor) -> Tensor:
    """The mean next-token loss of each window: ``[W, T + 1]`` -> ``[W]`` float64.

    For paired comparisons of two models on the same held-out windows (e.g.
    :func:`papercraft.statistics.paired_mean_bootstrap`); all windows have ``T`` targets, so the
    mean of this vector is the token-weighted mean loss.
    """
    _check_windows(windows, "windows")
    was = model.training
    model.eval()
    device = _device(model)
    out = torch.empty(windows.shape[0], dtype=torch.float64)
    for i in range(windows.shape[0]):
        x = windows[i : i + 1].to(device)
        out[i] = model.lm_loss(x[:, :-1], x[:, 1:]).item()
    model.train(was)
    return out


@dataclass
class LMRun:
    """What :func:`train_lm` returns: the trained model, the trainer's result (steps, the
    ``heldout_loss`` evaluations, wall time) and the final held-out loss."""

    model: nn.Module
    result: TrainResult
    heldout_loss: float


def train_lm(ctx: RunContext, name: str, model: nn.Module, train_windows: Tensor, eval_windows: Tensor, *,
             steps: int, batch_size: int, lr: float, seed: int, eval_every: int = 0, weight_decay: float = 0.01,
             betas: tuple[float, float] = (0.9, 0.95), warmup_steps: int | None = None, floor: float = 0.1,
             grad_clip: float | None = 1.0, final_eval_windows: Tensor | None = None,
             identity: Mapping[str, Any] | None = None) -> LMRun:
    """Train ``model`` as a language model, as the named sub-run ``name`` of ``ctx``.

    Args:
        model: an initialized model with ``lm_loss`` (seed torch before building it: its
            initialization is the caller's).
        train_windows, eval_windows: int64 windows ``[W, T + 1]``; ``eval_windows`` gives the
            ``heldout_loss`` evaluated every ``eval_every`` steps and at the end.
        steps, batch_size, lr, seed: the budget in optimizer steps, windows per batch, the peak
            learning rate, and the seed of the batch order.
        warmup_steps, floor: linear warm-up over ``warmup_steps`` steps (default: the first 10%,
            at least one), then cosine annealing to ``floor`` x ``lr``.
        final_eval_windows: where the final held-out loss is measured (default ``eval_windows``).
        identity: more of the run's description for the checkpoint identity.
    """
    _check_windows(train_windows, "train_windows")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
    warmup = max(1, steps // 10) if warmup_steps is None else warmup_steps
    scheduler = warmup_cosine(optimizer, steps, warmup_steps=warmup, floor=floor)
    tokens_per_batch = batch_size * (train_windows.shape[1] - 1)

    def loss_fn(m: nn.Module, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        x = batch[0]
        return m.lm_loss(x[:, :-1], x[:, 1:]), {"tokens": tokens_per_batch}

    result = ctx.train(name, model, optimizer, loss_fn, TensorBatches(train_windows, batch_size=batch_size, seed=seed),
                       steps=steps, seed=seed, scheduler=scheduler,
                       evaluate=lambda m: {"heldout_loss": mean_lm_loss(m, eval_windows)}, eval_every=eval_every,
                       log_every=max(1, steps // 50), grad_clip=grad_clip, unit="tokens",
                       identity={"lr": lr, "batch_size": batch_size, **dict(identity or {})})
    final = final_eval_windows if final_eval_windows is not None else eval_windows
    return LMRun(model, result, mean_lm_loss(model, final))
