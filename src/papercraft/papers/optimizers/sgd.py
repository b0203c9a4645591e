"""Stochastic gradient descent with momentum (heavy ball), dampening, Nesterov momentum and L2 decay.

Update, for parameter ``θ`` with gradient ``g_t`` (the convention of ``torch.optim.SGD``, which is
Sutskever et al. 2013, "On the importance of initialization and momentum", eq. 1-2 with the learning
rate moved out of the buffer):

    g_t ← g_t + λ θ_{t-1}                      (L2 weight decay, added to the gradient)
    b_t ← μ b_{t-1} + (1 − τ) g_t              (momentum buffer, τ = dampening; b_1 = g_1)
    d_t ← g_t + μ b_t   if Nesterov else b_t   (Nesterov: look ahead along the buffer, Sutskever eq. 3-4)
    θ_t ← θ_{t-1} − η d_t

The readable per-parameter loop is :meth:`SGD._step_one`; with ``foreach=True`` the same update runs
as multi-tensor ``torch._foreach_*`` ops over all parameters of a group at once (faster; a test
checks that both agree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from papercraft.papers.optimizers.checks import check_non_negative, use_foreach


class SGD(torch.optim.Optimizer):
    """SGD with optional momentum, dampening, Nesterov momentum and L2 weight decay.

    Args:
        params: parameters or parameter-group dicts.
        lr: learning rate η (>= 0).
        momentum: momentum μ (>= 0; 0 is plain SGD).
        dampening: τ, scales the gradient entering the buffer by (1 − τ).
        weight_decay: λ of the L2 penalty (λ/2)|θ|², added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        foreach: use the multi-tensor path (same numbers, fewer kernel launches); None: on CUDA only.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, foreach: bool | None = None) -> None:
        check_non_negative("lr", lr)
        check_non_negative("momentum", momentum)
        check_non_negative("weight_decay", weight_decay)
        if not 0.0 <= dampening <= 1.0:
            raise ValueError(f"dampening must be in [0, 1], got {dampening!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"nesterov=True needs momentum > 0 and dampening = 0, "
                             f"got momentum={momentum!r}, dampening={dampening!r}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, foreach=foreach)
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
            if not params:
                continue
            if use_foreach(group["foreach"], params):
                self._step_foreach(group, params)
            else:
                for p in params:
                    self._step_one(group, p)
        return loss

    def _step_one(self, group: dict[str, Any], p: torch.Tensor) -> None:
        """The readable update of one parameter (module docstring, line by line)."""
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        g = p.grad
        if wd != 0:
            g = g.add(p, alpha=wd)  # L2 penalty: ∇(λ/2 |θ|²) = λθ
        if mu != 0:
            state = self.state[p]
            if "momentum_buffer" not in state:
                buf = state["momentum_buffer"] = g.clone()  # b_1 = g_1 (no dampening on the first step)
            else:
                buf = state["momentum_buffer"]
                buf.mul_(mu).add_(g, alpha=1 - tau)
            g = g.add(buf, alpha=mu) if group["nesterov"] else buf
        p.add_(g, alpha=-lr)

    def _step_foreach(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        """The same update as :meth:`_step_one`, as multi-tensor ops over ``params``."""
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        grads = [p.grad for p in params]
        if wd != 0:
            grads = torch._foreach_add(grads, params, alpha=wd)
        if mu != 0:
            fresh = [p for p in params if "momentum_buffer" not in self.state[p]]
            if fresh and len(fresh) != len(params):  # mixed first/later steps: do them one by one
                for p in params:
                    self._step_one(group, p)
                return
            if fresh:
                bufs = [g.clone() for g in grads]
                for p, b in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = b
            else:
                bufs = [self.state[p]["momentum_buffer"] for p in params]
                torch._foreach_mul_(bufs, mu)
                torch._foreach_add_(bufs, grads, alpha=1 - tau)
            if group["nesterov"]:
                grads = torch._foreach_add(grads, bufs, alpha=mu)
            else:
                grads = bufs
        torch._foreach_add_(params, grads, alpha=-lr)
