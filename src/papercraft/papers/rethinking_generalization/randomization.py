"""The randomization tests of Zhang et al. 2017, Section 2 ("Effective capacity of neural networks").

The paper trains the same networks, with the same hyper-parameters, on copies of the data in which
the relationship between inputs and labels has been destroyed to a controlled degree:

- **Partially corrupted labels** (Section 2, Fig. 1b-c): "independently with probability p, the
  label of each image is corrupted as a uniform random class". :func:`corrupt_labels` draws an
  *exact* fraction ``p`` of the images (``round(p·N)`` of them, uniformly without replacement) and
  gives each a label drawn uniformly from all ``C`` classes. The new label can equal the old one
  (with probability ``1/C``), exactly as in the paper, so with ``p = 1`` about 90% of MNIST labels
  differ from the truth and the labels are independent of the images. Drawing an exact count
  instead of independent coin flips only removes the binomial jitter in the number corrupted.
- **Random labels**: ``p = 1``.
- **Shuffled pixels**: "a random permutation of the pixels is chosen and then the same permutation
  is applied to all the images in both training and test set" (:func:`shuffle_pixels`). Note that
  a fully connected network is exactly equivariant to this (permute its first weight matrix), so
  for the MLP it is the true-labels problem in disguise; for a CNN it destroys locality.
- **Random pixels**: "a different random permutation is applied to each image independently"
  (:func:`random_pixels`). This keeps each image's pixel histogram (so its amount of ink) and
  nothing else.
- **Gaussian**: "a Gaussian distribution (with matching mean and variance to the original image
  dataset) is used to generate random pixels for each image" (:func:`gaussian_inputs`).

The input randomizations keep the true labels, and are applied to the test images too (a new draw
for random pixels and Gaussian inputs, the same permutation for shuffled pixels).

The explicit regularizers of Section 3 are weight decay and dropout (options of the optimiser and
the model) and data augmentation; for MNIST digits the augmentation is a random shift of up to a
few pixels (:func:`random_shift`, the analogue of the paper's random crops of padded CIFAR images),
applied per batch by :class:`ShiftAugmentedBatches`.

Every function takes an explicit ``torch.Generator``: the corruption has its own seeded generator,
independent of initialisation and batch order, and is reproducible on its own.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from papercraft.training import TensorBatches

INPUT_RANDOMIZATIONS = ("none", "shuffled_pixels", "random_pixels", "gaussian")
"""Names of the input randomizations of Section 2 (``"none"`` keeps the real images)."""


# --------------------------------------------------------------------------- labels


def corrupt_labels(labels: torch.Tensor, p: float, num_classes: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace the labels of an exact fraction ``p`` of the examples by uniform random labels.

    Args:
        labels: ``[N]`` int64 class indices in ``[0, num_classes)``.
        p: fraction of examples whose label is re-drawn, in ``[0, 1]``; ``round(p·N)`` examples,
            chosen uniformly without replacement.
        num_classes: ``C``; each re-drawn label is uniform over all ``C`` classes, so it equals
            the original with probability ``1/C`` (the paper's semantics).
        generator: the corruption's own random generator.

    Returns:
        ``(new_labels [N] int64, redrawn [N] bool)``: the corrupted copy (the input is not
        modified) and the mask of examples whose label was re-drawn.
    """
    if labels.ndim != 1 or labels.dtype != torch.int64:
        raise ValueError(f"labels must be a 1-D int64 tensor, got {tuple(labels.shape)} {labels.dtype}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got range "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"corruption fraction p must be in [0, 1], got {p}")
    n = labels.shape[0]
    count = int(p * n + 0.5)  # round half up: p=0.5 of 3 -> 2
    chosen = torch.randperm(n, generator=generator)[:count]
    new_labels = labels.clone()
    new_labels[chosen] = torch.randint(0, num_classes, (count,), generator=generator)
    redrawn = torch.zeros(n, dtype=torch.bool)
    redrawn[chosen] = True
    return new_labels, redrawn


# --------------------------------------------------------------------------- inputs


def _check_images(images: torch.Tensor) -> None:
    if images.ndim != 3 or not images.is_floating_point():
        raise ValueError(f"images must be a float tensor [N, H, W], got {tuple(images.shape)} {images.dtype}")


def fixed_pixel_permutation(num_pixels: int, generator: torch.Generator) -> torch.Tensor:
    """One random permutation of ``num_pixels`` pixel positions (``[H·W]`` int64)."""
    if num_pixels < 1:
        raise ValueError(f"num_pixels must be >= 1, got {num_pixels}")
    return torch.randperm(num_pixels, generator=generator)


def shuffle_pixels(images: torch.Tensor, permutation: torch.Tensor) -> torch.Tensor:
    """Shuffled pixels: apply the same pixel permutation to every image.

    Args:
        images: ``[N, H, W]`` float.
        permutation: ``[H·W]`` int64, a permutation of ``range(H·W)``.

    Returns:
        ``[N, H, W]``: ``out[n].flatten()[i] = images[n].flatten()[permutation[i]]``.
    """
    _check_images(images)
    n, h, w = images.shape
    if permutation.shape != (h * w,) or not torch.equal(permutation.sort().values, torch.arange(h * w)):
        raise ValueError(f"permutation must be a permutation of range({h * w}), got shape {tuple(permutation.shape)}")
    return images.reshape(n, h * w)[:, permutation].reshape(n, h, w)


def random_pixels(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random pixels: a different, independent pixel permutation for every image.

    Args:
        images: ``[N, H, W]`` float.

    Returns:
        ``[N, H, W]``: each image's pixels in a random order of its own (its histogram is kept).
    """
    _check_images(images)
    n, h, w = images.shape
    # argsort of i.i.d. uniforms is a uniformly random permutation per row.
    permutations = torch.rand(n, h * w, generator=generator).argsort(dim=1)
    return images.reshape(n, h * w).gather(1, permutations).reshape(n, h, w)


def gaussian_inputs(shape: tuple[int, ...], mean: float, std: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian inputs: i.i.d. ``N(mean, std²)`` pixels, with the data set's mean and std.

    The paper matches "mean and variance to the original image dataset"; we match the data set's
    single (scalar) mean and standard deviation over all pixels of all training images.
    """
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return torch.randn(shape, generator=generator) * std + mean


def randomize_inputs(x_train: torch.Tensor, x_test: torch.Tensor, kind: str,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply one of :data:`INPUT_RANDOMIZATIONS` to the training and the test images.

    Args:
        x_train: ``[N, H, W]`` float training images.
        x_test: ``[M, H, W]`` float test images.
        kind: ``"none"``, ``"shuffled_pixels"``, ``"random_pixels"`` or ``"gaussian"``.

    Returns:
        ``(x_train', x_test')`` of the same shapes. Shuffled pixels use one permutation for both
        sets; Gaussian inputs take the *training* set's mean and std.
    """
    _check_images(x_train)
    _check_images(x_test)
    if kind == "none":
        return x_train, x_test
    if kind == "shuffled_pixels":
        permutation = fixed_pixel_permutation(x_train.shape[1] * x_train.shape[2], generator)
        return shuffle_pixels(x_train, permutation), shuffle_pixels(x_test, permutation)
    if kind == "random_pixels":
        return random_pixels(x_train, generator), random_pixels(x_test, generator)
    if kind == "gaussian":
        mean, std = x_train.mean().item(), x_train.std().item()
        return (gaussian_inputs(tuple(x_train.shape), mean, std, generator),
                gaussian_inputs(tuple(x_test.shape), mean, std, generator))
    raise ValueError(f"unknown input randomization {kind!r}; expected one of {INPUT_RANDOMIZATIONS}")


# --------------------------------------------------------------------------- augmentation


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift every image by its own random offset of up to ``max_shift`` pixels in each direction.

    The image is zero-padded by ``max_shift`` and a window of the original size is cut at a random
    offset (the paper's "random cropping" of padded images). Zero is the MNIST background.

    Args:
        images: ``[B, H, W]`` float.
        max_shift: the largest shift in pixels (0 returns the images unchanged).

    Returns:
        ``[B, H, W]``.
    """
    _check_images(images)
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if max_shift == 0:
        return images
    b, h, w = images.shape
    padded = F.pad(images, (max_shift, max_shift, max_shift, max_shift))
    dy = torch.randint(0, 2 * max_shift + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * max_shift + 1, (b,), generator=generator)
    rows = (torch.arange(h)[None, :] + dy[:, None])[:, :, None]  # [B, H, 1]
    cols = (torch.arange(w)[None, :] + dx[:, None])[:, None, :]  # [B, 1, W]
    return padded[torch.arange(b)[:, None, None], rows, cols]


class ShiftAugmentedBatches:
    """Batches of a :class:`TensorBatches` over ``(images, labels)`` with :func:`random_shift` applied.

    The shifts of a batch are drawn from a generator seeded by ``(seed, epoch, batch)`` of the inner
    loader, so the augmentation is a pure function of the loader's position: a resumed run sees
    exactly the shifts the killed run would have seen, and the checkpointed state is the inner
    loader's.
    """

    def __init__(self, batches: TensorBatches, max_shift: int, seed: int) -> None:
        if max_shift < 0:
            raise ValueError(f"max_shift must be >= 0, got {max_shift}")
        self.batches = batches
        self.max_shift = max_shift
        self.seed = seed

    def __iter__(self) -> ShiftAugmentedBatches:
        return self

    def __len__(self) -> int:
        return len(self.batches)

    def __next__(self) -> tuple[torch.Tensor, ...]:
        images, *rest = next(self.batches)
        position = self.batches.state_dict()  # the batch just drawn is (epoch, batch - 1)
        generator = torch.Generator().manual_seed(
            (self.seed * 1_000_003 + position["epoch"]) * 1_000_003 + position["batch"])
        return (random_shift(images, self.max_shift, generator), *rest)

    def shard(self, rank: int, world_size: int) -> None:
        self.batches.shard(rank, world_size)

    def state_dict(self) -> dict[str, Any]:
        return {**self.batches.state_dict(), "max_shift": self.max_shift, "shift_seed": self.seed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("max_shift") != self.max_shift or state.get("shift_seed") != self.seed:
            raise ValueError(f"augmentation state is for max_shift={state.get('max_shift')}, "
                             f"seed={state.get('shift_seed')}; this loader has max_shift={self.max_shift}, "
                             f"seed={self.seed}")
        self.batches.load_state_dict(state)
