"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-Based Learning Applied to Document
Recognition", §II.B and Fig. 2).

Seven layers on a 32×32 input (MNIST's 28×28 digits padded, so that stroke end-points can reach
the centre of the top feature detectors' receptive fields):

- C1: 6 maps of 5×5 convolutions → 28×28 (156 parameters);
- S2: 2×2 sub-sampling: the sum of four inputs times a trainable coefficient plus a trainable
  bias, through the squashing function → 14×14 (12 parameters);
- C3: 16 maps of 5×5 convolutions, each seeing only the subset of S2's maps given by Table I
  (to break symmetry and keep the connection count down) → 10×10 (1,516 parameters);
- S4: like S2 → 5×5 (32 parameters);
- C5: 120 maps of 5×5 convolutions → 1×1 (48,120 parameters);
- F6: 84 units (10,164 parameters);
- output: 10 Euclidean RBF units, ``y_i = Σ_j (x_j - w_ij)²`` with *fixed* ±1 prototypes (eq. 7).

60,000 trainable parameters in all (the tests check this sum). Every layer up to F6 applies the
scaled hyperbolic tangent ``f(a) = A tanh(S a)`` with ``A = 1.7159, S = 2/3`` (Appendix A), chosen
so that ``f(±1) = ±1``; the prototypes' ±1 entries are then reachable without saturating.

The loss is the paper's MAP criterion (eq. 9): ``E = y_D + log(e^{-j} + Σ_i e^{-y_i})``, which
pushes down the correct class's distance and up the others', with the constant ``j`` as a
"rubbish class" that stops already-large penalties from being pushed further.

Deviation: the paper drew each RBF prototype from a stylized 7×12 bitmap of its digit; we draw
fixed random ±1 codes (seeded), which have the same role (well-separated targets for F6).
"""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

# Table I: which of S2's six maps (rows) each of C3's sixteen maps (columns) reads.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),  # three contiguous maps
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),  # four contiguous
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),  # four discontinuous
    (0, 1, 2, 3, 4, 5),  # all six
)
SQUASH_A, SQUASH_S = 1.7159, 2.0 / 3.0
BACKGROUND, FOREGROUND = -0.1, 1.175  # §II.B: input scaling, mean ≈ 0 and variance ≈ 1


def squash(a: torch.Tensor) -> torch.Tensor:
    """Scaled tanh of Appendix A: ``1.7159 · tanh(2a/3)``."""
    return SQUASH_A * torch.tanh(SQUASH_S * a)


def lenet_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[B, 28, 28]`` (or ``[B, 1, 28, 28]``) digits → float ``[B, 1, 32, 32]`` scaled as §II.B.

    White background ``0`` maps to -0.1 and full ink ``255`` to 1.175; padding uses the background.
    """
    if images.dim() == 3:
        images = images[:, None]
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"lenet_input expects [B, 28, 28] or [B, 1, H, W] images, got {tuple(images.shape)}")
    x = images.float() / 255.0 * (FOREGROUND - BACKGROUND) + BACKGROUND
    pad = (32 - x.shape[-1]) // 2
    return F.pad(x, (pad, pad, pad, pad), value=BACKGROUND) if pad > 0 else x


class Subsampling(nn.Module):
    """S2/S4: ``f(coef_c · Σ_{2×2} x + bias_c)`` per map c — 2 trainable parameters per map."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summed = F.avg_pool2d(x, 2) * 4.0
        return squash(summed * self.coefficient[:, None, None] + self.bias[:, None, None])


class LeNet5(nn.Module):
    """LeNet-5: ``[B, 1, 32, 32]`` → ``[B, 10]`` RBF *distances* (smaller = more likely).

    :meth:`logits` gives ``-distances`` for accuracy and saliency methods; train with
    :func:`lenet_map_loss`.
    """

    def __init__(self, num_classes: int = 10, prototype_seed: int = 0) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        # C3 stores only its 1,500 connected weights; forward scatters them into a dense kernel.
        index = [(o * 6 + i) * 25 + k for o, inputs in enumerate(C3_TABLE) for i in inputs for k in range(25)]
        self.register_buffer("c3_index", torch.tensor(index, dtype=torch.long), persistent=False)
        self.c3_weight = nn.Parameter(torch.empty(len(index)))
        self.c3_bias = nn.Parameter(torch.empty(16))
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        codes = torch.randint(0, 2, (num_classes, 84), generator=torch.Generator().manual_seed(prototype_seed))
        self.register_buffer("prototypes", codes.float() * 2 - 1)  # fixed, not trained (§II.B)
        self._init_weights()

    def _init_weights(self) -> None:
        """Appendix A: weights uniform in ±2.4/F_i, F_i the unit's fan-in (biases alike)."""
        fan_in_c3 = torch.tensor([len(inputs) * 25 for inputs in C3_TABLE for _ in range(len(inputs) * 25)], dtype=torch.float)
        with torch.no_grad():
            for layer in (self.c1, self.c5, self.f6):
                bound = 2.4 / layer.weight[0].numel()
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)
            self.c3_weight.copy_((torch.rand(len(fan_in_c3)) * 2 - 1) * 2.4 / fan_in_c3)
            self.c3_bias.uniform_(-2.4 / 75, 2.4 / 75)

    def c3_kernel(self) -> torch.Tensor:
        """The dense ``[16, 6, 5, 5]`` C3 kernel, zero where Table I has no connection."""
        dense = torch.zeros(16 * 6 * 25, dtype=self.c3_weight.dtype, device=self.c3_weight.device)
        return dense.index_copy(0, self.c3_index, self.c3_weight).view(16, 6, 5, 5)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, 32, 32]`` → F6 activations ``[B, 84]``."""
        if x.dim() != 4 or x.shape[1:] != (1, 32, 32):
            raise ValueError(f"LeNet-5 expects [B, 1, 32, 32] inputs (see lenet_input), got {tuple(x.shape)}")
        x = self.s2(squash(self.c1(x)))
        x = self.s4(squash(F.conv2d(x, self.c3_kernel(), self.c3_bias)))
        x = squash(self.c5(x)).flatten(1)
        return squash(self.f6(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, 32, 32]`` → RBF distances ``[B, 10]`` (eq. 7)."""
        f6 = self.features(x)
        return ((f6[:, None, :] - self.prototypes[None]) ** 2).sum(-1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``-distances``: the larger, the more likely (argmax = the class)."""
        return -self(x)


class LeNet5Logits(nn.Module):
    """Wraps :class:`LeNet5` so that ``forward`` returns logits (``-distance``), like every other
    classifier here; the experiment and the visualization methods use this form."""

    def __init__(self, lenet: LeNet5) -> None:
        super().__init__()
        self.lenet = lenet

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lenet.logits(x)


def lenet_map_loss(distances: torch.Tensor, target: torch.Tensor, j: float = 1.0) -> torch.Tensor:
    """Eq. 9: ``mean_p [ y_{D_p} + log(e^{-j} + Σ_i e^{-y_i}) ]`` for distances ``[B, classes]``.

    ``j`` is a positive constant the paper does not give; 1.0 is our choice.
    """
    if distances.dim() != 2 or target.shape != distances.shape[:1]:
        raise ValueError(f"expected distances [B, C] and targets [B], got {tuple(distances.shape)} and {tuple(target.shape)}")
    correct = distances.gather(1, target[:, None]).squeeze(1)
    rubbish = torch.full_like(distances[:, :1], -j)
    return (correct + torch.logsumexp(torch.cat([-distances, rubbish], dim=1), dim=1)).mean()


def lenet5(num_classes: int = 10) -> LeNet5:
    """LeNet-5 as in the paper (60,000 trainable parameters)."""
    return LeNet5(num_classes)


