"""An acceptability task made of held-out sentences and corrupted copies (paper-agnostic).

Shared by the experiments that ask whether a pre-trained model knows what well-formed text looks
like (``gpt``'s and ``bert``'s fine-tuning, in the spirit of CoLA in GLUE, which GPT-1 Table 2 and
BERT Table 1 report): from sentences no model was pre-trained on, build a balanced labelled set
in which label 1 is an original sentence and label 0 a corrupted copy of one.

Corruptions keep the sentence's words and change only their order, so that the task cannot be
solved by counting words or spotting a rare one:

- ``"swap"``: two adjacent words that differ are exchanged ("she was very tired" -> "she very
  was tired");
- ``"shuffle"``: the words are permuted at random.

A corrupted copy is never identical to its original, to any other sentence of the set, nor to
another sentence's corrupted copy; a sentence that cannot be corrupted so (fewer than two
distinct words, e.g. "Yes." or "no no") is left out and counted in
:attr:`AcceptabilitySet.skipped`.

Both texts of an example are the sentence's words joined by single spaces (the original's own
spacing would otherwise give the corruption away). Sentences are de-duplicated after that
normalization. The train/test split is made by sentence: an original and its corrupted copy are
always on the same side, so a test sentence is never seen in training in either form. The whole
construction depends only on the input list and the seed (``random.Random(seed)``; no hashing,
no global random state). Pure Python: no torch, no paper.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ORIGINAL, CORRUPTED = 1, 0
"""Labels: 1 for the original sentence, 0 for a corrupted copy."""

_MAX_SHUFFLE_TRIES = 100


def swap_adjacent(words: list[str], rng: random.Random) -> list[str] | None:
    """Exchange two adjacent words that differ, at a position drawn uniformly among those where
    the words differ; None if every adjacent pair is equal (no swap changes the sentence)."""
    positions = [i for i in range(len(words) - 1) if words[i] != words[i + 1]]
    if not positions:
        return None
    i = rng.choice(positions)
    out = list(words)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def shuffle_words(words: list[str], rng: random.Random) -> list[str] | None:
    """A random permutation of the words that differs from their order; None if all words are
    equal (every permutation is the sentence itself)."""
    if len(set(words)) < 2:
        return None
    for _ in range(_MAX_SHUFFLE_TRIES):
        out = list(words)
        rng.shuffle(out)
        if out != words:
            return out
    return swap_adjacent(words, rng)  # vanishingly rare: almost every permutation differs


CORRUPTIONS: dict[str, Callable[[list[str], random.Random], list[str] | None]] = {
    "swap": swap_adjacent,
    "shuffle": shuffle_words,
}
"""The corruptions by name: ``(words, rng) -> corrupted words``, or None if none is possible."""


@dataclass(frozen=True)
class AcceptabilityExample:
    """One labelled text.

    Attributes:
        text: the sentence (``label`` 1) or its corrupted copy (``label`` 0), words joined by spaces.
        label: :data:`ORIGINAL` (1) or :data:`CORRUPTED` (0).
        sentence: index of the source sentence among the kept sentences; an original and its
            corruption share it.
    """

    text: str
    label: int
    sentence: int


@dataclass(frozen=True)
class AcceptabilitySet:
    """A balanced acceptability task: every kept sentence contributes its original and one
    corrupted copy to the same split, so each split holds as many 1s as 0s.

    Attributes:
        train, test: the examples of each split, in a seeded random order.
        corruption: the name of the corruption used (a key of :data:`CORRUPTIONS`).
        sentences: the kept (normalized, de-duplicated) sentences, indexed by ``example.sentence``.
        skipped: input sentences left out: duplicates and sentences that cannot be corrupted.
    """

    train: tuple[AcceptabilityExample, ...]
    test: tuple[AcceptabilityExample, ...]
    corruption: str
    sentences: tuple[str, ...]
    skipped: int

    @staticmethod
    def texts_and_labels(examples: Sequence[AcceptabilityExample]) -> tuple[list[str], list[int]]:
        """``(texts, labels)`` of ``examples``, e.g. for a tokenizer and a tensor of labels."""
        return [e.text for e in examples], [e.label for e in examples]


def normalize(sentence: str) -> str:
    """The sentence's whitespace-separated words joined by single spaces."""
    return " ".join(sentence.split())


def build_acceptability(sentences: Sequence[str], seed: int, *, corruption: str = "swap",
                        test_fraction: float = 0.5) -> AcceptabilitySet:
    """Build the labelled set from held-out ``sentences`` (see the module docstring).

    Args:
        sentences: text the models were not trained on, one sentence per string.
        seed: the only source of randomness (which corruption, which split, which order).
        corruption: a key of :data:`CORRUPTIONS`.
        test_fraction: the share of the kept sentences (with their corruptions) put in ``test``,
            rounded to the nearest whole sentence; both splits are non-empty when at least two
            sentences are kept.

    Raises:
        ValueError: an unknown corruption, a ``test_fraction`` outside (0, 1), or fewer than two
            usable sentences.
    """
    if corruption not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {corruption!r}; expected one of {sorted(CORRUPTIONS)}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if isinstance(sentences, str):
        raise ValueError("sentences must be a sequence of strings, not one string")
    corrupt = CORRUPTIONS[corruption]
    rng = random.Random(seed)
    unique: list[str] = []
    seen: set[str] = set()
    for sentence in sentences:
        if not isinstance(sentence, str):
            raise ValueError(f"sentences must be strings, got {type(sentence).__name__}")
        text = normalize(sentence)
        if text and text not in seen:
            seen.add(text)
            unique.append(text)
    taken = set(seen)  # a corruption is never an original sentence nor another sentence's corruption
    kept: list[tuple[str, str]] = []
    for text in unique:
        words = text.split(" ")
        corrupted = None
        for _ in range(_MAX_SHUFFLE_TRIES):
            candidate = corrupt(words, rng)
            if candidate is None:
                break
            joined = " ".join(candidate)
            if joined not in taken:
                corrupted = joined
                break
        if corrupted is not None:
            taken.add(corrupted)
            kept.append((text, corrupted))
    skipped = len(sentences) - len(kept)
    if len(kept) < 2:
        raise ValueError(f"need at least two sentences that can be corrupted, got {len(kept)} "
                         f"({skipped} of {len(sentences)} left out)")
    order = list(range(len(kept)))
    rng.shuffle(order)
    n_test = min(max(round(test_fraction * len(kept)), 1), len(kept) - 1)
    splits = (order[n_test:], order[:n_test])  # (train, test) sentence indices
    out = []
    for indices in splits:
        examples = [AcceptabilityExample(text, label, i) for i in indices
                    for text, label in ((kept[i][0], ORIGINAL), (kept[i][1], CORRUPTED))]
        rng.shuffle(examples)
        out.append(tuple(examples))
    return AcceptabilitySet(out[0], out[1], corruption, tuple(t for t, _ in kept), skipped)


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]*[A-Z])")


def split_sentences(text: str, min_words: int = 4, max_words: int = 40) -> list[str]:
    """Sentences of running prose (e.g. a held-out novel), normalized, with ``min_words`` to
    ``max_words`` words.

    A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets) followed by
    white space and a capital letter; that also cuts after abbreviations ("Mr. Elliot" splits
    after "Mr."), which the word-count bounds mostly filter out. Good enough for a test bed, not a
    linguistic tool.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words, got {min_words} and {max_words}")
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    out = []
    for piece in pieces:
        sentence = normalize(piece)
        if sentence and min_words <= len(sentence.split(" ")) <= max_words:
            out.append(sentence)
    return out
