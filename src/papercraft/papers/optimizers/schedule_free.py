"""Schedule-Free SGD and AdamW: Defazio et al. 2024, "The Road Less Scheduled" (arXiv 2405.15682).

No learning-rate schedule and no stopping time: the method keeps three sequences (paper eq. 1-3,
Algorithm 1 for AdamW):

    y_t = (1 − β) z_t + β x_t                   gradients are evaluated here (interpolation, eq. 1)
    z_{t+1} = z_t − γ_t ∇f(y_t)                 the base optimizer's step (SGD, or Adam's normalized step)
    x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}   a weighted running average of z (eq. 3)

``x`` is the sequence to evaluate and to return; ``y`` is where the model sits during training.
The averaging weights follow the learning rate (paper §4.3 / Algorithm 1 "c_{t+1} = γ_t² / Σ γ_i²")
so that the small steps of the warm-up count little:

    w_t = t^r · (γ_max,t)^p,  c_{t+1} = w_t / Σ_{i≤t} w_i

where γ_max,t is the largest (warmed-up) learning rate seen so far and p = ``weight_lr_power``
(2 in the paper). The warm-up is built in: γ_t = γ · min(1, t / T_warmup).

AdamW's z-step (Algorithm 1): v_t ← β2 v + (1 − β2) g², z ← z − γ_t (g / (√(v_t / (1 − β2^t)) + ε)
+ λ y_t): weight decay is taken at y, and the bias correction sits in the denominator. These two
details and the "max lr" in the weights are those of the authors' released code (the ``schedulefree``
package), which papercraft matches to rounding; Algorithm 1 of the paper folds the bias correction
into γ_t instead (a deviation noted on the page).

The ``train()`` / ``eval()`` switch. While training the model's parameters hold y; before evaluating
or saving, call ``optimizer.eval()`` to put x into them, and ``optimizer.train()`` to go back. This
implementation keeps x explicitly in the optimizer state (one more buffer than the package, which
recovers x from y and z), so the switch is a copy and works for any β in [0, 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from papercraft.papers.optimizers.checks import check_betas, check_non_negative, check_unit_interval, use_foreach


class _ScheduleFree(torch.optim.Optimizer):
    """Shared machinery: the warm-up, the averaging weight c_{t+1}, and the y/x switch."""

    def _momentum(self, group: dict[str, Any]) -> float:
        raise NotImplementedError

    @torch.no_grad()
    def eval(self) -> None:
        """Put the averaged sequence x into the parameters (for evaluation or checkpointing)."""
        for group in self.param_groups:
            if group["train_mode"]:
                for p in group["params"]:
                    if "x" in self.state[p]:
                        p.copy_(self.state[p]["x"])
                group["train_mode"] = False

    @torch.no_grad()
    def train(self) -> None:
        """Put the interpolated sequence y = (1 − β) z + β x into the parameters (for training)."""
        for group in self.param_groups:
            if not group["train_mode"]:
                beta = self._momentum(group)
                for p in group["params"]:
                    state = self.state[p]
                    if "x" in state:
                        torch.lerp(state["z"], state["x"], beta, out=p)  # eq. 1
                group["train_mode"] = True

    def _averaging_weight(self, group: dict[str, Any]) -> tuple[float, float]:
        """Advance the group's counters; return (γ_t the warmed-up lr, c_{t+1} the averaging weight)."""
        k = group["k"]
        warmup = group["warmup_steps"]
        lr = group["lr"] * ((k + 1) / warmup if k < warmup else 1.0)  # linear warm-up, built in
        group["scheduled_lr"] = lr
        lr_max = group["lr_max"] = max(lr, group["lr_max"])
        weight = (k + 1) ** group["r"] * lr_max ** group["weight_lr_power"]
        group["weight_sum"] = group["weight_sum"] + weight
        c = weight / group["weight_sum"] if group["weight_sum"] != 0 else 0.0
        group["k"] = k + 1
        return lr, c

    def _check_train_mode(self) -> None:
        if not all(group["train_mode"] for group in self.param_groups):
            raise RuntimeError("schedule-free optimizer stepped in eval mode: call optimizer.train() before "
                               "training steps and optimizer.eval() before evaluation")

    def _init_state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.state[p]
        if "z" not in state:  # z_1 = x_1 = y_1 = the initial parameters
            state["z"] = p.detach().clone(memory_format=torch.preserve_format)
            state["x"] = p.detach().clone(memory_format=torch.preserve_format)
        return state

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One schedule-free step of every parameter that has a gradient (parameters must hold y)."""
        self._check_train_mode()
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, c = self._averaging_weight(group)
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                self._init_state(p)
            if not params:
                continue
            if use_foreach(group["foreach"], params):
                self._step_foreach(group, params, lr, c)
            else:
                for p in params:
                    self._step_one(group, p, lr, c)
        return loss

    def _z_direction(self, group: dict[str, Any], p: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _step_one(self, group: dict[str, Any], p: torch.Tensor, lr: float, c: float) -> None:
        """The readable update of one parameter, p holding y_t on entry and y_{t+1} on exit."""
        state = self.state[p]
        z, x = state["z"], state["x"]
        direction = self._z_direction(group, p)  # base optimizer's step direction at y_t (+ λ y_t)
        z.sub_(direction, alpha=lr)  # z_{t+1} = z_t − γ_t d_t
        x.lerp_(z, c)  # x_{t+1} = (1 − c) x_t + c z_{t+1}         (eq. 3)
        torch.lerp(z, x, self._momentum(group), out=p)  # y_{t+1} = (1 − β) z + β x   (eq. 1)

    def _step_foreach(self, group: dict[str, Any], params: list[torch.Tensor], lr: float, c: float) -> None:
        raise NotImplementedError


class ScheduleFreeSGD(_ScheduleFree):
    """Schedule-Free SGD (paper eq. 1-3 with the SGD base step).

    Args:
        params: parameters or parameter-group dicts.
        lr: learning rate γ (>= 0).
        momentum: interpolation β in [0, 1) (the paper's "momentum", 0.9 by default).
        weight_decay: λ, added to the gradient at y (an L2 penalty, as in the package).
        warmup_steps: linear warm-up length.
        r: polynomial weighting power of the average.
        weight_lr_power: power p of the learning rate in the averaging weights.
        foreach: use the multi-tensor path; None (default): on CUDA only (see ``checks.use_foreach``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, momentum: float = 0.9, weight_decay: float = 0.0,
                 warmup_steps: int = 0, r: float = 0.0, weight_lr_power: float = 2.0, foreach: bool | None = None) -> None:
        check_non_negative("lr", lr)
        check_unit_interval("momentum", momentum)
        check_non_negative("weight_decay", weight_decay)
        if not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"warmup_steps must be an int >= 0, got {warmup_steps!r}")
        check_non_negative("r", r)
        check_non_negative("weight_lr_power", weight_lr_power)
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, warmup_steps=warmup_steps, r=r,
                        weight_lr_power=weight_lr_power, k=0, train_mode=True, weight_sum=0.0, lr_max=-1.0,
                        scheduled_lr=0.0, foreach=foreach)
        super().__init__(params, defaults)

    def _momentum(self, group: dict[str, Any]) -> float:
        return group["momentum"]

    def _z_direction(self, group: dict[str, Any], p: torch.Tensor) -> torch.Tensor:
        g = p.grad
        return g.add(p, alpha=group["weight_decay"]) if group["weight_decay"] != 0 else g

    def _step_foreach(self, group: dict[str, Any], params: list[torch.Tensor], lr: float, c: float) -> None:
        zs = [self.state[p]["z"] for p in params]
        xs = [self.state[p]["x"] for p in params]
        grads = [p.grad for p in params]
        if group["weight_decay"] != 0:
            grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
        torch._foreach_add_(zs, grads, alpha=-lr)
        torch._foreach_lerp_(xs, zs, c)
        torch._foreach_copy_(params, zs)
        torch._foreach_lerp_(params, xs, group["momentum"])


class ScheduleFreeAdamW(_ScheduleFree):
    """Schedule-Free AdamW (paper Algorithm 1).

    Args:
        params: parameters or parameter-group dicts.
        lr: learning rate γ (>= 0).
        betas: (β1, β2) in [0, 1): β1 is the y interpolation, β2 the second-moment average.
        eps: ε added to the root of the bias-corrected second moment.
        weight_decay: λ, decoupled: z ← z − γ_t λ y_t (Algorithm 1).
        warmup_steps, r, weight_lr_power, foreach: as :class:`ScheduleFreeSGD`.

    State per parameter: ``z``, ``x`` and ``exp_avg_sq`` (v), shaped like θ.
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.0025, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, warmup_steps: int = 0, r: float = 0.0,
                 weight_lr_power: float = 2.0, foreach: bool | None = None) -> None:
        check_non_negative("lr", lr)
        betas = check_betas(betas)
        check_non_negative("eps", eps)
        check_non_negative("weight_decay", weight_decay)
        if not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"warmup_steps must be an int >= 0, got {warmup_steps!r}")
        check_non_negative("r", r)
        check_non_negative("weight_lr_power", weight_lr_power)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, warmup_steps=warmup_steps, r=r,
                        weight_lr_power=weight_lr_power, k=0, train_mode=True, weight_sum=0.0, lr_max=-1.0,
                        scheduled_lr=0.0, foreach=foreach)
        super().__init__(params, defaults)

    def _momentum(self, group: dict[str, Any]) -> float:
        return group["betas"][0]

    def _init_state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        state = super()._init_state(p)
        if "exp_avg_sq" not in state:
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    def _z_direction(self, group: dict[str, Any], p: torch.Tensor) -> torch.Tensor:
        beta2 = group["betas"][1]
        v = self.state[p]["exp_avg_sq"]
        g = p.grad
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t = β2 v + (1 − β2) g²
        bias_correction2 = 1 - beta2 ** group["k"]  # k was advanced already: this is 1 − β2^t
        direction = g / v.div(bias_correction2).sqrt_().add_(group["eps"])
        if group["weight_decay"] != 0:
            direction.add_(p, alpha=group["weight_decay"])  # decoupled decay evaluated at y_t
        return direction

    def _step_foreach(self, group: dict[str, Any], params: list[torch.Tensor], lr: float, c: float) -> None:
        beta1, beta2 = group["betas"]
        zs = [self.state[p]["z"] for p in params]
        xs = [self.state[p]["x"] for p in params]
        vs = [self.state[p]["exp_avg_sq"] for p in params]
        grads = [p.grad for p in params]
        torch._foreach_mul_(vs, beta2)
        torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
        denom = torch._foreach_div(vs, 1 - beta2 ** group["k"])
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, group["eps"])
        # z ← z − γ_t (g / denom + λ y), in two in-place ops (no temporary for the direction)
        torch._foreach_addcdiv_(zs, grads, denom, value=-lr)
        if group["weight_decay"] != 0:
            torch._foreach_add_(zs, params, alpha=-lr * group["weight_decay"])
        torch._foreach_lerp_(xs, zs, c)
        torch._foreach_copy_(params, zs)
        torch._foreach_lerp_(params, xs, beta1)
