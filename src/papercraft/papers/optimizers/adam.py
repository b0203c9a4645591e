"""Adam with L2 regularization, and AdamW: Adam with *decoupled* weight decay.

Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization" (arXiv 1711.05101), Algorithm 2
("Adam with L2 regularization and Adam with decoupled weight decay (AdamW)"):

    line 6:  g_t ← ∇f_t(θ_{t-1}) + λ θ_{t-1}        Adam + L2: the decay enters the gradient ...
    line 7:  m_t ← β1 m_{t-1} + (1 − β1) g_t        ... so it is averaged into m and v and then
    line 8:  v_t ← β2 v_{t-1} + (1 − β2) g_t²           divided by √v̂ like any gradient: weights with
    line 9:  m̂_t ← m_t / (1 − β1^t)                    large gradient history are decayed *less*.
    line 10: v̂_t ← v_t / (1 − β2^t)
    line 12: θ_t ← θ_{t-1} − η_t (α m̂_t / (√v̂_t + ε) + λ θ_{t-1})    AdamW: decay applied directly.

Parameterization of the decay. The paper multiplies λ by the *schedule multiplier* η_t only, so λ
is independent of the learning rate α. ``torch.optim.AdamW`` (and this class, so that the two agree
to rounding) multiply it by the whole learning rate ``lr = η_t α``: ``θ ← θ (1 − lr·weight_decay)``.
The paper's λ is therefore ``weight_decay = λ / α`` here; :func:`paper_weight_decay` converts.

The readable per-parameter update is :meth:`Adam._step_one`; ``foreach=True`` runs the same update
as multi-tensor ops (a test checks that they agree).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from papercraft.papers.optimizers.checks import check_betas, check_non_negative, use_foreach


def paper_weight_decay(lam: float, lr: float) -> float:
    """``weight_decay`` for :class:`AdamW` that decays by ``η_t λ`` per step, as Algorithm 2 line 12.

    ``AdamW`` decays by ``lr · weight_decay``; with ``lr = η_t α`` that is ``η_t λ`` when
    ``weight_decay = λ / α``.
    """
    check_non_negative("lam", lam)
    if not lr > 0:
        raise ValueError(f"lr must be > 0 to convert the paper's weight decay, got {lr!r}")
    return lam / lr


class Adam(torch.optim.Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1) with optional L2 weight decay in the gradient.

    Args:
        params: parameters or parameter-group dicts.
        lr: learning rate α (>= 0).
        betas: (β1, β2), each in [0, 1).
        eps: ε added to √v̂ (>= 0).
        weight_decay: λ. For :class:`Adam` it is an L2 penalty added to the gradient (Algorithm 2
            line 6); for :class:`AdamW` a decoupled decay ``θ ← θ(1 − lr λ)`` (line 12).
        foreach: use the multi-tensor path; None (default): on CUDA only (see ``checks.use_foreach``).

    State per parameter: ``step`` (int), ``exp_avg`` (m), ``exp_avg_sq`` (v), both shaped like θ.
    """

    decoupled = False  # AdamW sets True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None) -> None:
        check_non_negative("lr", lr)
        betas = check_betas(betas)
        check_non_negative("eps", eps)
        check_non_negative("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if not params:
                continue
            steps = {self.state[p]["step"] for p in params}
            if use_foreach(group["foreach"], params) and len(steps) == 1:
                self._step_foreach(group, params)
            else:
                for p in params:
                    self._step_one(group, p)
        return loss

    def _step_one(self, group: dict[str, Any], p: torch.Tensor) -> None:
        """The readable update of one parameter: Algorithm 2 of the AdamW paper, line by line."""
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        state = self.state[p]
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        g = p.grad
        if wd != 0:
            if self.decoupled:
                p.mul_(1 - lr * wd)  # line 12, decay term: θ ← θ − lr λ θ, outside the adaptive step
            else:
                g = g.add(p, alpha=wd)  # line 6: L2 gradient, later divided by √v̂
        m.lerp_(g, 1 - beta1)  # line 7: m ← β1 m + (1 − β1) g
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # line 8
        # lines 9-10 and 12: α m̂ / (√v̂ + ε) with the bias corrections folded into the step size
        # and the denominator (the same arithmetic as torch, so parity holds to rounding).
        step_size = lr / (1 - beta1 ** t)
        denom = (v.sqrt() / math.sqrt(1 - beta2 ** t)).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)

    def _step_foreach(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        """The same update as :meth:`_step_one` as multi-tensor ops (all ``params`` at the same step)."""
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p in params:
            self.state[p]["step"] += 1
        t = self.state[params[0]]["step"]
        grads = [p.grad for p in params]
        ms = [self.state[p]["exp_avg"] for p in params]
        vs = [self.state[p]["exp_avg_sq"] for p in params]
        if wd != 0:
            if self.decoupled:
                torch._foreach_mul_(params, 1 - lr * wd)
            else:
                grads = torch._foreach_add(grads, params, alpha=wd)
        torch._foreach_lerp_(ms, grads, 1 - beta1)
        torch._foreach_mul_(vs, beta2)
        torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, math.sqrt(1 - beta2 ** t))
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, ms, denom, value=-lr / (1 - beta1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay (AdamW paper, Algorithm 2 line 12): ``θ ← θ(1 − lr λ)``.

    Same arguments as :class:`Adam`; the default ``weight_decay`` is 1e-2 as in ``torch.optim.AdamW``.
    See the module docstring for how ``weight_decay`` relates to the paper's λ.
    """

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, foreach: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach)
