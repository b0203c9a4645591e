"""ResNet (He, Zhang, Ren & Sun 2015, "Deep Residual Learning for Image Recognition", arXiv 1512.03385).

The problem (§1, Fig. 1): stacking more layers onto a plain network makes *training* error higher
— not overfitting but an optimization difficulty ("degradation"). The fix (§3.1, eq. 1): let a
stack of layers fit a residual ``F(x) = H(x) - x`` and add the input back through a shortcut,

    y = F(x, {W_i}) + x                      (eq. 1, identity shortcut)
    y = F(x, {W_i}) + W_s x                  (eq. 2, projection shortcut when shapes change)

so that an identity mapping is as easy as driving F's weights to zero.

Blocks (§3.3, Fig. 5): the *basic* block (two 3×3 convolutions) and the *bottleneck* block (1×1
reduce, 3×3, 1×1 expand ×4). BatchNorm after every convolution, before the ReLU; the ReLU of a
block comes after the addition. Shortcut options (§4.1): (A) identity with zero-padded extra
channels and stride-2 subsampling, no parameters; (B) projections (1×1 conv + BN) only where the
shape changes; (C) projections everywhere. A *plain* network (``residual=False``) is the same
stack with the shortcut removed (Fig. 3 middle).

Networks: ImageNet-style (Table 1: 7×7/2 stem + 3×3/2 max pool, four stages of 64-512 widths,
18/34/50/101/152 layers) and CIFAR-style (§4.2: 3×3 stem with 16 filters, three stages of 16/32/64
with n blocks each, 6n+2 layers, global average pooling, option A shortcuts).

Later entries import this module (CLIP's modified ResNet, ViT's comparison, detection backbones):
``BasicBlock``, ``Bottleneck``, ``ResNet``, ``resnet18`` … ``resnet152``, ``cifar_resnet``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

SHORTCUTS = ("A", "B", "C")


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A (§4.1): identity, subsampled by ``stride``, with zero channels appended: no parameters."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        if cout < cin:
            raise ValueError(f"option A cannot shrink channels ({cin} → {cout})")
        self.extra, self.stride = cout - cin, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


def make_shortcut(cin: int, cout: int, stride: int, shortcut: str) -> nn.Module | None:
    """The shortcut branch ``W_s x`` of eq. 2, or None for a pure identity (eq. 1)."""
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}")
    same_shape = stride == 1 and cin == cout
    if shortcut == "C" or (shortcut == "B" and not same_shape):
        return nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))
    if shortcut == "A" and not same_shape:
        return ZeroPadShortcut(cin, cout, stride)
    return None


class BasicBlock(nn.Module):
    """Two 3×3 convolutions (Fig. 5 left): ``[B, cin, H, W]`` → ``[B, planes, H/stride, W/stride]``.

    ``residual=False`` makes it a plain block (no shortcut).
    """

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1, shortcut: str = "B", residual: bool = True) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = conv3x3(cin, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = make_shortcut(cin, planes, stride, shortcut) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        if self.residual:  # eq. 1 / eq. 2; in place on BN's output (BN's backward needs only its input)
            out += x if self.downsample is None else self.downsample(x)
        return F.relu(out, inplace=True)  # §3.2: the second non-linearity comes after the addition


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, 1×1 expand (Fig. 5 right): ``[B, cin, H, W]`` → ``[B, 4·planes, H/s, W/s]``.

    ``stride_in_3x3``: where a stage's stride-2 goes. The paper (and its released Caffe models)
    strides the first 1×1 convolution; torchvision ("ResNet v1.5") strides the 3×3, which costs
    more compute but is slightly more accurate. Same parameters either way.
    """

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, shortcut: str = "B", residual: bool = True,
                 stride_in_3x3: bool = False) -> None:
        super().__init__()
        self.residual = residual
        cout = planes * self.expansion
        s1, s3 = (1, stride) if stride_in_3x3 else (stride, 1)
        self.conv1 = conv1x1(cin, planes, s1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, s3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, cout)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = make_shortcut(cin, cout, stride, shortcut) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = F.relu(self.bn2(self.conv2(out)), inplace=True)
        out = self.bn3(self.conv3(out))
        if self.residual:
            out += x if self.downsample is None else self.downsample(x)
        return F.relu(out, inplace=True)


class ResNet(nn.Module):
    """A residual (or plain) network: ``[B, in_channels, H, W]`` → ``[B, num_classes]`` logits.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18, ``(n, n, n)`` for CIFAR.
        widths: ``planes`` of each stage (64, 128, 256, 512 for ImageNet; 16, 32, 64 for CIFAR).
        stem: ``"imagenet"`` (7×7/2 conv + 3×3/2 max pool) or ``"cifar"`` (one 3×3 conv).
        shortcut: "A", "B" or "C" (§4.1); ignored when ``residual=False``.
        residual: False builds the plain counterpart.
        stride_in_3x3: bottleneck stride placement (see :class:`Bottleneck`).

    Attribute names follow torchvision (``conv1``, ``bn1``, ``layer1``…, ``fc``), so its weights
    load with :func:`from_torchvision_state_dict`. :meth:`forward_features` returns the last
    stage's map for backbones and Grad-CAM.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int], widths: Sequence[int] = (64, 128, 256, 512),
                 num_classes: int = 1000, in_channels: int = 3, stem: str = "imagenet", shortcut: str = "B",
                 residual: bool = True, stride_in_3x3: bool = False) -> None:
        super().__init__()
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")
        if len(layers) != len(widths) or not layers:
            raise ValueError(f"layers and widths must have the same non-zero length, got {layers} and {widths}")
        self.in_channels, self.residual = in_channels, residual
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.conv1 = conv3x3(in_channels, widths[0])
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        extra = {"stride_in_3x3": stride_in_3x3} if block is Bottleneck else {}
        self.stages: list[str] = []
        for i, (n, planes) in enumerate(zip(layers, widths)):
            blocks = []
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1  # §3.3: the first block of a stage halves the map
                blocks.append(block(cin, planes, stride, shortcut, residual, **extra))
                cin = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.stages.append(f"layer{i + 1}")
        self.out_channels = cin
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():  # §3.4: the initialization of He et al. 2015 [13]
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` → the last stage's map ``[B, out_channels, H', W']``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"ResNet expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}")
        x = self.maxpool(F.relu(self.bn1(self.conv1(x)), inplace=True))
        for name in self.stages:
            x = getattr(self, name)(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` → ``[B, num_classes]``."""
        return self.fc(torch.flatten(self.avgpool(self.forward_features(x)), 1))


IMAGENET_LAYERS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, ...]]] = {  # Table 1
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


def imagenet_resnet(depth: int, plain: bool = False, num_classes: int = 1000, in_channels: int = 3,
                    shortcut: str = "B", stride_in_3x3: bool = False) -> ResNet:
    """ResNet-18/34/50/101/152 of Table 1 (option B shortcuts, as the paper's Table 3 models), or
    their plain counterparts."""
    if depth not in IMAGENET_LAYERS:
        raise ValueError(f"ImageNet ResNet depth must be one of {sorted(IMAGENET_LAYERS)}, got {depth}")
    block, layers = IMAGENET_LAYERS[depth]
    return ResNet(block, layers, num_classes=num_classes, in_channels=in_channels, shortcut=shortcut,
                  residual=not plain, stride_in_3x3=stride_in_3x3)


def resnet18(**kw) -> ResNet:
    return imagenet_resnet(18, **kw)


def resnet34(**kw) -> ResNet:
    return imagenet_resnet(34, **kw)


def resnet50(**kw) -> ResNet:
    return imagenet_resnet(50, **kw)


def resnet101(**kw) -> ResNet:
    return imagenet_resnet(101, **kw)


def resnet152(**kw) -> ResNet:
    return imagenet_resnet(152, **kw)


def cifar_resnet(depth: int, plain: bool = False, num_classes: int = 10, in_channels: int = 3, width: int = 16,
                 shortcut: str = "A") -> ResNet:
    """The CIFAR-10 networks of §4.2: ``depth = 6n + 2`` (20, 32, 44, 56, 110, …), option A
    shortcuts, stage widths ``width, 2·width, 4·width`` (16/32/64 in the paper)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110), got {depth}")
    n = (depth - 2) // 6
    return ResNet(BasicBlock, (n, n, n), (width, 2 * width, 4 * width), num_classes=num_classes, in_channels=in_channels,
                  stem="cifar", shortcut=shortcut, residual=not plain)


def from_torchvision_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map a torchvision ``resnet*`` state dict onto :class:`ResNet` (option B, and for bottlenecks
    ``stride_in_3x3=True``, torchvision's v1.5 placement).

    Names coincide by design (``layer2.0.downsample.0.weight`` is the projection of eq. 2 in both),
    so the map is the identity; BatchNorm buffers are included.
    """
    return {k: v for k, v in state.items()}
