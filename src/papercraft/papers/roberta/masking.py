"""Static vs dynamic masking (RoBERTa §4.1, Table 1), and the batches that feed them to training.

BERT's masked-LM corruption (:func:`papercraft.papers.bert.masking.mask_tokens`: 15 % of the
positions chosen, 80 % ``<mask>`` / 10 % random / 10 % unchanged) can be drawn at two times:

- **Static** (BERT's original pipeline): "masking was performed once during data preprocessing,
  resulting in a single static mask. To avoid using the same mask for each training instance in
  every epoch, training data was duplicated 10 times so that each sequence is masked in 10
  different ways over the 40 epochs of training. Thus, each training sequence was seen with the
  same mask four times during training." :class:`StaticMasking` draws ``copies`` masks per
  sequence once, at construction; epoch ``e`` feeds copy ``e mod copies``, so the masks repeat with
  period ``copies`` epochs (``copies = 1``: one mask, fixed once).
- **Dynamic** (RoBERTa): "we generate the masking pattern every time we feed a sequence to the
  model". :class:`DynamicMasking` draws a fresh mask for every sequence in every epoch, from a
  generator seeded by ``(seed, epoch)``, so a resumed run feeds the masks the killed run would have.

:class:`MaskedBatches` turns either into the endless, resumable batches
``(inputs, labels, attention_mask)`` that :meth:`papercraft.runner.RunContext.train` consumes,
each epoch in a new seeded order. Shapes: ``N`` sequences of length ``L``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from papercraft.papers.bert.masking import mask_tokens
from papercraft.papers.roberta.packing import pad_to, segment_pairs
from papercraft.training.loader import EpochPosition

__all__ = ["Masking", "StaticMasking", "DynamicMasking", "MaskedBatches", "SegmentPairBatches", "special_positions"]


def special_positions(sequences: Tensor, special_ids: Sequence[int]) -> Tensor:
    """``[N, L]`` bool: True where the id is one of ``special_ids`` (never chosen for masking)."""
    return torch.isin(sequences, torch.as_tensor(list(special_ids), dtype=sequences.dtype))


class Masking:
    """The masks of every sequence for an epoch: :meth:`epoch` -> ``(inputs [N, L], labels [N, L])``.

    Args:
        sequences: ``[N, L]`` long, padded token ids (``<s> ... </s> <pad> ...``).
        vocab_size, mask_id: for the 80/10/10 corruption (random tokens drawn from ``[0, vocab_size)``).
        special_ids: ids never chosen (``<s>``, ``</s>``, ``<pad>``, ...).
        probability: the chance a non-special position is chosen (0.15, BERT §3.1).
        seed: the masks' random seed.
    """

    def __init__(self, sequences: Tensor, *, vocab_size: int, mask_id: int, special_ids: Sequence[int],
                 probability: float = 0.15, seed: int = 0) -> None:
        if not isinstance(sequences, Tensor) or sequences.dim() != 2 or sequences.dtype != torch.long:
            got = f"{sequences.dtype} {list(sequences.shape)}" if isinstance(sequences, Tensor) else type(sequences).__name__
            raise ValueError(f"sequences must be a long tensor [N, L], got {got}")
        if sequences.shape[0] < 1:
            raise ValueError("sequences must hold at least one sequence")
        if not special_ids:
            raise ValueError("special_ids must name the special tokens (at least <pad>)")
        self.sequences = sequences
        self.special = special_positions(sequences, special_ids)
        self.vocab_size, self.mask_id, self.probability, self.seed = vocab_size, mask_id, probability, seed
        mask_tokens(sequences[:1], vocab_size=vocab_size, mask_id=mask_id, special_mask=self.special[:1],
                    probability=probability)  # validates the arguments now rather than at the first batch

    def _draw(self, stream: int) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + stream)
        return mask_tokens(self.sequences, vocab_size=self.vocab_size, mask_id=self.mask_id,
                           special_mask=self.special, probability=self.probability, generator=generator)

    def epoch(self, epoch: int) -> tuple[Tensor, Tensor]:
        raise NotImplementedError


class DynamicMasking(Masking):
    """A new mask each time a sequence is fed: epoch ``e``'s masks come from the stream ``e`` (§4.1)."""

    def epoch(self, epoch: int) -> tuple[Tensor, Tensor]:
        """``(inputs [N, L], labels [N, L])`` for ``epoch`` (each sequence is fed once per epoch)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        return self._draw(epoch)


class StaticMasking(Masking):
    """Masks fixed at preprocessing: ``copies`` masked copies of the data, epoch ``e`` feeds copy
    ``e mod copies`` (BERT's pipeline with a duplication factor of ``copies``; §4.1 uses 10)."""

    def __init__(self, sequences: Tensor, *, copies: int = 10, **kwargs: Any) -> None:
        super().__init__(sequences, **kwargs)
        if not isinstance(copies, int) or isinstance(copies, bool) or copies < 1:
            raise ValueError(f"copies must be an integer >= 1, got {copies!r}")
        self.copies = copies
        self._copies = [self._draw(c) for c in range(copies)]  # drawn once, here ("preprocessing")

    def epoch(self, epoch: int) -> tuple[Tensor, Tensor]:
        """``(inputs [N, L], labels [N, L])``: the stored copy ``epoch mod copies``."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        return self._copies[epoch % self.copies]


class MaskedBatches(EpochPosition):
    """Endless batches ``(inputs [B, L], labels [B, L], attention_mask [B, L])`` over a :class:`Masking`.

    Each epoch feeds every sequence once (the last incomplete batch is dropped), in an order drawn
    from ``(seed, epoch)``; its masks are ``masking.epoch(epoch)``. ``attention_mask`` is 1 where the
    sequence is not ``pad_id``. The position ``(epoch, batch)`` is the whole state
    (:meth:`state_dict`), so a resumed run continues exactly.
    """

    def __init__(self, masking: Masking, *, batch_size: int, pad_id: int, seed: int = 0) -> None:
        n = masking.sequences.shape[0]
        if not isinstance(batch_size, int) or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be an integer in [1, {n}] for {n} sequences, got {batch_size!r}")
        self.masking, self.batch_size, self.seed = masking, batch_size, seed
        self.attention_mask = (masking.sequences != pad_id).long()
        self.epoch, self.batch = 0, 0
        self._cache: tuple[int, Tensor, Tensor, Tensor] | None = None

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.masking.sequences.shape[0] // self.batch_size

    def __iter__(self) -> MaskedBatches:
        return self

    def _epoch(self) -> tuple[Tensor, Tensor, Tensor]:
        if self._cache is None or self._cache[0] != self.epoch:
            n = self.masking.sequences.shape[0]
            order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch))
            self._cache = (self.epoch, order, *self.masking.epoch(self.epoch))
        return self._cache[1:]

    def __next__(self) -> tuple[Tensor, Tensor, Tensor]:
        if self.batch >= len(self):
            self.epoch, self.batch = self.epoch + 1, 0
        order, inputs, labels = self._epoch()
        index = order[self.batch * self.batch_size:(self.batch + 1) * self.batch_size]
        self.batch += 1
        return inputs[index], labels[index], self.attention_mask[index]

    def _forget_epoch(self) -> None:
        self._cache = None


class SegmentPairBatches(EpochPosition):
    """BERT's inputs for the NSP ablation: endless batches of SEGMENT-PAIR inputs with dynamic masks.

    Every epoch draws new pairs (:func:`~papercraft.papers.roberta.packing.segment_pairs`, random
    split points and NotNext segments from ``(seed, epoch)``) and new 80/10/10 masks, so that neither
    the NotNext choices nor the masks repeat across the many epochs over a small corpus. Yields
    ``(inputs [B, L], token_type_ids [B, L], attention_mask [B, L], mlm_labels [B, L], nsp_labels [B])``
    with ``L = max_length`` (right-padded with ``pad_id``).
    """

    def __init__(self, documents: Sequence[Sequence[Sequence[int]]], *, max_length: int, batch_size: int,
                 bos_id: int, eos_id: int, pad_id: int, mask_id: int, vocab_size: int, special_ids: Sequence[int],
                 probability: float = 0.15, probability_next: float = 0.5, seed: int = 0) -> None:
        self.documents, self.max_length, self.batch_size, self.seed = documents, max_length, batch_size, seed
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.mask_id, self.vocab_size, self.special_ids = mask_id, vocab_size, list(special_ids)
        self.probability, self.probability_next = probability, probability_next
        self.epoch, self.batch = 0, 0
        self._cache: tuple[int, tuple[Tensor, ...]] | None = None
        n = len(self._epoch()[0])
        if not isinstance(batch_size, int) or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be an integer in [1, {n}] for {n} segment pairs, got {batch_size!r}")

    def _epoch(self) -> tuple[Tensor, ...]:
        """``(inputs, token_type_ids, attention_mask, mlm_labels, nsp_labels)`` of this epoch, shuffled."""
        if self._cache is None or self._cache[0] != self.epoch:
            stream = self.seed * 1_000_003 + self.epoch
            pairs = segment_pairs(self.documents, self.max_length, bos=self.bos_id, eos=self.eos_id,
                                  rng=random.Random(stream), probability_next=self.probability_next)
            ids = pad_to([p[0] for p in pairs], self.max_length, self.pad_id)
            types = pad_to([p[1] for p in pairs], self.max_length, 0)
            nsp = torch.tensor([p[2] for p in pairs], dtype=torch.long)
            generator = torch.Generator().manual_seed(stream)
            order = torch.randperm(len(pairs), generator=generator)
            inputs, labels = mask_tokens(ids, vocab_size=self.vocab_size, mask_id=self.mask_id,
                                         special_mask=special_positions(ids, self.special_ids),
                                         probability=self.probability, generator=generator)
            attention = (ids != self.pad_id).long()
            self._cache = (self.epoch, tuple(t[order] for t in (inputs, types, attention, labels, nsp)))
        return self._cache[1]

    def __iter__(self) -> SegmentPairBatches:
        return self

    def __next__(self) -> tuple[Tensor, ...]:
        if self.batch >= len(self._epoch()[0]) // self.batch_size:
            self.epoch, self.batch = self.epoch + 1, 0
        tensors = self._epoch()
        sl = slice(self.batch * self.batch_size, (self.batch + 1) * self.batch_size)
        self.batch += 1
        return tuple(t[sl] for t in tensors)

    def _forget_epoch(self) -> None:
        self._cache = None
