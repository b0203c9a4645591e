"""Fully Convolutional Networks (Long, Shelhamer & Darrell 2015, arXiv 1411.4038): FCN-32s, 16s, 8s.

The claim (§4.2, Table 2): a classification net made fully convolutional predicts a coarse score
map; fusing it with finer layers through *skip* connections ("combining what and where", Fig. 3)
refines the prediction. On PASCAL VOC 2011 val: FCN-32s 59.4 → FCN-16s 62.4 → FCN-8s 62.7 mean IU.

The pieces, each in one class below:

- **Convolutionalization** (§3.1): the classifier's dense layers become convolutions (fc6, fc7),
  so the network takes any input size and outputs a score map at stride 32 (five 2×2 pools).
- **Upsampling is backwards strided convolution** (§3.3): upsampling by ``f`` is a transposed
  convolution with stride ``f``, "initialized to bilinear interpolation", learned where it is
  an intermediate 2× step and fixed to bilinear for the final step (§4.2).
- **Skips** (§4.2): FCN-16s adds a 1×1 score layer on pool4 (zero-initialized), fuses it with the
  2×-upsampled stride-32 scores by summation and upsamples the sum 16×; FCN-8s adds pool3 the same
  way and upsamples 8×. Crop layers align each upsampled map with the finer one.

FCN-32s, FCN-16s and FCN-8s share one backbone (:class:`FCNBackbone`, the five VGG stages) and
one convolutionalized classifier (:class:`FCNClassifier`); they differ only in the skips.

Alignment (the paper's "crop" layers): every map here keeps the convention that cell ``i`` of a
stride-``s`` map is centred on input pixel ``s·i + (s-1)/2`` (3×3 convolutions with padding 1 and
2×2 ceil-mode pooling, Caffe's rounding). :class:`BilinearUpsampling` crops its output so that
this holds for its output too, which makes the bilinear initialization *exactly*
``F.interpolate(mode="bilinear", align_corners=False)`` (half-pixel centres); the skip maps then
align at offset 0 and are summed after cropping the upsampled coarse map to the finer map's size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.cnn_case_study.vgg import make_features


def bilinear_ramp(factor: int) -> torch.Tensor:
    """The 1-D bilinear interpolation kernel of an upsampling by ``factor`` (§3.3): ``[k]`` float64.

    ``k = 2·factor - factor % 2``; entry ``i`` is ``1 - |i - c| / factor`` with centre ``c = factor - 1``
    for odd ``k`` and ``factor - 0.5`` for even ``k`` (Caffe's ``bilinear`` filler and the FCN
    code's ``upsample_filt``).
    """
    if not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    return 1 - (torch.arange(size, dtype=torch.float64) - center).abs() / factor


def bilinear_kernel(factor: int) -> torch.Tensor:
    """The ``[k, k]`` bilinear kernel (float64): the outer product of :func:`bilinear_ramp` with itself."""
    ramp = bilinear_ramp(factor)
    return ramp[:, None] * ramp[None, :]


class BilinearUpsampling(nn.Module):
    """Upsampling by an integer ``factor`` as a transposed convolution (§3.3), initialized to
    bilinear interpolation, then cropped to the requested size (the paper's crop layer).

    ``[B, C, h, w]`` → ``[B, C, H, W]`` with ``H ≤ factor·h``, ``W ≤ factor·w``. At initialization,
    ``forward(x, (factor·h, factor·w))`` equals ``F.interpolate(x, scale_factor=factor,
    mode="bilinear", align_corners=False)`` exactly, borders included: the input is first padded by
    one cell by replication, which reproduces ``interpolate``'s clamping at the edges (Caffe's FCN
    pads with zeros implicitly and crops its border away instead).

    Args:
        channels: number of channels (class scores).
        factor: the upsampling factor ``f`` (stride of the transposed convolution).
        learnable: learn the filter (FCN's intermediate 2× layers): a full ``[C, C, k, k]`` filter
            bank, mapping channel ``c`` to channel ``c`` only at initialization (FCN's
            ``surgery.interp``). Else keep it fixed to bilinear (FCN's final layer, §4.2 "fixed to
            bilinear interpolation"): the same transposed convolution, per channel, with the
            separable kernel ``ramp ⊗ ramp``, computed as ``U_H · x · U_Wᵀ`` where the columns of
            ``U`` are the ramp shifted by ``f`` (a 64×64 transposed convolution is slow on a CPU).
    """

    def __init__(self, channels: int, factor: int, learnable: bool = True) -> None:
        super().__init__()
        if channels < 1:
            raise ValueError(f"channels must be positive, got {channels}")
        ramp = bilinear_ramp(factor).to(torch.get_default_dtype())
        self.factor, self.channels, self.kernel_size, self.learnable = factor, channels, len(ramp), learnable
        if learnable:
            weight = torch.zeros(channels, channels, len(ramp), len(ramp))
            weight[range(channels), range(channels)] = ramp[:, None] * ramp[None, :]
            self.weight = nn.Parameter(weight)
        else:
            self.register_buffer("ramp", ramp)
        # Output cell o of the transposed convolution on the padded input peaks under padded input
        # cell p at o = p·f + centre; we want input cell i (= p - 1) at o' = i·f + (f-1)/2.
        center2 = 2 * factor - 2 if self.kernel_size % 2 == 1 else 2 * factor - 1  # 2 × centre
        self.offset = factor + (center2 - (factor - 1)) // 2

    def upsampling_matrix(self, n_in: int, n_out: int) -> torch.Tensor:
        """``U [n_out, n_in]``: the fixed layer along one axis, replicate padding and crop included.

        Column ``p`` of the transposed convolution's matrix on the padded axis holds the ramp at rows
        ``p·f … p·f + k - 1``; the two padding cells are copies of the end cells, so their columns
        are added onto those of cells ``0`` and ``n_in - 1``; the crop keeps rows ``offset …``.
        """
        rows = torch.arange(n_out, device=self.ramp.device)[:, None] + self.offset
        tap = rows - torch.arange(n_in + 2, device=self.ramp.device)[None, :] * self.factor
        inside = (tap >= 0) & (tap < self.kernel_size)
        full = torch.where(inside, self.ramp[tap.clamp(0, self.kernel_size - 1)], torch.zeros_like(self.ramp[:1]))
        matrix = full[:, 1:-1].clone()
        matrix[:, 0] += full[:, 0]
        matrix[:, -1] += full[:, -1]
        return matrix

    def forward(self, x: torch.Tensor, size: Sequence[int] | None = None) -> torch.Tensor:
        """``x [B, C, h, w]`` → ``[B, C, H, W]``, ``(H, W) = size`` (default ``(f·h, f·w)``)."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"BilinearUpsampling expects [B, {self.channels}, h, w], got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        height, width = (h * self.factor, w * self.factor) if size is None else (int(size[0]), int(size[1]))
        if not (1 <= height <= h * self.factor and 1 <= width <= w * self.factor):
            raise ValueError(f"size must be at most factor × input = ({h * self.factor}, {w * self.factor}) "
                             f"for a ({h}, {w}) input and factor {self.factor}, got ({height}, {width})")
        if not self.learnable:
            u_h, u_w = self.upsampling_matrix(h, height).to(x.dtype), self.upsampling_matrix(w, width).to(x.dtype)
            return torch.einsum("Hh,bchw,Ww->bcHW", u_h, x, u_w)
        padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
        up = F.conv_transpose2d(padded, self.weight, stride=self.factor)
        return up[..., self.offset:self.offset + height, self.offset:self.offset + width]


class FCNBackbone(nn.Module):
    """The five convolutional stages of VGG (§3.1, §4.1), each ending in a 2×2 max pool: returns
    pool3 (stride 8), pool4 (stride 16) and pool5 (stride 32).

    A stage is VGG's stack of 3×3 convolutions with padding 1 (with BatchNorm, see the entry's
    deviations), from :func:`papercraft.papers.cnn_case_study.vgg.make_features`; the pools round
    up (``ceil_mode``, as Caffe's do), so any input size works and a stride-``s`` map has
    ``ceil(H / s)`` rows.

    Args:
        stages: ``(convolutions, width)`` of the five stages (VGG-16: ``(2, 64), (2, 128),
            (3, 256), (3, 512), (3, 512)``).
        in_channels: image channels.
    """

    def __init__(self, stages: Sequence[tuple[int, int]] = ((1, 16), (1, 32), (2, 48), (2, 64), (2, 96)),
                 in_channels: int = 3) -> None:
        super().__init__()
        if len(stages) != 5 or any(n < 1 or w < 1 for n, w in stages):
            raise ValueError(f"stages must be five (convolutions >= 1, width >= 1) pairs, got {list(stages)}")
        self.in_channels = in_channels
        self.widths = [w for _, w in stages]
        blocks, channels = [], in_channels
        for n, width in stages:
            blocks.append(nn.Sequential(make_features([width] * n, channels, batch_norm=True),
                                        nn.MaxPool2d(2, stride=2, ceil_mode=True)))
            channels = width
        self.stages = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``[B, C, H, W]`` → (pool3 ``[B, w3, ⌈H/8⌉, ⌈W/8⌉]``, pool4 ``[B, w4, ⌈H/16⌉, ⌈W/16⌉]``,
        pool5 ``[B, w5, ⌈H/32⌉, ⌈W/32⌉]``)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"FCN expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}")
        pools = []
        for stage in self.stages:
            x = stage(x)
            pools.append(x)
        return pools[2], pools[3], pools[4]


class FCNClassifier(nn.Module):
    """VGG's classifier, convolutionalized (§3.1): fc6 and fc7 as convolutions with ReLU and
    dropout, then ``score_fr``, a 1×1 convolution to class scores (§4.1 "append a 1×1 convolution
    with channel dimension 21"). ``[B, in, h, w]`` → ``[B, num_classes, h, w]``.

    VGG-16's fc6 becomes a 7×7 convolution; here both are 1×1 (``fc6_kernel``), as the stride-32
    map of a 64-128 px input has only 2-4 cells per side.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 128, dropout: float = 0.5,
                 fc6_kernel: int = 1) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2 (background + classes), got {num_classes}")
        if fc6_kernel < 1 or fc6_kernel % 2 == 0:
            raise ValueError(f"fc6_kernel must be a positive odd integer, got {fc6_kernel}")
        self.fc6 = nn.Sequential(nn.Conv2d(in_channels, width, fc6_kernel, padding=fc6_kernel // 2),
                                 nn.ReLU(inplace=True), nn.Dropout2d(dropout))
        self.fc7 = nn.Sequential(nn.Conv2d(width, width, 1), nn.ReLU(inplace=True), nn.Dropout2d(dropout))
        self.score_fr = nn.Conv2d(width, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score_fr(self.fc7(self.fc6(x)))


def score_layer(in_channels: int, num_classes: int) -> nn.Conv2d:
    """A skip's 1×1 score layer on a pooling layer, zero-initialized (§4.2: "initialized to zero"),
    so that adding a skip starts from the coarser net's prediction."""
    layer = nn.Conv2d(in_channels, num_classes, 1)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class FCN32s(nn.Module):
    """FCN-32s (§4.1): the stride-32 scores upsampled 32× by fixed bilinear interpolation.

    ``[B, in_channels, H, W]`` images (any ``H, W``) → ``[B, num_classes, H, W]`` scores.
    """

    stride = 32

    def __init__(self, num_classes: int, in_channels: int = 3,
                 stages: Sequence[tuple[int, int]] = ((1, 16), (1, 32), (2, 48), (2, 64), (2, 96)),
                 fc_width: int = 128, dropout: float = 0.5) -> None:
        super().__init__()
        self.backbone = FCNBackbone(stages, in_channels)
        self.classifier = FCNClassifier(self.backbone.widths[4], num_classes, fc_width, dropout)
        self.upscore = BilinearUpsampling(num_classes, 32, learnable=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, pool5 = self.backbone(x)
        return self.upscore(self.classifier(pool5), x.shape[-2:])


class FCN16s(nn.Module):
    """FCN-16s (§4.2, Fig. 3): stride-32 scores upsampled 2× (learned, bilinear-initialized),
    summed with a score layer on pool4, and the sum upsampled 16× (fixed bilinear).

    ``[B, in_channels, H, W]`` → ``[B, num_classes, H, W]``.
    """

    stride = 16

    def __init__(self, num_classes: int, in_channels: int = 3,
                 stages: Sequence[tuple[int, int]] = ((1, 16), (1, 32), (2, 48), (2, 64), (2, 96)),
                 fc_width: int = 128, dropout: float = 0.5) -> None:
        super().__init__()
        self.backbone = FCNBackbone(stages, in_channels)
        self.classifier = FCNClassifier(self.backbone.widths[4], num_classes, fc_width, dropout)
        self.score_pool4 = score_layer(self.backbone.widths[3], num_classes)
        self.upscore2 = BilinearUpsampling(num_classes, 2, learnable=True)
        self.upscore16 = BilinearUpsampling(num_classes, 16, learnable=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, pool4, pool5 = self.backbone(x)
        skip = self.score_pool4(pool4)
        fuse_pool4 = self.upscore2(self.classifier(pool5), skip.shape[-2:]) + skip
        return self.upscore16(fuse_pool4, x.shape[-2:])


class FCN8s(nn.Module):
    """FCN-8s (§4.2, Fig. 3): FCN-16s's fused stride-16 scores upsampled 2× again, summed with a
    score layer on pool3, and upsampled 8× (fixed bilinear).

    ``[B, in_channels, H, W]`` → ``[B, num_classes, H, W]``.
    """

    stride = 8

    def __init__(self, num_classes: int, in_channels: int = 3,
                 stages: Sequence[tuple[int, int]] = ((1, 16), (1, 32), (2, 48), (2, 64), (2, 96)),
                 fc_width: int = 128, dropout: float = 0.5) -> None:
        super().__init__()
        self.backbone = FCNBackbone(stages, in_channels)
        self.classifier = FCNClassifier(self.backbone.widths[4], num_classes, fc_width, dropout)
        self.score_pool4 = score_layer(self.backbone.widths[3], num_classes)
        self.score_pool3 = score_layer(self.backbone.widths[2], num_classes)
        self.upscore2 = BilinearUpsampling(num_classes, 2, learnable=True)
        self.upscore_pool4 = BilinearUpsampling(num_classes, 2, learnable=True)
        self.upscore8 = BilinearUpsampling(num_classes, 8, learnable=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool3, pool4, pool5 = self.backbone(x)
        skip4, skip3 = self.score_pool4(pool4), self.score_pool3(pool3)
        fuse_pool4 = self.upscore2(self.classifier(pool5), skip4.shape[-2:]) + skip4
        fuse_pool3 = self.upscore_pool4(fuse_pool4, skip3.shape[-2:]) + skip3
        return self.upscore8(fuse_pool3, x.shape[-2:])
