"""How RoBERTa fills its inputs (§4.2, Table 2), and BERT's segment pairs it is compared with.

A corpus here is a list of *documents*, each a list of *sentences*, each a list of token ids
(without special tokens).

- **FULL-SENTENCES** (RoBERTa's choice, no NSP): "Each input is packed with full sentences
  sampled contiguously from one or more documents, such that the total length is at most 512
  tokens. Inputs may cross document boundaries. When we reach the end of one document, we begin
  sampling sentences from the next document and add an extra separator token between documents."
  :func:`full_sentences` walks the corpus in order and packs greedily: a sentence that does not fit
  in the current input starts the next one. Each input is ``<s> ... </s>`` and documents are
  separated by ``</s>`` (fairseq's separator is its ``</s>``); a separator that would open an input
  is dropped, since it separates nothing there. A sentence longer than an input is split into
  pieces of the input's size, so that every token of the corpus lands in exactly one input.
- **SEGMENT-PAIR+NSP** (BERT's format, the ablation baseline): "Each input has a pair of segments,
  which can each contain multiple natural sentences, but the total combined length must be less than
  512 tokens", with the next-sentence label. :func:`segment_pairs` follows BERT's
  ``create_pretraining_data.py``: contiguous sentences of one document are gathered up to the input
  length, split at a random sentence boundary into A and B; with probability 1/2 (always when the
  chunk is one sentence) B is replaced by contiguous sentences from a random other document
  (NotNext) and the unused sentences are put back. The longer segment is trimmed until the pair fits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from torch import Tensor

from papercraft.papers.bert.masking import IS_NEXT, NOT_NEXT

__all__ = ["full_sentences", "segment_pairs", "pad_to", "IS_NEXT", "NOT_NEXT"]

Corpus = Sequence[Sequence[Sequence[int]]]


def _check_corpus(documents: Corpus) -> None:
    if isinstance(documents, (str, Tensor)) or not isinstance(documents, Sequence):
        raise ValueError("documents must be a list of documents, each a list of sentences of token ids")
    for d, doc in enumerate(documents):
        if isinstance(doc, (str, Tensor)) or not isinstance(doc, Sequence):
            raise ValueError(f"documents[{d}] must be a list of sentences (lists of token ids), got {type(doc).__name__}")


def full_sentences(documents: Corpus, max_length: int, *, bos: int, eos: int) -> list[list[int]]:
    """Pack ``documents`` into FULL-SENTENCES inputs (module docstring).

    Args:
        documents: documents -> sentences -> token ids.
        max_length: the length of an input including ``<s>`` and ``</s>`` (>= 3).
        bos, eos: the ids of ``<s>`` and ``</s>`` (``</s>`` also separates documents).

    Returns:
        The inputs in corpus order, each ``[bos, ..., eos]`` of at most ``max_length`` ids (not padded).
    """
    if not isinstance(max_length, int) or max_length < 3:
        raise ValueError(f"max_length must be an int >= 3 (<s>, one token, </s>), got {max_length!r}")
    _check_corpus(documents)
    capacity = max_length - 2
    inputs: list[list[int]] = []
    current: list[int] = []

    def flush() -> None:
        nonlocal current
        if current:
            inputs.append([bos, *current, eos])
            current = []

    separate = False  # the next sentence opens a new document: put </s> before it in the same input
    for doc in documents:
        sentences = [list(s) for s in doc if len(s)]
        for sentence in sentences:
            sep = [eos] if separate and current else []  # a separator opening an input separates nothing
            if len(current) + len(sep) + len(sentence) > capacity:
                flush()
                sep = []
            current.extend(sep)
            separate = False
            while len(sentence) > capacity:  # longer than an input: cut, keeping every token
                current = sentence[:capacity]
                flush()
                sentence = sentence[capacity:]
            current.extend(sentence)
        separate = separate or bool(sentences)
    flush()
    return inputs


def segment_pairs(documents: Corpus, max_length: int, *, bos: int, eos: int, rng: random.Random,
                  probability_next: float = 0.5) -> list[tuple[list[int], list[int], int]]:
    """BERT's SEGMENT-PAIR inputs with next-sentence labels (module docstring).

    Args:
        documents: documents -> sentences -> token ids; at least two non-empty documents.
        max_length: the length of ``<s> A </s> B </s>`` at most (>= 5).
        bos, eos: ``<s>`` (BERT's ``[CLS]``) and ``</s>`` (BERT's ``[SEP]``).
        rng: the random source (split points, NotNext choices, trimming is deterministic).
        probability_next: chance that B is the actual continuation (when the chunk allows it).

    Returns:
        ``(input_ids, token_type_ids, label)`` per input, in document order; segment 0 is
        ``<s> A </s>``, segment 1 is ``B </s>``; label :data:`IS_NEXT` (0) or :data:`NOT_NEXT` (1).
    """
    if not isinstance(max_length, int) or max_length < 5:
        raise ValueError(f"max_length must be an int >= 5 (<s> A </s> B </s>), got {max_length!r}")
    if not 0.0 <= probability_next <= 1.0:
        raise ValueError(f"probability_next must be in [0, 1], got {probability_next}")
    _check_corpus(documents)
    docs = [[list(s) for s in doc if len(s)] for doc in documents]
    usable = [d for d, doc in enumerate(docs) if doc]
    if len(usable) < 2:
        raise ValueError("documents must hold at least two non-empty documents (NotNext segments come from another)")
    capacity = max_length - 3
    out: list[tuple[list[int], list[int], int]] = []
    for d in usable:
        doc = docs[d]
        chunk: list[list[int]] = []
        length, i = 0, 0
        while i < len(doc):
            chunk.append(doc[i])
            length += len(doc[i])
            if i == len(doc) - 1 or length >= capacity:
                a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
                a = [t for s in chunk[:a_end] for t in s]
                if len(chunk) == 1 or rng.random() >= probability_next:
                    label = NOT_NEXT
                    other = docs[rng.choice([e for e in usable if e != d])]
                    start = rng.randrange(len(other))
                    b: list[int] = []
                    for s in other[start:]:
                        if len(b) >= max(1, capacity - len(a)):
                            break
                        b.extend(s)
                    i -= len(chunk) - a_end  # the unused sentences of the chunk are put back
                else:
                    label = IS_NEXT
                    b = [t for s in chunk[a_end:] for t in s]
                while len(a) + len(b) > capacity:  # trim the longer segment (truncate_seq_pair)
                    (a if len(a) > len(b) else b).pop()
                ids = [bos, *a, eos, *b, eos]
                out.append((ids, [0] * (len(a) + 2) + [1] * (len(b) + 1), label))
                chunk, length = [], 0
            i += 1
    return out


def pad_to(rows: Sequence[Sequence[int]], length: int, pad: int) -> Tensor:
    """Right-pad id lists to ``length``: ``[N, length]`` long (a longer row raises ValueError)."""
    out = torch.full((len(rows), length), pad, dtype=torch.long)
    for r, row in enumerate(rows):
        if len(row) > length:
            raise ValueError(f"row {r} has {len(row)} ids, more than length {length}")
        out[r, : len(row)] = torch.as_tensor(list(row), dtype=torch.long)
    return out
