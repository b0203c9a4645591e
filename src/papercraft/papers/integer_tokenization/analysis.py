"""How a tokenizer splits the integers: single-token integers, tokens per number, split patterns.

Beren Millidge's post "Integer tokenization is insane" (2023) looks at how GPT-2's BPE vocabulary
cuts numbers into tokens: every integer below 521 is one token, but above that the splits are
irregular ("2023" → "20"+"23", "12345" → "123"+"45", "99999" → "99"+"999"), a few large numbers
are single tokens (76561, the prefix of Steam user ids), and the same digit string is cut differently
depending on its neighbours. A model must learn arithmetic over this arbitrary set of "digits".

Five ways to cut an integer's decimal string are compared:

- ``gpt2``: GPT-2's real BPE vocabulary (the ``bpe`` entry's encoder), on the bare digits;
- ``digits``: one token per digit (consistent, as in LLaMA);
- ``chunks3``: right-aligned groups of three digits ("12345" → "12"+"345"), consistent with
  place value, as thousands separators do;
- ``chunks2`` and ``random12``: the equal-vocabulary control. Both use the same 110 tokens (the
  one- and two-digit strings); ``chunks2`` cuts right-aligned pairs ("12345" → "1"+"23"+"45"),
  consistent with place value, while ``random12`` cuts each integer into pieces of one or two
  digits at random, fixed per integer (like a BPE vocabulary, the same number is always cut the
  same way, but neighbouring numbers are cut differently). Comparing them separates consistency
  from vocabulary size, which ``digits`` (14 tokens) vs ``gpt2`` (~900) confounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

Splitter = Callable[[int], list[str]]  # integer → the decimal strings of its tokens

SCHEMES = ("gpt2", "digits", "chunks3", "chunks2", "random12")


def split_digits(n: int) -> list[str]:
    """One token per digit: 1234 → ["1", "2", "3", "4"]."""
    _check(n)
    return list(str(n))


def split_chunks3(n: int) -> list[str]:
    """Right-aligned three-digit groups: 1234567 → ["1", "234", "567"]."""
    _check(n)
    s = str(n)
    head = len(s) % 3
    return ([s[:head]] if head else []) + [s[i:i + 3] for i in range(head, len(s), 3)]


def split_chunks2(n: int) -> list[str]:
    """Right-aligned two-digit groups: 12345 → ["1", "23", "45"]."""
    _check(n)
    s = str(n)
    head = len(s) % 2
    return ([s[:head]] if head else []) + [s[i:i + 2] for i in range(head, len(s), 2)]


def random12_splitter(seed: int = 0) -> Splitter:
    """Pieces of one or two digits chosen at random per integer, fixed for a given ``seed``.

    Left to right, each piece is two digits with probability 1/2 (when two remain), else one. The
    random generator is seeded by ``(seed, n)`` through a string (``random.Random`` hashes it with
    SHA-512), so a split never depends on the process or on which integers were split before.
    """
    import random

    @lru_cache(maxsize=1 << 18)
    def cached(n: int) -> tuple[str, ...]:
        rng = random.Random(f"random12:{seed}:{n}")
        s, out, i = str(n), [], 0
        while i < len(s):
            width = 2 if len(s) - i >= 2 and rng.random() < 0.5 else 1
            out.append(s[i:i + width])
            i += width
        return tuple(out)

    def split(n: int) -> list[str]:
        _check(n)
        return list(cached(n))

    return split


def gpt2_splitter(tokenizer=None, *, leading_space: bool = False) -> Splitter:
    """GPT-2's split of an integer (optionally as it appears mid-sentence, after a space)."""
    if tokenizer is None:
        from papercraft.papers.bpe import gpt2_tokenizer

        tokenizer = gpt2_tokenizer()
    prefix = " " if leading_space else ""

    token_text: dict[int, str] = {}

    @lru_cache(maxsize=1 << 18)
    def cached(n: int) -> tuple[str, ...]:
        # encode_ordinary: a decimal string holds no special token. Each token of a number is
        # whole characters (ASCII digits, space), so decoding tokens one by one is exact.
        ids = tokenizer.encode_ordinary(prefix + str(n))
        for t in ids:
            if t not in token_text:
                token_text[t] = tokenizer.decode([t])
        return tuple(token_text[t] for t in ids)

    def split(n: int) -> list[str]:
        _check(n)
        return list(cached(n))

    return split


def splitter(scheme: str, tokenizer=None) -> Splitter:
    """The splitter of a scheme in :data:`SCHEMES`."""
    if scheme == "gpt2":
        return gpt2_splitter(tokenizer)
    if scheme == "digits":
        return split_digits
    if scheme == "chunks3":
        return split_chunks3
    if scheme == "chunks2":
        return split_chunks2
    if scheme == "random12":
        return random12_splitter()
    raise ValueError(f"unknown tokenization scheme {scheme!r}; expected one of {SCHEMES}")


def _check(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"expected a non-negative int, got {n!r}")


def pattern_of(pieces: list[str]) -> str:
    """The split pattern as piece lengths: ["12", "345"] → "2+3" (a leading space is not counted)."""
    return "+".join(str(len(p.strip())) for p in pieces)


@dataclass
class IntegerStats:
    """Statistics of one splitter over the integers ``0 .. upper-1``.

    Attributes:
        upper: the range analysed.
        n_single_token: integers that are one token.
        first_multi_token: the smallest integer that takes more than one token.
        largest_single_token: the largest single-token integer in range.
        single_by_digits: digit count → (single-token integers with that many digits, integers with it).
        mean_tokens_by_digits: digit count → mean tokens per integer.
        token_count_histogram: number of tokens → how many integers.
        patterns_by_digits: digit count → {split pattern: count}, most common first.
        distinct_tokens: how many different token strings the range uses.
        tokens: integer → token count, for the grid plot (a list indexed by the integer).
    """

    upper: int
    n_single_token: int
    first_multi_token: int | None
    largest_single_token: int | None
    single_by_digits: dict[int, tuple[int, int]]
    mean_tokens_by_digits: dict[int, float]
    token_count_histogram: dict[int, int]
    patterns_by_digits: dict[int, dict[str, int]]
    distinct_tokens: int
    tokens: list[int]
    patterns: list[str]

    def summary(self) -> dict:
        """The JSON-friendly numbers (without the per-integer lists)."""
        return {
            "n_single_token": self.n_single_token,
            "first_multi_token": self.first_multi_token,
            "largest_single_token": self.largest_single_token,
            "single_by_digits": {str(d): list(v) for d, v in self.single_by_digits.items()},
            "mean_tokens_by_digits": {str(d): round(v, 4) for d, v in self.mean_tokens_by_digits.items()},
            "token_count_histogram": {str(k): v for k, v in sorted(self.token_count_histogram.items())},
            "patterns_by_digits": {str(d): dict(list(p.items())[:6]) for d, p in self.patterns_by_digits.items()},
            "distinct_tokens": self.distinct_tokens,
        }


def integer_statistics(split: Splitter, upper: int = 100_000) -> IntegerStats:
    """Split every integer in ``[0, upper)`` and collect :class:`IntegerStats`."""
    if upper < 1:
        raise ValueError(f"upper must be >= 1, got {upper}")
    tokens: list[int] = []
    patterns: list[str] = []
    vocabulary: set[str] = set()
    by_digits_tokens: dict[int, list[int]] = {}
    by_digits_patterns: dict[int, Counter[str]] = {}
    for n in range(upper):
        pieces = split(n)
        if "".join(pieces).strip() != str(n):
            raise ValueError(f"splitter returned {pieces!r} for {n}, which do not spell it")
        d = len(str(n))
        tokens.append(len(pieces))
        patterns.append(pattern_of(pieces))
        vocabulary.update(pieces)
        by_digits_tokens.setdefault(d, []).append(len(pieces))
        by_digits_patterns.setdefault(d, Counter())[patterns[-1]] += 1
    single = [n for n, t in enumerate(tokens) if t == 1]
    multi = next((n for n, t in enumerate(tokens) if t > 1), None)
    return IntegerStats(
        upper=upper,
        n_single_token=len(single),
        first_multi_token=multi,
        largest_single_token=single[-1] if single else None,
        single_by_digits={d: (sum(1 for t in ts if t == 1), len(ts)) for d, ts in by_digits_tokens.items()},
        mean_tokens_by_digits={d: sum(ts) / len(ts) for d, ts in by_digits_tokens.items()},
        token_count_histogram=dict(Counter(tokens)),
        patterns_by_digits={d: dict(c.most_common()) for d, c in by_digits_patterns.items()},
        distinct_tokens=len(vocabulary),
        tokens=tokens,
        patterns=patterns,
    )


def consistency_by_digits(stats: IntegerStats) -> dict[int, float]:
    """For each digit count, the share of integers cut by that count's most common pattern.

    1.0 means every d-digit integer is split the same way (as with ``digits`` and ``chunks3``).
    """
    return {d: max(p.values()) / sum(p.values()) for d, p in stats.patterns_by_digits.items()}
