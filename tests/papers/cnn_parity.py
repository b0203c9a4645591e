"""Helpers shared by the CNN entries' parity tests (copy weights, compare outputs and gradients)."""

from __future__ import annotations

import torch
from torch import nn


def randomize_batchnorm(model: nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial running statistics and affine parameters, so that an eval-mode
    comparison actually exercises them (fresh BN layers are the identity)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)


def assert_close_scaled(ours: torch.Tensor, ref: torch.Tensor, rel: float, what: str) -> None:
    """``max |ours - ref| <= rel · max |ref|`` (and the reference is not all zeros)."""
    assert ours.shape == ref.shape, f"{what}: shape {tuple(ours.shape)} != {tuple(ref.shape)}"
    scale = ref.abs().max().item()
    assert scale > 0, f"{what}: the reference is all zeros, the comparison would prove nothing"
    err = (ours - ref).abs().max().item()
    assert err <= rel * scale, f"{what}: max error {err:.3g} > {rel} × {scale:.3g}"


def check_parity(ours: nn.Module, ref: nn.Module, x: torch.Tensor, name_map: dict[str, str] | None = None,
                 rel: float = 1e-5) -> None:
    """Eval-mode logits, input gradients and every parameter gradient of ``ours`` equal ``ref``'s.

    ``name_map`` maps our parameter names to the reference's (identity when None). The loss is a
    fixed random projection of the logits, so that every logit's gradient matters.
    """
    ours.eval(), ref.eval()
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    ya, yb = ours(xa), ref(xb)
    assert_close_scaled(ya.detach(), yb.detach(), rel, "logits")
    weights = torch.randn(yb.shape, generator=torch.Generator().manual_seed(1))
    (ya * weights).sum().backward()
    (yb * weights).sum().backward()
    assert_close_scaled(xa.grad, xb.grad, rel * 10, "input gradient")
    ref_params = dict(ref.named_parameters())
    checked = 0
    for name, p in ours.named_parameters():
        q = ref_params[(name_map or {}).get(name, name)]
        assert_close_scaled(p.grad, q.grad, rel * 10, f"gradient of {name}")
        checked += 1
    assert checked == len(ref_params), f"compared {checked} parameters, the reference has {len(ref_params)}"
