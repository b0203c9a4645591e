"""Ways to see what a CNN responds to, for any papercraft CNN (a module mapping images to logits).

- :func:`first_layer_filters` — the first convolution's kernels as images (Zeiler & Fergus Fig. 5/6).
- :func:`deconvnet` and :func:`top_activation_reconstructions` — Zeiler & Fergus §2.1: project an
  activation back to pixel space by un-pooling with the recorded max locations ("switches"),
  rectifying, and filtering with the transposed filters. Un-pooling with switches and transposed
  filtering are exactly what autograd's backward of max pooling and convolution do, so the
  deconvnet *is* backpropagation with one change: each ReLU passes ``relu(signal)`` backwards,
  ignoring where its forward input was negative.
- :func:`saliency` — Simonyan, Vedaldi & Zisserman 2013: ``|∂ score_c / ∂ x|``, max over channels.
- :func:`guided_backprop` — Springenberg et al. 2014: each ReLU passes the signal backwards only
  where *both* its forward input and the backward signal are positive.
- :func:`grad_cam` — Selvaraju et al. 2017, eqs. 1-2: ``α_k = mean_{ij} ∂y_c/∂A_k[i,j]``,
  ``L = ReLU(Σ_k α_k A_k)``, upsampled to the image.
- :func:`occlusion_map` — Zeiler & Fergus §4.2 (Fig. 7): slide a grey square over the image and
  record how much the correct class's probability drops.
- :func:`ink_map` — the baseline that knows nothing about the model: the image's blurred intensity.
- :func:`pointing_hits` — the pointing game that scores a map against a known object box.

The ReLU rules are switched by :func:`relu_backward_rule`, which routes
``torch.nn.functional.relu`` (called by ``nn.ReLU`` and by every papercraft CNN) through an
autograd function with the chosen backward for the duration of a ``with`` block. Networks whose
non-linearity is not a ReLU (LeNet-5's tanh) get the plain gradient from every rule.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

RULES = ("gradient", "guided", "deconvnet")


class _RuleReLU(torch.autograd.Function):
    """ReLU forward; backward by ``rule`` (guided backpropagation or the deconvnet)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, rule: str) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.rule = rule
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        if ctx.rule == "guided":  # Springenberg et al. §3.4: mask by the forward input *and* the signal
            return grad.clamp_min(0) * (x > 0).to(grad.dtype), None
        return grad.clamp_min(0), None  # deconvnet (Zeiler & Fergus §2.1): rectify the signal only


@contextlib.contextmanager
def relu_backward_rule(rule: str) -> Iterator[None]:
    """Within the block, ReLUs (``F.relu`` and ``nn.ReLU``) backpropagate by ``rule``:
    ``"gradient"`` (unchanged), ``"guided"`` or ``"deconvnet"``."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "gradient":
        yield
        return
    original = F.relu

    def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:  # noqa: A002 - torch's signature
        return _RuleReLU.apply(input, rule)

    F.relu = relu
    try:
        yield
    finally:
        F.relu = original


def _check_images(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"expected images [B, C, H, W], got shape {tuple(x.shape)}")


def _class_scores(logits: torch.Tensor, classes: torch.Tensor | None) -> torch.Tensor:
    classes = logits.argmax(1) if classes is None else classes
    return logits.gather(1, classes.view(-1, 1)).sum()


def input_gradient(model: nn.Module, x: torch.Tensor, classes: torch.Tensor | None = None,
                   rule: str = "gradient") -> torch.Tensor:
    """``∂ score_c / ∂ x`` backpropagated with the ReLU ``rule``: ``[B, C, H, W]``.

    ``classes`` ``[B]`` picks each image's class (default: the predicted one). The model is put in
    eval mode for the pass and restored afterwards.
    """
    _check_images(x)
    was = model.training
    model.eval()
    x = x.detach().clone().requires_grad_(True)
    try:
        with torch.enable_grad(), relu_backward_rule(rule):
            score = _class_scores(model(x), classes)
            (grad,) = torch.autograd.grad(score, x)
    finally:
        model.train(was)
    return grad


def saliency(model: nn.Module, x: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
    """Simonyan et al. 2013 §3.1: ``max_channel |∂ score_c / ∂ x|`` → ``[B, H, W]``."""
    return input_gradient(model, x, classes, "gradient").abs().amax(1)


def guided_backprop(model: nn.Module, x: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
    """Guided backpropagation map ``[B, H, W]``: ``max_channel |guided gradient|``."""
    return input_gradient(model, x, classes, "guided").abs().amax(1)


def deconvnet(model: nn.Module, x: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
    """The deconvnet projection of the class score to pixels, ``max_channel |·|`` → ``[B, H, W]``."""
    return input_gradient(model, x, classes, "deconvnet").abs().amax(1)


def grad_cam(model: nn.Module, x: torch.Tensor, layer: nn.Module, classes: torch.Tensor | None = None,
             upsample: bool = True) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017, eqs. 1-2) on the output ``A`` of ``layer``.

    ``α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij`` and ``L^c = ReLU(Σ_k α_k^c A^k)``. Returns ``[B, H, W]``
    (bilinearly upsampled to the image when ``upsample``, else at the layer's resolution).
    Choose ``layer`` as the last convolutional stage *after* its ReLU (e.g. AlexNet's last
    ``features`` ReLU, a ResNet's ``layer4``).
    """
    _check_images(x)
    captured: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.__setitem__("A", output))
    was = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(x.detach())
            if "A" not in captured:
                raise ValueError("the given layer was not called in the forward pass; pass a module of this model")
            activations = captured["A"]
            (grads,) = torch.autograd.grad(_class_scores(logits, classes), activations)
    finally:
        handle.remove()
        model.train(was)
    alpha = grads.mean(dim=(2, 3), keepdim=True)  # eq. 1: global-average-pooled gradients
    cam = F.relu((alpha * activations).sum(1)).detach()  # eq. 2
    if upsample:
        cam = F.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    return cam


def occlusion_map(model: nn.Module, x: torch.Tensor, classes: torch.Tensor, patch: int = 12, stride: int = 4,
                  value: float = 0.0, batch: int = 256) -> torch.Tensor:
    """Zeiler & Fergus §4.2: drop in ``p(class)`` when a ``patch``² square of ``value`` covers each place.

    Every pixel gets the mean drop over the patch positions that cover it. Returns ``[B, H, W]``
    (positive where covering the pixel hurts the class).
    """
    _check_images(x)
    B, _, H, W = x.shape
    if patch > min(H, W) or stride < 1:
        raise ValueError(f"patch must fit the {H}×{W} image and stride be >= 1, got patch={patch}, stride={stride}")
    ys = list(range(0, H - patch + 1, stride))
    xs = list(range(0, W - patch + 1, stride))
    was = model.training
    model.eval()
    maps = torch.zeros(B, H, W)
    counts = torch.zeros(H, W)
    for y0 in ys:
        for x0 in xs:
            counts[y0:y0 + patch, x0:x0 + patch] += 1
    with torch.no_grad():
        base = F.softmax(model(x), 1).gather(1, classes.view(-1, 1))[:, 0]
        for b in range(B):
            positions = [(y0, x0) for y0 in ys for x0 in xs]
            for i in range(0, len(positions), batch):
                chunk = positions[i:i + batch]
                occluded = x[b:b + 1].repeat(len(chunk), 1, 1, 1)
                for j, (y0, x0) in enumerate(chunk):
                    occluded[j, :, y0:y0 + patch, x0:x0 + patch] = value
                p = F.softmax(model(occluded), 1)[:, classes[b]]
                for j, (y0, x0) in enumerate(chunk):
                    maps[b, y0:y0 + patch, x0:x0 + patch] += base[b] - p[j]
    model.train(was)
    return maps / counts.clamp_min(1)


def first_layer_filters(model: nn.Module) -> torch.Tensor:
    """The first ``nn.Conv2d``'s kernels ``[out, in, k, k]``, each scaled to [0, 1] for display."""
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise ValueError("the model has no nn.Conv2d layer")
    w = conv.weight.detach().clone()
    flat = w.flatten(1)
    low, high = flat.min(1).values, flat.max(1).values
    return (w - low.view(-1, 1, 1, 1)) / (high - low).clamp_min(1e-12).view(-1, 1, 1, 1)


def top_activation_reconstructions(model: nn.Module, images: torch.Tensor, layer: nn.Module, channels: list[int],
                                   top_k: int = 4) -> dict[int, list[tuple[int, float, torch.Tensor]]]:
    """Zeiler & Fergus Fig. 2: for each channel of ``layer``'s output, the ``top_k`` strongest
    activations over ``images`` ``[N, C, H, W]`` and the deconvnet projection of each alone.

    Returns ``{channel: [(image index, activation, reconstruction [C, H, W]), ...]}``: every other
    activation of the layer is set to zero (§2.1) and the single one is projected down with the
    deconvnet rule.
    """
    _check_images(images)
    captured: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.__setitem__("A", output))
    was = model.training
    model.eval()
    out: dict[int, list[tuple[int, float, torch.Tensor]]] = {}
    try:
        with torch.no_grad():
            model(images)
        acts = captured["A"]  # [N, K, h, w]
        for c in channels:
            per_image = acts[:, c].flatten(1).max(1)  # strongest position in each image
            best = per_image.values.argsort(descending=True)[:top_k]
            out[c] = []
            for n in best.tolist():
                x = images[n:n + 1].detach().clone().requires_grad_(True)
                with torch.enable_grad(), relu_backward_rule("deconvnet"):
                    model(x)
                    a = captured["A"]
                    mask = torch.zeros_like(a)
                    flat_index = per_image.indices[n].item()
                    mask[0, c].view(-1)[flat_index] = a[0, c].view(-1)[flat_index].detach()
                    (recon,) = torch.autograd.grad(a, x, grad_outputs=mask)
                out[c].append((n, per_image.values[n].item(), recon[0]))
    finally:
        handle.remove()
        model.train(was)
    return out


def pointing_hits(maps: torch.Tensor, boxes: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Pointing game (Zhang et al. 2016): does each map's maximum fall inside its box?

    ``maps`` ``[B, H, W]``, ``boxes`` ``[B, 4]`` as ``(y0, x0, y1, x1)`` with exclusive ends.
    Returns a bool ``[B]``. With a ``generator``, a maximum shared by several pixels (a plateau, or a
    constant map that says nothing) is one of them drawn uniformly at random; without one, the
    first in row-major order.
    """
    if maps.dim() != 3 or boxes.shape != (maps.shape[0], 4):
        raise ValueError(f"expected maps [B, H, W] and boxes [B, 4], got {tuple(maps.shape)} and {tuple(boxes.shape)}")
    flat = maps.flatten(1)
    if generator is not None:
        at_max = flat == flat.max(1, keepdim=True).values
        flat = torch.rand(flat.shape, generator=generator) * at_max  # uniform among the maximal pixels
    flat = flat.argmax(1)
    y, x = flat // maps.shape[2], flat % maps.shape[2]
    return (y >= boxes[:, 0]) & (y < boxes[:, 2]) & (x >= boxes[:, 1]) & (x < boxes[:, 3])


def ink_map(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A map that knows nothing about any model: the image's own intensity (max over channels),
    blurred by a Gaussian of ``sigma`` pixels (none for ``sigma = 0``). ``[B, C, H, W]`` → ``[B, H, W]``.

    A localization method that explains a network must point at the evidence more often than this.
    """
    _check_images(x)
    ink = x.detach().amax(1, keepdim=True)
    if sigma > 0:
        r = max(1, int(math.ceil(3 * sigma)))
        k = torch.exp(-torch.arange(-r, r + 1, dtype=ink.dtype) ** 2 / (2 * sigma ** 2))
        k = k / k.sum()
        ink = F.conv2d(ink, k.view(1, 1, 1, -1), padding=(0, r))
        ink = F.conv2d(ink, k.view(1, 1, -1, 1), padding=(r, 0))
    return ink[:, 0]
