"""GoogLeNet / Inception v1 (Szegedy et al. 2014, "Going Deeper with Convolutions", arXiv 1409.4842).

The idea (§4): approximate a sparse structure with dense parallel branches — 1×1, 3×3, 5×5
convolutions and 3×3 max pooling — concatenated along channels; 1×1 convolutions *reduce* the
channels before the expensive 3×3 and 5×5 ones (and after the pooling), so that the module's
cost stays bounded while width and depth grow. 22 layers with weights, ~6.8M parameters at
224×224 (12× fewer than AlexNet, §1), ~1.5 G multiply-adds (§5).

Two auxiliary classifiers on inception 4a and 4d (§5) — 5×5/3 average pooling, 1×1 conv with 128
filters, a 1024-unit dense layer, dropout 0.7, a linear softmax — push gradient into the middle
of the network during training; their losses are added with weight 0.3 (:func:`googlenet_loss`),
and they are dropped at inference.

:data:`PAPER_GOOGLENET` is Table 1 and Fig. 3 (with the LRNs of Fig. 3). torchvision's
``googlenet`` differs in ways the tests need to reproduce exactly: BatchNorm (eps 1e-3) after every
convolution instead of biases, a 3×3 (not 5×5) kernel in the "5×5" branch (a known quirk kept for
its pretrained weights), adaptive 4×4 pooling in the auxiliary heads, 2×2 pooling before
inception 5a, dropout 0.2 and no LRN. :data:`TORCHVISION_GOOGLENET` selects those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.cnn_case_study.alexnet import LocalResponseNorm

# Table 1: (#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj) of each inception module.
INCEPTION_TABLE: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


@dataclass(frozen=True)
class GoogLeNetConfig:
    """Shape of a GoogLeNet. See the module docstring for the paper vs torchvision differences.

    ``stem``: ``"imagenet"`` (7×7/2 conv, pool, 1×1, 3×3, pool: 224 → 28) or ``"small"`` for
    32-pixel images (3×3 conv, pool, 1×1, 3×3: 32 → 16). ``aux_grid`` is the side of the auxiliary
    heads' pooled map (4 at 224×224; the 5×5/3 pooling gives 2 on the small variant's 8×8 maps).
    """

    in_channels: int = 3
    num_classes: int = 1000
    width_divisor: int = 1
    stem: str = "imagenet"
    batch_norm: bool = False
    lrn: bool = True
    branch3_kernel: int = 5
    aux_logits: bool = True
    aux_pool: str = "paper"  # "paper": avg 5×5 stride 3; "adaptive": adaptive average to aux_grid
    aux_grid: int = 4
    pool4: tuple[int, int] = (3, 2)
    dropout: float = 0.4
    aux_dropout: float = 0.7

    def __post_init__(self) -> None:
        if self.stem not in ("imagenet", "small"):
            raise ValueError(f"stem must be 'imagenet' or 'small', got {self.stem!r}")
        if self.aux_pool not in ("paper", "adaptive"):
            raise ValueError(f"aux_pool must be 'paper' or 'adaptive', got {self.aux_pool!r}")


PAPER_GOOGLENET = GoogLeNetConfig()
TORCHVISION_GOOGLENET = GoogLeNetConfig(batch_norm=True, lrn=False, branch3_kernel=3, aux_pool="adaptive",
                                        pool4=(2, 2), dropout=0.2)


class ConvReLU(nn.Module):
    """Convolution (+ BatchNorm if asked) + ReLU; attribute names match torchvision's BasicConv2d."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0, batch_norm: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(cout, eps=0.001) if batch_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Inception module with dimension reductions (Fig. 2b): ``[B, cin, H, W]`` → ``[B, c1+c3+c5+cp, H, W]``."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, cp: int,
                 branch3_kernel: int = 5, batch_norm: bool = False) -> None:
        super().__init__()
        conv = lambda i, o, k: ConvReLU(i, o, k, padding=k // 2, batch_norm=batch_norm)  # noqa: E731
        self.branch1 = conv(cin, c1, 1)
        self.branch2 = nn.Sequential(conv(cin, c3r, 1), conv(c3r, c3, 3))
        self.branch3 = nn.Sequential(conv(cin, c5r, 1), conv(c5r, c5, branch3_kernel))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), conv(cin, cp, 1))
        self.out_channels = c1 + c3 + c5 + cp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier (§5): pool → 1×1 conv (128) → FC 1024 → dropout 0.7 → FC classes."""

    def __init__(self, cin: int, num_classes: int, config: GoogLeNetConfig) -> None:
        super().__init__()
        self.pool, self.grid = config.aux_pool, config.aux_grid
        width = 128 // config.width_divisor
        self.conv = ConvReLU(cin, width, 1, batch_norm=config.batch_norm)
        self.fc1 = nn.Linear(width * self.grid ** 2, 1024 // config.width_divisor)
        self.fc2 = nn.Linear(1024 // config.width_divisor, num_classes)
        self.dropout = nn.Dropout(config.aux_dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(x, 5, stride=3) if self.pool == "paper" else F.adaptive_avg_pool2d(x, self.grid)
        x = torch.flatten(self.conv(x), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x), inplace=True)))


class GoogLeNetOutputs(NamedTuple):
    """Training-mode outputs: main logits and the two auxiliary heads' logits, each ``[B, classes]``."""

    logits: torch.Tensor
    aux1: torch.Tensor
    aux2: torch.Tensor


class GoogLeNet(nn.Module):
    """``[B, in_channels, H, W]`` → ``[B, num_classes]`` logits (eval), or :class:`GoogLeNetOutputs`
    in training mode when ``config.aux_logits``."""

    def __init__(self, config: GoogLeNetConfig = PAPER_GOOGLENET) -> None:
        super().__init__()
        self.config = c = config
        d, bn = c.width_divisor, c.batch_norm
        pool = lambda k=3, s=2: nn.MaxPool2d(k, stride=s, ceil_mode=True)  # noqa: E731
        lrn = lambda: LocalResponseNorm(5, 1e-4, 0.75, 2.0) if c.lrn else nn.Identity()  # noqa: E731
        if c.stem == "imagenet":
            self.conv1 = ConvReLU(c.in_channels, 64 // d, 7, stride=2, padding=3, batch_norm=bn)
        else:
            self.conv1 = ConvReLU(c.in_channels, 64 // d, 3, padding=1, batch_norm=bn)
        self.maxpool1 = pool()
        self.lrn1 = lrn()
        self.conv2 = ConvReLU(64 // d, 64 // d, 1, batch_norm=bn)
        self.conv3 = ConvReLU(64 // d, 192 // d, 3, padding=1, batch_norm=bn)
        self.lrn2 = lrn()
        self.maxpool2 = pool() if c.stem == "imagenet" else nn.Identity()
        channels = 192 // d
        blocks = {}
        for name, widths in INCEPTION_TABLE.items():
            blocks[name] = Inception(channels, *(w // d for w in widths), branch3_kernel=c.branch3_kernel, batch_norm=bn)
            channels = blocks[name].out_channels
        self.inception3a, self.inception3b = blocks["3a"], blocks["3b"]
        self.maxpool3 = pool()
        self.inception4a, self.inception4b, self.inception4c = blocks["4a"], blocks["4b"], blocks["4c"]
        self.inception4d, self.inception4e = blocks["4d"], blocks["4e"]
        self.maxpool4 = pool(*c.pool4)
        self.inception5a, self.inception5b = blocks["5a"], blocks["5b"]
        if c.aux_logits:
            self.aux1 = InceptionAux(blocks["4a"].out_channels, c.num_classes, c)
            self.aux2 = InceptionAux(blocks["4d"].out_channels, c.num_classes, c)
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # the paper's 7×7 average pool at 224×224
        self.dropout = nn.Dropout(c.dropout)
        self.fc = nn.Linear(channels, c.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        """``[B, C, H, W]`` → logits ``[B, classes]`` (or :class:`GoogLeNetOutputs` while training)."""
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"GoogLeNet expects [B, {self.config.in_channels}, H, W] images, got {tuple(x.shape)}")
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(self.lrn1(self.maxpool1(self.conv1(x)))))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        with_aux = self.training and self.config.aux_logits
        aux1 = self.aux1(x) if with_aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if with_aux else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
        return GoogLeNetOutputs(logits, aux1, aux2) if with_aux else logits


def googlenet_loss(outputs: torch.Tensor | GoogLeNetOutputs, target: torch.Tensor, aux_weight: float = 0.3) -> torch.Tensor:
    """Cross-entropy of the main head plus ``aux_weight`` × each auxiliary head's (§5: weight 0.3)."""
    if isinstance(outputs, GoogLeNetOutputs):
        return (F.cross_entropy(outputs.logits, target)
                + aux_weight * (F.cross_entropy(outputs.aux1, target) + F.cross_entropy(outputs.aux2, target)))
    return F.cross_entropy(outputs, target)


def googlenet(num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = True) -> GoogLeNet:
    """The paper's GoogLeNet at 224×224 (Table 1, Fig. 3)."""
    return GoogLeNet(replace(PAPER_GOOGLENET, num_classes=num_classes, in_channels=in_channels, aux_logits=aux_logits))


def googlenet_small(num_classes: int = 10, in_channels: int = 1, width_divisor: int = 8) -> GoogLeNet:
    """GoogLeNet adapted to 32×32 images: small stem (32 → 16), widths ÷8, BatchNorm, auxiliary
    heads kept (on 8×8 maps, pooled 5×5/3 to 2×2). 16 → 3a, 3b → 8 → 4a-4e → 4 → 5a, 5b."""
    return GoogLeNet(GoogLeNetConfig(in_channels=in_channels, num_classes=num_classes, width_divisor=width_divisor,
                                     stem="small", batch_norm=True, lrn=False, aux_grid=2))


def from_torchvision_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map a torchvision ``googlenet`` state dict onto :class:`GoogLeNet` with :data:`TORCHVISION_GOOGLENET`.

    Module names were chosen to coincide (``conv1.conv``/``conv1.bn``, ``inception3a.branch2.1.conv``,
    ``aux1.fc1``, ``fc``), so the mapping is the identity on the keys our model has; it is kept as
    a function so the correspondence is stated and checked in one place.
    """
    return dict(state)
