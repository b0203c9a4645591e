"""The Transformer encoder-decoder of Vaswani et al. 2017, "Attention Is All You Need" (§3, Figure 1).

Building blocks later papers reuse:

- :class:`TransformerConfig` — sizes (defaults: the paper's base model, Table 3 row "base");
- :class:`FeedForward` — §3.3, eq. (2): ``max(0, x W1 + b1) W2 + b2``;
- :class:`EncoderLayer` / :class:`DecoderLayer` — §3.1, each sub-layer wrapped as
  ``LayerNorm(x + Dropout(Sublayer(x)))`` (post-LN, as in the paper). ``pre_norm=True`` gives the
  ``x + Sublayer(LayerNorm(x))`` arrangement later models use (GPT-2, T5, ViT, Whisper);
- :class:`Encoder` / :class:`Decoder` — embeddings scaled by ``sqrt(d_model)`` (§3.4) plus
  sinusoidal positions (§3.5), dropout, N layers (and a final LayerNorm when pre-norm);
- :class:`Transformer` — both stacks, output projection tied to the target embedding (§3.4), greedy
  and beam search (beam search and length penalty as §6.1);
- :func:`label_smoothed_cross_entropy` — §5.4 label smoothing ε_ls = 0.1;
- :func:`noam_lr` / :func:`noam_scheduler` — §5.3 eq. (3), the warm-up schedule.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.normalization import LayerNorm
from papercraft.papers.seq2seq.decoding import beam_search, greedy_decode
from papercraft.papers.transformer.attention import KVCache, LearnedPositions, MultiHeadAttention, sinusoidal_positions

DecodingState = tuple[Tensor, Tensor, list]  # (memory [N, S, d], source padding [N, S], per-layer caches)

__all__ = [
    "TransformerConfig",
    "DecoderCache",
    "FeedForward",
    "EncoderLayer",
    "DecoderLayer",
    "Encoder",
    "Decoder",
    "Transformer",
    "label_smoothed_cross_entropy",
    "noam_lr",
    "noam_scheduler",
]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of an encoder-decoder Transformer (defaults: the base model of Table 3).

    ``src_vocab``/``tgt_vocab``: vocabulary sizes; ``pad_id``: the padding token id (ignored keys).
    ``positions``: ``"sinusoidal"`` (§3.5) or ``"learned"`` (Table 3 row E).
    ``pre_norm``: False = the paper's post-LN; True = pre-LN with a final LayerNorm per stack.
    ``tie_output``: share the target embedding with the pre-softmax projection (§3.4).
    ``fused_norm``: compute LayerNorm with one fused kernel (same function, checked by the
    normalization entry's tests); a speed switch only.
    """

    src_vocab: int
    tgt_vocab: int
    d_model: int = 512
    n_heads: int = 8
    d_ff: int = 2048
    encoder_layers: int = 6
    decoder_layers: int = 6
    dropout: float = 0.1
    max_len: int = 512
    pad_id: int = 0
    positions: str = "sinusoidal"
    pre_norm: bool = False
    tie_output: bool = True
    norm_eps: float = 1e-5
    fused_norm: bool = False

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.positions not in ("sinusoidal", "learned"):
            raise ValueError(f"positions must be 'sinusoidal' or 'learned', got {self.positions!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedForward(nn.Module):
    """§3.3, eq. (2): position-wise ``max(0, x W1 + b1) W2 + b2``; ``[B, T, d_model] -> [B, T, d_model]``."""

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)  # tensor2tensor's "relu dropout"; 0 in the parity tests

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


class _Residual(nn.Module):
    """One sub-layer connection (§3.1, §5.4): ``LayerNorm(x + Dropout(f(x)))`` or, pre-norm,
    ``x + Dropout(f(LayerNorm(x)))``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.pre_norm = config.pre_norm
        self.norm = LayerNorm(config.d_model, eps=config.norm_eps, fused=config.fused_norm)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, sublayer) -> Tensor:
        if self.pre_norm:
            return x + self.dropout(sublayer(self.norm(x)))
        return self.norm(x + self.dropout(sublayer(x)))


class EncoderLayer(nn.Module):
    """§3.1: self-attention then feed-forward. ``[B, S, d_model] -> [B, S, d_model]``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(config.d_model, config.n_heads, dropout=config.dropout)
        self.feed_forward = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.attn_block = _Residual(config)
        self.ff_block = _Residual(config)

    def forward(self, x: Tensor, src_padding: Tensor | None = None) -> Tensor:
        """``src_padding``: ``[B, S]`` bool, True = padding."""
        x = self.attn_block(x, lambda h: self.self_attn(h, key_padding_mask=src_padding))
        return self.ff_block(x, self.feed_forward)


class DecoderLayer(nn.Module):
    """§3.1: masked self-attention, attention over the encoder output, feed-forward. ``[B, T, d_model]``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(config.d_model, config.n_heads, dropout=config.dropout)
        self.cross_attn = MultiHeadAttention(config.d_model, config.n_heads, dropout=config.dropout)
        self.feed_forward = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.self_block = _Residual(config)
        self.cross_block = _Residual(config)
        self.ff_block = _Residual(config)

    def forward(self, y: Tensor, memory: Tensor, *, tgt_padding: Tensor | None = None,
                src_padding: Tensor | None = None, cache: DecoderCache | None = None) -> Tensor:
        """``y [B, T, d]`` decoder states, ``memory [B, S, d]`` encoder output; paddings ``[B, T]``/``[B, S]``.

        With ``cache`` (incremental decoding), ``y`` holds only the new positions; earlier ones are
        in ``cache.self_attn`` and the memory's keys/values in ``cache.cross_attn``.
        """
        self_cache, cross_cache = (cache.self_attn, cache.cross_attn) if cache is not None else (None, None)
        # §3.2.3: the causal mask keeps position i from seeing outputs after i (auto-regression).
        y = self.self_block(y, lambda h: self.self_attn(h, key_padding_mask=tgt_padding, causal=True,
                                                        kv_cache=self_cache))
        y = self.cross_block(y, lambda h: self.cross_attn(h, memory, key_padding_mask=src_padding,
                                                          kv_cache=cross_cache))
        return self.ff_block(y, self.feed_forward)


class DecoderCache:
    """One decoder layer's caches for incremental decoding: its self-attention keys/values so far and
    its cross-attention keys/values of the (fixed) encoder output."""

    def __init__(self) -> None:
        self.self_attn = KVCache()
        self.cross_attn = KVCache(static=True)

    def reorder(self, index: Tensor) -> None:
        self.self_attn.reorder(index)
        self.cross_attn.reorder(index)


class _Embedding(nn.Module):
    """Token embedding × sqrt(d_model) (§3.4) + positions (§3.5), then dropout (§5.4)."""

    def __init__(self, vocab: int, config: TransformerConfig) -> None:
        super().__init__()
        self.d_model = config.d_model
        self.tokens = nn.Embedding(vocab, config.d_model)
        nn.init.normal_(self.tokens.weight, std=config.d_model ** -0.5)  # so × sqrt(d_model) gives unit scale
        if config.positions == "learned":
            self.learned = LearnedPositions(config.max_len, config.d_model)
        else:
            self.learned = None
            self.register_buffer("sinusoids", sinusoidal_positions(config.max_len, config.d_model), persistent=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, ids: Tensor, offset: int = 0) -> Tensor:
        """``ids [B, T]`` at positions ``offset .. offset+T-1`` -> ``[B, T, d_model]``."""
        length = ids.shape[1]
        if self.learned is not None:
            positions = self.learned(length, offset)
        else:
            if offset + length > self.sinusoids.shape[0]:
                raise ValueError(f"sequence length {offset + length} exceeds max_len {self.sinusoids.shape[0]}")
            positions = self.sinusoids[offset : offset + length]
        return self.dropout(self.tokens(ids) * math.sqrt(self.d_model) + positions.to(self.tokens.weight.dtype))


class Encoder(nn.Module):
    """Token ids ``[B, S]`` -> states ``[B, S, d_model]`` (N × :class:`EncoderLayer`)."""

    def __init__(self, config: TransformerConfig, vocab: int | None = None) -> None:
        super().__init__()
        self.embed = _Embedding(config.src_vocab if vocab is None else vocab, config)
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.final_norm = LayerNorm(config.d_model, eps=config.norm_eps, fused=config.fused_norm) if config.pre_norm else None

    def forward(self, src: Tensor, src_padding: Tensor | None = None) -> Tensor:
        x = self.embed(src)
        for layer in self.layers:
            x = layer(x, src_padding)
        return self.final_norm(x) if self.final_norm is not None else x


class Decoder(nn.Module):
    """Target ids ``[B, T]`` and encoder states ``[B, S, d]`` -> decoder states ``[B, T, d_model]``."""

    def __init__(self, config: TransformerConfig, vocab: int | None = None) -> None:
        super().__init__()
        self.embed = _Embedding(config.tgt_vocab if vocab is None else vocab, config)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self.final_norm = LayerNorm(config.d_model, eps=config.norm_eps, fused=config.fused_norm) if config.pre_norm else None

    def new_cache(self) -> list[DecoderCache]:
        """Empty caches for incremental decoding, one per layer."""
        return [DecoderCache() for _ in self.layers]

    def forward(self, tgt: Tensor, memory: Tensor, *, tgt_padding: Tensor | None = None,
                src_padding: Tensor | None = None, cache: list[DecoderCache] | None = None) -> Tensor:
        """With ``cache`` (from :meth:`new_cache`), ``tgt`` holds only the new tokens; the cache
        remembers the earlier ones and gives identical results to re-running the whole prefix."""
        offset = cache[0].self_attn.length if cache else 0
        y = self.embed(tgt, offset)
        for i, layer in enumerate(self.layers):
            y = layer(y, memory, tgt_padding=tgt_padding, src_padding=src_padding,
                      cache=cache[i] if cache is not None else None)
        return self.final_norm(y) if self.final_norm is not None else y


class Transformer(nn.Module):
    """The encoder-decoder of Figure 1: ``forward(src [B, S], tgt_in [B, T]) -> logits [B, T, tgt_vocab]``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.output = nn.Linear(config.d_model, config.tgt_vocab, bias=False)
        if config.tie_output:
            # §3.4: "we share the same weight matrix between the two embedding layers and the
            # pre-softmax linear transformation". Our vocabularies are separate (word-level), so only
            # the target embedding and the output projection are shared.
            self.output.weight = self.decoder.embed.tokens.weight
        for module in self.modules():
            if isinstance(module, nn.Linear) and module is not self.output:
                nn.init.xavier_uniform_(module.weight)  # as tensor2tensor; the paper does not say
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def _padding(self, ids: Tensor, name: str) -> Tensor:
        if ids.dim() != 2:
            raise ValueError(f"{name} must be [B, length] token ids, got {list(ids.shape)}")
        return ids == self.config.pad_id

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """``src [B, S]`` -> (memory ``[B, S, d]``, source padding ``[B, S]`` True = pad)."""
        src_padding = self._padding(src, "src")
        return self.encoder(src, src_padding), src_padding

    def decode(self, tgt_in: Tensor, memory: Tensor, src_padding: Tensor) -> Tensor:
        """Logits ``[B, T, tgt_vocab]`` for decoder input ``tgt_in [B, T]``.

        Target padding needs no key mask: pads only follow the real tokens, and the causal mask
        already hides later positions from every real query (the pad positions' own outputs are
        ignored by the loss).
        """
        self._padding(tgt_in, "tgt_in")
        return self.output(self.decoder(tgt_in, memory, src_padding=src_padding))

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        if tgt_in.dim() != 2 or src.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"expected src [B, S] and tgt_in [B, T] with the same B, got {list(src.shape)}, "
                             f"{list(tgt_in.shape)}")
        memory, src_padding = self.encode(src)
        return self.decode(tgt_in, memory, src_padding)

    # ------------------------------------------------------------------ decoding

    def _step(self, prefix: Tensor, state: DecodingState) -> tuple[Tensor, DecodingState]:
        """Next-token log-probs ``[N, V]``. Only the newest token is run through the decoder; the
        layers' caches hold the keys/values of the earlier ones (a test checks this equals re-running
        the whole prefix)."""
        memory, src_padding, cache = state
        hidden = self.decoder(prefix[:, -1:], memory, src_padding=src_padding, cache=cache)
        logits = self.output(hidden[:, -1])
        return F.log_softmax(logits.float(), dim=-1), state

    @staticmethod
    def _reorder(state: DecodingState, index: Tensor) -> DecodingState:
        memory, src_padding, cache = state
        for layer_cache in cache:
            layer_cache.reorder(index)
        return memory.index_select(0, index), src_padding.index_select(0, index), cache

    def start_decoding(self, src: Tensor, beam: int = 1) -> DecodingState:
        """Encode ``src [B, S]`` and make the state :meth:`_step` needs (rows repeated ``beam`` times)."""
        memory, src_padding = self.encode(src)
        if beam > 1:
            index = torch.arange(src.shape[0], device=src.device).repeat_interleave(beam)
            memory, src_padding = memory.index_select(0, index), src_padding.index_select(0, index)
        return memory, src_padding, self.decoder.new_cache()

    @torch.no_grad()
    def translate(self, src: Tensor, *, bos: int, eos: int, beam: int = 1, max_len: int = 40,
                  alpha: float = 0.0) -> list[list[int]]:
        """Target ids for each source row: greedy if ``beam == 1``, else beam search (§6.1 uses beam 4,
        length penalty α = 0.6)."""
        was_training = self.training
        self.eval()
        try:
            state = self.start_decoding(src, beam)
            batch = src.shape[0]
            if beam == 1:
                return greedy_decode(self._step, state, batch=batch, bos=bos, eos=eos, max_len=max_len, device=src.device)
            return beam_search(self._step, state, self._reorder, batch=batch, beam=beam, bos=bos, eos=eos,
                               max_len=max_len, alpha=alpha, device=src.device)
        finally:
            self.train(was_training)


def label_smoothed_cross_entropy(logits: Tensor, target: Tensor, *, smoothing: float = 0.1,
                                 ignore_index: int = -100) -> Tensor:
    """§5.4 label smoothing (Szegedy et al. 2016): cross-entropy against ``(1-ε)·onehot + ε/V``.

    ``logits [N, V]`` (or ``[B, T, V]``), ``target [N]`` (or ``[B, T]``); positions equal to
    ``ignore_index`` are left out of the mean. "This hurts perplexity, as the model learns to be more
    unsure, but improves accuracy and BLEU score."
    """
    if logits.shape[:-1] != target.shape:
        raise ValueError(f"logits [*, V] and target [*] must share leading dims, got {list(logits.shape)}, {list(target.shape)}")
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    log_probs = F.log_softmax(logits.float(), dim=-1).reshape(-1, logits.shape[-1])
    target = target.reshape(-1)
    keep = target != ignore_index
    log_probs, target = log_probs[keep], target[keep]
    nll = -log_probs.gather(1, target[:, None]).squeeze(1)
    uniform = -log_probs.mean(dim=-1)  # cross-entropy against the uniform distribution ε/V
    return ((1.0 - smoothing) * nll + smoothing * uniform).mean()


def noam_lr(step: int, *, d_model: int, warmup: int, factor: float = 1.0) -> float:
    """§5.3 eq. (3): ``lrate = d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)`` (steps count from 1).

    Linear warm-up for ``warmup`` steps, then decay ∝ 1/sqrt(step). The paper uses warmup 4000 and
    factor 1; ``factor`` rescales the whole curve.
    """
    if step < 1 or warmup < 1:
        raise ValueError(f"noam_lr needs step >= 1 and warmup >= 1, got step={step}, warmup={warmup}")
    return factor * d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def noam_scheduler(optimizer: torch.optim.Optimizer, *, d_model: int, warmup: int,
                   factor: float = 1.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` following :func:`noam_lr`; give the optimizer ``lr=1.0`` (the lambda is the lr).

    ``LambdaLR`` calls the lambda with the number of scheduler steps taken (0 before the first
    optimizer step), so optimizer step ``k`` (from 1) uses ``noam_lr(k)``.
    """
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda taken: noam_lr(taken + 1, d_model=d_model, warmup=warmup, factor=factor))
