"""Training a byte-level BPE vocabulary (Sennrich et al. 2016, Algorithm 1; GPT-2 §2.2).

BPE starts from the 256 bytes and repeatedly adds the most frequent adjacent pair of symbols as a
new symbol. Pairs are counted inside pre-tokens only (GPT-2's regex), so the corpus is first reduced
to its distinct pre-tokens ("words") with their counts.

Sennrich et al.'s reference recounts every pair after every merge. Here the counts are updated
*incrementally*: an index ``pair → words containing it`` finds the few words a merge touches, and
only their pairs are uncounted and recounted. The most frequent pair is taken from a heap with lazy
deletion: a popped entry whose count is out of date is pushed back with its current count. This is
exact because a merge can only lower the counts of existing pairs and create pairs with the new
symbol (which are pushed when created).

Ties are broken by the smaller pair of token ids ``(left, right)``, single bytes ranked in GPT-2's
byte order. Hugging Face ``tokenizers`` breaks ties the same way (its ``Merge`` ordering), which is
why the two trainers produce the same merges (tests/papers/test_bpe.py).
"""

from __future__ import annotations

import heapq
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

import regex

from papercraft.papers.bpe.tokenizer import GPT2_PATTERN, PATTERNS, Tokenizer, byte_order, fix_surrogates

Progress = Callable[[int, int], None]  # (merges done, merges wanted)


def count_words(texts: str | Iterable[str], pattern: str = GPT2_PATTERN) -> Counter[str]:
    """Distinct pre-tokens of the corpus with their counts."""
    compiled = regex.compile(PATTERNS.get(pattern, pattern))
    counts: Counter[str] = Counter()
    for text in [texts] if isinstance(texts, str) else texts:
        counts.update(compiled.findall(fix_surrogates(text)))
    return counts


def train_bpe(texts: str | Iterable[str], vocab_size: int, pattern: str = GPT2_PATTERN,
              special_tokens: Sequence[str] = (), *, min_frequency: int = 1,
              progress: bool | Progress = False) -> Tokenizer:
    """Learn a byte-level BPE vocabulary of ``vocab_size`` tokens from text.

    Args:
        texts: the corpus, one string or an iterable of strings (documents; pre-tokens never span two).
        vocab_size: size of the final vocabulary: 256 bytes + merges + special tokens. Training stops
            earlier if no pair occurs ``min_frequency`` times.
        pattern: the pre-tokenization pattern (or a name in ``PATTERNS``).
        special_tokens: e.g. ``["<|endoftext|>"]``; they get the ids after the merged tokens.
        min_frequency: the least count a pair needs to be merged.
        progress: True for a progress bar on stderr, or a callback ``(done, wanted)``.

    Returns:
        a :class:`Tokenizer` whose ranks are the 256 bytes (GPT-2's byte order) then the merges in order.
    """
    pattern = PATTERNS.get(pattern, pattern)
    if not isinstance(vocab_size, int) or vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size must be an int of at least 256 + {len(special_tokens)} special tokens, "
                         f"got {vocab_size!r}")
    if len(set(special_tokens)) != len(special_tokens) or not all(isinstance(s, str) and s for s in special_tokens):
        raise ValueError(f"special_tokens must be distinct non-empty strings, got {list(special_tokens)!r}")
    if min_frequency < 1:
        raise ValueError(f"min_frequency must be >= 1, got {min_frequency}")
    n_wanted = vocab_size - 256 - len(special_tokens)
    report = _progress_reporter(progress, n_wanted)

    # id_to_bytes[i] is token i; single bytes first, in GPT-2's order.
    id_to_bytes: list[bytes] = [bytes([b]) for b in byte_order()]
    byte_id = {b[0]: i for i, b in enumerate(id_to_bytes)}
    bytes_to_id = {b: i for i, b in enumerate(id_to_bytes)}

    word_counts = count_words(texts, pattern)
    words: list[list[int]] = [[byte_id[b] for b in w.encode("utf-8")] for w in word_counts]
    counts: list[int] = list(word_counts.values())

    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for index, (word, count) in enumerate(zip(words, counts)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += count
            where[pair].add(index)
    # Max-heap by count, ties to the smaller (left, right): entries are (-count, left, right).
    heap = [(-c, a, b) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[bytes, bytes]] = []
    while len(id_to_bytes) < 256 + n_wanted and heap:
        neg, a, b = heapq.heappop(heap)
        current = pair_counts.get((a, b), 0)
        if current != -neg:  # stale entry: re-queue with the true count (counts only fall)
            if current >= min_frequency:
                heapq.heappush(heap, (-current, a, b))
            continue
        if current < min_frequency:
            break
        merged = id_to_bytes[a] + id_to_bytes[b]
        new_id = bytes_to_id.get(merged)
        if new_id is None:
            new_id = len(id_to_bytes)
            id_to_bytes.append(merged)
            bytes_to_id[merged] = new_id
        merges.append((id_to_bytes[a], id_to_bytes[b]))
        pair_counts.pop((a, b))
        created: set[tuple[int, int]] = set()
        for index in where.pop((a, b), ()):
            word = words[index]
            new_word = _merge_word(word, a, b, new_id)
            if new_word is None:  # the index is stale: this word lost the pair to an earlier merge
                continue
            count = counts[index]
            # Uncount the word's old pairs and count its new ones: only this word's pairs change.
            for pair in zip(word, word[1:]):
                if pair != (a, b):
                    pair_counts[pair] -= count
            for pair in zip(new_word, new_word[1:]):
                pair_counts[pair] += count
                if new_id in pair:
                    where[pair].add(index)
                    created.add(pair)
            words[index] = new_word
        for pair in created:
            heapq.heappush(heap, (-pair_counts[pair], *pair))
        report(len(id_to_bytes) - 256)
    report(len(id_to_bytes) - 256, final=True)

    ranks = {token: i for i, token in enumerate(id_to_bytes)}
    specials = {s: len(id_to_bytes) + i for i, s in enumerate(special_tokens)}
    return Tokenizer(ranks, specials, pattern, merges=merges, name=f"bpe-{len(id_to_bytes) + len(specials)}")


def _merge_word(word: list[int], a: int, b: int, new_id: int) -> list[int] | None:
    """Replace every non-overlapping ``a b`` (left to right) by ``new_id``; None if there is none."""
    n = len(word)
    i = 0
    out: list[int] | None = None
    while i < n - 1:
        if word[i] == a and word[i + 1] == b:
            if out is None:
                out = word[:i]
            out.append(new_id)
            i += 2
        else:
            if out is not None:
                out.append(word[i])
            i += 1
    if out is None:
        return None
    if i == n - 1:
        out.append(word[-1])
    return out


def _progress_reporter(progress: bool | Progress, total: int):
    """A ``report(done, final=False)`` function from ``progress`` (tqdm bar, callback or nothing)."""
    if callable(progress):
        def report(done: int, final: bool = False) -> None:
            if final or done % 100 == 0:
                progress(done, total)
        return report
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="bpe merges", unit="merge", file=sys.stderr, mininterval=0.5)

        def report(done: int, final: bool = False) -> None:
            bar.update(done - bar.n)
            if final:
                bar.close()
        return report
    return lambda done, final=False: None
