"""The networks of the randomization tests, sized for 28×28 MNIST digits.

- :class:`MLP`: the paper's MNIST multilayer perceptron "MLP 1×512" (Table 2): one hidden layer of
  512 ReLU units, 784·512 + 512 + 512·10 + 10 = 407,050 parameters, about 50× more than the 8,000
  training images of our reproduction (the paper's CIFAR models have 1.2-1.6 M parameters for
  50,000 images).
- :class:`SmallCNN`: a small convolutional network (two 5×5 conv + max-pool stages and one hidden
  fully connected layer), standing in for the paper's small AlexNet/Inception on CIFAR-10
  (Appendix A), scaled down for a 2-core CPU.

Both take an optional ``dropout`` rate before their last layer: the paper's explicit regularizers
(Section 3) are weight decay, dropout and data augmentation, and dropout is the one that lives in
the model. Inputs are ``[B, 28, 28]`` (or ``[B, 1, 28, 28]``) floats; outputs are ``[B, 10]``
logits.
"""

from __future__ import annotations

import torch
from torch import nn


def _check_dropout(dropout: float) -> None:
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


class MLP(nn.Module):
    """One-hidden-layer perceptron: flatten → Linear(784, 512) → ReLU → Dropout → Linear(512, 10).

    Args:
        in_features: pixels per image (784 for MNIST).
        hidden: width of the hidden layer (the paper's MNIST MLP: 512).
        num_classes: number of output logits.
        dropout: dropout rate on the hidden units (0 disables it).
    """

    def __init__(self, in_features: int = 784, hidden: int = 512, num_classes: int = 10, dropout: float = 0.0) -> None:
        super().__init__()
        _check_dropout(dropout)
        self.in_features = in_features
        self.hidden = nn.Linear(in_features, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, H, W]`` or ``[B, 1, H, W]`` (``H·W = in_features``) → ``[B, num_classes]`` logits."""
        x = images.reshape(images.shape[0], -1)
        if x.shape[1] != self.in_features:
            raise ValueError(f"MLP expects images with {self.in_features} pixels, got shape {tuple(images.shape)}")
        return self.out(self.dropout(torch.relu(self.hidden(x))))


class SmallCNN(nn.Module):
    """conv5×5(1→c1) → ReLU → maxpool2 → conv5×5(c1→c2) → ReLU → maxpool2 → Linear(c2·7·7, hidden)
    → ReLU → Dropout → Linear(hidden, 10).

    Args:
        channels: output channels ``(c1, c2)`` of the two convolutions ("same" padding).
        hidden: width of the fully connected hidden layer.
        num_classes: number of output logits.
        dropout: dropout rate on the fully connected hidden units (0 disables it).
        image_size: side of the square input images (28 for MNIST; must be divisible by 4).
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), hidden: int = 128, num_classes: int = 10,
                 dropout: float = 0.0, image_size: int = 28) -> None:
        super().__init__()
        _check_dropout(dropout)
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2×2 poolings), got {image_size}")
        self.image_size = image_size
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(c2 * (image_size // 4) ** 2, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, H, W]`` or ``[B, 1, H, W]`` with ``H = W = image_size`` → ``[B, num_classes]`` logits."""
        x = images.unsqueeze(1) if images.ndim == 3 else images
        if x.ndim != 4 or x.shape[1:] != (1, self.image_size, self.image_size):
            raise ValueError(f"SmallCNN expects [B, {self.image_size}, {self.image_size}] or "
                             f"[B, 1, {self.image_size}, {self.image_size}] images, got {tuple(images.shape)}")
        x = self.pool(torch.relu(self.conv1(x)))  # [B, c1, H/2, W/2]
        x = self.pool(torch.relu(self.conv2(x)))  # [B, c2, H/4, W/4]
        x = torch.relu(self.fc(x.flatten(1)))
        return self.out(self.dropout(x))


MODELS = ("mlp", "cnn")


def build_model(name: str, dropout: float = 0.0) -> nn.Module:
    """``"mlp"`` → :class:`MLP` (1×512), ``"cnn"`` → :class:`SmallCNN`, for 28×28 digits."""
    if name == "mlp":
        return MLP(dropout=dropout)
    if name == "cnn":
        return SmallCNN(dropout=dropout)
    raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
