"""The one augmentation policy of the historical table: small random translations (LeNet-5's distortions).

LeCun et al. (1998, §III.C and Fig. 9) trained LeNet-5 on "distorted" copies of the training digits
(random translations, scaling, squeezing and shearing), which took its MNIST error from 0.95% to
0.8%. The historical table applies the simplest of them, random translations, to *every* network
on *every* data set, so that no network gets an advantage from its training recipe:

- each training image is shifted by an integer ``(dy, dx)`` drawn uniformly from
  ``[-max_shift, max_shift]²``, independently per image and per step;
- the pixels shifted in repeat the image's border (MNIST and Fashion-MNIST are padded from 28 to 32
  pixels with the background, so the border is background and a shift of up to 2 pixels never cuts
  the object);
- the shifts of a batch are drawn from a generator seeded by the loader's seed and the batch's
  position ``(epoch, batch)``, so two networks trained with the same seed see the same shifted
  images, and a resumed run sees the shifts the killed one would have seen.

Test and validation images are never shifted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from papercraft.training import TensorBatches


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image of ``[B, C, H, W]`` by its own integer ``(dy, dx)`` in ``[-max_shift, max_shift]``.

    Pixels shifted in repeat the border (replicate padding). Returns a new ``[B, C, H, W]`` tensor.
    """
    if images.dim() != 4:
        raise ValueError(f"random_shift expects [B, C, H, W] images, got {tuple(images.shape)}")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if max_shift == 0:
        return images.clone()
    b, _, h, w = images.shape
    s = max_shift
    padded = F.pad(images, (s, s, s, s), mode="replicate")
    # Offsets of the crop window in the padded image: s - offset is the shift of the content.
    dy = torch.randint(0, 2 * s + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * s + 1, (b,), generator=generator)
    rows = dy[:, None] + torch.arange(h)  # [B, H]
    cols = dx[:, None] + torch.arange(w)  # [B, W]
    crops = padded.permute(0, 2, 3, 1)[torch.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return crops.permute(0, 3, 1, 2).contiguous()  # [B, H, W, C] -> [B, C, H, W]


class ShiftedBatches(TensorBatches):
    """:class:`~papercraft.training.TensorBatches` over ``(images [N, C, H, W], labels [N])`` whose
    images come out randomly translated by up to ``max_shift`` pixels (see the module docstring).

    The loader's position ``(epoch, batch)`` is still its whole state, so checkpoints and resumes
    work as for :class:`TensorBatches`.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int, seed: int = 0,
                 max_shift: int = 2) -> None:
        super().__init__(images, labels, batch_size=batch_size, seed=seed)
        if max_shift < 0:
            raise ValueError(f"max_shift must be >= 0, got {max_shift}")
        self.max_shift = max_shift

    def __next__(self) -> tuple[torch.Tensor, ...]:
        images, labels = super().__next__()
        # After the parent's step, (epoch, batch) names this batch uniquely (batch counts from 1).
        # The offset 0x5EED keeps these draws apart from the permutation's generator (seed, epoch).
        key = ((self.seed * 1_000_003 + self.epoch) * 100_003 + self.batch + 0x5EED) % 2 ** 63
        generator = torch.Generator().manual_seed(key)
        return random_shift(images, self.max_shift, generator), labels
