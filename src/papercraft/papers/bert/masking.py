"""BERT's two pre-training tasks' inputs: masked tokens (§3.1 Task #1) and sentence pairs (Task #2).

**Masked LM** (§3.1, Appendix A.1). Of the non-special positions, each is chosen for prediction
with probability ``p = 0.15``. A chosen token is replaced by ``[MASK]`` 80 % of the time, by a
random token 10 % of the time, and left unchanged 10 % of the time; the model predicts the
original token at every chosen position (labels ``-100`` elsewhere). The paper's reason: ``[MASK]``
never appears during fine-tuning, so always masking would create a mismatch between pre-training
and fine-tuning; the random and unchanged cases make the model keep a representation of every
input token (Appendix C.2, Table 8 compares the mixtures).

This module chooses each position independently (a Bernoulli draw, as in Hugging Face's
``DataCollatorForLanguageModeling``); the original ``create_pretraining_data.py`` instead picks
exactly ``round(0.15 n)`` positions per sequence, whole-word masking aside. Same expectation.

**Next-sentence prediction** (§3.1 Task #2): for a pair (A, B), "50 % of the time B is the actual
next sentence that follows A (labeled as IsNext), and 50 % of the time it is a random sentence from
the corpus (labeled as NotNext)". :func:`nsp_pairs` builds such pairs from documents (lists of
sentences); the random B comes from a *different* document, as in the original data pipeline.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from torch import Tensor

from papercraft.papers.bert.model import IGNORE_INDEX

__all__ = ["mask_tokens", "nsp_pairs", "IS_NEXT", "NOT_NEXT"]

IS_NEXT, NOT_NEXT = 0, 1
"""NSP labels, in the order of transformers' ``next_sentence_label`` (0 = B continues A)."""


def mask_tokens(ids: Tensor, *, vocab_size: int, mask_id: int, special_mask: Tensor,
                probability: float = 0.15, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Choose positions for the masked-LM objective and corrupt them 80/10/10 (§3.1, Appendix A.1).

    Args:
        ids: ``[B, L]`` long token ids (not modified).
        vocab_size: random replacements are drawn uniformly from ``[0, vocab_size)``.
        mask_id: the ``[MASK]`` token id.
        special_mask: ``[B, L]`` bool, True where a position must never be chosen ([CLS], [SEP], padding).
        probability: chance that a non-special position is chosen (0.15 in the paper).
        generator: the random source (for reproducible masks).

    Returns:
        ``(inputs [B, L], labels [B, L])``: the corrupted ids, and the original id at each chosen
        position with ``-100`` elsewhere.
    """
    if not isinstance(ids, Tensor) or ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"ids must be a long tensor [B, L], got {getattr(ids, 'dtype', type(ids).__name__)} "
                         f"{list(getattr(ids, 'shape', []))}")
    if not isinstance(special_mask, Tensor) or special_mask.dtype != torch.bool or special_mask.shape != ids.shape:
        raise ValueError(f"special_mask must be a bool tensor with ids' shape {list(ids.shape)}, got "
                         f"{getattr(special_mask, 'dtype', type(special_mask).__name__)} "
                         f"{list(getattr(special_mask, 'shape', []))}")
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability}")
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must be in [0, vocab_size={vocab_size}), got {mask_id}")
    device = ids.device

    def uniform() -> Tensor:
        return torch.rand(ids.shape, generator=generator, device=device)

    chosen = (uniform() < probability) & ~special_mask
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE_INDEX))
    # One uniform draw u per position splits the chosen ones 80 / 10 / 10.
    u = uniform()
    to_mask = chosen & (u < 0.8)
    to_random = chosen & (u >= 0.8) & (u < 0.9)
    random_ids = torch.randint(0, vocab_size, ids.shape, generator=generator, device=device)
    inputs = torch.where(to_mask, torch.full_like(ids, mask_id), ids)
    inputs = torch.where(to_random, random_ids, inputs)
    return inputs, labels


def nsp_pairs(documents: Sequence[Sequence[Sequence[int]]], *, max_tokens: int, cls_id: int, sep_id: int,
              rng: random.Random, probability_next: float = 0.5) -> list[tuple[list[int], list[int], int]]:
    """Sentence pairs for next-sentence prediction (§3.1 Task #2, Appendix A.1).

    Every sentence ``A = d[i]`` with a successor in its document yields one example: with
    probability ``probability_next`` ``B = d[i + 1]`` (label :data:`IS_NEXT`), otherwise ``B`` is a
    uniformly random sentence of another document (:data:`NOT_NEXT`). The pair is packed as
    ``[CLS] A [SEP] B [SEP]`` with segment ids 0 for ``[CLS] A [SEP]`` and 1 for ``B [SEP]``; when
    too long, the longer of A and B loses tokens from its end until the pair fits ``max_tokens``
    (the original ``truncate_seq_pair`` trims from the front or back at random; the end is kept
    deterministic here).

    Args:
        documents: each a list of sentences, each a list of token ids (without special tokens).
            At least two documents with at least one sentence each are needed for NotNext pairs.
        max_tokens: the length limit of a packed pair, including the three special tokens (>= 5).
        cls_id, sep_id: the special tokens' ids.
        rng: the random source.
        probability_next: chance of an IsNext pair.

    Returns:
        A list of ``(input_ids, token_type_ids, label)``, in document order.
    """
    if max_tokens < 5:
        raise ValueError(f"max_tokens must be >= 5 ([CLS] A [SEP] B [SEP] with one token each), got {max_tokens}")
    if not 0.0 <= probability_next <= 1.0:
        raise ValueError(f"probability_next must be in [0, 1], got {probability_next}")
    usable = [d for d in range(len(documents)) if len(documents[d]) > 0]
    if probability_next < 1.0 and len(usable) < 2:
        raise ValueError("documents must hold at least two non-empty documents to draw NotNext sentences from")
    out: list[tuple[list[int], list[int], int]] = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            a = list(doc[i])
            if rng.random() < probability_next:
                b, label = list(doc[i + 1]), IS_NEXT
            else:
                other = rng.choice([e for e in usable if e != d]) if d in usable else rng.choice(usable)
                b, label = list(rng.choice(documents[other])), NOT_NEXT
            while len(a) + len(b) > max_tokens - 3:  # trim the longer side (§A.1: pairs fit 512 tokens)
                (a if len(a) >= len(b) else b).pop()
            ids = [cls_id, *a, sep_id, *b, sep_id]
            types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
            out.append((ids, types, label))
    return out
