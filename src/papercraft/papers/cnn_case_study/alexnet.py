"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) and its local response normalization.

The paper's recipe (§3): ReLU non-linearities (§3.1, "several times faster than tanh"), local
response normalization across channels (§3.3), overlapping max pooling with a 3×3 window and
stride 2 (§3.4, "reduces top-1 error by 0.4%") and dropout 0.5 in the first two fully connected
layers (§4.2). Five convolutions (96, 256, 384, 384, 256 filters) and three dense layers
(4096, 4096, 1000) give about 61M parameters at 224×224 input.

The paper split every layer over two GPUs; layers 2, 4 and 5 only see the half of the previous
layer on their own GPU (Fig. 2). That split is ``groups=2`` of a grouped convolution here. The
torchvision model (the later "one weird trick" variant: 64, 192, 384, 256, 256 filters, no LRN, no
groups) is the same class with :data:`TORCHVISION_ALEXNET`; the tests copy weights into it.

ZFNet (:mod:`.zfnet`) is this network with a smaller, finer first layer, so it shares the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


def local_response_norm(x: torch.Tensor, size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 2.0) -> torch.Tensor:
    """Local response normalization across channels, AlexNet §3.3.

    ``b[c] = a[c] / (k + alpha · Σ_{j=c-size//2}^{c+(size-1)//2} a[j]²) ** beta``

    The sum runs over ``size`` adjacent channels at the same position (clipped at the ends). The
    paper's constants are ``k=2, n=5, α=1e-4, β=0.75``. Note the convention: the paper multiplies
    the *sum* by α, while ``torch.nn.LocalResponseNorm`` multiplies the *mean* (α/n · sum), so the
    torch module with ``alpha=n·α`` computes the same function.

    Args:
        x: ``[B, C, H, W]`` activations (after ReLU in AlexNet).
    Returns:
        ``[B, C, H, W]``.
    """
    if x.dim() != 4:
        raise ValueError(f"local_response_norm expects [B, C, H, W], got shape {tuple(x.shape)}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    channels = x.shape[1]
    squares = F.pad(x * x, (0, 0, 0, 0, size // 2, (size - 1) // 2))  # zero channels beyond the ends
    window_sum = sum(squares[:, j:j + channels] for j in range(size))
    return x / (k + alpha * window_sum) ** beta


class LocalResponseNorm(nn.Module):
    """Module form of :func:`local_response_norm` (paper convention: ``alpha`` scales the sum)."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


@dataclass(frozen=True)
class AlexNetConfig:
    """Shape of an AlexNet-family network (five convolutions, three dense layers).

    ``conv1``/``conv2`` are ``(kernel, stride, padding)``; later convolutions are 3×3, stride 1,
    padding 1. Max pooling (``pool`` = kernel, stride) follows conv1, conv2 and conv5; the map is
    then average-pooled to ``pooled_size``² (a no-op at the paper's input size, where it is 6×6
    already) and flattened into the classifier.
    """

    in_channels: int = 3
    num_classes: int = 1000
    widths: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)
    groups: tuple[int, int, int, int, int] = (1, 2, 1, 2, 2)  # §3.2: the two-GPU split
    conv1: tuple[int, int, int] = (11, 4, 2)
    conv2: tuple[int, int, int] = (5, 1, 2)
    lrn: bool = True  # §3.3, after the ReLUs of conv1 and conv2
    pool: tuple[int, int] = (3, 2)  # §3.4: overlapping pooling, z=3 > s=2
    ceil_mode: bool = False
    pooled_size: int = 6
    fc_width: int = 4096
    dropout: float = 0.5  # §4.2
    batch_norm: bool = False  # not in the paper (it predates BN); for small variants trained briefly

    def __post_init__(self) -> None:
        if len(self.widths) != 5 or len(self.groups) != 5:
            raise ValueError(f"AlexNetConfig needs 5 widths and 5 groups, got {self.widths} and {self.groups}")


#: The paper's network (Fig. 2), with the two-GPU split as grouped convolutions.
PAPER_ALEXNET = AlexNetConfig()
#: torchvision's ``alexnet`` layout (Krizhevsky 2014, "One weird trick"): no LRN, no groups.
TORCHVISION_ALEXNET = AlexNetConfig(widths=(64, 192, 384, 256, 256), groups=(1, 1, 1, 1, 1), lrn=False)


class AlexNet(nn.Module):
    """AlexNet-family CNN: ``[B, in_channels, H, W]`` images → ``[B, num_classes]`` logits.

    Attribute names (``features``, ``avgpool``, ``classifier``) follow torchvision's so that
    :func:`from_torchvision_state_dict` is a renaming of indices only.
    """

    def __init__(self, config: AlexNetConfig = PAPER_ALEXNET) -> None:
        super().__init__()
        self.config = c = config
        w, g = c.widths, c.groups
        pool = lambda: nn.MaxPool2d(c.pool[0], stride=c.pool[1], ceil_mode=c.ceil_mode)  # noqa: E731
        norm = lambda: [LocalResponseNorm(5, 1e-4, 0.75, 2.0)] if c.lrn else []  # noqa: E731
        bn = lambda n: [nn.BatchNorm2d(n)] if c.batch_norm else []  # noqa: E731
        k1, s1, p1 = c.conv1
        k2, s2, p2 = c.conv2
        self.features = nn.Sequential(
            nn.Conv2d(c.in_channels, w[0], k1, stride=s1, padding=p1, groups=g[0]), *bn(w[0]), nn.ReLU(inplace=True),
            *norm(), pool(),
            nn.Conv2d(w[0], w[1], k2, stride=s2, padding=p2, groups=g[1]), *bn(w[1]), nn.ReLU(inplace=True), *norm(), pool(),
            nn.Conv2d(w[1], w[2], 3, padding=1, groups=g[2]), *bn(w[2]), nn.ReLU(inplace=True),
            nn.Conv2d(w[2], w[3], 3, padding=1, groups=g[3]), *bn(w[3]), nn.ReLU(inplace=True),
            nn.Conv2d(w[3], w[4], 3, padding=1, groups=g[4]), *bn(w[4]), nn.ReLU(inplace=True), pool(),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(c.pooled_size)
        self.classifier = nn.Sequential(
            nn.Dropout(c.dropout), nn.Linear(w[4] * c.pooled_size ** 2, c.fc_width), nn.ReLU(inplace=True),
            nn.Dropout(c.dropout), nn.Linear(c.fc_width, c.fc_width), nn.ReLU(inplace=True),
            nn.Linear(c.fc_width, c.num_classes),
        )
        _init_like_paper(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` → ``[B, num_classes]`` logits."""
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"AlexNet expects [B, {self.config.in_channels}, H, W] images, got {tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def _init_like_paper(model: nn.Module) -> None:
    """He-normal weights and zero biases.

    Deviation: §5 draws every weight from N(0, 0.01²) (and sets some biases to 1), which needed
    the paper's long schedule to get going; He et al.'s (2015) scaling trains the small variants
    within the few epochs the experiment can afford. Irrelevant for the parity tests, which copy
    weights.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)


def alexnet(num_classes: int = 1000, in_channels: int = 3) -> AlexNet:
    """The paper's AlexNet at 224×224 (Fig. 2): ~61M parameters."""
    return AlexNet(replace(PAPER_ALEXNET, num_classes=num_classes, in_channels=in_channels))


def alexnet_small(num_classes: int = 10, in_channels: int = 1) -> AlexNet:
    """AlexNet adapted to 32×32 images: 5×5 stride-1 first layer, widths ÷6-÷8, dense width 256.

    Keeps what defines AlexNet (ReLU, LRN after conv1/conv2, overlapping 3/2 pooling, dropout in
    the dense layers, 5+3 layers); shrinks what 32-pixel images and 2 CPU cores cannot afford.
    32 → conv1 32 → pool 15 → conv2 15 → pool 7 → conv3-5 7 → pool 3.
    """
    return AlexNet(AlexNetConfig(in_channels=in_channels, num_classes=num_classes, widths=(16, 32, 48, 48, 32),
                                 groups=(1, 1, 1, 1, 1), conv1=(5, 1, 2), conv2=(5, 1, 2), pooled_size=3, fc_width=256))




def from_torchvision_state_dict(state: Mapping[str, torch.Tensor], config: AlexNetConfig = TORCHVISION_ALEXNET) -> dict[str, torch.Tensor]:
    """Map a torchvision ``alexnet`` state dict onto :class:`AlexNet` with ``config``.

    torchvision's ``features`` is ``[conv, relu, pool, conv, relu, pool, conv, relu, conv, relu,
    conv, relu, pool]``; ours has the same order with LRN modules inserted when ``config.lrn``,
    so only the conv indices move. The classifier indices (1, 4, 6) are the same.
    """
    tv_conv_idx = (0, 3, 6, 8, 10)
    our_conv_idx = _conv_indices(config)
    out: dict[str, torch.Tensor] = {}
    for tv_i, our_i in zip(tv_conv_idx, our_conv_idx):
        for p in ("weight", "bias"):
            out[f"features.{our_i}.{p}"] = state[f"features.{tv_i}.{p}"]
    for i in (1, 4, 6):
        for p in ("weight", "bias"):
            out[f"classifier.{i}.{p}"] = state[f"classifier.{i}.{p}"]
    return out


def _conv_indices(config: AlexNetConfig) -> tuple[int, ...]:
    """Positions of the five convolutions in ``AlexNet.features`` for ``config`` (without BatchNorm)."""
    if config.batch_norm:
        raise ValueError("torchvision's AlexNet has no BatchNorm; convert into a config with batch_norm=False")
    extra = 1 if config.lrn else 0
    c1 = 0
    c2 = c1 + 3 + extra  # conv, relu, [lrn], pool
    c3 = c2 + 3 + extra
    return (c1, c2, c3, c3 + 2, c3 + 4)
