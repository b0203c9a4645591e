"""Greedy decoding and beam search for any autoregressive decoder (Sutskever et al. 2014, §3.2).

A model plugs in through one function, ``step(prefix, state) -> (log_probs, state)``:

- ``prefix``: ``[N, t]`` the tokens produced so far (starting with ``<bos>``); an LSTM reads only
  the last column, a Transformer decoder may re-read all of it;
- ``state``: whatever the model carries between steps (LSTM ``(h, c)``, encoder memory, ...);
- ``log_probs``: ``[N, V]`` log-probabilities of the next token.

and one function ``reorder(state, index) -> state`` that keeps the rows ``index`` of the state (beam
search re-ranks hypotheses every step). Both searches run a whole batch of sources at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]
ReorderFn = Callable[[Any, Tensor], Any]

__all__ = ["greedy_decode", "beam_search", "length_penalty"]


def _strip(rows: Tensor, eos: int) -> list[list[int]]:
    """Drop the leading ``<bos>`` and everything from the first ``<eos>`` on."""
    out = []
    for row in rows.tolist():
        row = row[1:]
        out.append(row[: row.index(eos)] if eos in row else row)
    return out


@torch.no_grad()
def greedy_decode(step: StepFn, state: Any, *, batch: int, bos: int, eos: int, max_len: int,
                  device: torch.device | str = "cpu") -> list[list[int]]:
    """Pick the most probable token at every step; stop a row at ``<eos>`` (or after ``max_len`` tokens).

    Returns one list of token ids per source (without ``<bos>``/``<eos>``).
    """
    prefix = torch.full((batch, 1), bos, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    for _ in range(max_len):
        log_probs, state = step(prefix, state)
        token = log_probs.argmax(dim=-1)
        token = torch.where(finished, torch.full_like(token, eos), token)  # finished rows keep emitting <eos>
        prefix = torch.cat([prefix, token[:, None]], dim=1)
        finished |= token == eos
        if bool(finished.all()):
            break
    return _strip(prefix, eos)


def length_penalty(length: Tensor, alpha: float) -> Tensor:
    """Wu et al. 2016 (GNMT) eq. 14, used by Vaswani et al. §6.1 with alpha = 0.6: ``((5 + |Y|) / 6)^alpha``.
    ``alpha = 0`` gives plain log-probability, as Sutskever et al. use."""
    return ((5.0 + length.float()) / 6.0) ** alpha


@torch.no_grad()
def beam_search(step: StepFn, state: Any, reorder: ReorderFn, *, batch: int, beam: int, bos: int, eos: int,
                max_len: int, alpha: float = 0.0, device: torch.device | str = "cpu") -> list[list[int]]:
    """Keep the ``beam`` most probable partial translations of every source (§3.2).

    ``state`` must already hold ``batch * beam`` rows, source ``b``'s copies at rows
    ``b*beam .. b*beam+beam-1``. A hypothesis that emits ``<eos>`` stays in the beam with its score
    frozen (it can only be followed by ``<eos>`` at log-probability 0); the search stops when every
    beam is finished or after ``max_len`` tokens. The answer for each source is its hypothesis with
    the best ``score / length_penalty(length, alpha)``.

    With ``beam = 1`` this is exactly :func:`greedy_decode` (a test checks it).
    """
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    rows = batch * beam
    prefix = torch.full((rows, 1), bos, dtype=torch.long, device=device)
    # All beams start identical: only the first may expand at step 1, or the beam fills with copies.
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0
    finished = torch.zeros(rows, dtype=torch.bool, device=device)
    lengths = torch.zeros(rows, dtype=torch.long, device=device)  # tokens generated incl. <eos>
    for _ in range(max_len):
        log_probs, state = step(prefix, state)
        vocab = log_probs.shape[-1]
        log_probs = log_probs.float()
        frozen = torch.full_like(log_probs, float("-inf"))
        frozen[:, eos] = 0.0
        log_probs = torch.where(finished[:, None], frozen, log_probs)
        candidates = (scores.view(rows, 1) + log_probs).view(batch, beam * vocab)
        scores, flat = candidates.topk(beam, dim=-1)  # [batch, beam]
        origin = (flat // vocab) + torch.arange(batch, device=device)[:, None] * beam  # parent rows
        token = (flat % vocab).view(rows)
        origin = origin.view(rows)
        state = reorder(state, origin)
        prefix = torch.cat([prefix[origin], token[:, None]], dim=1)
        lengths = lengths[origin] + (~finished[origin]).long()
        finished = finished[origin] | (token == eos)
        if bool(finished.all()):
            break
    normalized = scores / length_penalty(lengths.view(batch, beam), alpha)
    best = normalized.argmax(dim=-1) + torch.arange(batch, device=device) * beam
    return _strip(prefix[best], eos)
