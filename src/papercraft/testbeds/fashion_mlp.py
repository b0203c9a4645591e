"""A small Fashion-MNIST test bed for optimizer and learning-rate-schedule experiments.

A fixed subset of Fashion-MNIST's training images (the first ``n_train`` of a seeded permutation,
so every class appears), the full 10,000-image test set, pixels scaled to zero mean and unit
variance (statistics of the training subset), flattened to 784 features; a multi-layer perceptron,
optionally with batch normalization; the trainer's loss and evaluation functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class FashionData:
    """``x_train`` float32 [N, 784], ``y_train`` int64 [N], ``x_test`` [M, 784], ``y_test`` [M]."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_fashion_subset(n_train: int, n_test: int = 10_000, seed: int = 0) -> FashionData:
    """``n_train`` training images (a seeded random subset) and the first ``n_test`` test images."""
    from papercraft.data import load_fashion_mnist

    split = load_fashion_mnist()
    if not 0 < n_train <= split.x_train.shape[0]:
        raise ValueError(f"n_train must be in [1, {split.x_train.shape[0]}], got {n_train}")
    if not 0 < n_test <= split.x_test.shape[0]:
        raise ValueError(f"n_test must be in [1, {split.x_test.shape[0]}], got {n_test}")
    order = torch.randperm(split.x_train.shape[0], generator=torch.Generator().manual_seed(seed))[:n_train]
    x_train = split.x_train[order].reshape(n_train, -1).float() / 255
    x_test = split.x_test[:n_test].reshape(n_test, -1).float() / 255
    mean, std = x_train.mean(), x_train.std()
    return FashionData((x_train - mean) / std, split.y_train[order], (x_test - mean) / std, split.y_test[:n_test])


def mlp(hidden: int = 256, depth: int = 2, batchnorm: bool = False, classes: int = 10, inputs: int = 784) -> nn.Sequential:
    """``depth`` hidden layers of width ``hidden`` with ReLU (and BatchNorm before it if asked).

    Input [B, 784] → logits [B, classes].
    """
    layers: list[nn.Module] = []
    width = inputs
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        width = hidden
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def classification_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, Mapping[str, float]]:
    """Cross-entropy of a batch ``(x [B, 784], y [B])``; logs the batch accuracy."""
    x, y = batch
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    return loss, {"acc": (logits.argmax(-1) == y).float().mean().item()}


def test_evaluator(data: FashionData, batch_size: int = 5000,
                   optimizer: torch.optim.Optimizer | None = None) -> Callable[[nn.Module], dict[str, float]]:
    """``evaluate(model) -> {"test_loss", "test_acc", "test_error"}`` on the test set.

    With a schedule-free ``optimizer`` the model is evaluated at the averaged point x
    (``optimizer.eval()``) and put back at y afterwards.
    """
    def evaluate(model: nn.Module) -> dict[str, float]:
        switch = optimizer is not None and hasattr(optimizer, "eval")
        if switch:
            optimizer.eval()
        total_loss, correct = 0.0, 0
        with torch.no_grad():
            device = next(model.parameters()).device
            for i in range(0, data.x_test.shape[0], batch_size):
                x = data.x_test[i:i + batch_size].to(device)
                y = data.y_test[i:i + batch_size].to(device)
                logits = model(x)
                total_loss += F.cross_entropy(logits, y, reduction="sum").item()
                correct += (logits.argmax(-1) == y).sum().item()
        if switch:
            optimizer.train()
        n = data.x_test.shape[0]
        return {"test_loss": total_loss / n, "test_acc": correct / n, "test_error": 1 - correct / n}

    return evaluate
