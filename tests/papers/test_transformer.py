"""transformer: layers against nn.TransformerEncoderLayer/DecoderLayer (weights copied; outputs and
gradients), label smoothing against F.cross_entropy, the warm-up schedule (eq. 3), causality,
beam 1 = greedy, equal-step training with counted FLOPs on the translation test bed, and the quick
preset end to end."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.seq2seq.decoding import beam_search, greedy_decode
from papercraft.papers.transformer.attention import causal_mask
from papercraft.papers.transformer.model import (
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    Transformer,
    TransformerConfig,
    label_smoothed_cross_entropy,
    noam_lr,
    noam_scheduler,
)

TOL = dict(rtol=1e-9, atol=1e-10)


def _cfg(**kw) -> TransformerConfig:
    base = dict(src_vocab=23, tgt_vocab=19, d_model=16, n_heads=4, d_ff=24, encoder_layers=2, decoder_layers=2,
                dropout=0.0, max_len=32)
    base.update(kw)
    return TransformerConfig(**base)


def _mha_pairs(ours, ref):
    """(torch parameter, our parameters whose concatenation it equals)."""
    return [(ref.in_proj_weight, [ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]),
            (ref.in_proj_bias, [ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]),
            (ref.out_proj.weight, [ours.out_proj.weight]), (ref.out_proj.bias, [ours.out_proj.bias])]


def _linear_norm_pairs(pairs):
    out = []
    for o, r in pairs:
        out += [(r.weight, [o.weight]), (r.bias, [o.bias])]
    return out


def _copy_pairs(pairs):
    with torch.no_grad():
        for ref_param, ours in pairs:
            ref_param.copy_(torch.cat(ours) if len(ours) > 1 else ours[0])


def _randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.3)


def _check_outputs_and_grads(out, ref_out, inputs, pairs):
    """Outputs equal; gradients w.r.t. inputs and EVERY parameter (through the mapping) equal."""
    torch.testing.assert_close(out, ref_out, **TOL)
    up = torch.randn(out.shape, generator=torch.Generator().manual_seed(9), dtype=out.dtype)
    ours_params = [p for _, ps in pairs for p in ps]
    ref_params = [r for r, _ in pairs]
    ga = torch.autograd.grad(out, inputs + ours_params, up)
    gb = torch.autograd.grad(ref_out, inputs + ref_params, up)
    for a, b in zip(ga[: len(inputs)], gb[: len(inputs)]):
        torch.testing.assert_close(a, b, **TOL)
    ours_grads = iter(ga[len(inputs):])
    for (_, ps), b in zip(pairs, gb[len(inputs):]):
        a = torch.cat([next(ours_grads) for _ in ps])
        torch.testing.assert_close(a, b, **TOL)


def _encoder_pairs(o, r):
    return _mha_pairs(o.self_attn, r.self_attn) + _linear_norm_pairs([
        (o.feed_forward.linear1, r.linear1), (o.feed_forward.linear2, r.linear2),
        (o.attn_block.norm, r.norm1), (o.ff_block.norm, r.norm2)])


@pytest.mark.parametrize("pre_norm", [False, True])
def test_encoder_layer_matches_torch(pre_norm):
    ours = EncoderLayer(_cfg(pre_norm=pre_norm)).double()
    _randomize(ours)
    ref = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.0, activation="relu", batch_first=True,
                                     norm_first=pre_norm, dtype=torch.float64)
    pairs = _encoder_pairs(ours, ref)
    _copy_pairs(pairs)
    x = torch.randn(3, 7, 16, dtype=torch.float64, requires_grad=True)
    pad = torch.zeros(3, 7, dtype=torch.bool)
    pad[1, 5:] = True
    pad[2, 3:] = True
    _check_outputs_and_grads(ours(x, pad), ref(x, src_key_padding_mask=pad), [x], pairs)


@pytest.mark.parametrize("pre_norm", [False, True])
def test_decoder_layer_matches_torch(pre_norm):
    ours = DecoderLayer(_cfg(pre_norm=pre_norm)).double()
    _randomize(ours, 1)
    ref = nn.TransformerDecoderLayer(16, 4, 24, dropout=0.0, activation="relu", batch_first=True,
                                     norm_first=pre_norm, dtype=torch.float64)
    pairs = _mha_pairs(ours.self_attn, ref.self_attn) + _mha_pairs(ours.cross_attn, ref.multihead_attn) + \
        _linear_norm_pairs([(ours.feed_forward.linear1, ref.linear1), (ours.feed_forward.linear2, ref.linear2),
                            (ours.self_block.norm, ref.norm1), (ours.cross_block.norm, ref.norm2),
                            (ours.ff_block.norm, ref.norm3)])
    _copy_pairs(pairs)
    y = torch.randn(3, 6, 16, dtype=torch.float64, requires_grad=True)
    mem = torch.randn(3, 8, 16, dtype=torch.float64, requires_grad=True)
    src_pad = torch.zeros(3, 8, dtype=torch.bool)
    src_pad[0, 6:] = True
    src_pad[2, 2:] = True
    # torch's masks are True = NOT allowed
    ref_out = ref(y, mem, tgt_mask=~causal_mask(6, 6), memory_key_padding_mask=src_pad)
    _check_outputs_and_grads(ours(y, mem, src_padding=src_pad), ref_out, [y, mem], pairs)


def test_encoder_stack_matches_torch():
    cfg = _cfg(encoder_layers=3)
    ours = Encoder(cfg).double()
    _randomize(ours, 2)
    layer = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.0, batch_first=True, dtype=torch.float64)
    ref = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    for o, r in zip(ours.layers, ref.layers):
        _copy_pairs(_encoder_pairs(o, r))
    src = torch.tensor([[5, 6, 7, 8, 0, 0], [9, 10, 11, 12, 13, 14]])
    pad = src == 0
    emb = ours.embed(src)
    torch.testing.assert_close(ours(src, pad), ref(emb, src_key_padding_mask=pad), **TOL)
    # embedding: tokens × sqrt(d_model) + sinusoidal positions (§3.4-3.5)
    from papercraft.papers.transformer.attention import sinusoidal_positions
    torch.testing.assert_close(emb, ours.embed.tokens(src) * 4.0 + sinusoidal_positions(6, 16).double(), **TOL)


def test_causality_and_step_agrees_with_teacher_forcing():
    torch.manual_seed(0)
    model = Transformer(_cfg()).double().eval()
    src = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]])
    tgt = torch.tensor([[2, 4, 5, 6, 7], [2, 8, 9, 10, 11]])
    logits = model(src, tgt)
    changed = tgt.clone()
    changed[:, 3:] = 12
    torch.testing.assert_close(model(src, changed)[:, :3], logits[:, :3], **TOL)
    # incremental decoding with the KV caches gives the teacher-forced log-probs at every position
    state = model.start_decoding(src)
    for t in range(1, tgt.shape[1] + 1):
        log_probs, state = model._step(tgt[:, :t], state)
        torch.testing.assert_close(log_probs, F.log_softmax(logits[:, t - 1].float(), -1), **TOL)
    assert state[2][0].self_attn.length == tgt.shape[1]
    # padding in the source does not leak: extra pads change nothing
    padded = torch.cat([src, torch.zeros(2, 3, dtype=torch.long)], 1)
    torch.testing.assert_close(model(padded, tgt), logits, **TOL)


def test_tied_output_and_learned_positions():
    model = Transformer(_cfg(positions="learned"))
    assert model.output.weight is model.decoder.embed.tokens.weight
    assert model(torch.tensor([[4, 5]]), torch.tensor([[2, 3, 4]])).shape == (1, 3, 19)


def test_beam_one_equals_greedy():
    torch.manual_seed(0)
    model = Transformer(_cfg()).eval()
    src = torch.randint(4, 23, (4, 6))
    src[1, 4:] = 0
    greedy = greedy_decode(model._step, model.start_decoding(src), batch=4, bos=2, eos=3, max_len=10)
    beam1 = beam_search(model._step, model.start_decoding(src), model._reorder, batch=4, beam=1, bos=2, eos=3,
                        max_len=10)
    assert greedy == beam1 == model.translate(src, bos=2, eos=3, beam=1, max_len=10)
    beam4 = model.translate(src, bos=2, eos=3, beam=4, max_len=10)
    assert len(beam4) == 4 and all(len(s) <= 10 for s in beam4)
    # batched beam search treats every source independently (cache reordering stays within a source)
    assert beam4 == [model.translate(src[i : i + 1], bos=2, eos=3, beam=4, max_len=10)[0] for i in range(4)]


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_label_smoothing_matches_torch(smoothing):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 5, 11, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 11, (4, 5), generator=g)
    target[0, 3:] = 0
    ours = label_smoothed_cross_entropy(logits, target, smoothing=smoothing, ignore_index=0)
    ref = F.cross_entropy(logits.reshape(-1, 11), target.reshape(-1), label_smoothing=smoothing, ignore_index=0)
    torch.testing.assert_close(ours.double(), ref, rtol=1e-6, atol=1e-7)  # ours computes in float32
    ga, = torch.autograd.grad(ours, logits)
    gb, = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(ga.double(), gb, rtol=1e-5, atol=1e-7)


def test_label_smoothing_bad_input():
    with pytest.raises(ValueError, match="share leading dims"):
        label_smoothed_cross_entropy(torch.zeros(3, 5), torch.zeros(4, dtype=torch.long))


def test_noam_schedule_eq3():
    d, w = 512, 4000
    assert noam_lr(1, d_model=d, warmup=w) == pytest.approx(d ** -0.5 * w ** -1.5)
    peak = noam_lr(w, d_model=d, warmup=w)
    assert peak == pytest.approx(d ** -0.5 * w ** -0.5)
    assert max(noam_lr(s, d_model=d, warmup=w) for s in range(1, 20000, 7)) <= peak + 1e-12
    assert noam_lr(4 * w, d_model=d, warmup=w) == pytest.approx(peak / 2)  # 1/sqrt(step) decay
    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([param], lr=1.0)
    sched = noam_scheduler(opt, d_model=d, warmup=w, factor=2.0)
    lrs = []
    for _ in range(3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([2 * noam_lr(k, d_model=d, warmup=w) for k in (1, 2, 3)])
    with pytest.raises(ValueError):
        noam_lr(0, d_model=d, warmup=w)


def test_bad_inputs():
    model = Transformer(_cfg())
    with pytest.raises(ValueError, match=r"src \[B, S\] and tgt_in \[B, T\]"):
        model(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="max_len 32"):
        model(torch.ones(1, 40, dtype=torch.long), torch.ones(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible"):
        _cfg(d_model=10, n_heads=4)


def _toy_translation_data():
    from papercraft.testbeds.translation import prepare

    pairs = [(f"wort{i % 13} und zahl{i % 11} .", f"word{i % 13} and number{i % 11} .") for i in range(140)]
    return prepare(pairs, n_test=10, n_valid=10)


def test_equal_step_training_counts_flops(tmp_path):
    """Both arms of the comparison train exactly the same steps; each records the counted FLOPs of a
    step and its training FLOPs = step FLOPs × steps, without touching torch's random state."""
    from papercraft.papers.seq2seq.model import GRAD_CLIP, Seq2SeqConfig, build_for_training
    from papercraft.registry import registry
    from papercraft.runner import RunContext
    from papercraft.testbeds.translation import batch_loss, train_translation, training_batches, training_step_flops
    from papercraft.training.flops import step_flops

    data = _toy_translation_data()
    entry = registry().get("transformer")
    ctx = RunContext(entry=entry, experiment=entry.experiments[0], preset="quick", params={}, seed=0,
                     device=torch.device("cpu"), out_dir=tmp_path)
    vocab = (len(data.src_vocab), len(data.tgt_vocab))
    lstm, optimizer = build_for_training(Seq2SeqConfig(*vocab, d_embed=8, hidden=12, layers=1, dropout=0.0),
                                         lr=0.01, seed=0)
    runs = {"seq2seq": (lstm, train_translation(ctx, "seq2seq", lstm, optimizer, data, steps=5, batch_size=8,
                                                eval_every=2, seed=0, grad_clip=GRAD_CLIP, flop_batches=3))}
    torch.manual_seed(0)
    tf = Transformer(_cfg(src_vocab=vocab[0], tgt_vocab=vocab[1], encoder_layers=1, decoder_layers=1))
    runs["transformer"] = (tf, train_translation(ctx, "transformer", tf, torch.optim.Adam(tf.parameters(), 1e-3), data,
                                                 steps=5, batch_size=8, eval_every=2, seed=0, flop_batches=3))
    assert {name: run.steps for name, (_, run) in runs.items()} == {"seq2seq": 5, "transformer": 5}
    assert {name: sub["steps"] for name, sub in ctx.subruns.items()} == {"seq2seq": 5, "transformer": 5}
    for name, (model, run) in runs.items():
        batches = training_batches(data, 8, 0)  # the batches of the run's first steps
        direct = [step_flops(model, batch_loss, next(batches)) for _ in range(3)]
        assert run.step_flops == round(sum(direct) / 3) > 0
        assert run.flops == run.step_flops * run.steps
        assert run.valid_curve()[0] == [2, 4, 5]  # every eval_every steps and at the end
        records = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        assert [r["valid_nll"] for r in records if r["split"] == "eval"] == run.valid_curve()[1]
    assert runs["transformer"][1].step_flops != runs["seq2seq"][1].step_flops
    state = torch.get_rng_state()
    training_step_flops(tf, batch_loss, data, batch_size=8, seed=0, batches=1)
    assert torch.equal(torch.get_rng_state(), state)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        train_translation(ctx, "none", tf, torch.optim.Adam(tf.parameters()), data, steps=0, batch_size=8,
                          eval_every=2, seed=0)


@pytest.mark.slow  # ~15-30 s on a loaded 2-core machine (data parsing + two small trainings)
def test_quick_preset_equal_steps(tmp_path):
    from papercraft.errors import DataMissingError

    try:
        from papercraft.data import load_de_en

        load_de_en()
    except DataMissingError as exc:
        pytest.skip(str(exc))
    from papercraft.runner import run_entry

    _, result = run_entry("transformer", preset="quick", out=tmp_path)
    experiment = result["experiments"]["vs-seq2seq"]
    numbers = experiment["numbers"]
    p = experiment["params"]
    assert numbers["seeds"] == [0]
    # equal steps for both arms; training FLOPs = counted FLOPs of a step × steps
    assert numbers["transformer_steps"] == numbers["seq2seq_steps"] == p["steps"] == 12
    assert {arm: run["steps"] for arm, run in experiment["subruns"].items()} == {"seq2seq-seed0": 12,
                                                                                  "transformer-seed0": 12}
    for arm in ("seq2seq", "transformer"):
        assert numbers[f"{arm}_step_flops"] > 0
        assert numbers[f"{arm}_flops"] == numbers[f"{arm}_step_flops"] * numbers[f"{arm}_steps"]
    assert numbers["flops_ratio_transformer_to_seq2seq"] == pytest.approx(
        numbers["transformer_flops"] / numbers["seq2seq_flops"], abs=1e-3)
    cost = next(c for c in experiment["criteria"] if c["name"] == "at no more training cost")
    assert cost["passed"] == (numbers["flops_ratio_transformer_to_seq2seq"] <= 1.0)
    # both read the same joint BPE vocabulary
    assert numbers["data_src_vocab"] == numbers["data_tgt_vocab"] == p["bpe_vocab"] + 4
    # The claim's shape at quick scale: at equal steps the Transformer has learned more than the
    # LSTM (lower validation NLL at every evaluation, lower test perplexity despite label smoothing).
    curves = {}
    for arm in ("seq2seq", "transformer"):
        lines = (tmp_path / "vs-seq2seq" / f"{arm}-seed0" / "metrics.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        curves[arm] = [(r["step"], r["valid_nll"]) for r in records if r["split"] == "eval"]
    assert [s for s, _ in curves["transformer"]] == [s for s, _ in curves["seq2seq"]] == [6, 12]
    assert all(t < s for (_, t), (_, s) in zip(curves["transformer"], curves["seq2seq"]))
    assert numbers["transformer_test_ppl"] < numbers["seq2seq_test_ppl"]
    assert 0.0 <= numbers["transformer_bleu_beam"] <= 100.0
    assert (tmp_path / "vs-seq2seq" / "valid_nll.png").exists()
