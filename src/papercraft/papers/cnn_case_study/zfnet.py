"""ZFNet (Zeiler & Fergus 2013, "Visualizing and Understanding Convolutional Networks", Fig. 3).

Their visualizations (§4.1) showed AlexNet's 11×11 stride-4 first layer mixing very high and very
low frequencies with few mid frequencies, and aliasing in layer 2. The fix: a 7×7 first layer with
stride 2, and stride 2 in layer 2, on a single GPU (no grouped convolutions). Everything else is
AlexNet's. Feature-map sizes at 224×224: 110 → pool 55 → 26 → pool 13 → 13 → 13 → pool 6 (Fig. 3);
the pools use ceil mode to reproduce those sizes. Their "contrast normalization across feature
maps" is AlexNet's LRN.
"""

from __future__ import annotations

from papercraft.papers.cnn_case_study.alexnet import AlexNet, AlexNetConfig

#: Fig. 3 of the paper.
PAPER_ZFNET = AlexNetConfig(widths=(96, 256, 384, 384, 256), groups=(1, 1, 1, 1, 1), conv1=(7, 2, 1),
                            conv2=(5, 2, 0), ceil_mode=True)


def zfnet(num_classes: int = 1000, in_channels: int = 3) -> AlexNet:
    """ZFNet at 224×224: ~62M parameters (AlexNet's layers without the two-GPU split)."""
    return AlexNet(AlexNetConfig(**{**PAPER_ZFNET.__dict__, "num_classes": num_classes, "in_channels": in_channels}))


def zfnet_small(num_classes: int = 10, in_channels: int = 1) -> AlexNet:
    """ZFNet adapted to 32×32 images, beside :func:`~.alexnet.alexnet_small`.

    The same change as the paper, scaled down: the first layer gets a smaller (3×3) kernel than
    AlexNet-small's 5×5 and the second layer a stride of 2 where AlexNet-small has 1 (with the pool
    after it kept). 32 → conv1 32 → pool 16 → conv2 8 → pool 4 → conv3-5 4 → pool 2 (ceil mode).
    """
    return AlexNet(AlexNetConfig(in_channels=in_channels, num_classes=num_classes, widths=(16, 32, 48, 48, 32),
                                 groups=(1, 1, 1, 1, 1), conv1=(3, 1, 1), conv2=(5, 2, 2), ceil_mode=True,
                                 pooled_size=2, fc_width=256))
