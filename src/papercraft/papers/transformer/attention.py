"""Attention, as introduced by Vaswani et al. 2017, "Attention Is All You Need" (arXiv 1706.03762).

This module is the building block later papers import (GPT, BERT, T5, ViT, Whisper, ...):

- :func:`scaled_dot_product_attention` — eq. (1), with padding/explicit masks and a causal mask;
- :class:`MultiHeadAttention` — §3.2.2, self- or cross-attention, with an optional :class:`KVCache`
  for incremental decoding;
- :func:`sinusoidal_positions` — §3.5; :class:`LearnedPositions` — the learned alternative the
  paper compares in Table 3 (E) and that GPT/BERT use.

Mask convention everywhere in papercraft: a **boolean mask with True = "may attend"**. The one
exception is ``key_padding_mask`` (True = padding, i.e. ignore that key), named after the
``nn.MultiheadAttention`` argument with the same meaning so the two are easy to compare.

Shapes: ``B`` batch, ``H`` heads, ``Tq`` query length, ``Tk`` key length, ``D`` head width.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "scaled_dot_product_attention",
    "causal_mask",
    "MultiHeadAttention",
    "KVCache",
    "sinusoidal_positions",
    "LearnedPositions",
]


def causal_mask(query_length: int, key_length: int, device: torch.device | None = None) -> Tensor:
    """Bool ``[Tq, Tk]``: query ``i`` may attend key ``j`` iff ``j <= i + (Tk - Tq)``.

    The diagonal is aligned to the *end*: with a KV cache holding ``Tk - Tq`` earlier positions, the
    ``Tq`` new queries are the last ``Tq`` positions of the sequence (§3.2.3: "prevent leftward
    information flow in the decoder").
    """
    return torch.ones(query_length, key_length, dtype=torch.bool, device=device).tril(key_length - query_length)


def _check_mask(mask: Tensor, target: tuple[int, int, int, int], name: str) -> None:
    if mask.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor (True = may attend), got dtype {mask.dtype}")
    try:
        torch.broadcast_shapes(mask.shape, target)
    except RuntimeError:
        raise ValueError(
            f"{name} of shape {list(mask.shape)} is not broadcastable to [B, H, Tq, Tk] = {list(target)}"
        ) from None
    if mask.dim() > 4:
        raise ValueError(f"{name} must have at most 4 dims (broadcastable to [B, H, Tq, Tk]), got {list(mask.shape)}")


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    mask: Tensor | None = None,
    causal: bool = False,
    dropout_p: float = 0.0,
    training: bool = False,
    return_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Eq. (1) of Vaswani et al.: ``softmax(q k^T / sqrt(d_k)) v``.

    Args:
        q: ``[B, H, Tq, D]`` queries.
        k: ``[B, H, Tk, D]`` keys.
        v: ``[B, H, Tk, Dv]`` values.
        mask: bool, broadcastable to ``[B, H, Tq, Tk]``, True = may attend.
        causal: query ``i`` attends keys ``j <= i + (Tk - Tq)`` (aligned to the end, so it works
            with a KV cache).
        dropout_p: dropout on the attention weights (§5.4 applies dropout to sub-layer outputs; the
            reference implementation tensor2tensor also drops attention weights), only if ``training``.
        return_weights: also return the attention weights ``[B, H, Tq, Tk]`` (before dropout).

    Returns:
        ``[B, H, Tq, Dv]`` (and the weights if asked). Rows with no allowed key produce zeros, not
        NaN (a fully padded query row attends to nothing).
    """
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        raise ValueError(
            f"expected q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv] (4-D each); got q {list(q.shape)}, "
            f"k {list(k.shape)}, v {list(v.shape)}"
        )
    batch, heads, tq, d = q.shape
    if k.shape[:2] != (batch, heads) or k.shape[3] != d or v.shape[:3] != k.shape[:3]:
        raise ValueError(
            f"expected q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv] with matching B, H, D and Tk; got "
            f"q {list(q.shape)}, k {list(k.shape)}, v {list(v.shape)}"
        )
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
    tk = k.shape[2]

    # §3.2.1: dividing by sqrt(d_k) keeps the dot products' variance ~1 so softmax does not saturate.
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))  # [B, H, Tq, Tk]

    allowed: Tensor | None = None
    if mask is not None:
        _check_mask(mask, (batch, heads, tq, tk), "mask")
        allowed = mask
    if causal:
        if tq > tk:
            raise ValueError(f"causal attention needs Tq <= Tk (queries are the last Tq positions); got Tq={tq}, Tk={tk}")
        tri = causal_mask(tq, tk, device=q.device)
        allowed = tri if allowed is None else allowed & tri

    if allowed is None:
        weights = scores.softmax(dim=-1)
    else:
        scores = scores.masked_fill(~allowed, float("-inf"))
        # A row with no allowed key would be softmax(all -inf) = NaN. Give such rows finite scores
        # before the softmax and zero their weights after, so both outputs and gradients stay finite.
        empty_row = ~allowed.any(dim=-1, keepdim=True)
        scores = scores.masked_fill(empty_row, 0.0)
        weights = scores.softmax(dim=-1).masked_fill(~allowed, 0.0)

    dropped = F.dropout(weights, p=dropout_p, training=training) if dropout_p > 0.0 else weights
    out = dropped @ v
    return (out, weights) if return_weights else out


class KVCache:
    """Keys and values of the positions already processed, for incremental (one token at a time) decoding.

    Holds ``k``, ``v`` of shape ``[B, H, T, D]`` (``None`` until the first :meth:`append`).

    ``static=True`` is for cross-attention to a fixed memory (the encoder output): the keys and
    values are projected once, on the first call, and reused afterwards.
    """

    def __init__(self, static: bool = False) -> None:
        self.k: Tensor | None = None
        self.v: Tensor | None = None
        self.static = static

    @property
    def length(self) -> int:
        """Number of cached positions ``T``."""
        return 0 if self.k is None else self.k.shape[2]

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Add ``k``, ``v`` ``[B, H, T_new, D]``; return all keys and values ``[B, H, T + T_new, D]``."""
        if k.dim() != 4 or v.dim() != 4 or k.shape[:3] != v.shape[:3]:
            raise ValueError(f"KVCache.append expects k, v [B, H, T_new, D] with matching B, H, T_new; got "
                             f"{list(k.shape)}, {list(v.shape)}")
        if self.k is None:
            self.k, self.v = k, v
        else:
            if k.shape[:2] != self.k.shape[:2] or k.shape[3] != self.k.shape[3] or v.shape[3] != self.v.shape[3]:
                raise ValueError(f"KVCache holds k {list(self.k.shape)}, v {list(self.v.shape)} [B, H, T, D]; cannot "
                                 f"append k {list(k.shape)}, v {list(v.shape)}")
            self.k = torch.cat([self.k, k], dim=2)
            self.v = torch.cat([self.v, v], dim=2)
        return self.k, self.v

    def reorder(self, index: Tensor) -> None:
        """Keep batch rows ``index`` (e.g. the surviving hypotheses of beam search)."""
        if self.k is not None:
            self.k = self.k.index_select(0, index)
            self.v = self.v.index_select(0, index)


class MultiHeadAttention(nn.Module):
    """§3.2.2, eq. (4-5): ``MultiHead(Q, K, V) = Concat(head_1..head_h) W^O``, ``head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)``.

    The ``h`` per-head projections are stored as one ``nn.Linear`` each for queries, keys and
    values (``q_proj``, ``k_proj``, ``v_proj``; the heads are its ``d_model / h``-wide slices) and
    ``out_proj`` for ``W^O``.

    Args:
        d_model: model width (queries' feature size and output size).
        n_heads: number of heads ``h``; must divide ``d_model``.
        bias: whether the four projections have biases.
        dropout: dropout on the attention weights during training.
        kdim, vdim: feature sizes of key and value inputs if they differ from ``d_model`` (cross-attention
            to another model's states).
    """

    def __init__(self, d_model: int, n_heads: int, *, bias: bool = True, dropout: float = 0.0,
                 kdim: int | None = None, vdim: int | None = None) -> None:
        super().__init__()
        if n_heads < 1 or d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.kdim, self.vdim = kdim or d_model, vdim or d_model
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(self.kdim, d_model, bias=bias)
        self.v_proj = nn.Linear(self.vdim, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _split_heads(self, x: Tensor) -> Tensor:
        """``[B, T, d_model]`` -> ``[B, H, T, head_dim]``."""
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                key_padding_mask: Tensor | None = None, attn_mask: Tensor | None = None,
                causal: bool = False, kv_cache: KVCache | None = None) -> Tensor:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: ``[B, Tq, d_model]``.
            key: ``[B, Tk, kdim]``; defaults to ``query`` (self-attention).
            value: ``[B, Tk, vdim]``; defaults to ``key``.
            key_padding_mask: ``[B, Tk]`` bool, True = padding (that key is ignored). With a KV
                cache, ``Tk`` counts the cached positions too.
            attn_mask: bool, broadcastable to ``[B, H, Tq, Tk]``, True = may attend.
            causal: decoder self-attention mask (§3.2.3), aligned to the end of the keys.
            kv_cache: if given, the new keys/values are appended to it and the queries attend to
                all cached positions as well (a ``static`` cache is filled once and then reused,
                ignoring ``key``/``value``).

        Returns:
            ``[B, Tq, d_model]``.
        """
        key = query if key is None else key
        value = key if value is None else value
        if query.dim() != 3 or query.shape[-1] != self.d_model:
            raise ValueError(f"query must be [B, Tq, d_model={self.d_model}], got {list(query.shape)}")
        if key.dim() != 3 or key.shape[0] != query.shape[0] or key.shape[-1] != self.kdim:
            raise ValueError(f"key must be [B={query.shape[0]}, Tk, kdim={self.kdim}], got {list(key.shape)}")
        if value.dim() != 3 or value.shape[:2] != key.shape[:2] or value.shape[-1] != self.vdim:
            raise ValueError(f"value must be [B, Tk, vdim={self.vdim}] with key's B and Tk {list(key.shape[:2])}, "
                             f"got {list(value.shape)}")

        q = self._split_heads(self.q_proj(query))
        if kv_cache is not None and kv_cache.static and kv_cache.length > 0:
            k, v = kv_cache.k, kv_cache.v  # a fixed memory, projected on the first call
        else:
            k = self._split_heads(self.k_proj(key))
            v = self._split_heads(self.v_proj(value))
            if kv_cache is not None:
                k, v = kv_cache.append(k, v)

        batch, tk = q.shape[0], k.shape[2]
        mask = attn_mask
        if key_padding_mask is not None:
            if key_padding_mask.dtype != torch.bool or key_padding_mask.shape != (batch, tk):
                raise ValueError(f"key_padding_mask must be a bool [B, Tk] = [{batch}, {tk}] tensor (True = padding), "
                                 f"got {key_padding_mask.dtype} {list(key_padding_mask.shape)}")
            keep = ~key_padding_mask[:, None, None, :]  # [B, 1, 1, Tk]
            if mask is not None:
                _check_mask(mask, (batch, self.n_heads, q.shape[2], tk), "attn_mask")
            mask = keep if mask is None else mask & keep

        out = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal, dropout_p=self.dropout,
                                           training=self.training)
        out = out.transpose(1, 2).reshape(query.shape[0], query.shape[1], self.d_model)  # concat heads
        return self.out_proj(out)


def sinusoidal_positions(length: int, d_model: int) -> Tensor:
    """§3.5: ``PE(pos, 2i) = sin(pos / 10000^(2i/d_model))``, ``PE(pos, 2i+1) = cos(...)``.

    Returns ``[length, d_model]`` (float32). The paper chose sinusoids because ``PE(pos + k)`` is a
    linear function of ``PE(pos)``, which may let the model attend by relative position.
    """
    if length < 0 or d_model < 1 or d_model % 2:
        raise ValueError(f"sinusoidal_positions needs length >= 0 and an even d_model >= 2, got {length}, {d_model}")
    position = torch.arange(length, dtype=torch.float32)[:, None]  # [length, 1]
    inv_freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    angles = position * inv_freq  # [length, d_model / 2]
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe


class LearnedPositions(nn.Module):
    """Learned position embeddings (Table 3 row (E): "nearly identical results" to sinusoids).

    ``forward(length, offset=0)`` returns ``[length, d_model]`` for positions ``offset .. offset+length-1``
    (``offset`` = positions already in a KV cache).
    """

    def __init__(self, max_length: int, d_model: int) -> None:
        super().__init__()
        self.max_length = max_length
        self.weight = nn.Parameter(torch.empty(max_length, d_model))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, length: int, offset: int = 0) -> Tensor:
        if offset < 0 or offset + length > self.max_length:
            raise ValueError(f"positions {offset}..{offset + length - 1} exceed max_length {self.max_length}")
        return self.weight[offset : offset + length]
