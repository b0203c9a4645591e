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
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,.!?;:])")
SENTENCE_END = (".", "!", "?")


def strip_annotations(text: str) -> str:
    """Remove ``{..}``, ``[..]``, ``(..)``, ``<..>`` (innermost first, so nesting works) and tidy spaces."""
    while any(bracket in text for bracket in "{[(<"):
        stripped = _ANNOTATION.sub(" ", text)
        if stripped == text:  # an unbalanced bracket: leave it
            break
        text = stripped
    text = " ".join(text.split())
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text) if " " in text else text  # "Hallo (hi) !" -> "Hallo!"


def first_synonym(part: str) -> str:
    """The first of ``'; '``-separated synonyms."""
    return part.split("; ")[0].strip()


def parse_line(line: str, *, sentences_only: bool = False) -> list[tuple[str, str]]:
    """The aligned (German, English) pairs of one dictionary line; [] for comments and odd lines.

    ``sentences_only`` keeps the pairs whose sides both end in ``.``, ``!`` or ``?``.
    """
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
        en = first_synonym(strip_annotations(en))
        if not en or (sentences_only and not en.endswith(SENTENCE_END)):
            continue  # checked before the German side: most entries are not sentences
        de = first_synonym(strip_annotations(de))
        if de and (not sentences_only or de.endswith(SENTENCE_END)):
            pairs.append((de, en))
    return pairs


def parse_dictionary(lines: Iterable[str], *, sentences_only: bool = False) -> Iterator[tuple[str, str]]:
    """All aligned pairs in file order, without exact duplicates.

    ``sentences_only`` keeps pairs whose German and English both end in ``.``, ``!`` or ``?``.
    """
    seen: set[tuple[str, str]] = set()
    for line in lines:
        for pair in parse_line(line, sentences_only=sentences_only):
            if pair not in seen:
                seen.add(pair)
                yield pair
