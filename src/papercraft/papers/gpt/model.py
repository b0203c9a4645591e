"""GPT-1 and GPT-2: one decoder-only Transformer, with the differences between the two papers explicit.

Radford et al. 2018 (GPT-1, "Improving Language Understanding by Generative Pre-Training") train a
12-layer Transformer decoder as a language model (§3.1, Eq. 1: maximize
``sum_i log P(u_i | u_{i-k}, ..., u_{i-1})``) and then fine-tune it on a labelled task with the
language-modelling loss kept as an auxiliary objective (§3.2, Eq. 3: ``L3 = L2 + lambda * L1``,
lambda = 0.5). Radford et al. 2019 (GPT-2) keep the architecture with a few changes (§2.3):

=========================  ===============================  =====================================
                           GPT-1 (``variant="gpt1"``)       GPT-2 (``variant="gpt2"``)
=========================  ===============================  =====================================
LayerNorm position         after each residual (post-LN,    at the input of each sub-block
                           as in the original Transformer)  (pre-LN), "similar to a pre-activation
                                                            residual network"
final LayerNorm            none                             one after the last block
residual-projection init   N(0, 0.02)                       N(0, 0.02 / sqrt(2 * n_layer)): "scale
                                                            the weights of residual layers at
                                                            initialization by 1/sqrt(N)"
positions                  learned                          learned
output layer               tied to the token embedding      tied to the token embedding
activation                 GELU (tanh approximation)        GELU (tanh approximation)
=========================  ===============================  =====================================

The attention itself is the Transformer's (:mod:`papercraft.papers.transformer.attention`),
causally masked; the LayerNorm is the ``normalization`` entry's (Ba et al. 2016, eps 1e-5 in both
releases). :class:`GPT` takes the normalization as a factory ``norm(dim) -> nn.Module`` (default:
that LayerNorm), so that another paper's experiment can swap it (e.g. RMSNorm) without a flag in
GPT's configuration. ``fast=True`` swaps in fused kernels (``F.scaled_dot_product_attention``, and
``F.layer_norm`` in the default LayerNorm) that compute the same function; the tests check both
paths agree. The loss can use :func:`papercraft.papers.gpt.loss.chunked_linear_cross_entropy`,
which never materializes the ``[tokens, vocab]`` logits.

Shapes: ``B`` batch, ``T`` sequence length, ``d`` = ``d_model``, ``V`` = ``vocab_size``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.gpt.loss import chunked_linear_cross_entropy, linear_cross_entropy
from papercraft.papers.normalization.layers import LayerNorm
from papercraft.papers.transformer.attention import KVCache, LearnedPositions, MultiHeadAttention, causal_mask

__all__ = ["GPTConfig", "GPT", "NormFactory", "layer_norm_factory", "GPTClassifier", "CausalSelfAttention",
           "sample_next_token", "from_hf_gpt2_state_dict", "from_hf_openai_gpt_state_dict", "to_hf_gpt2_state_dict"]


@dataclass
class GPTConfig:
    """Hyper-parameters. Defaults are GPT-2 small (117M) except ``variant``-independent fields.

    ``fast`` selects fused attention (and, with the default norm, LayerNorm) kernels;
    ``loss_chunk`` > 0 uses the chunked loss. The normalization layer is not configured here but
    passed to :class:`GPT` as a factory.
    """

    vocab_size: int = 50257
    max_length: int = 1024  # n_positions / context size
    n_layer: int = 12
    n_head: int = 12
    d_model: int = 768
    d_ff: int | None = None  # 4 * d_model (§4.1 of GPT-1: 3072 for 768)
    variant: str = "gpt2"  # "gpt1" (post-LN) or "gpt2" (pre-LN + final LN + scaled residual init)
    dropout: float = 0.1  # on embeddings, attention weights and residual branches (GPT-1 §4.1)
    fast: bool = False
    loss_chunk: int = 0  # rows per chunk of the fused output layer + loss (0: plain cross-entropy)

    def __post_init__(self) -> None:
        if self.variant not in ("gpt1", "gpt2"):
            raise ValueError(f"variant must be 'gpt1' or 'gpt2', got {self.variant!r}")
        if self.n_head < 1 or self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})")
        for name in ("vocab_size", "max_length", "n_layer"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def ff_width(self) -> int:
        return self.d_ff or 4 * self.d_model

    def to_dict(self) -> dict:
        return asdict(self)


NormFactory = Callable[[int], nn.Module]
"""Builds the normalization layer of width ``dim``: ``norm(dim)`` maps ``[*, dim]`` -> ``[*, dim]``."""


def layer_norm_factory(cfg: GPTConfig) -> NormFactory:
    """GPT's own normalization: LayerNorm with eps 1e-5 (GPT-1 and GPT-2), the fused kernel when
    ``cfg.fast``. Parameter names (``weight``, ``bias``) match Hugging Face's ``ln_*`` layers."""
    return lambda dim: LayerNorm(dim, eps=1e-5, fused=cfg.fast)


class CausalSelfAttention(MultiHeadAttention):
    """The Transformer's multi-head attention, masked so position ``i`` sees only ``j <= i``.

    ``fast=True`` computes the same thing with ``F.scaled_dot_product_attention``.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float, fast: bool) -> None:
        super().__init__(d_model, n_heads, bias=True, dropout=dropout)
        self.fast = fast

    def forward(self, x: Tensor, kv_cache: KVCache | None = None) -> Tensor:  # type: ignore[override]
        """``x``: ``[B, T, d]`` -> ``[B, T, d]``; with a cache, ``x`` holds the new positions only."""
        if not self.fast:
            return super().forward(x, causal=True, kv_cache=kv_cache)
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected x [B, T, d_model={self.d_model}], got {list(x.shape)}")
        b, t, _ = x.shape
        q, k, v = (self._split_heads(proj(x)) for proj in (self.q_proj, self.k_proj, self.v_proj))
        if kv_cache is not None:
            k, v = kv_cache.append(k, v)
        p = self.dropout if self.training else 0.0
        if k.shape[2] == t:  # no earlier positions: the fused kernel's own causal mask
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        elif t == 1:  # one new token attends to everything cached
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(t, k.shape[2], x.device), dropout_p=p)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, self.d_model))


class MLP(nn.Module):
    """Position-wise feed-forward network: ``Linear(d, 4d) -> GELU -> Linear(4d, d)``."""

    def __init__(self, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff)
        self.proj = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        # GPT-1 §4.1: "Gaussian Error Linear Unit"; both releases use the tanh approximation.
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    """One decoder layer; ``variant`` says where the norms go (the GPT-1/GPT-2 difference)."""

    def __init__(self, cfg: GPTConfig, norm: NormFactory) -> None:
        super().__init__()
        self.pre_ln = cfg.variant == "gpt2"
        self.attn = CausalSelfAttention(cfg.d_model, cfg.n_head, cfg.dropout, cfg.fast)
        self.norm1 = norm(cfg.d_model)
        self.mlp = MLP(cfg.d_model, cfg.ff_width)
        self.norm2 = norm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, kv_cache: KVCache | None = None) -> Tensor:
        if self.pre_ln:  # GPT-2 §2.3: x + f(LN(x)); the residual stream itself is never normalized
            x = x + self.drop(self.attn(self.norm1(x), kv_cache))
            return x + self.drop(self.mlp(self.norm2(x)))
        # GPT-1 (= Vaswani et al. §3.1): LN(x + f(x)) after each sub-layer
        x = self.norm1(x + self.drop(self.attn(x, kv_cache)))
        return self.norm2(x + self.drop(self.mlp(x)))


class GPT(nn.Module):
    """The decoder-only language model. ``forward(idx)`` -> logits ``[B, T, V]``.

    ``norm`` builds every normalization layer (``norm(d_model)``); the default is GPT's LayerNorm
    (:func:`layer_norm_factory`). The ``normalization`` entry's experiment passes RMSNorm's.
    """

    def __init__(self, cfg: GPTConfig, norm: NormFactory | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        norm = norm if norm is not None else layer_norm_factory(cfg)
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.wpe = LearnedPositions(cfg.max_length, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg, norm) for _ in range(cfg.n_layer))
        self.norm_f = norm(cfg.d_model) if cfg.variant == "gpt2" else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-1 §4.1: "a simple weight initialization of N(0, 0.02) was sufficient"; GPT-2 §2.3
        additionally scales the residual projections by ``1/sqrt(N)``, N = 2 per layer (attention
        and MLP each add one residual branch)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01 if self.cfg.variant == "gpt2" else 0.02)
        if self.cfg.variant == "gpt2":
            std = 0.02 / math.sqrt(2 * self.cfg.n_layer)
            for block in self.blocks:
                nn.init.normal_(block.attn.out_proj.weight, std=std)
                nn.init.normal_(block.mlp.proj.weight, std=std)

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Parameter count; Kaplan et al. (and our scaling plot) exclude the embeddings."""
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.wte.weight.numel() + self.wpe.weight.numel()
        return n

    def new_cache(self) -> list[KVCache]:
        return [KVCache() for _ in self.blocks]

    def hidden_states(self, idx: Tensor, cache: list[KVCache] | None = None) -> Tensor:
        """``idx`` ``[B, T]`` int64 -> final hidden states ``[B, T, d]`` (after ``norm_f`` for GPT-2).

        With ``cache`` (one :class:`KVCache` per layer), ``idx`` holds only the new positions and
        they are numbered after the cached ones.
        """
        if idx.dim() != 2 or idx.dtype != torch.long:
            raise ValueError(f"expected int64 token ids [B, T], got {idx.dtype} {list(idx.shape)}")
        offset = cache[0].length if cache else 0
        if offset + idx.shape[1] > self.cfg.max_length:
            raise ValueError(f"sequence of {offset + idx.shape[1]} tokens exceeds max_length {self.cfg.max_length}")
        if cache is not None and len(cache) != len(self.blocks):
            raise ValueError(f"cache must hold one KVCache per layer ({len(self.blocks)}), got {len(cache)}")
        x = self.drop(self.wte(idx) + self.wpe(idx.shape[1], offset))  # GPT-1 Eq. (2): h0 = U We + Wp
        for i, block in enumerate(self.blocks):
            x = block(x, cache[i] if cache is not None else None)
        return self.norm_f(x) if self.norm_f is not None else x

    def logits(self, h: Tensor) -> Tensor:
        """Tied output layer (GPT-1 Eq. 2: ``P(u) = softmax(h_n W_e^T)``): ``[..., d]`` -> ``[..., V]``."""
        return h @ self.wte.weight.t()

    def forward(self, idx: Tensor, cache: list[KVCache] | None = None) -> Tensor:
        """``idx`` ``[B, T]`` -> logits ``[B, T, V]``."""
        return self.logits(self.hidden_states(idx, cache))

    def lm_loss(self, idx: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
        """Mean next-token cross-entropy (GPT-1 Eq. 1): ``idx``, ``targets`` ``[B, T]`` -> scalar.

        Uses the chunked output layer + loss when ``cfg.loss_chunk > 0`` (same value and gradients).
        """
        if targets.shape != idx.shape:
            raise ValueError(f"targets must have idx's shape {list(idx.shape)}, got {list(targets.shape)}")
        h = self.hidden_states(idx).reshape(-1, self.cfg.d_model)
        if self.cfg.loss_chunk > 0:
            return chunked_linear_cross_entropy(h, self.wte.weight, targets.reshape(-1), ignore_index, self.cfg.loss_chunk)
        return linear_cross_entropy(h, self.wte.weight, targets.reshape(-1), ignore_index)

    @torch.no_grad()
    def generate(self, idx: Tensor, max_new_tokens: int, *, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, greedy: bool = False, use_cache: bool = True,
                 generator: torch.Generator | None = None) -> Tensor:
        """Continue ``idx`` ``[B, T]`` by ``max_new_tokens`` tokens -> ``[B, T + max_new_tokens]``.

        With ``use_cache`` each step feeds only the newest token and attends to the cached keys and
        values (O(T) per step instead of O(T^2)); without, the whole prefix is recomputed.
        """
        if idx.dim() != 2:
            raise ValueError(f"expected idx [B, T], got {list(idx.shape)}")
        if idx.shape[1] + max_new_tokens > self.cfg.max_length:
            raise ValueError(f"prompt ({idx.shape[1]}) + max_new_tokens ({max_new_tokens}) exceeds max_length "
                             f"{self.cfg.max_length}")
        cache = self.new_cache() if use_cache else None
        out, step_input = idx, idx
        for _ in range(max_new_tokens):
            h = self.hidden_states(step_input if use_cache else out, cache)
            next_logits = self.logits(h[:, -1])  # [B, V]: only the last position is needed
            nxt = sample_next_token(next_logits, temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy,
                                    generator=generator)
            out = torch.cat([out, nxt], dim=1)
            step_input = nxt
        return out


def sample_next_token(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                      greedy: bool = False, generator: torch.Generator | None = None) -> Tensor:
    """Draw one token per row from ``logits`` ``[B, V]`` -> ``[B, 1]``.

    temperature: divide the logits (< 1 sharpens, > 1 flattens). top_k: keep the k largest logits.
    top_p (nucleus, Holtzman et al. 2019): keep the smallest set of tokens whose probability sums to
    at least p. ``greedy`` takes the arg-max.
    """
    if logits.dim() != 2:
        raise ValueError(f"expected logits [B, V], got {list(logits.shape)}")
    if greedy:
        return logits.argmax(dim=-1, keepdim=True)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 (use greedy=True for arg-max), got {temperature}")
    logits = logits / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        # drop a token if the tokens ranked above it already reach p (the top token always stays)
        drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= top_p
        drop = drop_sorted.scatter(1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=generator)


class GPTClassifier(nn.Module):
    """GPT-1 §3.2: a linear layer on the final hidden state of each input's last token.

    ``forward(idx, lengths)`` -> class logits ``[B, n_classes]``; ``loss`` adds the auxiliary LM
    objective (Eq. 3: ``L3 = L2 + lambda * L1``). ``pool="mean"`` (not GPT-1's choice) averages the
    final hidden states over the sequence instead of taking the last token's.
    """

    def __init__(self, gpt: GPT, n_classes: int, dropout: float = 0.1, pool: str = "last") -> None:
        super().__init__()
        if pool not in ("last", "mean"):
            raise ValueError(f"pool must be 'last' or 'mean', got {pool!r}")
        self.gpt, self.n_classes, self.pool = gpt, n_classes, pool
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(gpt.cfg.d_model, n_classes)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, idx: Tensor, lengths: Tensor | None = None) -> Tensor:
        logits, _ = self.forward_with_hidden(idx, lengths)
        return logits

    def forward_with_hidden(self, idx: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Class logits ``[B, n_classes]`` and the hidden states ``[B, T, d]`` (for the LM loss)."""
        h = self.gpt.hidden_states(idx)
        last = (lengths - 1) if lengths is not None else torch.full((idx.shape[0],), idx.shape[1] - 1, device=idx.device)
        if self.pool == "mean":
            keep = (torch.arange(idx.shape[1], device=idx.device)[None] <= last[:, None]).to(h.dtype)  # [B, T]
            pooled = (h * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
        else:
            pooled = h[torch.arange(idx.shape[0], device=idx.device), last]  # h_l^m of the last token
        return self.head(self.drop(pooled)), h

    def loss(self, idx: Tensor, labels: Tensor, lm_weight: float = 0.5, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(L3, class logits)``: cross-entropy on ``labels`` ``[B]`` plus ``lm_weight`` x the LM loss."""
        logits, h = self.forward_with_hidden(idx, lengths)
        loss = F.cross_entropy(logits, labels)
        if lm_weight:
            lm_targets = idx[:, 1:].clone()
            if lengths is not None:  # no LM loss on padding
                positions = torch.arange(1, idx.shape[1], device=idx.device)[None]
                lm_targets[positions >= lengths[:, None]] = -100
            lm = linear_cross_entropy(h[:, :-1].reshape(-1, h.shape[-1]), self.gpt.wte.weight, lm_targets.reshape(-1))
            loss = loss + lm_weight * lm
        return loss, logits


# --------------------------------------------------------------------------- Hugging Face format


def _hf_block_map(prefix: str, ours: str) -> list[tuple[str, str, str]]:
    """(hf key, our key, kind) for one block; kind says how the tensor is converted."""
    return [
        (f"{prefix}.ln_1.weight", f"{ours}.norm1.weight", "copy"),
        (f"{prefix}.ln_1.bias", f"{ours}.norm1.bias", "copy"),
        (f"{prefix}.attn.c_attn.weight", f"{ours}.attn.", "qkv_weight"),
        (f"{prefix}.attn.c_attn.bias", f"{ours}.attn.", "qkv_bias"),
        (f"{prefix}.attn.c_proj.weight", f"{ours}.attn.out_proj.weight", "conv1d"),
        (f"{prefix}.attn.c_proj.bias", f"{ours}.attn.out_proj.bias", "copy"),
        (f"{prefix}.ln_2.weight", f"{ours}.norm2.weight", "copy"),
        (f"{prefix}.ln_2.bias", f"{ours}.norm2.bias", "copy"),
        (f"{prefix}.mlp.c_fc.weight", f"{ours}.mlp.fc.weight", "conv1d"),
        (f"{prefix}.mlp.c_fc.bias", f"{ours}.mlp.fc.bias", "copy"),
        (f"{prefix}.mlp.c_proj.weight", f"{ours}.mlp.proj.weight", "conv1d"),
        (f"{prefix}.mlp.c_proj.bias", f"{ours}.mlp.proj.bias", "copy"),
    ]


def _convert(sd: Mapping[str, Tensor], base: str, emb: tuple[str, str], final_norm: bool, n_layer: int) -> dict[str, Tensor]:
    if not any(k.startswith(base) for k in sd):
        base = ""  # a bare GPT2Model / OpenAIGPTModel state dict has no "transformer." prefix
    out: dict[str, Tensor] = {
        "wte.weight": sd[base + emb[0]],
        "wpe.weight": sd[base + emb[1]],
    }
    for i in range(n_layer):
        for hf_key, key, kind in _hf_block_map(f"{base}h.{i}", f"blocks.{i}"):
            if hf_key not in sd:
                raise ValueError(f"Hugging-Face state dict lacks '{hf_key}' (expected {n_layer} layers)")
            t = sd[hf_key]
            if kind == "copy":
                out[key] = t
            elif kind == "conv1d":
                # HF's Conv1D computes x @ W + b with W [in, out]; nn.Linear stores W [out, in].
                out[key] = t.t()
            elif kind == "qkv_weight":  # c_attn fuses q, k, v: [d, 3d] -> three [d, d] Linear weights
                for name, part in zip(("q_proj", "k_proj", "v_proj"), t.t().chunk(3, dim=0), strict=True):
                    out[key + name + ".weight"] = part
            elif kind == "qkv_bias":
                for name, part in zip(("q_proj", "k_proj", "v_proj"), t.chunk(3, dim=0), strict=True):
                    out[key + name + ".bias"] = part
    if final_norm:
        out["norm_f.weight"] = sd[base + "ln_f.weight"]
        out["norm_f.bias"] = sd[base + "ln_f.bias"]
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def from_hf_gpt2_state_dict(sd: Mapping[str, Tensor], cfg: GPTConfig) -> dict[str, Tensor]:
    """Convert a Hugging-Face ``GPT2LMHeadModel``/``GPT2Model`` state dict to :class:`GPT`'s keys.

    Conv1D weights are transposed; the fused ``c_attn`` is split into q/k/v; ``lm_head.weight``
    is tied to ``wte`` and dropped; the ``attn.bias`` mask buffers of old checkpoints are ignored.
    """
    if cfg.variant != "gpt2":
        raise ValueError("from_hf_gpt2_state_dict needs a GPTConfig with variant='gpt2'")
    return _convert(sd, "transformer.", ("wte.weight", "wpe.weight"), True, cfg.n_layer)


def from_hf_openai_gpt_state_dict(sd: Mapping[str, Tensor], cfg: GPTConfig) -> dict[str, Tensor]:
    """Convert a Hugging-Face ``OpenAIGPTLMHeadModel``/``OpenAIGPTModel`` state dict (GPT-1)."""
    if cfg.variant != "gpt1":
        raise ValueError("from_hf_openai_gpt_state_dict needs a GPTConfig with variant='gpt1'")
    return _convert(sd, "transformer.", ("tokens_embed.weight", "positions_embed.weight"), False, cfg.n_layer)


def to_hf_gpt2_state_dict(model: GPT) -> dict[str, Tensor]:
    """The inverse of :func:`from_hf_gpt2_state_dict` (for GPT-2 models): HF ``GPT2LMHeadModel`` keys."""
    if model.cfg.variant != "gpt2":
        raise ValueError("to_hf_gpt2_state_dict needs a variant='gpt2' model")
    sd = model.state_dict()
    out = {"transformer.wte.weight": sd["wte.weight"], "transformer.wpe.weight": sd["wpe.weight"],
           "transformer.ln_f.weight": sd["norm_f.weight"], "transformer.ln_f.bias": sd["norm_f.bias"],
           "lm_head.weight": sd["wte.weight"]}
    for i in range(model.cfg.n_layer):
        for hf_key, key, kind in _hf_block_map(f"transformer.h.{i}", f"blocks.{i}"):
            if kind == "copy":
                out[hf_key] = sd[key]
            elif kind == "conv1d":
                out[hf_key] = sd[key].t()
            elif kind == "qkv_weight":
                out[hf_key] = torch.cat([sd[key + n + ".weight"] for n in ("q_proj", "k_proj", "v_proj")], 0).t()
            else:
                out[hf_key] = torch.cat([sd[key + n + ".bias"] for n in ("q_proj", "k_proj", "v_proj")], 0)
    return {k: v.detach().clone().contiguous() for k, v in out.items()}
