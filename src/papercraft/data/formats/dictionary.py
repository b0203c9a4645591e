"""The ``German :: English`` dictionary lines of Frank Richter's dictionary (Debian ``trans-de-en``).

One entry per line, UTF-8::

    Aalbestand {m} | Aalbestände {pl} :: eel stock | eel stocks
    Wie spät ist es?; Wie viel Uhr ist es? :: What time is it?; What's the time?

- `` :: `` separates German (left) from English (right); lines starting with ``#`` are comments.
- `` | `` separates *aligned sub-entries*: the k-th German part translates the k-th English part
  (typically singular | plural, or a head word | example phrases). Lines whose sides have different
  numbers of parts cannot be aligned and are skipped.
- ``; `` separates synonyms within a part; papercraft keeps the first.
- ``{...}`` (gender, part of speech), ``[...]`` (domain, register), ``(...)`` (explanations) and
  ``<...>`` (alternative spellings, search keys) are annotations, not translation, and are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_ANNOTATION = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)|<[^<>]*>")
_SPACE = re.compile(r"\s+")
SENTENCE_END = (".", "!", "?")


def strip_annotations(text: str) -> str:
    """Remove ``{..}``, ``[..]``, ``(..)``, ``<..>`` (innermost first, so nesting works) and tidy spaces."""
    previous = None
    while previous != text:
        previous, text = text, _ANNOTATION.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return re.sub(r" ([,.!?;:])", r"\1", text)  # "Hallo (informal) !" -> "Hallo!"


def first_synonym(part: str) -> str:
    """The first of ``'; '``-separated synonyms."""
    return part.split("; ")[0].strip()


def parse_line(line: str) -> list[tuple[str, str]]:
    """The aligned (German, English) pairs of one dictionary line; [] for comments and odd lines."""
    line = line.strip()
    if not line or line.startswith("#"):
        return []
    sides = line.split(" :: ")
    if len(sides) != 2:
        return []
    german, english = (side.split(" | ") for side in sides)
    if len(german) != len(english):
        return []
    pairs = []
    for de, en in zip(german, english):
        de, en = first_synonym(strip_annotations(de)), first_synonym(strip_annotations(en))
        if de and en:
            pairs.append((de, en))
    return pairs


def parse_dictionary(lines: Iterable[str], *, sentences_only: bool = False) -> Iterator[tuple[str, str]]:
    """All aligned pairs in file order, without exact duplicates.

    ``sentences_only`` keeps pairs whose German and English both end in ``.``, ``!`` or ``?``.
    """
    seen: set[tuple[str, str]] = set()
    for line in lines:
        for pair in parse_line(line):
            if sentences_only and not (pair[0].endswith(SENTENCE_END) and pair[1].endswith(SENTENCE_END)):
                continue
            if pair not in seen:
                seen.add(pair)
                yield pair
