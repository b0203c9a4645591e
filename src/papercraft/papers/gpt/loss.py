"""The language-modelling loss: output layer + cross-entropy, plain and chunked.

With GPT-2's 50,257-token vocabulary the output layer dominates a small model: one batch of
8 x 256 tokens makes a 2,048 x 50,257 logit matrix (411 MB in float32), and the usual
``F.cross_entropy(h @ W.T, y)`` keeps that matrix, its log-softmax and its gradient alive at once.

:func:`linear_cross_entropy` is the readable definition. :func:`chunked_linear_cross_entropy`
computes the same loss and the same gradients without ever materializing the full logits: it
walks over the rows in chunks and, for each chunk, computes the logits, the loss and -- because
the gradient of cross-entropy w.r.t. the logits is known in closed form,
``dL/dz = softmax(z) - onehot(y)`` -- the gradients w.r.t. the hidden states and the output
weights right away. Backward then only scales the stored gradients by the incoming gradient.
Peak extra memory is one chunk of logits plus one ``[V, d]`` gradient, instead of several
``[N, V]`` matrices. Tests check both agree (loss and gradients).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["linear_cross_entropy", "chunked_linear_cross_entropy"]


def _check(hidden: Tensor, weight: Tensor, targets: Tensor) -> None:
    if hidden.dim() != 2 or weight.dim() != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(f"expected hidden [N, d] and weight [V, d] with the same d; got hidden "
                         f"{list(hidden.shape)}, weight {list(weight.shape)}")
    if targets.shape != hidden.shape[:1] or targets.dtype != torch.long:
        raise ValueError(f"expected int64 targets [N={hidden.shape[0]}], got {targets.dtype} {list(targets.shape)}")


def linear_cross_entropy(hidden: Tensor, weight: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """Mean cross-entropy of ``softmax(hidden @ weight.T)`` against ``targets``.

    hidden: ``[N, d]``; weight: ``[V, d]`` (the output layer, tied to the token embedding in GPT);
    targets: ``[N]`` int64, ``ignore_index`` entries excluded from the mean. Returns a scalar.
    """
    _check(hidden, weight, targets)
    return F.cross_entropy(hidden @ weight.t(), targets, ignore_index=ignore_index)


def _chunked_forward(hidden: Tensor, weight: Tensor, targets: Tensor, ignore_index: int, chunk_size: int,
                     want_grad_h: bool, want_grad_w: bool) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """The loss and (if wanted) its gradients w.r.t. ``hidden`` and ``weight``, chunk by chunk."""
    n = hidden.shape[0]
    valid = targets != ignore_index
    n_valid = int(valid.sum())
    grad_hidden = torch.empty_like(hidden) if want_grad_h else None
    grad_weight = torch.zeros_like(weight) if want_grad_w else None
    acc = torch.promote_types(hidden.dtype, torch.float32)  # softmax in at least float32
    total = hidden.new_zeros((), dtype=acc)
    scale = 1.0 / max(n_valid, 1)
    for start in range(0, n, chunk_size):
        h = hidden[start : start + chunk_size]
        y = targets[start : start + chunk_size]
        ok = valid[start : start + chunk_size]
        logits = (h @ weight.t()).to(acc)  # [n_chunk, V], the only large temporary
        lse = torch.logsumexp(logits, dim=-1)  # [n_chunk]
        y_safe = torch.where(ok, y, 0)
        target_logit = logits.gather(1, y_safe[:, None]).squeeze(1)
        total += ((lse - target_logit) * ok.to(acc)).sum()
        if want_grad_h or want_grad_w:
            # dL/dz = (softmax(z) - onehot(y)) / N_valid, computed in place in the logits buffer.
            grad = logits.sub_(lse[:, None]).exp_()
            grad[torch.arange(len(y), device=y.device), y_safe] -= 1.0
            grad.mul_((ok.to(acc) * scale)[:, None])
            grad = grad.to(hidden.dtype)
            if want_grad_h:
                grad_hidden[start : start + chunk_size] = grad @ weight
            if want_grad_w:
                grad_weight.addmm_(grad.t(), h)
    return (total * scale).to(hidden.dtype), grad_hidden, grad_weight


class _ChunkedLinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden: Tensor, weight: Tensor, targets: Tensor, ignore_index: int, chunk_size: int) -> Tensor:
        loss, grad_hidden, grad_weight = _chunked_forward(hidden, weight, targets, ignore_index, chunk_size,
                                                          ctx.needs_input_grad[0], ctx.needs_input_grad[1])
        ctx.save_for_backward(grad_hidden, grad_weight)
        return loss

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        grad_hidden, grad_weight = ctx.saved_tensors
        gh = grad_hidden * grad_output if grad_hidden is not None else None
        gw = grad_weight * grad_output if grad_weight is not None else None
        return gh, gw, None, None, None


def chunked_linear_cross_entropy(hidden: Tensor, weight: Tensor, targets: Tensor, ignore_index: int = -100,
                                 chunk_size: int = 256) -> Tensor:
    """Same value and gradients as :func:`linear_cross_entropy`, never holding all ``[N, V]`` logits.

    The gradients are computed during the forward pass (only if an input requires them), so call
    it once per backward. ``chunk_size`` rows of logits exist at a time.
    """
    _check(hidden, weight, targets)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if not torch.is_grad_enabled() or not (hidden.requires_grad or weight.requires_grad):
        return _chunked_forward(hidden, weight, targets, ignore_index, chunk_size, False, False)[0]
    return _ChunkedLinearCrossEntropy.apply(hidden, weight, targets, ignore_index, chunk_size)
