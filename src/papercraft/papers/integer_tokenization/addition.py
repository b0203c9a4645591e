"""Multi-digit addition under three integer tokenizations, learned by a tiny GPT.

A problem ``a+b=c`` is the token sequence ``tok(a) + tok(b) = tok(c) <eos>`` where ``tok`` is one
of the splitters of :mod:`.analysis` (GPT-2's BPE, single digits, right-aligned 3-digit chunks).
The model is the ``gpt`` entry's decoder (pre-LN GPT-2 variant), trained on the answer tokens only.

Accuracy is exact match of the whole answer (and the end token) under teacher forcing: every
answer position's argmax is the right token. That equals greedy decoding's exact match, because
greedy decoding of a sequence whose every step is argmax-correct reproduces it step by step.

All three tokenizations see the *same* training and test problems (same seed), so differences come
from the tokenization alone. Test problems are disjoint from training problems.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from torch import Tensor

from papercraft.papers.integer_tokenization.analysis import Splitter

PAD, PLUS, EQ, EOS = "<pad>", "+", "=", "<eos>"
IGNORE = -100


def sample_problems(n: int, max_digits: int, rng: random.Random, exclude: set[tuple[int, int]] = frozenset()
                    ) -> list[tuple[int, int]]:
    """``n`` distinct pairs (a, b): each operand's digit count uniform in 1..max_digits, then its value
    uniform among integers with that many digits (so short numbers are not drowned by long ones)."""
    capacity = sum(9 * 10 ** (d - 1) if d > 1 else 10 for d in range(1, max_digits + 1)) ** 2
    if n + len(exclude) > capacity // 2:
        raise ValueError(f"asked for {n} problems with at most {max_digits} digits: too many of {capacity} pairs")
    seen: set[tuple[int, int]] = set()
    out = []
    while len(out) < n:
        a, b = (_operand(max_digits, rng) for _ in range(2))
        if (a, b) in seen or (a, b) in exclude:
            continue
        seen.add((a, b))
        out.append((a, b))
    return out


def _operand(max_digits: int, rng: random.Random) -> int:
    d = rng.randint(1, max_digits)
    return rng.randrange(0, 10) if d == 1 else rng.randrange(10 ** (d - 1), 10 ** d)


@dataclass
class Encoded:
    """Problems as padded tensors for one tokenization.

    ``x`` ``[N, T]`` input ids (padded with PAD), ``y`` ``[N, T]`` next-token targets with IGNORE except
    on the answer and the end token, ``digits`` ``[N]`` the longer operand's digit count.
    """

    x: Tensor
    y: Tensor
    digits: Tensor


class AdditionTask:
    """The vocabulary and encoding of addition problems under one splitter.

    The vocabulary holds every token the splitter uses for any integer up to ``2·10^max_digits``
    (every operand and sum), plus PAD, ``+``, ``=`` and EOS, so no test answer is out of vocabulary.
    """

    def __init__(self, split: Splitter, max_digits: int) -> None:
        self.split = split
        self.max_digits = max_digits
        pieces = sorted({p for n in range(2 * 10 ** max_digits) for p in split(n)}, key=lambda s: (len(s), s))
        self.vocab = [PAD, PLUS, EQ, EOS, *pieces]
        self.index = {t: i for i, t in enumerate(self.vocab)}

    def tokens(self, a: int, b: int) -> tuple[list[int], int]:
        """Token ids of the full problem and the position where the answer starts."""
        ix = self.index
        prompt = [ix[p] for p in self.split(a)] + [ix[PLUS]] + [ix[p] for p in self.split(b)] + [ix[EQ]]
        answer = [ix[p] for p in self.split(a + b)] + [ix[EOS]]
        return prompt + answer, len(prompt)

    def encode(self, problems: list[tuple[int, int]]) -> Encoded:
        seqs = [self.tokens(a, b) for a, b in problems]
        length = max(len(s) for s, _ in seqs) - 1
        x = torch.full((len(seqs), length), self.index[PAD], dtype=torch.long)
        y = torch.full((len(seqs), length), IGNORE, dtype=torch.long)
        for row, (ids, start) in enumerate(seqs):
            x[row, :len(ids) - 1] = torch.tensor(ids[:-1])
            # position t predicts ids[t+1]: the answer tokens are ids[start:], predicted at start-1 ...
            y[row, start - 1:len(ids) - 1] = torch.tensor(ids[start:])
        digits = torch.tensor([max(len(str(a)), len(str(b))) for a, b in problems])
        return Encoded(x, y, digits)


@torch.no_grad()
def exact_match(model, data: Encoded, batch_size: int = 1024) -> Tensor:
    """``[N]`` bool: the whole answer (and EOS) is argmax-correct under teacher forcing."""
    model.eval()
    out = []
    for i in range(0, len(data.x), batch_size):
        x, y = data.x[i:i + batch_size], data.y[i:i + batch_size]
        device = next(model.parameters()).device
        pred = model(x.to(device)).argmax(-1).cpu()
        out.append(((pred == y) | (y == IGNORE)).all(dim=1))
    model.train()
    return torch.cat(out)


def accuracy_by_digits(correct: Tensor, digits: Tensor) -> dict[int, float]:
    """Exact-match accuracy grouped by the longer operand's digit count."""
    return {int(d): float(correct[digits == d].float().mean()) for d in digits.unique()}
