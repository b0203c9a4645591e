"""RoBERTa's input text: a byte-level BPE vocabulary with fairseq's special tokens (RoBERTa §4.4).

RoBERTa replaces BERT's 30K character-level WordPiece vocabulary with GPT-2's 50K byte-level BPE
(Radford et al. 2019): "BPE vocabulary of a modest size (50K units) can still encode any input
text without introducing any 'unknown' tokens", with no pre-processing or tokenization rules.
The BPE itself is the ``bpe`` entry's (:func:`papercraft.papers.bpe.train.train_bpe`,
:class:`papercraft.papers.bpe.tokenizer.Tokenizer`); this module adds what RoBERTa puts around it,
in fairseq's dictionary order::

    <s> = 0   <pad> = 1   </s> = 2   <unk> = 3   BPE token r = 4 + r   <mask> = 4 + n_bpe

A sequence is ``<s> tokens </s>``; ``<pad>`` = 1 is also the position padding index of
:mod:`.model`. ``<unk>`` is never produced (byte-level BPE covers every byte); it is kept so that
the special ids are fairseq's. Shifting every BPE rank by 4 keeps their order, so the merges are
unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from papercraft.papers.bpe.tokenizer import Tokenizer
from papercraft.papers.bpe.train import train_bpe

__all__ = ["BOS", "PAD", "EOS", "UNK", "MASK", "RobertaVocabulary", "train_roberta_vocabulary"]

BOS, PAD, EOS, UNK, MASK = "<s>", "<pad>", "</s>", "<unk>", "<mask>"
_LEADING = (BOS, PAD, EOS, UNK)  # ids 0..3, fairseq's Dictionary order


class RobertaVocabulary:
    """A byte-level BPE :class:`~papercraft.papers.bpe.tokenizer.Tokenizer` renumbered with RoBERTa's specials.

    Args:
        bpe: a byte-level BPE tokenizer (e.g. from :func:`~papercraft.papers.bpe.train.train_bpe`);
            its own special tokens are dropped.

    Attributes:
        tokenizer: the renumbered tokenizer (ids as in the module docstring).
        bos_id, pad_id, eos_id, unk_id, mask_id: the special ids (0, 1, 2, 3, ``4 + n_bpe``).
    """

    def __init__(self, bpe: Tokenizer) -> None:
        if not isinstance(bpe, Tokenizer):
            raise ValueError(f"bpe must be a papercraft.papers.bpe Tokenizer, got {type(bpe).__name__}")
        n_bpe = len(bpe.ranks)
        if sorted(bpe.ranks.values()) != list(range(n_bpe)):
            raise ValueError("bpe's ranks must be 0..n-1 (a trained or loaded byte-level BPE vocabulary)")
        offset = len(_LEADING)
        specials = {tok: i for i, tok in enumerate(_LEADING)} | {MASK: offset + n_bpe}
        self.tokenizer = Tokenizer({t: r + offset for t, r in bpe.ranks.items()}, specials, bpe.pattern,
                                   merges=bpe.merges, name=f"roberta-{bpe.name}")
        self.bos_id, self.pad_id, self.eos_id, self.unk_id = range(offset)
        self.mask_id = offset + n_bpe

    @property
    def special_ids(self) -> tuple[int, ...]:
        """The ids never chosen for masking: ``<s>``, ``<pad>``, ``</s>``, ``<unk>``, ``<mask>``."""
        return (self.bos_id, self.pad_id, self.eos_id, self.unk_id, self.mask_id)

    def __len__(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def encode_ordinary(self, text: str) -> list[int]:
        """BPE ids of ``text`` without ``<s>``/``</s>`` (special-token text is encoded as plain text)."""
        return self.tokenizer.encode_ordinary(text)

    def encode(self, text: str) -> list[int]:
        """``<s> text </s>`` as ids."""
        return [self.bos_id, *self.encode_ordinary(text), self.eos_id]

    def encode_batch(self, texts: Sequence[str], max_length: int | None = None) -> tuple[Tensor, Tensor]:
        """``(input_ids [B, L], attention_mask [B, L])``: ``<s> text </s>`` right-padded with ``<pad>``.

        A text longer than ``max_length`` (specials included) is cut, keeping ``</s>`` last.
        """
        if isinstance(texts, str):
            raise ValueError("texts must be a sequence of strings, not one string")
        if max_length is not None and max_length < 2:
            raise ValueError(f"max_length must be >= 2 (room for <s> and </s>), got {max_length}")
        rows = []
        for text in texts:
            ids = self.encode(text)
            if max_length is not None and len(ids) > max_length:
                ids = ids[: max_length - 1] + [self.eos_id]
            rows.append(ids)
        return pad_batch(rows, self.pad_id)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``, with special tokens written as their names (``<s>``, ``<mask>``, ...)."""
        return self.tokenizer.decode(ids)

    def save(self, directory: str | Path) -> Path:
        """Write the renumbered tokenizer (:meth:`Tokenizer.save`); read it back with :meth:`load`."""
        return self.tokenizer.save(directory)

    @classmethod
    def load(cls, directory: str | Path) -> RobertaVocabulary:
        """Read a vocabulary written by :meth:`save`."""
        tok = Tokenizer.load(directory)
        wanted = {tok_: i for i, tok_ in enumerate(_LEADING)}
        if any(tok.special_tokens.get(k) != v for k, v in wanted.items()) or MASK not in tok.special_tokens:
            raise ValueError(f"{directory} is not a RoBERTa vocabulary: special tokens {tok.special_tokens}, "
                             f"expected {wanted} and {MASK!r}")
        base = Tokenizer({t: r - len(_LEADING) for t, r in tok.ranks.items()}, None, tok.pattern,
                         merges=tok.merges, name=tok.name)
        return cls(base)


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, length: int | None = None) -> tuple[Tensor, Tensor]:
    """Right-pad id lists to ``length`` (default: the longest): ``(ids [B, L] long, attention_mask [B, L] long)``."""
    if not rows:
        raise ValueError("rows must hold at least one sequence")
    longest = max(len(r) for r in rows)
    length = longest if length is None else length
    if length < longest:
        raise ValueError(f"length {length} is shorter than the longest row ({longest} tokens)")
    ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.as_tensor(list(r), dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids, mask


def train_roberta_vocabulary(texts: str | Iterable[str], vocab_size: int) -> RobertaVocabulary:
    """Train a byte-level BPE (the ``bpe`` entry) so that, with RoBERTa's five specials, the
    vocabulary has ``vocab_size`` ids (RoBERTa-base: 50,265 = 50,260 BPE units + 5)."""
    n_specials = len(_LEADING) + 1
    if not isinstance(vocab_size, int) or vocab_size < 256 + n_specials:
        raise ValueError(f"vocab_size must be an int >= {256 + n_specials} (256 bytes + {n_specials} specials), "
                         f"got {vocab_size!r}")
    return RobertaVocabulary(train_bpe(texts, vocab_size - n_specials))
