"""VGG (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks", arXiv 1409.1556).

The claim (§2.3): a stack of small 3×3 convolutions has the receptive field of one large filter
(two 3×3 = one 5×5, three = one 7×7) with fewer parameters and more non-linearities, and depth
improves accuracy (Table 3: A 11 layers → E 19 layers). Table 1 lists configurations A-E:

- A (11 weight layers), A-LRN (A with LRN after the first convolution, §4.1: "does not improve"),
- B (13), C (16, with 1×1 convolutions as the third layer of blocks 3-5), D (16, all 3×3), E (19).

Every block ends in 2×2 max pooling with stride 2; the classifier is 4096-4096-1000 with dropout
0.5 after the first two dense layers (§3.1). Table 2's parameter counts (133, 133, 134, 138, 144
millions) are checked by the tests. ``batch_norm=True`` inserts BatchNorm after every convolution
(not in the paper, which predates it; torchvision's ``vgg*_bn``), which the small variants need
to train from scratch without the paper's stage-wise initialization (§3.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from papercraft.papers.cnn_case_study.alexnet import LocalResponseNorm

# Table 1. Integers are 3×3 convolutions with that many filters, "M" is max pooling, "LRN" a local
# response normalization, and ("1x1", n) a 1×1 convolution (configuration C only).
CONFIGS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, ("1x1", 256), "M", 512, 512, ("1x1", 512), "M",
          512, 512, ("1x1", 512), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
DEPTH_TO_CONFIG = {11: "A", 13: "B", 16: "D", 19: "E"}


def make_features(layers: Sequence, in_channels: int = 3, batch_norm: bool = False, width_divisor: int = 1) -> nn.Sequential:
    """The convolutional part for one configuration of Table 1 (channels divided by ``width_divisor``)."""
    modules: list[nn.Module] = []
    channels = in_channels
    for layer in layers:
        if layer == "M":
            modules.append(nn.MaxPool2d(2, stride=2))
        elif layer == "LRN":
            modules.append(LocalResponseNorm(5, 1e-4, 0.75, 2.0))  # §4.1: AlexNet's constants
        else:
            kernel, width = (1, layer[1]) if isinstance(layer, tuple) else (3, layer)
            width //= width_divisor
            modules.append(nn.Conv2d(channels, width, kernel, padding=kernel // 2))
            if batch_norm:
                modules.append(nn.BatchNorm2d(width))
            modules.append(nn.ReLU(inplace=True))
            channels = width
    return nn.Sequential(*modules)


class VGG(nn.Module):
    """``[B, in_channels, H, W]`` images → ``[B, num_classes]`` logits.

    Args:
        config: a key of :data:`CONFIGS` ("A", "A-LRN", "B", "C", "D", "E").
        batch_norm: BatchNorm after every convolution (torchvision's ``vgg*_bn``).
        width_divisor: divide every convolution's width (1 = the paper).
        pooled_size: the feature map is average-pooled to this size before the classifier
            (7 at 224×224, where it is a no-op, as in torchvision).
        fc_width: width of the two hidden dense layers (4096 in the paper).
    """

    def __init__(self, config: str = "D", num_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False,
                 width_divisor: int = 1, pooled_size: int = 7, fc_width: int = 4096, dropout: float = 0.5) -> None:
        super().__init__()
        if config not in CONFIGS:
            raise ValueError(f"unknown VGG configuration {config!r}; expected one of {sorted(CONFIGS)}")
        self.config_name, self.in_channels = config, in_channels
        self.features = make_features(CONFIGS[config], in_channels, batch_norm, width_divisor)
        last = [layer for layer in CONFIGS[config] if layer not in ("M", "LRN")][-1]
        last_width = (last[1] if isinstance(last, tuple) else last) // width_divisor
        self.avgpool = nn.AdaptiveAvgPool2d(pooled_size)
        self.classifier = nn.Sequential(
            nn.Linear(last_width * pooled_size ** 2, fc_width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(fc_width, fc_width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(fc_width, num_classes),
        )
        for m in self.modules():  # He init (the paper's §3.1 notes Glorot-style random init works too)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` → ``[B, num_classes]``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"VGG expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def vgg(depth: int, batch_norm: bool = False, num_classes: int = 1000, in_channels: int = 3) -> VGG:
    """VGG-11/13/16/19 (configurations A, B, D, E) at the paper's size."""
    if depth not in DEPTH_TO_CONFIG:
        raise ValueError(f"VGG depth must be one of {sorted(DEPTH_TO_CONFIG)}, got {depth}")
    return VGG(DEPTH_TO_CONFIG[depth], num_classes, in_channels, batch_norm)


def vgg11(**kw) -> VGG:
    return vgg(11, **kw)


def vgg16(**kw) -> VGG:
    return vgg(16, **kw)


def vgg_small(config: str = "A", num_classes: int = 10, in_channels: int = 1, width_divisor: int = 8) -> VGG:
    """VGG adapted to 32×32 images: the five 2×2 pools take 32 → 1, widths ÷8, dense width 256, BatchNorm.

    The dense layers get He initialization like every other layer of the 32-px adaptations (the
    paper-size :class:`VGG` keeps torchvision's N(0, 0.01²), §3.1's Gaussian): three dense layers
    at standard deviation 0.01 shrink the gradient reaching the convolutions ~10⁴-fold, and the
    small network then trains several times more slowly than the others under the one recipe.
    """
    model = VGG(config, num_classes, in_channels, batch_norm=True, width_divisor=width_divisor, pooled_size=1, fc_width=256)
    for m in model.classifier:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


def from_torchvision_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map a torchvision ``vgg11/13/16/19(_bn)`` state dict onto :class:`VGG` (same config/BN).

    The module layouts coincide (torchvision's VGG *is* Table 1's), so names map one to one;
    BatchNorm running statistics and ``num_batches_tracked`` are carried along.
    """
    return {k: v for k, v in state.items() if k.startswith(("features.", "classifier."))}


VGG_CONFIGS = CONFIGS  # the package exports the configurations under this name
