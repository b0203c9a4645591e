"""seq2seq: the LSTM against nn.LSTM (weights copied, outputs and gradients), padding, source
reversal, beam search (beam 1 = greedy; exhaustive beam = brute force), the translation test bed's
BLEU and perplexity bootstraps, and the quick preset (its numbers recomputed from its checkpoints)."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from torch import nn

from papercraft.papers.seq2seq.decoding import beam_search, greedy_decode
from papercraft.papers.seq2seq.lstm import LSTM, LSTMCell
from papercraft.papers.seq2seq.model import Seq2Seq, Seq2SeqConfig, build_for_training, reverse_padded
from papercraft.testbeds.translation import (
    SubwordVocab,
    Vocab,
    bleu,
    decide_both,
    paired_bleu_bootstrap,
    paired_bleu_bootstrap_seeds,
    paired_perplexity_bootstrap,
    paired_perplexity_bootstrap_seeds,
    perplexity_interval,
    prepare,
    source_blind,
    split_pairs,
    tokenize,
    translates,
)

TOL = dict(rtol=1e-9, atol=1e-10)


def _copy_to_nn_lstm(ours: LSTM) -> nn.LSTM:
    ref = nn.LSTM(ours.input_size, ours.hidden_size, ours.num_layers, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for k, cell in enumerate(ours.cells):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{name}_l{k}").copy_(getattr(cell, name))
    return ref


@pytest.mark.parametrize("fused", [False, True], ids=["readable", "fused"])
@pytest.mark.parametrize("layers,with_state", [(1, False), (3, True)])
def test_lstm_matches_nn_lstm(layers, with_state, fused):
    torch.manual_seed(0)
    ours = LSTM(5, 7, layers, fused=fused).double()
    ref = _copy_to_nn_lstm(ours)
    x = torch.randn(3, 6, 5, dtype=torch.float64, requires_grad=True)
    state = None
    if with_state:
        h0 = torch.randn(layers, 3, 7, dtype=torch.float64, requires_grad=True)
        c0 = torch.randn(layers, 3, 7, dtype=torch.float64, requires_grad=True)
        state = (h0, c0)
    out, (h, c) = ours(x, state)
    ref_out, (ref_h, ref_c) = ref(x, state)
    for a, b in ((out, ref_out), (h, ref_h), (c, ref_c)):
        torch.testing.assert_close(a, b, **TOL)
    # gradients w.r.t. inputs, initial state and every weight, through outputs AND final states
    g = torch.Generator().manual_seed(1)
    up = [torch.randn(t.shape, generator=g, dtype=torch.float64) for t in (out, h, c)]
    leaves = [x] + (list(state) if with_state else [])
    ours_params = [p for cell in ours.cells for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    ref_params = [getattr(ref, f"{n}_l{k}") for k in range(layers) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    ga = torch.autograd.grad((out, h, c), leaves + ours_params, up)
    gb = torch.autograd.grad((ref_out, ref_h, ref_c), leaves + ref_params, up)
    for a, b in zip(ga, gb):
        torch.testing.assert_close(a, b, **TOL)


def test_lstm_cell_matches_nn_lstmcell():
    torch.manual_seed(0)
    ours = LSTMCell(4, 6).double()
    ref = nn.LSTMCell(4, 6, dtype=torch.float64)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(2, 4, dtype=torch.float64)
    state = (torch.randn(2, 6, dtype=torch.float64), torch.randn(2, 6, dtype=torch.float64))
    for a, b in zip(ours(x, state), ref(x, state)):
        torch.testing.assert_close(a, b, **TOL)


def test_lstm_mask_carries_state_through_padding():
    """Padded rows end in the same state as running each sequence alone, padding on either side."""
    torch.manual_seed(0)
    lstm = LSTM(3, 4, 2).double()
    seqs = [torch.randn(5, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)]
    alone = [lstm(s[None])[1] for s in seqs]
    for left in (False, True):
        x = torch.zeros(2, 5, 3, dtype=torch.float64)
        mask = torch.zeros(2, 5, dtype=torch.bool)
        for i, s in enumerate(seqs):
            sl = slice(5 - len(s), 5) if left else slice(0, len(s))
            x[i, sl], mask[i, sl] = s, True
        _, (h, c) = lstm(x, mask=mask)
        for i in range(2):
            torch.testing.assert_close(h[:, i], alone[i][0][:, 0], **TOL)
            torch.testing.assert_close(c[:, i], alone[i][1][:, 0], **TOL)


def _run_both(lstm: LSTM, x, state, mask, seed: int = 0):
    """Outputs, final state and the gradients of a loss that weighs every output position (padding
    included) w.r.t. input, initial state and weights, from the readable and from the fused path."""
    results = []
    for fused in (False, True):
        lstm.fused = fused
        torch.manual_seed(seed)  # the same dropout draws for both paths
        out, (h, c) = lstm(x, state, mask)
        weight = torch.arange(1, out.shape[1] + 1, dtype=out.dtype)[None, :, None]
        loss = (out * weight).sum() + 2 * h.sum() + c.pow(2).sum()
        leaves = [x] + ([] if state is None else list(state)) + list(lstm.parameters())
        results.append((out, h, c, *torch.autograd.grad(loss, leaves)))
    lstm.fused = True
    return results


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("padding", ["none", "right", "left", "empty row"])
def test_fused_lstm_equals_readable(padding, with_state):
    """The fast path (torch's fused kernel, right padding packed away) computes the readable path's
    function: outputs at every position, final states, and all gradients; other masks fall back."""
    torch.manual_seed(0)
    lstm = LSTM(5, 7, 3).double()
    x = torch.randn(4, 6, 5, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([6, 3, 1, 5])
    mask = {"none": None,
            "right": torch.arange(6)[None, :] < lengths[:, None],
            "left": torch.arange(6)[None, :] >= 6 - lengths[:, None],
            "empty row": torch.arange(6)[None, :] < torch.tensor([6, 3, 0, 5])[:, None]}[padding]
    state = None
    if with_state:
        state = tuple(torch.randn(3, 4, 7, dtype=torch.float64, requires_grad=True) for _ in range(2))
    readable, fused = _run_both(lstm, x, state, mask)
    for a, b in zip(readable, fused):
        torch.testing.assert_close(a, b, **TOL)


def test_fused_lstm_equals_readable_with_dropout_in_training():
    torch.manual_seed(0)
    lstm = LSTM(5, 7, 2, dropout=0.5).double().train()
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    mask = torch.arange(4)[None, :] < torch.tensor([4, 2, 3])[:, None]
    readable, fused = _run_both(lstm, x, None, mask, seed=3)
    for a, b in zip(readable, fused):
        torch.testing.assert_close(a, b, **TOL)
    again = _run_both(lstm, x, None, mask, seed=4)[1]
    assert not torch.allclose(fused[0], again[0])  # dropout is really on


def test_step_flops_counts_the_readable_path_of_a_fused_lstm():
    """The fused kernel is invisible to FlopCounterMode; step_flops switches the model to its
    readable path, so the count is the same either way (and not 0), and the switch is undone."""
    from papercraft.training.flops import step_flops

    model = Seq2Seq(Seq2SeqConfig(src_vocab=20, tgt_vocab=15, d_embed=8, hidden=12, layers=2, dropout=0.0))
    batch = (torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]]), torch.tensor([[2, 5, 6], [2, 7, 8]]))

    def loss_fn(m, b):
        return m(b[0], b[1]).sum(), {}

    counted = step_flops(model, loss_fn, batch)
    assert model.encoder.fused and model.decoder.fused
    model.encoder.fused = model.decoder.fused = False
    assert step_flops(model, loss_fn, batch) == counted
    # The LSTMs' forward matrix products alone (batch 2, 2 layers, input ≥ 8 + recurrent 12 → 4 × 12
    # gates, 4 encoder + 3 decoder steps) are ~8× all the output layer's forward and backward ones,
    # so a count that missed the LSTM (the fused kernel's 0) would fail this bound.
    lstm_forward = 2 * 2 * (8 + 12) * (4 * 12) * 2 * (4 + 3)
    assert counted > lstm_forward


def test_lstm_bad_shapes():
    lstm = LSTM(3, 4, 2)
    with pytest.raises(ValueError, match=r"x \[B, T, input_size=3\]"):
        lstm(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"\[L, B, H\] = \[2, 2, 4\]"):
        lstm(torch.randn(2, 5, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match=r"mask must be a bool \[B, T\]"):
        lstm(torch.randn(2, 5, 3), mask=torch.ones(2, 4, dtype=torch.bool))


def test_source_blind_pairs_every_sentence_with_another_ones_hypothesis():
    hyps = [[f"w{i}"] for i in range(9)]
    blind = source_blind(hyps, seed=5)
    assert sorted(map(tuple, blind)) == sorted(map(tuple, hyps))  # a permutation...
    assert all(b is not h for b, h in zip(blind, hyps))  # ...with no fixed point
    assert blind == source_blind(hyps, seed=5) and blind != source_blind(hyps, seed=6)
    with pytest.raises(ValueError, match="at least 2"):
        source_blind(hyps[:1])


def test_translates_gate():
    """A system that reproduces its references clears its source-blind BLEU; one that outputs the
    same sentence whatever the source scores exactly its source-blind BLEU, so it does not."""
    import random

    rng = random.Random(0)
    words = [f"w{i}" for i in range(40)]
    refs = [rng.sample(words, 8) for _ in range(60)]
    good = [[r if rng.random() > 0.1 * (s + 1) else r[:-1] + ["x"] for r in refs] for s in range(3)]
    passed, measured = translates(good, refs, samples=200)
    assert passed is True and min(measured["margin_per_seed"]) > 50
    constant = [[["w1", "w2", "w3", "w4", "w5", "w6"]] * 60 for _ in range(3)]
    passed, measured = translates(constant, refs, samples=200)
    assert passed is not True and measured["margin_per_seed"] == [0.0, 0.0, 0.0]


def test_reverse_padded():
    x = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [4, 0, 0, 0]])
    assert reverse_padded(x).tolist() == [[7, 6, 5, 0], [9, 8, 0, 0], [4, 0, 0, 0]]


def test_reversal_changes_what_the_encoder_reads():
    torch.manual_seed(0)
    cfg = dict(src_vocab=20, tgt_vocab=15, d_embed=8, hidden=8, layers=2, dropout=0.0)
    fwd, rev = Seq2Seq(Seq2SeqConfig(**cfg, reverse_source=False)), Seq2Seq(Seq2SeqConfig(**cfg, reverse_source=True))
    rev.load_state_dict(fwd.state_dict())
    src = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]])
    tgt = torch.tensor([[2, 5, 6], [2, 7, 8]])
    torch.testing.assert_close(rev(src, tgt), fwd(reverse_padded(src), tgt))
    assert not torch.allclose(rev(src, tgt), fwd(src, tgt))


# ----------------------------------------------------------------------------- decoding


def _toy_step(vocab: int, seed: int):
    """A deterministic 'model': next-token log-probs depend on the whole prefix (through a hash)."""

    def step(prefix, state):
        rows = []
        for row in prefix.tolist():
            g = torch.Generator().manual_seed(hash((seed, tuple(row))) % (2**31))
            rows.append(torch.log_softmax(torch.randn(vocab, generator=g) * 2, -1))
        return torch.stack(rows), state

    return step


def test_beam_one_equals_greedy_toy_and_model():
    step = _toy_step(6, 0)
    g = greedy_decode(step, None, batch=4, bos=0, eos=1, max_len=8)
    # the toy prefix is per-row; 4 rows with the same <bos> give the same output, fine for equality
    b = beam_search(step, None, lambda s, i: s, batch=4, beam=1, bos=0, eos=1, max_len=8)
    assert g == b
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(src_vocab=30, tgt_vocab=25, d_embed=8, hidden=16, layers=2, dropout=0.0)).eval()
    src = torch.randint(4, 30, (5, 6))
    state = model.encode(src)
    greedy = greedy_decode(model._step, state, batch=5, bos=2, eos=3, max_len=12)
    beam1 = beam_search(model._step, state, model._reorder, batch=5, beam=1, bos=2, eos=3, max_len=12)
    assert greedy == beam1 == model.translate(src, beam=1, max_len=12)


def test_exhaustive_beam_finds_the_most_probable_sequence():
    """With a beam as wide as all sequences, beam search must return the brute-force argmax."""
    vocab, eos, max_len = 4, 1, 3
    step = _toy_step(vocab, 7)

    def logp(seq):
        total, prefix = 0.0, [0]
        for tok in seq:
            lp, _ = step(torch.tensor([prefix]), None)
            total += float(lp[0, tok])
            prefix.append(tok)
            if tok == eos:
                break
        return total

    candidates = set()
    for seq in itertools.product(range(vocab), repeat=max_len):
        seq = list(seq)
        candidates.add(tuple(seq[: seq.index(eos) + 1] if eos in seq else seq))
    best = max(candidates, key=logp)
    found = beam_search(step, None, lambda s, i: s, batch=1, beam=vocab**max_len, bos=0, eos=eos, max_len=max_len)
    expected = list(best[:-1]) if best[-1] == eos else list(best)
    assert found == [expected]
    assert math.isfinite(logp(best))


def test_beam_search_batches_independently():
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(src_vocab=30, tgt_vocab=25, d_embed=8, hidden=16, layers=1, dropout=0.0))
    src = torch.randint(4, 30, (3, 5))
    together = model.translate(src, beam=3, max_len=10)
    alone = [model.translate(src[i : i + 1], beam=3, max_len=10)[0] for i in range(3)]
    assert together == alone


# ----------------------------------------------------------------------------- data and BLEU


def test_tokenize_and_vocab():
    assert tokenize("Ich bin’s, Anna!") == ["ich", "bin", "'", "s", ",", "anna", "!"]
    v = Vocab.build([["a", "b", "a"], ["a", "c", "b"]], min_count=2)
    assert v.itos[:6] == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert v.encode(["a", "c"]) == [4, 1]
    assert v.decode([2, 4, 5, 3, 4]) == ["a", "b"]


def test_split_is_fixed_and_disjoint():
    pairs = [(f"de {i}.", f"en {i}.") for i in range(3000)] + [("de 1.", "en 1.")]
    a, b = split_pairs(pairs), split_pairs(list(reversed(pairs)))
    assert a == b
    assert (len(a["test"]), len(a["valid"]), len(a["train"])) == (1000, 500, 1500)
    assert not set(a["test"]) & set(a["train"])


def test_bleu_and_bootstrap():
    refs = [["the", "cat", "sat", "on", "the", "mat"]] * 100
    worse = [["the", "cat", "sat", "on", "a", "mat"]] * 100
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(worse, refs) < 60
    better = paired_bleu_bootstrap(worse, refs, refs, samples=200)
    assert better.estimate == pytest.approx(bleu(refs, refs) - bleu(worse, refs))
    assert better.low > 0 and better.decide() is True
    assert paired_bleu_bootstrap(refs, worse, refs, samples=200).decide() is False
    # A tie inside noise is inconclusive, not a failure: each system is better on half the sentences.
    half_a = worse[:50] + refs[50:]
    half_b = refs[:50] + worse[50:]
    tie = paired_bleu_bootstrap(half_a, half_b, refs, samples=200)
    assert tie.estimate == pytest.approx(0.0, abs=1e-9) and tie.low < 0 < tie.high and tie.decide() is None
    assert paired_bleu_bootstrap(refs, refs, refs, samples=50).decide() is None  # identical systems
    with pytest.raises(ValueError, match="hypotheses but"):
        paired_bleu_bootstrap(refs[:3], refs[:3], refs)


def test_perplexity_bootstraps():
    g = torch.Generator().manual_seed(0)
    count = torch.randint(3, 12, (200,), generator=g)
    nll_a = count * (2.0 + 0.3 * torch.rand(200, generator=g))
    nll_b = nll_a - 0.2 * count  # b: 0.2 nats per token better on every sentence
    ppl = perplexity_interval(nll_a, count, samples=200)
    assert ppl.estimate == pytest.approx(math.exp(float(nll_a.sum() / count.sum())), rel=1e-6)
    assert ppl.low < ppl.estimate < ppl.high
    gain = paired_perplexity_bootstrap((nll_a, count), (nll_b, count), samples=200)
    assert gain.estimate == pytest.approx(0.2, abs=1e-5) and gain.decide() is True
    assert paired_perplexity_bootstrap((nll_b, count), (nll_a, count), samples=200).decide() is False
    noisy = nll_a + 0.5 * count * torch.randn(200, generator=g)  # no systematic difference
    assert paired_perplexity_bootstrap((nll_a, count), (noisy - noisy.mean() + nll_a.mean(), count),
                                       samples=200).decide(0.2) is False


def test_subword_vocabulary_round_trips_and_is_shared():
    from papercraft.papers.bpe import train_bpe

    pairs = [(f"Das Haus{i % 7} ist {i} Jahre alt, Anna!", f"The house{i % 7} is {i} years old, Anna!")
             for i in range(200)]
    seen = []

    def trainer(texts):
        seen.extend(texts)
        return train_bpe(texts, 300)

    data = prepare(pairs, n_test=10, n_valid=10, subwords=trainer)
    train = data.pairs["train"]
    # trained on the training split only, German then English, word tokens joined by spaces
    assert seen == [" ".join(d) for d, _ in train] + [" ".join(e) for _, e in train]
    assert isinstance(data.src_vocab, SubwordVocab) and data.src_vocab is data.tgt_vocab
    assert len(data.src_vocab) == 4 + data.src_vocab.tokenizer.vocab_size <= 4 + 300  # a tiny corpus runs out of merges
    for split in ("train", "test"):
        for k, (de, en) in enumerate(data.pairs[split][:20]):
            assert data.src_vocab.decode(data.src[split][k].tolist()) == de  # padding is dropped
            assert data.tgt_vocab.decode(data.tgt[split][k, 1:].tolist()) == en  # stops at <eos>
            assert data.tgt[split][k, 0] == 2 and int(data.tgt[split][k].max()) < len(data.tgt_vocab)
    # subwords: fewer ids than bytes, no <unk>, any text encodes
    v = data.src_vocab
    assert 1 not in v.encode(["überraschung", "zebra"]) and v.decode(v.encode(["überraschung", "zebra"])) == [
        "überraschung", "zebra"]


def test_seed_averaged_bootstraps_and_decide_both():
    refs = [["the", "cat", "sat", "on", "the", "mat"]] * 60
    worse = [["the", "cat", "sat", "on", "a", "mat"]] * 60
    one = paired_bleu_bootstrap_seeds([worse], [refs], refs, samples=100)
    assert one == paired_bleu_bootstrap(worse, refs, refs, samples=100)  # one seed: the plain bootstrap
    two = paired_bleu_bootstrap_seeds([worse, refs], [refs, refs], refs, samples=100)
    assert two.estimate == pytest.approx((bleu(refs, refs) - bleu(worse, refs)) / 2)
    with pytest.raises(ValueError, match="same number"):
        paired_bleu_bootstrap_seeds([worse], [refs, refs], refs)

    g = torch.Generator().manual_seed(0)
    count = torch.randint(3, 12, (200,), generator=g)
    nll_a = count * (2.0 + 0.3 * torch.rand(200, generator=g))
    long_ = (torch.arange(200) >= 100).numpy()
    nll_b = nll_a - 0.1 * count - 0.2 * count * torch.as_tensor(long_)  # gain 0.1 on short, 0.3 on long
    a, b = [(nll_a, count)] * 2, [(nll_b, count)] * 2
    whole = paired_perplexity_bootstrap_seeds(a, b, samples=100)
    assert whole == paired_perplexity_bootstrap((nll_a, count), (nll_b, count), samples=100)
    assert paired_perplexity_bootstrap_seeds(a, b, subset=long_, samples=100).estimate == pytest.approx(0.3, abs=1e-6)
    growth = paired_perplexity_bootstrap_seeds(a, b, subset=long_, versus=~long_, samples=100)
    assert growth.estimate == pytest.approx(0.2, abs=1e-6) and growth.decide() is True
    with pytest.raises(ValueError, match="versus needs subset"):
        paired_perplexity_bootstrap_seeds(a, b, versus=long_)

    above, below = growth, paired_perplexity_bootstrap_seeds(b, a, samples=100)
    assert decide_both([0.2, 0.25, 0.22], above)[0] is True
    assert decide_both([-0.2, -0.25, -0.22], below)[0] is False
    assert decide_both([0.2, -0.1, 0.3], above)[0] is None  # seeds disagree: inconclusive
    assert decide_both([-0.2, -0.25, -0.22], above)[0] is None  # the two kinds of noise disagree
    passed, over_seeds = decide_both([0.3], above)  # one seed: the t interval is unbounded
    assert passed is None and over_seeds.low == -math.inf


def test_build_for_training_gives_both_arms_the_same_start():
    cfg = dict(src_vocab=20, tgt_vocab=15, d_embed=8, hidden=8, layers=2, dropout=0.0)
    normal, opt = build_for_training(Seq2SeqConfig(**cfg, reverse_source=False), lr=0.01, seed=3)
    reversed_, _ = build_for_training(Seq2SeqConfig(**cfg, reverse_source=True), lr=0.01, seed=3)
    for a, b in zip(normal.state_dict().values(), reversed_.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert isinstance(opt, torch.optim.Adam) and opt.param_groups[0]["lr"] == 0.01
    with pytest.raises(ValueError, match="lr must be positive"):
        build_for_training(Seq2SeqConfig(**cfg), lr=0.0, seed=0)


# ----------------------------------------------------------------------------- the experiment


def _require_de_en():
    from papercraft.errors import DataMissingError

    try:
        from papercraft.data import load_de_en

        load_de_en()
    except DataMissingError as exc:
        pytest.skip(str(exc))


@pytest.mark.slow  # ~15-30 s on a loaded 2-core machine (data parsing + two small trainings)
def test_quick_preset_numbers_recomputed_from_its_files(tmp_path):
    """At 12 steps the claim cannot show; the run's numbers are recomputed from its checkpoints and logs."""
    _require_de_en()
    import numpy as np

    from papercraft.papers.seq2seq.experiment import length_buckets, load_bpe_data
    from papercraft.runner import run_entry
    from papercraft.testbeds.translation import sentence_nll
    from papercraft.training import load_checkpoint
    from papercraft.training.checkpoint import list_checkpoints

    _, result = run_entry("seq2seq", preset="quick", out=tmp_path)
    experiment = result["experiments"]["reversal"]
    numbers, p = experiment["numbers"], experiment["params"]
    seed = numbers["seeds"][0]
    assert numbers["seeds"] == [0] and result["seeds"] == [0]
    # equal steps for both arms, as recorded by the runner too
    assert numbers["normal_steps"] == numbers["reversed_steps"] == p["steps"]
    assert {arm: run["steps"] for arm, run in experiment["subruns"].items()} == {"normal-seed0": 12,
                                                                                  "reversed-seed0": 12}

    data = load_bpe_data(p)
    assert numbers["data_src_vocab"] == numbers["data_tgt_vocab"] == p["bpe_vocab"] + 4
    test = data.head("test", p["test_limit"])
    sentence = {}
    for arm, reverse in (("normal", False), ("reversed", True)):
        model = Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), d_embed=p["d_embed"],
                                      hidden=p["hidden"], layers=p["layers"], dropout=p["dropout"],
                                      reverse_source=reverse))
        directory = tmp_path / "reversal" / f"{arm}-seed{seed}"
        step, _ = load_checkpoint(list_checkpoints(directory / "checkpoints")[-1][1], model=model, restore_rng=False)
        assert step == p["steps"]
        nll, count = sentence_nll(model, test, "test")
        sentence[arm] = (nll.numpy().astype(float), count.numpy().astype(float))
        assert numbers[f"{arm}_test_ppl"] == pytest.approx(math.exp(float(nll.sum() / count.sum())), abs=1e-3)
        # the validation curve: every eval_every steps against steps, the last at the final weights
        evals = [json.loads(line) for line in (directory / "metrics.jsonl").read_text().splitlines()]
        evals = [r for r in evals if r["split"] == "eval"]
        assert [r["step"] for r in evals] == [6, 12]
        valid_nll, valid_count = sentence_nll(model, data, "valid")
        assert evals[-1]["valid_nll"] == pytest.approx(float(valid_nll.sum() / valid_count.sum()), rel=1e-5)

    def gain(mask):
        (na, ca), (nb, cb) = sentence["normal"], sentence["reversed"]
        return na[mask].sum() / ca[mask].sum() - nb[mask].sum() / cb[mask].sum()

    everything = np.ones(len(test.pairs["test"]), dtype=bool)
    assert numbers["log_ppl_gain_from_reversal"] == pytest.approx(gain(everything), abs=1e-4)
    words = np.array([len(d) for d, _ in test.pairs["test"]])
    assert length_buckets(12) == [("short (1-4 words)", 1, 4), ("medium (5-8)", 5, 8), ("long (9-12)", 9, 12)]
    for label, low, high in length_buckets(p["max_words"]):
        mask = (words >= low) & (words <= high)
        key = label.split()[0]
        if mask.any():
            assert numbers[f"bucket_{key}_sentences"] == int(mask.sum())
            assert numbers[f"bucket_{key}_log_ppl_gain"] == pytest.approx(gain(mask), abs=1e-4)
    assert numbers["bleu_gain_from_reversal"] == pytest.approx(
        numbers["reversed_bleu_beam"] - numbers["normal_bleu_beam"], abs=0.011)
    # one seed: the interval over seeds is unbounded, so no criterion comparing the arms is decided
    assert all(c["passed"] is None for c in experiment["criteria"])
    assert (tmp_path / "reversal" / "valid_nll.png").exists()
