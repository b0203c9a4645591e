"""gpt: parity with transformers' GPT-2 and GPT-1 (weights copied through the HF-format loaders),
KV cache vs no cache, fused vs readable paths, chunked loss vs plain, sampling, the normalization
factory, and the quick preset checked against an independent recomputation."""

from __future__ import annotations

import pytest
import torch
from oracles import oracle

from papercraft.papers.gpt import (
    GPT,
    GPTClassifier,
    GPTConfig,
    chunked_linear_cross_entropy,
    from_hf_gpt2_state_dict,
    from_hf_openai_gpt_state_dict,
    linear_cross_entropy,
    sample_next_token,
    to_hf_gpt2_state_dict,
)

V, T, D, L, H = 97, 16, 32, 2, 4


def _hf_gpt2(seed: int = 0):
    transformers = oracle("transformers")
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(vocab_size=V, n_positions=T, n_embd=D, n_layer=L, n_head=H, resid_pdrop=0.0,
                                  embd_pdrop=0.0, attn_pdrop=0.0, attn_implementation="eager")
    model = transformers.GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():  # non-trivial LayerNorm parameters so a swapped weight/bias would show
        for name, p in model.named_parameters():
            if "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def _hf_gpt1(seed: int = 0):
    transformers = oracle("transformers")
    torch.manual_seed(seed)
    cfg = transformers.OpenAIGPTConfig(vocab_size=V, n_positions=T, n_embd=D, n_layer=L, n_head=H, resid_pdrop=0.0,
                                       embd_pdrop=0.0, attn_pdrop=0.0)
    model = transformers.OpenAIGPTLMHeadModel(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def _ours(variant: str, hf, fast: bool = False, **kw) -> GPT:
    cfg = GPTConfig(vocab_size=V, max_length=T, n_layer=L, n_head=H, d_model=D, variant=variant, dropout=0.0,
                    fast=fast, **kw)
    model = GPT(cfg).eval()
    convert = from_hf_gpt2_state_dict if variant == "gpt2" else from_hf_openai_gpt_state_dict
    model.load_state_dict(convert(hf.state_dict(), cfg))
    return model


def _grads(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("variant", ["gpt2", "gpt1"])
def test_logits_loss_and_gradients_match_transformers(variant, fast):
    hf = _hf_gpt2() if variant == "gpt2" else _hf_gpt1()
    ours = _ours(variant, hf, fast=fast, loss_chunk=5 if fast else 0)
    idx = torch.randint(0, V, (3, T), generator=torch.Generator().manual_seed(1))
    out = hf(idx, labels=idx)
    torch.testing.assert_close(ours(idx), out.logits, rtol=1e-4, atol=1e-5)
    # HF shifts the labels inside; we pass the shifted targets explicitly.
    ours_loss = ours.lm_loss(idx[:, :-1], idx[:, 1:])
    torch.testing.assert_close(ours_loss, out.loss, rtol=1e-5, atol=1e-6)
    out.loss.backward()
    ours_loss.backward()
    # Map our gradients back to HF's layout with the inverse converter and compare tensor by tensor.
    hf_grads = {n: p.grad for n, p in hf.named_parameters()}
    ours_grads = _grads(ours)
    if variant == "gpt2":
        ours_as_hf = to_hf_gpt2_state_dict_like(ours, ours_grads)
        for name, g in hf_grads.items():
            torch.testing.assert_close(ours_as_hf[name], g, rtol=1e-4, atol=1e-6, msg=name)
    else:
        for hf_name, our_name, transpose in [("transformer.tokens_embed.weight", "wte.weight", False),
                                             ("transformer.positions_embed.weight", "wpe.weight", False),
                                             ("transformer.h.1.mlp.c_fc.weight", "blocks.1.mlp.fc.weight", True),
                                             ("transformer.h.0.ln_2.bias", "blocks.0.norm2.bias", False),
                                             ("transformer.h.0.attn.c_proj.weight", "blocks.0.attn.out_proj.weight", True)]:
            g = ours_grads[our_name].t() if transpose else ours_grads[our_name]
            torch.testing.assert_close(g, hf_grads[hf_name], rtol=1e-4, atol=1e-6, msg=hf_name)
        q_grad = hf_grads["transformer.h.0.attn.c_attn.weight"][:, :D].t()
        torch.testing.assert_close(ours_grads["blocks.0.attn.q_proj.weight"], q_grad, rtol=1e-4, atol=1e-6)


def to_hf_gpt2_state_dict_like(model: GPT, grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Run the inverse converter on a copy of the model whose parameters hold the gradients."""
    clone = GPT(model.cfg)
    clone.load_state_dict({k: grads.get(k, torch.zeros_like(v)) for k, v in model.state_dict().items()})
    return to_hf_gpt2_state_dict(clone)


def test_hf_state_dict_round_trip_and_bare_model_keys():
    hf = _hf_gpt2()
    ours = _ours("gpt2", hf)
    back = to_hf_gpt2_state_dict(ours)
    for k, v in hf.state_dict().items():
        torch.testing.assert_close(back[k], v, rtol=0, atol=0, msg=k)
    bare = {k.removeprefix("transformer."): v for k, v in hf.state_dict().items() if k.startswith("transformer.")}
    again = from_hf_gpt2_state_dict(bare, ours.cfg)
    for k, v in ours.state_dict().items():
        assert torch.equal(again[k], v), k


def test_loader_rejects_missing_layers():
    hf = _hf_gpt2()
    cfg = GPTConfig(vocab_size=V, max_length=T, n_layer=L + 1, n_head=H, d_model=D)
    with pytest.raises(ValueError, match="lacks"):
        from_hf_gpt2_state_dict(hf.state_dict(), cfg)


@pytest.mark.parametrize("variant", ["gpt2", "gpt1"])
def test_greedy_generations_identical_to_transformers(variant):
    hf = _hf_gpt2(3) if variant == "gpt2" else _hf_gpt1(3)
    ours = _ours(variant, hf)
    prompt = torch.randint(0, V, (2, 4), generator=torch.Generator().manual_seed(2))
    expected = hf.generate(prompt, max_new_tokens=10, do_sample=False, pad_token_id=0,
                           attention_mask=torch.ones_like(prompt))
    for use_cache in (True, False):
        got = ours.generate(prompt, 10, greedy=True, use_cache=use_cache)
        assert torch.equal(got, expected), (use_cache, got, expected)


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("variant", ["gpt2", "gpt1"])
def test_kv_cached_logits_equal_uncached(variant, fast):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=L, n_head=H, d_model=D, variant=variant, dropout=0.0,
                          fast=fast)).eval()
    idx = torch.randint(0, V, (2, 12))
    full = model(idx)
    cache = model.new_cache()
    pieces = [model(idx[:, :5], cache), model(idx[:, 5:6], cache), model(idx[:, 6:9], cache), model(idx[:, 9:], cache)]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, rtol=1e-5, atol=1e-5)


def test_fast_and_readable_paths_agree_with_dropout_off():
    torch.manual_seed(0)
    readable = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=L, n_head=H, d_model=D, dropout=0.0))
    fast = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=L, n_head=H, d_model=D, dropout=0.0, fast=True, loss_chunk=7))
    fast.load_state_dict(readable.state_dict())
    idx = torch.randint(0, V, (2, T))
    a, b = readable.lm_loss(idx, idx.roll(-1, 1)), fast.lm_loss(idx, idx.roll(-1, 1))
    torch.testing.assert_close(a, b)
    a.backward(), b.backward()
    for (n, p), (_, q) in zip(readable.named_parameters(), fast.named_parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=n)


def test_norm_factory_default_is_gpts_layernorm_and_rmsnorm_replaces_every_norm():
    from papercraft.papers.normalization import LayerNorm, RMSNorm

    cfg = GPTConfig(vocab_size=V, max_length=T, n_layer=L, n_head=H, d_model=D, dropout=0.0)
    assert not {"norm", "norm_eps"} & set(cfg.to_dict())  # GPT's own options only
    torch.manual_seed(0)
    default = GPT(cfg)
    torch.manual_seed(0)
    explicit = GPT(cfg, norm=lambda d: LayerNorm(d, eps=1e-5))
    torch.manual_seed(0)
    rms = GPT(cfg, norm=lambda d: RMSNorm(d, eps=1e-5))
    n_norms = 2 * L + 1  # two per block and the final one (GPT-2)
    layer_norms = [m for m in default.modules() if isinstance(m, LayerNorm)]
    assert len(layer_norms) == n_norms and all(m.eps == 1e-5 and not m.fused for m in layer_norms)
    assert all(m.fused for m in GPT(GPTConfig(**{**cfg.to_dict(), "fast": True})).modules() if isinstance(m, LayerNorm))
    assert sum(isinstance(m, RMSNorm) for m in rms.modules()) == n_norms
    assert not any(isinstance(m, LayerNorm) for m in rms.modules())
    idx = torch.randint(0, V, (2, T))
    torch.testing.assert_close(default(idx), explicit(idx), rtol=0, atol=0)
    # The norm's parameters are not random: everything else is initialized identically.
    rms_sd = rms.state_dict()
    for k, v in default.state_dict().items():
        if k in rms_sd:
            assert torch.equal(v, rms_sd[k]), k
        else:
            assert k.endswith("bias") and "norm" in k, k  # RMSNorm has no bias
    assert not torch.allclose(default(idx), rms(idx))


def test_language_model_testbed_losses_agree():
    from papercraft.testbeds.language_model import mean_lm_loss, window_lm_losses

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=1, n_head=2, d_model=16, dropout=0.0))
    windows = torch.randint(0, V, (5, T + 1), generator=torch.Generator().manual_seed(0))
    per_window = window_lm_losses(model, windows)
    expected = [torch.nn.functional.cross_entropy(model(w[None, :-1])[0], w[1:]).item() for w in windows]
    torch.testing.assert_close(per_window, torch.tensor(expected, dtype=torch.float64), rtol=1e-5, atol=1e-6)
    assert abs(mean_lm_loss(model, windows, batch_size=2) - per_window.mean().item()) < 1e-5
    assert model.training  # measured in eval mode, restored afterwards
    with pytest.raises(ValueError, match="windows"):
        mean_lm_loss(model, windows[:, :1])


@pytest.mark.parametrize("chunk", [1, 3, 64, 1000])
def test_chunked_cross_entropy_matches_plain_with_ignored_targets(chunk):
    g = torch.Generator().manual_seed(0)
    h1 = torch.randn(40, 8, generator=g, dtype=torch.float64, requires_grad=True)
    w1 = torch.randn(50, 8, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 50, (40,), generator=g)
    y[::7] = -100
    h2, w2 = h1.detach().clone().requires_grad_(True), w1.detach().clone().requires_grad_(True)
    plain = linear_cross_entropy(h1, w1, y)
    chunked = chunked_linear_cross_entropy(h2, w2, y, chunk_size=chunk)
    torch.testing.assert_close(chunked, plain, rtol=1e-12, atol=1e-12)
    (3.0 * plain).backward()
    (3.0 * chunked).backward()  # the incoming gradient (3) must scale the stored gradients
    torch.testing.assert_close(h2.grad, h1.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(w2.grad, w1.grad, rtol=1e-10, atol=1e-12)
    with torch.no_grad():
        torch.testing.assert_close(chunked_linear_cross_entropy(h1, w1, y, chunk_size=chunk), plain.detach())


def test_chunked_cross_entropy_gradcheck():
    g = torch.Generator().manual_seed(1)
    h = torch.randn(6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 4, -100, 2, 2, 1])
    assert torch.autograd.gradcheck(lambda a, b: chunked_linear_cross_entropy(a, b, y, chunk_size=4), (h, w))


def test_gpt2_residual_init_is_scaled_and_gpt1_is_not():
    torch.manual_seed(0)
    big = GPTConfig(vocab_size=V, max_length=T, n_layer=8, n_head=4, d_model=256, dropout=0.0)
    gpt2 = GPT(big)
    gpt1 = GPT(GPTConfig(**{**big.to_dict(), "variant": "gpt1"}))
    expected = 0.02 / (2 * 8) ** 0.5
    assert abs(gpt2.blocks[3].mlp.proj.weight.std().item() - expected) < 0.1 * expected
    assert abs(gpt1.blocks[3].mlp.proj.weight.std().item() - 0.02) < 0.002
    assert gpt2.norm_f is not None and gpt1.norm_f is None
    assert "lm_head.weight" not in gpt2.state_dict()  # tied: the output layer is wte


def test_sampling_temperature_top_k_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    g = torch.Generator().manual_seed(0)
    draws = lambda **kw: torch.cat([sample_next_token(logits.expand(2000, 4), generator=g, **kw)]).flatten()  # noqa: E731
    assert sample_next_token(logits, greedy=True).item() == 0
    assert set(draws(top_k=2).tolist()) == {0, 1}
    assert set(draws(top_p=0.7).tolist()) == {0, 1}  # 0.5 < 0.7, 0.5 + 0.3 >= 0.7
    assert set(draws(top_p=0.5).tolist()) == {0}
    freq = torch.bincount(draws(), minlength=4).float() / 2000
    torch.testing.assert_close(freq, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.04, rtol=0)
    cold = torch.bincount(draws(temperature=0.25), minlength=4).float() / 2000
    assert cold[0] > 0.8  # p^4 renormalized: 0.5^4 / (0.5^4 + 0.3^4 + ...) = 0.88
    for bad in (dict(temperature=0.0), dict(top_k=0), dict(top_p=0.0), dict(top_p=1.5)):
        with pytest.raises(ValueError):
            sample_next_token(logits, **bad)


def test_classifier_loss_includes_auxiliary_lm_objective():
    torch.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=1, n_head=2, d_model=16, dropout=0.0))
    clf = GPTClassifier(gpt, n_classes=3, dropout=0.0).eval()
    idx, labels = torch.randint(0, V, (4, T)), torch.tensor([0, 1, 2, 1])
    l2, logits = clf.loss(idx, labels, lm_weight=0.0)
    l3, _ = clf.loss(idx, labels, lm_weight=0.5)
    torch.testing.assert_close(l3 - l2, 0.5 * gpt.lm_loss(idx[:, :-1], idx[:, 1:]))
    assert logits.shape == (4, 3)
    # lengths pick the last real token: padding after it must not change the prediction
    lengths = torch.tensor([5, 5, 5, 5])
    padded = idx.clone()
    padded[:, 5:] = 0
    torch.testing.assert_close(clf(idx, lengths), clf(padded, lengths))


@pytest.mark.parametrize("bad", [dict(variant="gpt3"), dict(d_model=30, n_head=4), dict(n_layer=0)])
def test_bad_config_raises(bad):
    with pytest.raises(ValueError):
        GPTConfig(**{**dict(vocab_size=V, max_length=T, n_layer=1, n_head=2, d_model=16), **bad})


def test_bad_inputs_raise():
    model = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=1, n_head=2, d_model=16))
    with pytest.raises(ValueError, match="max_length"):
        model(torch.zeros(1, T + 1, dtype=torch.long))
    with pytest.raises(ValueError, match="int64"):
        model(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="max_length"):
        model.generate(torch.zeros(1, 10, dtype=torch.long), 10)


def test_acceptability_scoring_ignores_padding():
    """The zero-shot sentence log-probabilities and the multiple-choice scores of a padded batch
    equal those of each text alone (a causal model never reads the padding after a text)."""
    from papercraft.papers.gpt.experiment import choice_loss, predict, sentence_log_probs

    torch.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=V, max_length=T, n_layer=1, n_head=2, d_model=16, dropout=0.0))
    lengths = torch.tensor([[T, 5], [9, 2], [3, 7]])
    ids = torch.randint(1, V, (3, 2, T), generator=torch.Generator().manual_seed(1))
    ids[torch.arange(T)[None, None] >= lengths[..., None]] = 0
    flat_ids, flat_lengths = ids.flatten(0, 1), lengths.flatten()
    alone = [-torch.nn.functional.cross_entropy(gpt(flat_ids[i : i + 1, : n - 1])[0], flat_ids[i, 1:n],
                                                reduction="sum").item() for i, n in enumerate(flat_lengths.tolist())]
    torch.testing.assert_close(sentence_log_probs(gpt, flat_ids, flat_lengths, batch_size=4),
                               torch.tensor(alone, dtype=torch.float64), rtol=1e-5, atol=1e-5)
    clf = GPTClassifier(gpt, 1, dropout=0.5)
    clf.head.weight.data.normal_(0, 1.0)
    scores = torch.cat([clf.eval()(flat_ids[i : i + 1, :n]) for i, n in enumerate(flat_lengths.tolist())]).view(3, 2)
    assert torch.equal(predict(clf.train(), ids, lengths, batch_size=2), scores.argmax(-1))
    assert clf.training  # predicted in eval mode (no dropout), mode restored
    # The training loss: softmax over each pair's two scores, plus lambda x the LM loss on the real tokens.
    clf.eval()
    labels = torch.tensor([1, 0, 1])
    loss, got = choice_loss(clf, ids, lengths, labels, lm_weight=0.5)
    torch.testing.assert_close(got, scores)
    lm = -sum(alone) / (flat_lengths - 1).sum().item()
    torch.testing.assert_close(loss.item(), torch.nn.functional.cross_entropy(scores, labels).item() + 0.5 * lm,
                               rtol=1e-5, atol=1e-5)


def fitting_sentences(tokenizer, p) -> list[str]:
    """The quick preset's task sentences, selected here without the experiment's code: Persuasion's
    sentences of min_words-max_words words with at most ft_length - 4 tokens, the first max_sentences."""
    from papercraft.data import load_austen
    from papercraft.testbeds.acceptability import split_sentences

    out = [s for s in split_sentences(load_austen()[p["heldout"]], p["min_words"], p["max_words"])
           if len(tokenizer.encode_ordinary(s)) <= p["ft_length"] - 4]
    return out[: p["max_sentences"]]


@pytest.mark.slow
def test_quick_preset_numbers_recomputed_and_generate_cli(tmp_path, capsys):
    import argparse
    import json
    import shutil

    import numpy as np
    import torch.nn.functional as F

    from papercraft.errors import CheckpointError, DataMissingError, UsageError
    from papercraft.papers.gpt import cli
    from papercraft.papers.gpt.corpus import load_corpus, windows
    from papercraft.registry import registry
    from papercraft.runner import run_entry
    from papercraft.testbeds.acceptability import build_acceptability

    try:
        from papercraft.data import load_austen

        load_austen()
    except DataMissingError as exc:
        pytest.skip(str(exc))
    run_dir, result = run_entry("gpt", preset="quick", out=tmp_path / "run")
    p = registry().get("gpt").experiment("scaling_and_finetuning").preset("quick").params
    exp = result["experiments"]["scaling_and_finetuning"]
    numbers, criteria = exp["numbers"], {c["name"]: c for c in exp["criteria"]}
    # Non-embedding parameters of a GPT-2 of each size: 12 d^2 + 13 d per block, 2 d for the final LN.
    assert numbers["non_embedding_params"] == [n * (12 * d * d + 13 * d) + 2 * d for n, d, _ in p["sizes"]]
    # The power law, refitted here with numpy from the reported losses.
    lx, ly = np.log(numbers["non_embedding_params"]), np.log(numbers["heldout_loss"])
    slope, intercept = np.polyfit(lx, ly, 1)
    r2 = 1 - ((ly - (intercept + slope * lx)) ** 2).sum() / ((ly - ly.mean()) ** 2).sum()
    assert numbers["power_law_alpha"] == pytest.approx(-slope, abs=2e-3)
    assert numbers["power_law_r2"] == pytest.approx(r2, abs=2e-3)
    assert criteria["loss falls with size"]["passed"] == all(
        b < a for a, b in zip(numbers["heldout_loss"], numbers["heldout_loss"][1:]))
    # The largest model's held-out loss, re-evaluated from its checkpoint with a plain cross-entropy.
    model_dir = cli.find_model_dir(run_dir)
    assert model_dir.name == "lm-L{}-d{}".format(*p["sizes"][-1][:2])
    model, _ = cli.load_trained(model_dir)
    corpus = load_corpus(p["vocab_size"], heldout=p["heldout"], max_chars=p["max_chars"])
    held = windows(corpus.heldout_ids, p["context"] + 1, stride=p["context"])[: p["final_eval_windows"]]
    with torch.no_grad():
        loss = F.cross_entropy(model(held[:, :-1]).flatten(0, 1), held[:, 1:].flatten()).item()
    assert loss == pytest.approx(numbers["heldout_loss"][-1], abs=1e-4)
    # Fine-tuning accuracies are the last evaluations in each sub-run's metrics.jsonl.
    seeds = [1000 * i for i in range(p["ft_seeds"])]
    accs = {}
    for arm in ("pretrained", "scratch"):
        accs[arm] = []
        for seed in seeds:
            lines = (run_dir / "scaling_and_finetuning" / f"ft-{arm}-seed{seed}" / "metrics.jsonl").read_text()
            accs[arm].append([json.loads(x) for x in lines.splitlines() if '"eval"' in x][-1]["test_accuracy"])
        assert numbers[f"finetune_accuracy_{arm}"] == [round(a, 4) for a in accs[arm]]
    # The gain's 95% Student-t interval over the seeds, recomputed (t_{0.975, 2} = 4.303), and its decision.
    assert p["ft_seeds"] == 3
    gains = np.array(accs["pretrained"]) - np.array(accs["scratch"])
    half = 4.303 * gains.std(ddof=1) / np.sqrt(len(gains))
    interval = numbers["finetune_gain_interval"]
    assert interval["low"] == pytest.approx(gains.mean() - half, abs=1e-4)
    assert interval["high"] == pytest.approx(gains.mean() + half, abs=1e-4)
    margin = 0.03
    expected = True if gains.mean() - half > margin else False if gains.mean() + half < margin else None
    assert criteria["fine-tuning gain"]["passed"] is expected and criteria["fine-tuning gain"]["primary"]
    # The acceptability task: Persuasion sentences, each with a swapped copy, split by sentence.
    n_test = numbers["acceptability_test_pairs"]
    assert numbers["acceptability_train_pairs"] + n_test == p["max_sentences"]
    floor = float(criteria["scratch above chance"]["threshold"].split()[-1])
    assert floor == pytest.approx(0.5 + 2 * np.sqrt(0.25 / n_test), abs=1e-4)
    assert not criteria["scratch above chance"]["primary"] and not criteria["pre-trained below ceiling"]["primary"]
    # The zero-shot preference, recomputed from the checkpoint with a plain cross-entropy per text.
    task = build_acceptability(fitting_sentences(corpus.tokenizer, p), 0, corruption="swap",
                               test_fraction=p["test_fraction"])
    logp = {}
    with torch.no_grad():
        for e in task.test:
            ids = torch.tensor([corpus.tokenizer.encode_ordinary(e.text)])
            logp[e.sentence, e.label] = -F.cross_entropy(model(ids[:, :-1])[0], ids[0, 1:], reduction="sum").item()
    diffs = np.array([logp[i, 1] - logp[i, 0] for i in sorted({e.sentence for e in task.test})])
    assert len(diffs) == n_test
    # A barely trained model nearly ignores word order: a pair within float32 rounding of a tie may go either way.
    near_ties = int((np.abs(diffs) < 1e-3).sum())
    expected = float(np.mean(np.sign(diffs) / 2 + 0.5))
    assert abs(numbers["lm_pair_preference"] - expected) <= (near_ties / 2 + 1e-3) / len(diffs)
    for plot in exp["plots"]:
        assert (run_dir / plot["path"]).is_file()
    # `papercraft generate` continues a prompt with the trained checkpoint
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["generate", str(run_dir), "--prompt", "It was", "--max-new-tokens", "5", "--seed", "1"])
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    too_long = parser.parse_args(["generate", str(run_dir), "--max-new-tokens", "1000"])
    with pytest.raises(UsageError, match="context"):
        cli.main(too_long)
    assert text.startswith("It was") and len(text) > len("It was")
    (tmp_path / "empty").mkdir()
    bad = parser.parse_args(["generate", str(tmp_path / "empty"), "--prompt", "x"])
    with pytest.raises(CheckpointError, match="no trained GPT checkpoint"):
        cli.main(bad)
    # A config written before the norm became a factory loads if it names GPT's LayerNorm, else fails.
    legacy = shutil.copytree(model_dir, tmp_path / "legacy")
    config = json.loads((legacy / cli.CONFIG_FILE).read_text())
    (legacy / cli.CONFIG_FILE).write_text(json.dumps({**config, "norm": "layernorm", "norm_eps": 1e-5}))
    cli.load_trained(legacy)
    (legacy / cli.CONFIG_FILE).write_text(json.dumps({**config, "norm": "rmsnorm", "norm_eps": 1e-5}))
    with pytest.raises(CheckpointError, match="normalization"):
        cli.load_trained(legacy)
