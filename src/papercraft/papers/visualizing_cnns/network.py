"""The network the pointing game is played on: a small ZFNet-style CNN for 56-px canvases.

Built from cnn-case-study's :class:`~papercraft.papers.cnn_case_study.alexnet.AlexNet` with
Zeiler & Fergus's changes to AlexNet (§4.1 and Fig. 3: a smaller first-layer filter with a smaller
stride, here 5×5 with stride 1 where theirs was 7×7 with stride 2 at 224 px, and a stride-2 second
layer), no local response normalization, and one channel in.
"""

from __future__ import annotations

from torch import nn

from papercraft.papers.cnn_case_study.alexnet import AlexNet, AlexNetConfig


def canvas_cnn(canvas: int = 56) -> AlexNet:
    """ZFNet-style network for ``[B, 1, canvas, canvas]`` images (logits ``[B, 10]``); at 56 px:
    conv1 56 → pool 28 → conv2 (stride 2) 14 → pool 7 → conv3-5 7 → pool 3 → 128 → 128 → 10.

    The final maps are average-pooled to 3×3, so the same weights take any canvas of 16 px or more;
    ``canvas`` names the size the network is meant for."""
    if canvas < 16:
        raise ValueError(f"canvas_cnn: canvas must be at least 16 px (three 2× poolings and a stride-2 "
                         f"convolution), got {canvas}")
    return AlexNet(AlexNetConfig(in_channels=1, num_classes=10, widths=(8, 16, 32, 32, 24), groups=(1, 1, 1, 1, 1),
                                 conv1=(5, 1, 2), conv2=(5, 2, 2), lrn=False, ceil_mode=True, pooled_size=3,
                                 fc_width=128, dropout=0.3))


def last_conv_relu(model: AlexNet) -> nn.Module:
    """The ReLU after the last convolution: Grad-CAM's layer (the last convolutional maps, rectified)."""
    relus = [m for m in model.features if isinstance(m, nn.ReLU)]
    if not relus:
        raise ValueError("last_conv_relu: the model's features contain no nn.ReLU")
    return relus[-1]
