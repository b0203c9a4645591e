"""T5: the encoder-decoder Transformer of Raffel et al. 2019, "Exploring the Limits of Transfer
Learning with a Unified Text-to-Text Transformer" (arXiv 1910.10683), §2.1 and §3.1.

Claim (the catalogue's): span-corruption pre-training improves downstream text-to-text tasks, and
one model handles several tasks through task prefixes ("translate English to German: ...",
"cola sentence: ..."): every task is "text in, text out" with a single maximum-likelihood loss.

The model is the Transformer of Vaswani et al. (:mod:`papercraft.papers.transformer`) with the
changes §2.1 lists, each marked where it happens below:

- **Layer normalization without bias and without mean subtraction** ("we use a simplified version
  of layer normalization where the activations are only rescaled and no additive bias is
  applied"): ``y = x / sqrt(mean(x^2) + eps) * g``, i.e. RMSNorm (the ``normalization`` entry's
  :class:`~papercraft.papers.normalization.RMSNorm`, eps 1e-6).
- **Pre-norm residual blocks**: ``x + Dropout(Sublayer(LayerNorm(x)))`` for self-attention,
  (decoder) encoder-decoder attention and the feed-forward network; a final LayerNorm and dropout
  after each stack; dropout on the embeddings.
- **Relative position biases instead of position embeddings**: a learned scalar per head is added
  to each attention logit, indexed by a *bucket* of the key-minus-query offset,
  ``logits_ij = q_i . k_j + b_h(bucket(j - i))`` (:func:`relative_position_bucket`): exact buckets
  for small offsets, logarithmically wider ones up to ``relative_attention_max_distance`` (128 in
  the paper), one bucket beyond. Encoder buckets are bidirectional (half for each sign), decoder
  buckets unidirectional (a decoder never looks ahead). The biases are computed once per stack
  (transformers keeps the table in the first layer) and shared by all its layers; cross-attention
  has none.
- **No 1/sqrt(d_kv) scaling of the logits**: Mesh TensorFlow folds it into the initialization of
  the query projection (std ``(d_model * d_kv)^-1/2``, :meth:`T5ForConditionalGeneration.reset_parameters`).
- **Bias-free projections** everywhere; the feed-forward network is ``ReLU(x W_i) W_o`` (T5.1.0)
  or the gated-GELU variant ``(GELU(x W_i0) * x W_i1) W_o`` of T5.1.1 (Shazeer 2020).
- **Input and output embeddings shared**: one ``[V, d_model]`` matrix embeds encoder and decoder
  tokens and, when tied, is the output layer, applied to the decoder output rescaled by
  ``d_model^-1/2`` (Mesh TF's convention, with embeddings initialized at std 1).

Decoding is greedy with a cache: the encoder output's keys and values are projected once per
cross-attention layer (a static :class:`~papercraft.papers.transformer.attention.KVCache`), the
decoder's self-attention keys and values grow by one position per step, and the relative biases
of the new query row are computed at the cached offset.

Parameter names are papercraft's own; :mod:`.pretrained` maps transformers' names onto them.
Shapes: ``B`` batch, ``S`` source (encoder) length, ``T`` target (decoder) length, ``H`` heads,
``V`` vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.normalization import RMSNorm
from papercraft.papers.transformer.attention import KVCache, causal_mask

__all__ = [
    "T5Config",
    "relative_position_bucket",
    "RelativePositionBias",
    "T5Attention",
    "T5FeedForward",
    "T5Block",
    "T5Stack",
    "T5ForConditionalGeneration",
    "FEED_FORWARD_PROJ",
]

FEED_FORWARD_PROJ = ("relu", "gated-gelu")
"""Feed-forward variants: T5.1.0's ``"relu"`` and T5.1.1's ``"gated-gelu"`` (tanh-approximated GELU)."""


@dataclass(frozen=True)
class T5Config:
    """Sizes and options of a T5 (defaults: T5-Small, Table 14 / transformers' ``t5-small``).

    Attributes:
        vocab_size: ``V``, shared by inputs and outputs (sentinels included).
        d_model: residual-stream width.
        d_kv: width of one head's queries, keys and values (``num_heads * d_kv`` need not equal
            ``d_model``).
        d_ff: inner width of the feed-forward network.
        num_layers: encoder layers; ``num_decoder_layers`` decoder layers (None: the same).
        num_heads: ``H``.
        relative_attention_num_buckets: position buckets per attention direction set (32).
        relative_attention_max_distance: offsets at or beyond this share the last bucket (128).
        dropout_rate: dropout on embeddings, sub-layer outputs, attention weights, the
            feed-forward hidden layer and the stack outputs (0.1 in the paper).
        layer_norm_epsilon: the RMS LayerNorm's epsilon.
        feed_forward_proj: one of :data:`FEED_FORWARD_PROJ`.
        tie_word_embeddings: the output layer is the shared embedding (with the ``d_model^-1/2``
            rescale); else a separate ``lm_head`` without rescale (T5.1.1).
        scale_decoder_outputs: rescale the decoder output by ``d_model^-1/2`` before the output
            layer; None means "as ``tie_word_embeddings``" (transformers >= 5 records it apart).
        pad_token_id, eos_token_id: ids of padding and end of sequence.
        decoder_start_token_id: the first decoder input (T5: the pad id; None means pad).
    """

    vocab_size: int
    d_model: int = 512
    d_kv: int = 64
    d_ff: int = 2048
    num_layers: int = 6
    num_decoder_layers: int | None = None
    num_heads: int = 8
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    dropout_rate: float = 0.1
    layer_norm_epsilon: float = 1e-6
    feed_forward_proj: str = "relu"
    tie_word_embeddings: bool = True
    scale_decoder_outputs: bool | None = None
    pad_token_id: int = 0
    eos_token_id: int = 1
    decoder_start_token_id: int | None = None

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_heads",
                     "relative_attention_num_buckets", "relative_attention_max_distance"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"T5Config.{name} must be a positive int, got {value!r}")
        if self.num_decoder_layers is not None and (not isinstance(self.num_decoder_layers, int)
                                                    or self.num_decoder_layers < 1):
            raise ValueError(f"T5Config.num_decoder_layers must be a positive int or None, got "
                             f"{self.num_decoder_layers!r}")
        if self.relative_attention_num_buckets < 4:
            raise ValueError(f"T5Config.relative_attention_num_buckets must be >= 4 (half of each direction's "
                             f"buckets are exact offsets), got {self.relative_attention_num_buckets}")
        exact = self.relative_attention_num_buckets // 2  # the decoder's exact offsets (the encoder has half)
        if self.relative_attention_max_distance <= exact:
            raise ValueError(f"T5Config.relative_attention_max_distance must exceed the {exact} exact offsets of "
                             f"{self.relative_attention_num_buckets} buckets, got {self.relative_attention_max_distance}")
        if self.feed_forward_proj not in FEED_FORWARD_PROJ:
            raise ValueError(f"T5Config.feed_forward_proj must be one of {FEED_FORWARD_PROJ}, got "
                             f"{self.feed_forward_proj!r}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"T5Config.dropout_rate must be in [0, 1), got {self.dropout_rate}")
        if not self.layer_norm_epsilon > 0:
            raise ValueError(f"T5Config.layer_norm_epsilon must be > 0, got {self.layer_norm_epsilon}")
        for name in ("pad_token_id", "eos_token_id", "decoder_start_token_id"):
            value = getattr(self, name)
            if value is None and name == "decoder_start_token_id":
                continue
            if not isinstance(value, int) or not 0 <= value < self.vocab_size:
                raise ValueError(f"T5Config.{name} must be an id in [0, vocab_size={self.vocab_size}), got {value!r}")

    @property
    def decoder_layers(self) -> int:
        return self.num_layers if self.num_decoder_layers is None else self.num_decoder_layers

    @property
    def start_token_id(self) -> int:
        return self.pad_token_id if self.decoder_start_token_id is None else self.decoder_start_token_id

    @property
    def rescale_output(self) -> bool:
        return self.tie_word_embeddings if self.scale_decoder_outputs is None else self.scale_decoder_outputs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> T5Config:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown T5Config fields {unknown}; expected some of {sorted(known)}")
        return cls(**d)


# --------------------------------------------------------------------------- relative positions


def relative_position_bucket(relative_position: Tensor, *, bidirectional: bool, num_buckets: int = 32,
                             max_distance: int = 128) -> Tensor:
    """The bucket of each key-minus-query offset (§2.1 "Position embeddings"; Mesh TF's
    ``_relative_position_bucket``).

    With ``bidirectional`` (the encoder), half the buckets are for keys after the query
    (``offset > 0``) and half for keys at or before it; the decoder uses all buckets for
    ``offset <= 0`` and puts every later key in bucket 0 (it is masked anyway). Within a direction
    of ``n`` buckets, distances ``0 .. n/2 - 1`` get a bucket each; larger distances ``d`` get
    ``n/2 + floor(log(d / (n/2)) / log(max_distance / (n/2)) * (n - n/2))``, capped at ``n - 1``, so
    that every distance ``>= max_distance`` shares the last bucket.

    Args:
        relative_position: int64 tensor of offsets ``key_position - query_position`` (any shape).
        bidirectional: encoder (True) or decoder (False) buckets.
        num_buckets: buckets in all (both directions together when bidirectional).
        max_distance: distances from here on share the last bucket.

    Returns:
        int64 tensor of the same shape, values in ``[0, num_buckets)``.
    """
    if relative_position.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"relative_position must be an integer tensor, got {relative_position.dtype}")
    if num_buckets < (4 if bidirectional else 2):
        raise ValueError(f"num_buckets must be >= {4 if bidirectional else 2}, got {num_buckets}")
    relative_position = relative_position.long()
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)
    max_exact = num_buckets // 2
    if max_distance <= max_exact:
        raise ValueError(f"max_distance must exceed the {max_exact} exact distances, got {max_distance}")
    is_small = distance < max_exact
    # Logarithmic buckets; computed in float32 as Mesh TF and transformers do, so that distances on a
    # bucket boundary round the same way. clamp(min=1) only avoids log(0) where is_small anyway.
    log_ratio = torch.log(distance.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)
    if_large = (max_exact + (log_ratio * (num_buckets - max_exact)).long()).clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, if_large)


class RelativePositionBias(nn.Module):
    """A learned scalar per (bucket, head), added to the attention logits (§2.1).

    ``forward(query_length, key_length, offset)`` returns ``[1, H, Tq, Tk]`` for queries at positions
    ``offset .. offset + Tq - 1`` (``offset`` = positions already in a decoder cache) and keys at
    ``0 .. Tk - 1``.
    """

    def __init__(self, num_buckets: int, num_heads: int, max_distance: int, *, bidirectional: bool) -> None:
        super().__init__()
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        self.embedding = nn.Embedding(num_buckets, num_heads)

    def forward(self, query_length: int, key_length: int, offset: int = 0) -> Tensor:
        device = self.embedding.weight.device
        query = torch.arange(offset, offset + query_length, device=device)[:, None]
        key = torch.arange(key_length, device=device)[None, :]
        bucket = relative_position_bucket(key - query, bidirectional=self.bidirectional,
                                          num_buckets=self.num_buckets, max_distance=self.max_distance)
        return self.embedding(bucket).permute(2, 0, 1).unsqueeze(0)  # [Tq, Tk, H] -> [1, H, Tq, Tk]


# --------------------------------------------------------------------------- layers


class T5Attention(nn.Module):
    """Multi-head attention without biases and without the ``1/sqrt(d_kv)`` logit scale (§2.1).

    ``logits = q k^T + position_bias`` (masked positions set to the dtype's minimum), softmax,
    dropout, ``weights v``, heads concatenated, ``o``. Projections ``q``, ``k``, ``v``:
    ``d_model -> H * d_kv``; ``o``: ``H * d_kv -> d_model``.
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.num_heads, self.d_kv, self.dropout = config.num_heads, config.d_kv, config.dropout_rate
        inner = config.num_heads * config.d_kv
        self.q = nn.Linear(config.d_model, inner, bias=False)
        self.k = nn.Linear(config.d_model, inner, bias=False)
        self.v = nn.Linear(config.d_model, inner, bias=False)
        self.o = nn.Linear(inner, config.d_model, bias=False)

    def _heads(self, x: Tensor) -> Tensor:
        """``[B, T, H * d_kv]`` -> ``[B, H, T, d_kv]``."""
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.d_kv).transpose(1, 2)

    def forward(self, x: Tensor, memory: Tensor | None = None, *, position_bias: Tensor | None = None,
                mask: Tensor | None = None, cache: KVCache | None = None) -> Tensor:
        """Attend from ``x`` ``[B, Tq, d_model]`` to itself or to ``memory`` ``[B, S, d_model]``.

        Args:
            position_bias: broadcastable to ``[B, H, Tq, Tk]``, added to the logits.
            mask: bool, broadcastable to ``[B, H, Tq, Tk]``, True = may attend.
            cache: self-attention: keys and values of earlier positions, extended here;
                cross-attention: a ``static`` cache, filled from ``memory`` on the first call.

        Returns:
            ``[B, Tq, d_model]``.
        """
        q = self._heads(self.q(x))
        if cache is not None and cache.static and cache.length > 0:
            k, v = cache.k, cache.v  # the encoder output, projected once
        else:
            source = x if memory is None else memory
            k, v = self._heads(self.k(source)), self._heads(self.v(source))
            if cache is not None:
                k, v = cache.append(k, v)
        scores = q @ k.transpose(-2, -1)  # [B, H, Tq, Tk]; no 1/sqrt(d_kv): folded into q's init
        if position_bias is not None:
            scores = scores + position_bias
        if mask is not None:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = scores.softmax(dim=-1)
        weights = F.dropout(weights, p=self.dropout, training=self.training)
        out = (weights @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], self.num_heads * self.d_kv)
        return self.o(out)


class T5FeedForward(nn.Module):
    """``ReLU(x W_i) W_o`` (T5.1.0) or ``(GELU_tanh(x W_i0) * (x W_i1)) W_o`` (T5.1.1), no biases,
    dropout on the hidden layer. ``[*, d_model] -> [*, d_model]``."""

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.gated = config.feed_forward_proj == "gated-gelu"
        if self.gated:
            self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
            self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        else:
            self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, x: Tensor) -> Tensor:
        if self.gated:
            hidden = F.gelu(self.wi_0(x), approximate="tanh") * self.wi_1(x)
        else:
            hidden = F.relu(self.wi(x))
        return self.wo(self.dropout(hidden))


class T5Block(nn.Module):
    """One layer: pre-norm self-attention, (decoder) pre-norm cross-attention, pre-norm
    feed-forward, each as ``x + Dropout(Sublayer(RMSNorm(x)))``."""

    def __init__(self, config: T5Config, *, is_decoder: bool) -> None:
        super().__init__()
        eps = config.layer_norm_epsilon
        self.is_decoder = is_decoder
        self.self_attn_norm = RMSNorm(config.d_model, eps=eps)
        self.self_attn = T5Attention(config)
        if is_decoder:
            self.cross_attn_norm = RMSNorm(config.d_model, eps=eps)
            self.cross_attn = T5Attention(config)
        self.ff_norm = RMSNorm(config.d_model, eps=eps)
        self.ff = T5FeedForward(config)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, x: Tensor, *, position_bias: Tensor, mask: Tensor | None, memory: Tensor | None = None,
                memory_mask: Tensor | None = None, self_cache: KVCache | None = None,
                cross_cache: KVCache | None = None) -> Tensor:
        x = x + self.dropout(self.self_attn(self.self_attn_norm(x), position_bias=position_bias, mask=mask,
                                            cache=self_cache))
        if self.is_decoder:
            x = x + self.dropout(self.cross_attn(self.cross_attn_norm(x), memory, mask=memory_mask, cache=cross_cache))
        return x + self.dropout(self.ff(self.ff_norm(x)))


class DecoderCache:
    """Per decoder layer: a growing self-attention cache and a static cache of the encoder output's
    keys and values."""

    def __init__(self, num_layers: int) -> None:
        self.self_attn = [KVCache() for _ in range(num_layers)]
        self.cross_attn = [KVCache(static=True) for _ in range(num_layers)]

    @property
    def length(self) -> int:
        """Decoder positions already processed."""
        return self.self_attn[0].length


class T5Stack(nn.Module):
    """An encoder (bidirectional relative buckets, no cross-attention) or a decoder (causal,
    unidirectional buckets, cross-attention to the encoder output) over already-embedded tokens.

    The relative position bias is computed once here from one table and shared by every layer (the
    same as transformers computing it in layer 0 and passing it on).
    """

    def __init__(self, config: T5Config, *, is_decoder: bool) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        n_layers = config.decoder_layers if is_decoder else config.num_layers
        self.relative_bias = RelativePositionBias(config.relative_attention_num_buckets, config.num_heads,
                                                  config.relative_attention_max_distance, bidirectional=not is_decoder)
        self.layers = nn.ModuleList(T5Block(config, is_decoder=is_decoder) for _ in range(n_layers))
        self.final_norm = RMSNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, embeds: Tensor, attention_mask: Tensor | None = None, *, memory: Tensor | None = None,
                memory_mask: Tensor | None = None, cache: DecoderCache | None = None) -> Tensor:
        """``embeds`` ``[B, T, d_model]`` -> ``[B, T, d_model]``.

        Args:
            attention_mask: ``[B, T_total]`` bool, True = a real token (``T_total`` counts cached
                positions too); None = no padding.
            memory, memory_mask: the encoder output ``[B, S, d_model]`` and its mask ``[B, S]``
                (decoder only).
            cache: a :class:`DecoderCache` (decoder only), extended by the ``T`` new positions.
        """
        batch, length = embeds.shape[:2]
        offset = cache.length if cache is not None else 0
        total = offset + length
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != (batch, total):
                raise ValueError(f"attention_mask must be [B, T] = [{batch}, {total}], got {list(attention_mask.shape)}")
            mask = attention_mask[:, None, None, :]  # [B, 1, 1, T_total]: keys that are real tokens
        if self.is_decoder:  # §2.1 / Vaswani §3.2.3: no attention to later positions
            causal = causal_mask(length, total, device=embeds.device)  # [T, T_total], aligned to the end
            mask = causal if mask is None else mask & causal
        bias = self.relative_bias(length, total, offset)  # [1, H, T, T_total], shared by all layers
        cross_mask = memory_mask[:, None, None, :] if memory_mask is not None else None
        x = self.dropout(embeds)
        for i, layer in enumerate(self.layers):
            x = layer(x, position_bias=bias, mask=mask, memory=memory, memory_mask=cross_mask,
                      self_cache=cache.self_attn[i] if cache is not None else None,
                      cross_cache=cache.cross_attn[i] if cache is not None else None)
        return self.dropout(self.final_norm(x))


# --------------------------------------------------------------------------- the model


def _bool_mask(mask: Tensor | None, ids: Tensor, name: str) -> Tensor | None:
    if mask is None:
        return None
    if mask.shape != ids.shape:
        raise ValueError(f"{name} must have the shape of its ids {list(ids.shape)} (1 = real token, 0 = padding), "
                         f"got {list(mask.shape)}")
    if mask.dtype != torch.bool:
        if mask.is_floating_point() or mask.is_complex():
            if not ((mask == 0) | (mask == 1)).all():
                raise ValueError(f"{name} must hold 0/1 (or bool), got other values")
        mask = mask != 0
    return mask


class T5ForConditionalGeneration(nn.Module):
    """T5 (§2.1): shared embedding, encoder, decoder, output layer; ``forward`` returns logits.

    Attributes:
        shared: ``nn.Embedding(V, d_model)`` for encoder and decoder inputs (and the output layer
            when tied).
        encoder, decoder: :class:`T5Stack`.
        lm_head: ``nn.Linear(d_model, V, bias=False)`` when not tied, else None.
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.config = config
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, is_decoder=False)
        self.decoder = T5Stack(config, is_decoder=True)
        self.lm_head = None if config.tie_word_embeddings else nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Mesh TensorFlow's initialization (as transformers' ``T5PreTrainedModel._init_weights``).

        Normal with std ``1`` for the embedding (and an untied output layer); ``d_model^-1/2`` for
        ``k``, ``v``, ``W_i`` and the relative-bias tables; ``(d_model * d_kv)^-1/2`` for ``q`` (the
        logit scale ``1/sqrt(d_kv)`` folded into it); ``(H * d_kv)^-1/2`` for ``o``; ``d_ff^-1/2``
        for ``W_o``; norms at 1.
        """
        c = self.config
        nn.init.normal_(self.shared.weight, std=1.0)
        if self.lm_head is not None:
            nn.init.normal_(self.lm_head.weight, std=1.0)
        for module in self.modules():
            if isinstance(module, T5Attention):
                nn.init.normal_(module.q.weight, std=(c.d_model * c.d_kv) ** -0.5)
                nn.init.normal_(module.k.weight, std=c.d_model ** -0.5)
                nn.init.normal_(module.v.weight, std=c.d_model ** -0.5)
                nn.init.normal_(module.o.weight, std=(c.num_heads * c.d_kv) ** -0.5)
            elif isinstance(module, T5FeedForward):
                for name in ("wi", "wi_0", "wi_1"):
                    if hasattr(module, name):
                        nn.init.normal_(getattr(module, name).weight, std=c.d_model ** -0.5)
                nn.init.normal_(module.wo.weight, std=c.d_ff ** -0.5)
            elif isinstance(module, RelativePositionBias):
                nn.init.normal_(module.embedding.weight, std=c.d_model ** -0.5)
            elif isinstance(module, RMSNorm):
                nn.init.ones_(module.weight)

    # ----------------------------------------------------------------- pieces

    def _check_ids(self, ids: Tensor, name: str) -> None:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"{name} must be an int64 [B, L] tensor, got {ids.dtype} {list(ids.shape)}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size):
            raise ValueError(f"{name} holds ids outside [0, vocab_size={self.config.vocab_size}): "
                             f"min {int(ids.min())}, max {int(ids.max())}")

    def encode(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """``input_ids`` ``[B, S]`` (``attention_mask`` ``[B, S]``, 1 = real token) -> ``[B, S, d_model]``."""
        self._check_ids(input_ids, "input_ids")
        mask = _bool_mask(attention_mask, input_ids, "attention_mask")
        return self.encoder(self.shared(input_ids), mask)

    def decode(self, decoder_input_ids: Tensor, memory: Tensor, attention_mask: Tensor | None = None,
               decoder_attention_mask: Tensor | None = None, cache: DecoderCache | None = None) -> Tensor:
        """Logits ``[B, T, V]`` for ``decoder_input_ids`` ``[B, T]`` given the encoder output
        ``memory`` ``[B, S, d_model]`` (``attention_mask`` ``[B, S]`` its padding).

        With a ``cache``, ``decoder_input_ids`` are the new positions only and
        ``decoder_attention_mask`` (if any) covers the cached positions too.
        """
        self._check_ids(decoder_input_ids, "decoder_input_ids")
        if memory.dim() != 3 or memory.shape[0] != decoder_input_ids.shape[0] or memory.shape[2] != self.config.d_model:
            raise ValueError(f"memory must be [B={decoder_input_ids.shape[0]}, S, d_model={self.config.d_model}], "
                             f"got {list(memory.shape)}")
        memory_mask = None
        if attention_mask is not None:
            if attention_mask.shape != memory.shape[:2]:
                raise ValueError(f"attention_mask must be [B, S] = {list(memory.shape[:2])}, got "
                                 f"{list(attention_mask.shape)}")
            memory_mask = attention_mask if attention_mask.dtype == torch.bool else attention_mask != 0
        dec_mask = None
        if decoder_attention_mask is not None:
            dec_mask = decoder_attention_mask if decoder_attention_mask.dtype == torch.bool else decoder_attention_mask != 0
        hidden = self.decoder(self.shared(decoder_input_ids), dec_mask, memory=memory, memory_mask=memory_mask,
                              cache=cache)
        return self.lm_logits(hidden)

    def lm_logits(self, hidden: Tensor) -> Tensor:
        """The output layer: ``[B, T, d_model]`` -> ``[B, T, V]``; tied: ``(h * d_model^-1/2) E^T``."""
        if self.config.rescale_output:
            hidden = hidden * self.config.d_model ** -0.5
        weight = self.shared.weight if self.lm_head is None else self.lm_head.weight
        return hidden @ weight.t()

    def shift_right(self, labels: Tensor) -> Tensor:
        """Decoder inputs for teacher forcing: ``[start, y_0, ..., y_{T-2}]`` with ``-100`` -> pad."""
        if labels.dim() != 2:
            raise ValueError(f"labels must be [B, T], got {list(labels.shape)}")
        shifted = labels.new_full(labels.shape, self.config.start_token_id)
        shifted[:, 1:] = labels[:, :-1]
        return shifted.masked_fill(shifted == -100, self.config.pad_token_id)

    def forward(self, input_ids: Tensor, decoder_input_ids: Tensor | None = None, *,
                attention_mask: Tensor | None = None, decoder_attention_mask: Tensor | None = None,
                labels: Tensor | None = None) -> Tensor:
        """Teacher-forced logits ``[B, T, V]``.

        Args:
            input_ids: ``[B, S]`` encoder input (text with its task prefix, or a span-corrupted text).
            decoder_input_ids: ``[B, T]``; if None, ``shift_right(labels)``.
            attention_mask: ``[B, S]``, 1 = real token, 0 = padding.
            decoder_attention_mask: ``[B, T]``, 1 = real token (combined with the causal mask).
            labels: ``[B, T]`` targets (only used to make ``decoder_input_ids``).
        """
        if decoder_input_ids is None:
            if labels is None:
                raise ValueError("give decoder_input_ids or labels (to be shifted right)")
            decoder_input_ids = self.shift_right(labels)
        memory = self.encode(input_ids, attention_mask)
        mask = _bool_mask(attention_mask, input_ids, "attention_mask")
        dec_mask = _bool_mask(decoder_attention_mask, decoder_input_ids, "decoder_attention_mask")
        return self.decode(decoder_input_ids, memory, mask, dec_mask)

    @staticmethod
    def loss(logits: Tensor, labels: Tensor) -> Tensor:
        """Mean cross-entropy over the target tokens that are not ``-100`` (§3.1.4's maximum-likelihood
        objective for every task). ``logits`` ``[B, T, V]``, ``labels`` ``[B, T]``."""
        if logits.shape[:2] != labels.shape:
            raise ValueError(f"labels must be [B, T] = {list(logits.shape[:2])}, got {list(labels.shape)}")
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)

    def new_cache(self) -> DecoderCache:
        return DecoderCache(len(self.decoder.layers))

    @torch.no_grad()
    def generate(self, input_ids: Tensor, attention_mask: Tensor | None = None, *, max_new_tokens: int = 32,
                 use_cache: bool = True) -> Tensor:
        """Greedy decoding: ``[B, S]`` -> ``[B, N]`` generated ids (``N <= max_new_tokens``), each row
        ending at its first end-of-sequence token and padded with ``pad_token_id`` after it.

        ``use_cache=False`` recomputes the whole decoder prefix every step (the same result, slower).
        """
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}")
        c = self.config
        memory = self.encode(input_ids, attention_mask)
        mask = _bool_mask(attention_mask, input_ids, "attention_mask")
        batch = input_ids.shape[0]
        prefix = torch.full((batch, 1), c.start_token_id, dtype=torch.long, device=input_ids.device)
        done = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
        cache = self.new_cache() if use_cache else None
        out = []
        for _ in range(max_new_tokens):
            step_ids = prefix[:, -1:] if use_cache else prefix
            logits = self.decode(step_ids, memory, mask, cache=cache)[:, -1]
            token = logits.argmax(-1).masked_fill(done, c.pad_token_id)
            out.append(token)
            done = done | (token == c.eos_token_id)
            prefix = torch.cat([prefix, token[:, None]], dim=1)
            if bool(done.all()):
                break
        return torch.stack(out, dim=1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
