"""Attention (transformer entry) against torch's own: F.scaled_dot_product_attention and nn.MultiheadAttention.

Weights are copied into the oracle; outputs AND gradients are compared in float64 with tight tolerances.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.transformer.attention import (
    KVCache,
    LearnedPositions,
    MultiHeadAttention,
    causal_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
)

TOL = dict(rtol=1e-9, atol=1e-10)


def _qkv(b=2, h=3, tq=5, tk=7, d=4, dv=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    mk = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True)  # noqa: E731
    return mk(b, h, tq, d), mk(b, h, tk, d), mk(b, h, tk, dv)


def _grads(out, *tensors, seed=1):
    g = torch.Generator().manual_seed(seed)
    upstream = torch.randn(out.shape, generator=g, dtype=out.dtype)
    return torch.autograd.grad(out, tensors, upstream)


@pytest.mark.parametrize("case", ["none", "mask", "causal", "causal_square", "mask_and_causal"])
def test_sdpa_matches_torch(case):
    tq, tk = (5, 5) if case == "causal_square" else (5, 7)
    q, k, v = _qkv(tq=tq, tk=tk)
    mask = None
    if case in ("mask", "mask_and_causal"):
        g = torch.Generator().manual_seed(3)
        mask = torch.rand(2, 1, tq, tk, generator=g) > 0.3
        mask[..., -1] = True  # every row keeps a key (torch gives NaN for empty rows)
    causal = case.startswith("causal") or case == "mask_and_causal"
    ours = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
    # torch's is_causal is aligned to the top-left; ours to the end (KV-cache convention): pass an explicit mask.
    ref_mask = mask
    if causal:
        tri = causal_mask(tq, tk)
        ref_mask = tri if ref_mask is None else ref_mask & tri
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=ref_mask)
    torch.testing.assert_close(ours, ref, **TOL)
    for a, b in zip(_grads(ours, q, k, v), _grads(ref, q, k, v)):
        torch.testing.assert_close(a, b, **TOL)


def test_sdpa_square_causal_equals_torch_is_causal():
    q, k, v = _qkv(tq=6, tk=6)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, causal=True),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL)


def test_causal_mask_aligned_to_end():
    m = causal_mask(2, 4)
    assert m.tolist() == [[True, True, True, False], [True, True, True, True]]


def test_fully_masked_rows_are_zero_not_nan():
    q, k, v = _qkv(tq=3, tk=4)
    mask = torch.ones(1, 1, 3, 4, dtype=torch.bool)
    mask[..., 1, :] = False
    out, w = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    assert torch.isfinite(out).all()
    assert (out[:, :, 1] == 0).all() and (w[:, :, 1] == 0).all()
    torch.testing.assert_close(w.sum(-1)[:, :, [0, 2]], torch.ones(2, 3, 2, dtype=torch.float64))
    grads = _grads(out, q, k, v)
    assert all(torch.isfinite(g).all() for g in grads)
    assert (grads[0][:, :, 1] == 0).all()


def test_weights_are_softmax_of_scaled_scores():
    q, k, v = _qkv()
    _, w = scaled_dot_product_attention(q, k, v, return_weights=True)
    torch.testing.assert_close(w, torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), -1), **TOL)


def test_dropout_only_in_training_and_scaled():
    q, k, v = _qkv()
    eval_out = scaled_dot_product_attention(q, k, v, dropout_p=0.5, training=False)
    torch.testing.assert_close(eval_out, scaled_dot_product_attention(q, k, v), **TOL)
    torch.manual_seed(0)
    outs = torch.stack([scaled_dot_product_attention(q, k, v, dropout_p=0.5, training=True) for _ in range(400)])
    assert not torch.allclose(outs[0], eval_out)
    torch.testing.assert_close(outs.mean(0), eval_out, rtol=0, atol=0.25)  # inverted dropout is unbiased


@pytest.mark.parametrize("bad", [
    dict(q=(2, 3, 5), k=(2, 3, 7, 4), v=(2, 3, 7, 6)),
    dict(q=(2, 3, 5, 4), k=(2, 3, 7, 5), v=(2, 3, 7, 6)),
    dict(q=(2, 3, 5, 4), k=(2, 3, 7, 4), v=(2, 3, 6, 6)),
])
def test_sdpa_bad_shapes(bad):
    with pytest.raises(ValueError, match=r"\[B, H, Tq, D\]"):
        scaled_dot_product_attention(torch.zeros(bad["q"]), torch.zeros(bad["k"]), torch.zeros(bad["v"]))


def test_sdpa_bad_masks():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="bool"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 7))
    with pytest.raises(ValueError, match=r"not broadcastable to \[B, H, Tq, Tk\] = \[2, 3, 5, 7\]"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 6, dtype=torch.bool))
    with pytest.raises(ValueError, match="Tq <= Tk"):
        scaled_dot_product_attention(k, q, q, causal=True)


def _copy_to_torch_mha(ours: MultiHeadAttention, bias: bool, kdim=None, vdim=None) -> nn.MultiheadAttention:
    ref = nn.MultiheadAttention(ours.d_model, ours.n_heads, bias=bias, batch_first=True, kdim=kdim, vdim=vdim,
                                dtype=torch.float64)
    with torch.no_grad():
        if ref._qkv_same_embed_dim:
            ref.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
        else:
            ref.q_proj_weight.copy_(ours.q_proj.weight)
            ref.k_proj_weight.copy_(ours.k_proj.weight)
            ref.v_proj_weight.copy_(ours.v_proj.weight)
        if bias:
            ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
            ref.out_proj.bias.copy_(ours.out_proj.bias)
        ref.out_proj.weight.copy_(ours.out_proj.weight)
    return ref


def _param_grads(module, out, upstream):
    params = [p for p in module.parameters()]
    return torch.autograd.grad(out, params, upstream, retain_graph=True)


@pytest.mark.parametrize("mode", ["self", "self_padding_causal", "cross_padding", "cross_kdim", "nobias_attn_mask"])
def test_mha_matches_nn_multiheadattention(mode):
    torch.manual_seed(0)
    d, h, b, tq, tk = 16, 4, 3, 5, 7
    bias = mode != "nobias_attn_mask"
    kdim = vdim = 10 if mode == "cross_kdim" else None
    ours = MultiHeadAttention(d, h, bias=bias, kdim=kdim, vdim=vdim).double()
    ref = _copy_to_torch_mha(ours, bias, kdim, vdim)
    x = torch.randn(b, tq, d, dtype=torch.float64, requires_grad=True)
    if mode.startswith("self"):
        mem, tk = x, tq
    else:
        mem = torch.randn(b, tk, kdim or d, dtype=torch.float64, requires_grad=True)
    pad = None
    if "padding" in mode:
        pad = torch.zeros(b, tk, dtype=torch.bool)
        pad[1, -2:] = True
        pad[2, -1:] = True
    causal = "causal" in mode
    attn_mask = None
    if mode == "nobias_attn_mask":
        attn_mask = torch.rand(tq, tk, generator=torch.Generator().manual_seed(5)) > 0.4
        attn_mask[:, 0] = True
    out = ours(x, mem, mem, key_padding_mask=pad, attn_mask=attn_mask, causal=causal)
    # torch's attn_mask is True = NOT allowed: invert ours.
    ref_mask = None
    if causal:
        ref_mask = ~causal_mask(tq, tk)
    if attn_mask is not None:
        ref_mask = ~attn_mask
    ref_out, _ = ref(x, mem, mem, key_padding_mask=pad, attn_mask=ref_mask, need_weights=False)
    torch.testing.assert_close(out, ref_out, **TOL)

    upstream = torch.randn_like(out)
    inputs = [x] if mem is x else [x, mem]
    for a, c in zip(torch.autograd.grad(out, inputs, upstream, retain_graph=True),
                    torch.autograd.grad(ref_out, inputs, upstream, retain_graph=True)):
        torch.testing.assert_close(a, c, **TOL)
    g_ours = dict(zip([n for n, _ in ours.named_parameters()], _param_grads(ours, out, upstream)))
    g_ref = dict(zip([n for n, _ in ref.named_parameters()], _param_grads(ref, ref_out, upstream)))
    if kdim is None:
        w_ours = torch.cat([g_ours["q_proj.weight"], g_ours["k_proj.weight"], g_ours["v_proj.weight"]])
        torch.testing.assert_close(w_ours, g_ref["in_proj_weight"], **TOL)
    else:
        for name in ("q", "k", "v"):
            torch.testing.assert_close(g_ours[f"{name}_proj.weight"], g_ref[f"{name}_proj_weight"], **TOL)
    torch.testing.assert_close(g_ours["out_proj.weight"], g_ref["out_proj.weight"], **TOL)
    if bias:
        torch.testing.assert_close(torch.cat([g_ours["q_proj.bias"], g_ours["k_proj.bias"], g_ours["v_proj.bias"]]),
                                   g_ref["in_proj_bias"], **TOL)


def test_mha_kv_cache_equals_full_causal():
    torch.manual_seed(1)
    mha = MultiHeadAttention(16, 4).double().eval()
    x = torch.randn(2, 9, 16, dtype=torch.float64)
    full = mha(x, causal=True)
    cache = KVCache()
    steps = [mha(x[:, :4], causal=True, kv_cache=cache)]  # a prompt, then one token at a time
    for t in range(4, 9):
        steps.append(mha(x[:, t : t + 1], causal=True, kv_cache=cache))
    assert cache.length == 9
    torch.testing.assert_close(torch.cat(steps, 1), full, **TOL)


def test_mha_static_cache_projects_memory_once():
    torch.manual_seed(2)
    mha = MultiHeadAttention(16, 4).double()
    q = torch.randn(2, 3, 16, dtype=torch.float64)
    memory = torch.randn(2, 5, 16, dtype=torch.float64)
    cache = KVCache(static=True)
    first = mha(q[:, :1], memory, kv_cache=cache)
    later = mha(q[:, 1:], memory * 0 + 123.0, kv_cache=cache)  # a static cache ignores new keys
    torch.testing.assert_close(torch.cat([first, later], 1), mha(q, memory), **TOL)
    assert cache.length == 5


def test_mha_bad_inputs():
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    with pytest.raises(ValueError, match=r"\[B, Tq, d_model=8\]"):
        mha(torch.randn(2, 3, 7))
    with pytest.raises(ValueError, match=r"key must be \[B=2, Tk, kdim=8\]"):
        mha(x, torch.randn(3, 4, 8))
    with pytest.raises(ValueError, match=r"key_padding_mask must be a bool \[B, Tk\] = \[2, 3\]"):
        mha(x, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="not broadcastable"):
        mha(x, attn_mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


def test_sinusoidal_positions_formula():
    pe = sinusoidal_positions(50, 16)
    pos, i = 37, 3
    assert pe.shape == (50, 16)
    assert math.isclose(pe[pos, 2 * i].item(), math.sin(pos / 10000 ** (2 * i / 16)), abs_tol=1e-5)
    assert math.isclose(pe[pos, 2 * i + 1].item(), math.cos(pos / 10000 ** (2 * i / 16)), abs_tol=1e-5)
    with pytest.raises(ValueError):
        sinusoidal_positions(4, 7)


def test_learned_positions_offset_and_bounds():
    lp = LearnedPositions(10, 4)
    torch.testing.assert_close(lp(3, offset=2), lp.weight[2:5])
    with pytest.raises(ValueError, match="max_length 10"):
        lp(5, offset=6)
