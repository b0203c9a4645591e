"""Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks" (arXiv 1409.3215).

§2: one multi-layer LSTM reads the source sentence into its final state (a fixed-size vector — the
paper has no attention), a second LSTM, started from that state, generates the translation:
``p(y_1..y_T' | x_1..x_T) = Π_t p(y_t | v, y_1..y_{t-1})`` (eq. 1).

§3.3 "Reversing the Source Sentences": feeding the source words in reverse order (target order
unchanged) puts the first source words next to the first target words, introducing "many short
term dependencies" and making optimization easier. Here it is a model flag, so that training and
decoding always agree.

:func:`build_for_training` makes the model and the optimizer our experiments train it with, so that
a later entry that uses this model as its baseline trains it exactly as this entry's arms are trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.seq2seq.decoding import beam_search, greedy_decode
from papercraft.papers.seq2seq.lstm import LSTM
from papercraft.testbeds.translation import BOS_ID, EOS_ID, PAD_ID

__all__ = ["Seq2SeqConfig", "Seq2Seq", "reverse_padded", "build_for_training", "schedule_for_training", "GRAD_CLIP",
           "WARMUP_FRACTION"]

GRAD_CLIP = 5.0
"""§3.4: "we enforced a hard constraint on the norm of the gradient [...] by scaling it when its norm
exceeded a threshold" of 5 (here: the global norm, clipped by the trainer)."""


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes (paper: 4 layers, 1000 cells, 1000-dim embeddings, vocabularies 160k/80k, dropout none)."""

    src_vocab: int
    tgt_vocab: int
    d_embed: int = 256
    hidden: int = 512
    layers: int = 2
    dropout: float = 0.2
    reverse_source: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reverse_padded(tokens: Tensor, pad_id: int = PAD_ID) -> Tensor:
    """Reverse the real tokens of each right-padded row, keeping the padding on the right.

    ``[[a, b, c, pad], [d, e, pad, pad]] -> [[c, b, a, pad], [e, d, pad, pad]]``.
    """
    lengths = (tokens != pad_id).sum(1, keepdim=True)  # [B, 1]
    positions = torch.arange(tokens.shape[1], device=tokens.device)[None, :]  # [1, S]
    source_index = torch.where(positions < lengths, lengths - 1 - positions, positions)
    return tokens.gather(1, source_index)


class Seq2Seq(nn.Module):
    """Encoder LSTM → fixed state → decoder LSTM → softmax over the target vocabulary."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.src_embed = nn.Embedding(c.src_vocab, c.d_embed, padding_idx=PAD_ID)
        self.tgt_embed = nn.Embedding(c.tgt_vocab, c.d_embed, padding_idx=PAD_ID)
        self.encoder = LSTM(c.d_embed, c.hidden, c.layers, dropout=c.dropout)
        self.decoder = LSTM(c.d_embed, c.hidden, c.layers, dropout=c.dropout)
        self.dropout = nn.Dropout(c.dropout)
        self.output = nn.Linear(c.hidden, c.tgt_vocab)
        for p in (self.src_embed.weight, self.tgt_embed.weight, self.output.weight, self.output.bias):
            nn.init.uniform_(p, -0.08, 0.08)  # §3.4: every parameter uniform in [-0.08, 0.08]

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """``src [B, S]`` right-padded ids -> the final encoder state ``(h, c)``, each ``[L, B, H]``."""
        if src.dim() != 2:
            raise ValueError(f"src must be [B, S] token ids, got {list(src.shape)}")
        if self.config.reverse_source:
            src = reverse_padded(src)
        mask = src != PAD_ID  # padding carries the state through unchanged (see LSTM)
        _, state = self.encoder(self.dropout(self.src_embed(src)), mask=mask)
        return state

    def decode(self, tgt_in: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``tgt_in [B, T]`` (``<bos> y_1 ..``) from encoder state -> logits ``[B, T, V]`` and the new state."""
        out, state = self.decoder(self.dropout(self.tgt_embed(tgt_in)), state)
        return self.output(self.dropout(out)), state

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced logits ``[B, T, V]`` for ``tgt_in [B, T]``."""
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in must be [B={src.shape[0]}, T] token ids, got {list(tgt_in.shape)}")
        logits, _ = self.decode(tgt_in, self.encode(src))
        return logits

    # ------------------------------------------------------------------ decoding

    def _step(self, prefix: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        logits, state = self.decode(prefix[:, -1:], state)  # an LSTM needs only the newest token
        return F.log_softmax(logits[:, -1], dim=-1), state

    @staticmethod
    def _reorder(state: tuple[Tensor, Tensor], index: Tensor) -> tuple[Tensor, Tensor]:
        return state[0].index_select(1, index), state[1].index_select(1, index)

    @torch.no_grad()
    def translate(self, src: Tensor, *, beam: int = 1, max_len: int = 40, alpha: float = 0.0) -> list[list[int]]:
        """Target ids for each source row: greedy if ``beam == 1``, else beam search (§3.2)."""
        was_training = self.training
        self.eval()
        try:
            state = self.encode(src)
            batch = src.shape[0]
            if beam == 1:
                return greedy_decode(self._step, state, batch=batch, bos=BOS_ID, eos=EOS_ID, max_len=max_len,
                                     device=src.device)
            index = torch.arange(batch, device=src.device).repeat_interleave(beam)
            return beam_search(self._step, self._reorder(state, index), self._reorder, batch=batch, beam=beam,
                               bos=BOS_ID, eos=EOS_ID, max_len=max_len, alpha=alpha, device=src.device)
        finally:
            self.train(was_training)


def build_for_training(config: Seq2SeqConfig, *, lr: float, seed: int) -> tuple[Seq2Seq, torch.optim.Optimizer]:
    """The model with its weights drawn after ``torch.manual_seed(seed)`` (so two arms built with the
    same seed start from the same weights), and its optimizer.

    Deviation from §3.4: Adam at ``lr`` instead of plain SGD at 0.7 halved every half epoch after
    5 epochs, which needs far more steps than a CPU budget allows. Train with gradient-norm
    clipping at :data:`GRAD_CLIP`, as the paper does.
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    torch.manual_seed(seed)
    model = Seq2Seq(config)
    return model, torch.optim.Adam(model.parameters(), lr=lr)


WARMUP_FRACTION = 0.05
"""Share of a run's steps spent warming the learning rate up linearly (see :func:`schedule_for_training`)."""


def schedule_for_training(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning-rate schedule our experiments train the model with: papercraft's warm-up + cosine
    decay over the run's ``steps`` (:data:`WARMUP_FRACTION` of them warming up). Stands in for §3.4's
    "after 5 epochs, we begun halving the learning rate every half epoch": a decay to the end of a
    fixed budget of steps."""
    from papercraft.training.schedules import warmup_cosine

    return warmup_cosine(optimizer, steps, max(1, round(WARMUP_FRACTION * steps)))
