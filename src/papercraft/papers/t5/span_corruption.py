"""T5's pre-training objective and its text-to-text format (Raffel et al. 2019, §3.1.4, §2.4).

**Span corruption** (§3.1.4, Figure 2, Table 3 "Replace corrupted spans"; the baseline of §3.3):
corrupt 15 % of a text's tokens (``noise_density``) in spans of mean length 3
(``mean_noise_span_length``); each corrupted span is replaced in the *input* by one unique sentinel
(``<extra_id_0>``, ``<extra_id_1>``, ...), and the *target* is the sequence of dropped-out spans,
each introduced by its sentinel, closed by one more sentinel:

    original: Thank you for inviting me to your party last week .
    input:    Thank you <X> me to your party <Y> week .
    target:   <X> for inviting <Y> last <Z>

(both then end with end-of-sequence). :func:`random_spans_noise_mask` follows the reference
implementation (``t5.data.preprocessors.random_spans_noise_mask``): the number of corrupted tokens
is ``round(length * noise_density)`` (at least 1, at most ``length - 1``), the number of spans
``round(noise / mean_noise_span_length)`` (at least 1), and the corrupted and the kept tokens are
each cut into that many non-empty runs by a uniformly random composition; runs alternate kept,
corrupted, kept, ... so a text always starts with kept tokens. :func:`reconstruct` inverts
:func:`span_corrupt`: the input with each sentinel replaced by its span is the original text.

**Text-to-text format** (§2.4): every task is "input text -> target text", the task named by a
prefix on the input (``"cola sentence: ..."`` -> ``"acceptable"``, ``"translate English to German:
..."``); :func:`text_to_text` writes one example.

Works on token ids (the sentinels are ids of the vocabulary's extra special tokens). Pure Python
with a ``random.Random``: no torch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = ["random_spans_noise_mask", "span_corrupt", "reconstruct", "text_to_text", "noise_span_count",
           "sentinel_name"]


def sentinel_name(i: int) -> str:
    """The text of sentinel ``i``: ``<extra_id_i>`` (T5's SentencePiece vocabulary's names)."""
    return f"<extra_id_{i}>"


def noise_span_count(length: int, noise_density: float = 0.15, mean_noise_span_length: float = 3.0) -> int:
    """How many corrupted spans :func:`random_spans_noise_mask` makes in a text of ``length`` tokens
    (the target then uses one sentinel more)."""
    _check(length, noise_density, mean_noise_span_length)
    return _counts(length, noise_density, mean_noise_span_length)[1]


def _check(length: int, noise_density: float, mean_noise_span_length: float) -> None:
    if not isinstance(length, int) or length < 2:
        raise ValueError(f"length must be an int >= 2 (a text needs a kept and a corrupted token), got {length!r}")
    if not 0.0 < noise_density < 1.0:
        raise ValueError(f"noise_density must be in (0, 1), got {noise_density}")
    if not mean_noise_span_length >= 1.0:
        raise ValueError(f"mean_noise_span_length must be >= 1, got {mean_noise_span_length}")


def _counts(length: int, noise_density: float, mean_noise_span_length: float) -> tuple[int, int]:
    num_noise = min(max(int(round(length * noise_density)), 1), length - 1)
    num_spans = max(int(round(num_noise / mean_noise_span_length)), 1)
    return num_noise, min(num_spans, length - num_noise)  # each kept run needs a token too


def _random_segmentation(num_items: int, num_segments: int, rng: random.Random) -> list[int]:
    """``num_items`` cut into ``num_segments`` non-empty runs, uniformly over all compositions: the
    ``num_segments - 1`` cut points are a random subset of the ``num_items - 1`` gaps."""
    cuts = sorted(rng.sample(range(1, num_items), num_segments - 1))
    bounds = [0, *cuts, num_items]
    return [b - a for a, b in zip(bounds, bounds[1:])]


def random_spans_noise_mask(length: int, rng: random.Random, *, noise_density: float = 0.15,
                            mean_noise_span_length: float = 3.0) -> list[bool]:
    """Which of ``length`` tokens to corrupt (True), in spans (see the module docstring)."""
    _check(length, noise_density, mean_noise_span_length)
    num_noise, num_spans = _counts(length, noise_density, mean_noise_span_length)
    noise_lengths = _random_segmentation(num_noise, num_spans, rng)
    kept_lengths = _random_segmentation(length - num_noise, num_spans, rng)
    mask: list[bool] = []
    for kept, noise in zip(kept_lengths, noise_lengths):
        mask += [False] * kept + [True] * noise
    return mask


def span_corrupt(ids: Sequence[int], sentinel_ids: Sequence[int], rng: random.Random, *,
                 noise_density: float = 0.15, mean_noise_span_length: float = 3.0,
                 eos_id: int | None = None) -> tuple[list[int], list[int]]:
    """One span-corruption example from the token ids of a text.

    Args:
        ids: the text's token ids (none of them a sentinel).
        sentinel_ids: ``sentinel_ids[i]`` is the id of ``<extra_id_i>``; needs one more than the
            number of spans (:func:`noise_span_count`).
        rng: the randomness (which tokens are corrupted).
        eos_id: if given, appended to both input and target.

    Returns:
        ``(inputs, targets)``: the text with each corrupted span replaced by its sentinel, and the
        sentinels each followed by its span, closed by the next sentinel.
    """
    ids = list(ids)
    sentinels = set(sentinel_ids)
    if len(sentinels) != len(sentinel_ids):
        raise ValueError("sentinel_ids must be distinct")
    clash = sentinels.intersection(ids)
    if clash:
        raise ValueError(f"the text already holds sentinel id(s) {sorted(clash)[:5]}; a sentinel must not occur in text")
    mask = random_spans_noise_mask(len(ids), rng, noise_density=noise_density,
                                   mean_noise_span_length=mean_noise_span_length)
    n_spans = sum(1 for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1]))
    if n_spans + 1 > len(sentinel_ids):
        raise ValueError(f"{n_spans} corrupted spans need {n_spans + 1} sentinels, only {len(sentinel_ids)} given")
    inputs: list[int] = []
    targets: list[int] = []
    span = -1
    for i, (token, noisy) in enumerate(zip(ids, mask)):
        if noisy:
            if i == 0 or not mask[i - 1]:  # a new span: its sentinel in both sequences
                span += 1
                inputs.append(sentinel_ids[span])
                targets.append(sentinel_ids[span])
            targets.append(token)
        else:
            inputs.append(token)
    targets.append(sentinel_ids[span + 1])  # the closing sentinel (Figure 2's <Z>)
    if eos_id is not None:
        inputs.append(eos_id)
        targets.append(eos_id)
    return inputs, targets


def reconstruct(inputs: Sequence[int], targets: Sequence[int], sentinel_ids: Sequence[int], *,
                eos_id: int | None = None) -> list[int]:
    """The original ids from a span-corruption ``(inputs, targets)`` pair: each sentinel of the
    input replaced by the tokens that follow it in the target (up to the next sentinel).

    Raises ValueError if the pair is inconsistent (a sentinel of the input missing from the
    target, or sentinels out of order).
    """
    inputs, targets = list(inputs), list(targets)
    if eos_id is not None:
        for name, seq in (("inputs", inputs), ("targets", targets)):
            if not seq or seq[-1] != eos_id:
                raise ValueError(f"{name} must end with eos_id {eos_id}")
            seq.pop()
    index = {s: i for i, s in enumerate(sentinel_ids)}
    spans: dict[int, list[int]] = {}
    current: int | None = None
    for token in targets:
        if token in index:
            current = index[token]
            if current in spans:
                raise ValueError(f"sentinel {current} appears twice in targets")
            spans[current] = []
        elif current is None:
            raise ValueError("targets must start with a sentinel")
        else:
            spans[current].append(token)
    out: list[int] = []
    for token in inputs:
        if token in index:
            i = index[token]
            if i not in spans:
                raise ValueError(f"sentinel {i} of the inputs has no span in the targets")
            out += spans[i]
        else:
            out.append(token)
    return out


def text_to_text(prefix: str, text: str) -> str:
    """The input of a text-to-text example: ``"<prefix>: <text>"`` (§2.4)."""
    if not prefix or prefix != prefix.strip() or prefix.endswith(":"):
        raise ValueError(f"prefix must be a non-empty task name without surrounding spaces or a final ':', "
                         f"got {prefix!r}")
    return f"{prefix}: {text}"
