"""The English text GPT's experiments train on: Jane Austen's six novels, BPE-tokenized.

Splits (fixed, so the experiments can share them):

- one held-out novel (``Persuasion`` by default) measures held-out language-modelling loss;
- of each of the other five novels, the first ``1 - tail_fraction`` is language-modelling
  training text and the last ``tail_fraction`` is kept out of pre-training entirely: the
  classification task (which novel is this passage from?) draws its *test* passages there, so a
  pre-trained model has never seen them. Labelled *training* passages come from the first part
  (GPT-1's setting: unlabelled text is plentiful, labels are few).

The byte-level BPE vocabulary (the ``bpe`` entry's trainer) is learned on the training text only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from papercraft.data import load_austen
from papercraft.papers.bpe import Tokenizer, train_bpe


@dataclass
class AustenCorpus:
    tokenizer: Tokenizer
    train_ids: Tensor  # int64 [N]: the five novels' first parts, concatenated (documents separated by EOT)
    heldout_ids: Tensor  # int64 [M]: the held-out novel
    novels: list[str]  # titles of the classification classes, in label order
    novel_heads: list[Tensor]  # per class: token ids of the part that is in the training text
    novel_tails: list[Tensor]  # per class: token ids of the part kept out of pre-training
    heldout_title: str

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size


def load_corpus(vocab_size: int = 2048, heldout: str = "Persuasion", tail_fraction: float = 0.1,
                max_chars: int | None = None) -> AustenCorpus:
    """Tokenize the novels (``max_chars`` truncates each novel, for quick presets)."""
    books = load_austen()
    if heldout not in books:
        raise ValueError(f"held-out novel must be one of {sorted(books)}, got {heldout!r}")
    if not 0.0 < tail_fraction < 0.5:
        raise ValueError(f"tail_fraction must be in (0, 0.5), got {tail_fraction}")
    if max_chars is not None:
        books = {k: v[:max_chars] for k, v in books.items()}
    novels = [t for t in books if t != heldout]
    heads_text = {t: books[t][: int(len(books[t]) * (1 - tail_fraction))] for t in novels}
    tails_text = {t: books[t][len(heads_text[t]):] for t in novels}
    tokenizer = train_bpe(list(heads_text.values()), vocab_size, special_tokens=["<|endoftext|>"])
    eot = tokenizer.encode("<|endoftext|>", allowed_special="all")[0]
    heads = [torch.tensor(tokenizer.encode_ordinary(heads_text[t]), dtype=torch.long) for t in novels]
    tails = [torch.tensor(tokenizer.encode_ordinary(tails_text[t]), dtype=torch.long) for t in novels]
    train = torch.cat([torch.cat([h, torch.tensor([eot])]) for h in heads])
    held = torch.tensor(tokenizer.encode_ordinary(books[heldout]), dtype=torch.long)
    return AustenCorpus(tokenizer, train, held, novels, heads, tails, heldout)


def windows(ids: Tensor, length: int, stride: int | None = None, limit: int | None = None) -> Tensor:
    """Cut ``ids`` ``[N]`` into windows ``[W, length]`` (non-overlapping unless ``stride`` < ``length``)."""
    stride = stride or length
    if ids.numel() < length:
        raise ValueError(f"need at least {length} tokens, got {ids.numel()}")
    out = ids.unfold(0, length, stride)
    return out[:limit] if limit is not None else out
