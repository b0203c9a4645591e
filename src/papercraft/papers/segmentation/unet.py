"""U-Net (Ronneberger, Fischer & Brox 2015, arXiv 1505.04597).

The claim (§1-2, Fig. 1): a contracting path that captures context and a *symmetric* expanding
path that enables precise localization, joined at every resolution by skip connections that
concatenate the contracting path's features onto the upsampled ones, segments precisely from few
training images (ISBI 2012 warping error 0.000353, rank 1; §4).

Architecture (§2): every level of the contracting path is two 3×3 convolutions with ReLU followed
by 2×2 max pooling with stride 2, doubling the number of feature channels at each downsampling.
Every step of the expanding path is a 2×2 "up-convolution" that halves the channels, a
concatenation with the correspondingly cropped feature map of the contracting path, and two 3×3
convolutions with ReLU. A final 1×1 convolution maps the features to the classes.

The paper's convolutions are unpadded, so the output is smaller than the input and the skip maps
are cropped ("copy and crop"); here they are padded (see the entry's deviations), so output and
input have the same size and no crop is needed. The paper's constraint on the tile size remains:
"all 2×2 max-pooling operations are applied to a layer with an even x- and y-size" (§2), i.e.
``H`` and ``W`` must be multiples of ``2^depth``.
"""

from __future__ import annotations

import torch
from torch import nn


class DoubleConv(nn.Sequential):
    """Two 3×3 convolutions, each followed by BatchNorm and a ReLU (§2).
    ``[B, in, H, W]`` → ``[B, out, H, W]``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        layers: list[nn.Module] = []
        for c_in in (in_channels, out_channels):
            layers += [nn.Conv2d(c_in, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                       nn.ReLU(inplace=True)]
        super().__init__(*layers)


class UpStep(nn.Module):
    """One step of the expanding path (§2): 2×2 up-convolution halving the channels, concatenation
    with the skip from the contracting path, two 3×3 convolutions.

    ``(x [B, 2c, h, w], skip [B, c, 2h, 2w])`` → ``[B, c, 2h, 2w]``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(2 * channels, channels, kernel_size=2, stride=2)
        self.conv = DoubleConv(2 * channels, channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class UNet(nn.Module):
    """U-Net (Fig. 1) with ``depth`` poolings: ``[B, in_channels, H, W]`` → ``[B, num_classes, H, W]``.

    Args:
        num_classes: output classes (background included).
        in_channels: image channels.
        width: channels of the first level (64 in the paper); level ``l`` has ``width · 2^l``.
        depth: number of 2×2 poolings (4 in the paper: 572 px → 32 px at the bottom).
    """

    def __init__(self, num_classes: int, in_channels: int = 3, width: int = 16, depth: int = 4) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2 (background + classes), got {num_classes}")
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got width={width}, depth={depth}")
        self.in_channels, self.depth = in_channels, depth
        widths = [width * 2 ** level for level in range(depth + 1)]
        self.down = nn.ModuleList([DoubleConv(in_channels, widths[0])]
                                  + [DoubleConv(widths[level - 1], widths[level]) for level in range(1, depth + 1)])
        self.pool = nn.MaxPool2d(2, stride=2)
        self.up = nn.ModuleList([UpStep(widths[level]) for level in reversed(range(depth))])
        self.head = nn.Conv2d(widths[0], num_classes, 1)  # §2: "a 1x1 convolution is used to map each
        # 64-component feature vector to the desired number of classes"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels, H, W]`` → ``[B, num_classes, H, W]``; ``H, W`` multiples of ``2^depth``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"UNet expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}")
        multiple = 2 ** self.depth
        if x.shape[-2] % multiple or x.shape[-1] % multiple:
            raise ValueError(f"UNet with depth {self.depth} needs H and W divisible by 2^depth = {multiple} "
                             f"(every 2×2 pooling must see an even size, §2), got {tuple(x.shape[-2:])}")
        skips = []
        for level, block in enumerate(self.down):  # contracting path
            x = block(x if level == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()  # the bottom of the U
        for step in self.up:  # expanding path, with the skips in reverse order
            x = step(x, skips.pop())
        return self.head(x)
