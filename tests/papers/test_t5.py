"""t5: parity with transformers' T5ForConditionalGeneration (logits and gradients, float64, padding
masks), the relative-position buckets against transformers' own function, from_pretrained of a
save_pretrained directory and its errors, cached vs uncached decoding (and transformers' greedy
generate), span corruption round trips and statistics, and the quick preset's numbers recomputed."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import oracle

from papercraft.papers.t5 import (
    T5CheckpointError,
    T5Config,
    T5ForConditionalGeneration,
    config_from_hf,
    from_pretrained,
    load_hf_state_dict,
    random_spans_noise_mask,
    reconstruct,
    relative_position_bucket,
    span_corrupt,
    text_to_text,
)
from papercraft.papers.t5.pretrained import hf_to_papercraft_key

# The tiny odd configuration: width 36, 3 heads of 12, d_ff 50, 2+2 layers, 101 tokens, 8 buckets up to 20.
TINY = dict(vocab_size=101, d_model=36, d_kv=12, d_ff=50, num_layers=2, num_decoder_layers=2, num_heads=3,
            relative_attention_num_buckets=8, relative_attention_max_distance=20, dropout_rate=0.0,
            decoder_start_token_id=0)


def _exact_layer_norm(monkeypatch) -> None:
    """transformers' T5LayerNorm computes the variance in float32 even for float64 inputs (for
    half precision); a float64 comparison then differs by ~1e-8. Patch it to keep the input's dtype,
    the formula otherwise unchanged, so that a one-line bug cannot hide under that noise."""
    modeling = pytest.importorskip("transformers.models.t5.modeling_t5")

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))

    monkeypatch.setattr(modeling.T5LayerNorm, "forward", forward)


def _hf_t5(seed: int = 0, dtype=torch.float64, **overrides):
    transformers = oracle("transformers")
    torch.manual_seed(seed)
    cfg = transformers.T5Config(**{**TINY, **overrides}, attn_implementation="eager")
    model = transformers.T5ForConditionalGeneration(cfg).to(dtype).eval()
    with torch.no_grad():  # non-trivial norm weights, so that a swapped or missing norm would show
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.add_(0.2 * torch.randn_like(p))
    return model


def _ours_from(hf) -> T5ForConditionalGeneration:
    cfg = config_from_hf(hf.config.to_dict())
    model = T5ForConditionalGeneration(cfg).to(hf.dtype).eval()
    load_hf_state_dict(model, hf.state_dict())
    return model


def _batch(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(2, TINY["vocab_size"], (3, 29), generator=g)
    x_mask = torch.ones(3, 29, dtype=torch.long)
    x_mask[1, 21:] = 0  # right padding
    x_mask[2, 6:] = 0
    labels = torch.randint(2, TINY["vocab_size"], (3, 23), generator=g)
    y_mask = torch.ones(3, 23, dtype=torch.long)
    y_mask[0, 17:] = 0
    labels = labels.masked_fill(y_mask == 0, -100)
    return x, x_mask, labels, y_mask


@pytest.mark.parametrize("overrides", [{}, {"feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
                                       {"num_decoder_layers": 3}], ids=["relu-tied", "gated-gelu-unscaled", "3-dec"])
def test_logits_loss_and_gradients_match_transformers(monkeypatch, overrides):
    _exact_layer_norm(monkeypatch)
    hf = _hf_t5(**overrides)
    ours = _ours_from(hf)
    assert ours.config.rescale_output == (overrides.get("tie_word_embeddings", True))
    x, x_mask, labels, y_mask = _batch()
    out = hf(input_ids=x, attention_mask=x_mask, labels=labels, decoder_attention_mask=y_mask)
    logits = ours(x, attention_mask=x_mask, labels=labels, decoder_attention_mask=y_mask)
    loss = ours.loss(logits, labels)
    scale = out.logits.abs().max()
    assert (logits - out.logits).abs().max() <= 1e-12 * scale
    assert loss.item() == pytest.approx(out.loss.item(), rel=1e-12)
    out.loss.backward()
    loss.backward()
    ours_params = dict(ours.named_parameters())
    compared = 0
    for name, p in hf.named_parameters():
        mine = ours_params[hf_to_papercraft_key(name)]
        assert mine.grad is not None, name
        assert (mine.grad - p.grad).abs().max() <= 1e-10 * (p.grad.abs().max() + 1e-30), name
        compared += 1
    assert compared == len(ours_params)  # every parameter of ours has a counterpart with the same gradient


def test_float32_against_unpatched_transformers():
    """Without the float64 patch, in float32: transformers' own T5LayerNorm, a loose tolerance."""
    hf = _hf_t5(dtype=torch.float32)
    ours = _ours_from(hf)
    x, x_mask, labels, y_mask = _batch(2)
    with torch.no_grad():
        ref = hf(input_ids=x, attention_mask=x_mask, labels=labels, decoder_attention_mask=y_mask).logits
        got = ours(x, attention_mask=x_mask, labels=labels, decoder_attention_mask=y_mask)
    assert (got - ref).abs().max() <= 1e-5 * ref.abs().max()


@pytest.mark.parametrize("num_buckets,max_distance", [(8, 20), (32, 128), (6, 9), (33, 50)])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_relative_position_buckets_match_transformers(num_buckets, max_distance, bidirectional):
    oracle("transformers")
    from transformers.models.t5.modeling_t5 import T5Attention

    offsets = torch.arange(-300, 301)
    ref = T5Attention._relative_position_bucket(offsets, bidirectional=bidirectional, num_buckets=num_buckets,
                                                max_distance=max_distance)
    got = relative_position_bucket(offsets, bidirectional=bidirectional, num_buckets=num_buckets,
                                   max_distance=max_distance)
    assert torch.equal(got, ref)
    assert int(got.min()) >= 0 and int(got.max()) < num_buckets
    if not bidirectional:
        assert (got[offsets > 0] == 0).all()  # later keys: bucket 0 (masked in a decoder anyway)


def test_relative_bias_is_one_table_per_stack_shared_by_every_layer():
    model = T5ForConditionalGeneration(T5Config(**{k: v for k, v in TINY.items()}))
    tables = [k for k in model.state_dict() if "relative_bias" in k]
    assert tables == ["encoder.relative_bias.embedding.weight", "decoder.relative_bias.embedding.weight"]
    seen = []
    for layer in model.encoder.layers:
        layer.self_attn.register_forward_hook(lambda m, a, kw, out: seen.append(kw["position_bias"]), with_kwargs=True)
    model.eval()(torch.randint(0, 101, (2, 7)), torch.randint(0, 101, (2, 5)))
    assert len(seen) == 2 and seen[0] is seen[1] and seen[0].shape == (1, 3, 7, 7)
    # bidirectional buckets: the bias of offset +1 and -1 differ in general, the diagonal is constant
    bias = seen[0][0, 0]
    assert torch.allclose(bias.diagonal(), bias[0, 0].expand(7))


def test_from_pretrained_loads_save_pretrained_directory(tmp_path):
    for name, overrides in {"t5": {}, "t5v11": {"feed_forward_proj": "gated-gelu", "tie_word_embeddings": False}}.items():
        hf = _hf_t5(dtype=torch.float32, **overrides)
        hf.save_pretrained(tmp_path / name)
        ours = from_pretrained(tmp_path / name)
        assert not ours.training and ours.config.feed_forward_proj == hf.config.feed_forward_proj
        x, x_mask, labels, y_mask = _batch(3)
        with torch.no_grad():
            ref = hf(input_ids=x, attention_mask=x_mask, labels=labels).logits
            got = ours(x, attention_mask=x_mask, labels=labels)
        assert (got - ref).abs().max() <= 1e-5 * ref.abs().max()
    as64 = from_pretrained(tmp_path / "t5", dtype=torch.float64)
    assert as64.shared.weight.dtype == torch.float64


def _rewrite(directory, *, drop=(), add=None, reshape=None, config=None):
    from safetensors.torch import load_file, save_file

    state = load_file(directory / "model.safetensors")
    for key in drop:
        del state[key]
    state.update(add or {})
    for key, shape in (reshape or {}).items():
        state[key] = torch.zeros(shape)
    save_file(state, directory / "model.safetensors")
    if config:
        cfg = json.loads((directory / "config.json").read_text())
        (directory / "config.json").write_text(json.dumps({**cfg, **config}))


@pytest.mark.parametrize("change,match", [
    (dict(drop=["decoder.block.1.layer.1.EncDecAttention.k.weight"]), "missing key.*decoder.layers.1.cross_attn.k"),
    (dict(add={"encoder.block.0.layer.0.SelfAttention.extra": torch.zeros(3)}), "unexpected key.*SelfAttention.extra"),
    (dict(reshape={"encoder.block.0.layer.1.DenseReluDense.wi.weight": (51, 36)}), r"shape mismatch.*ff\.wi.*\[51, 36\]"),
    (dict(config={"feed_forward_proj": "gated-silu"}), "unsupported option feed_forward_proj='gated-silu'"),
    (dict(config={"model_type": "bart"}), "model_type is 'bart'"),
    (dict(config={"is_encoder_decoder": False}), "unsupported option is_encoder_decoder"),
    (dict(add={"lm_head.weight": torch.zeros(101, 36)}), "lm_head.weight differs from shared.weight"),
])
def test_from_pretrained_errors_name_the_problem(tmp_path, change, match):
    _hf_t5(dtype=torch.float32).save_pretrained(tmp_path)
    _rewrite(tmp_path, **change)
    with pytest.raises(T5CheckpointError, match=match):
        from_pretrained(tmp_path)


def test_from_pretrained_rejects_non_checkpoints(tmp_path):
    with pytest.raises(T5CheckpointError, match="not a directory"):
        from_pretrained(tmp_path / "nope")
    with pytest.raises(T5CheckpointError, match="no config.json"):
        from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(T5CheckpointError, match="not valid JSON"):
        from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5", **TINY}))
    with pytest.raises(T5CheckpointError, match="no model.safetensors"):
        from_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{garbage")
    with pytest.raises(T5CheckpointError, match="cannot read the weights"):
        from_pretrained(tmp_path)


def test_cached_decoding_equals_uncached_and_transformers_greedy(monkeypatch):
    _exact_layer_norm(monkeypatch)
    hf = _hf_t5()
    ours = _ours_from(hf)
    x, x_mask, _, _ = _batch(4)
    # logits step by step with the cache equal the teacher-forced logits of the whole prefix
    prefix = torch.randint(2, 101, (3, 9))
    memory = ours.encode(x, x_mask)
    full = ours.decode(prefix, memory, x_mask)
    cache = ours.new_cache()
    steps = torch.cat([ours.decode(prefix[:, i : i + 1], memory, x_mask, cache=cache) for i in range(9)], dim=1)
    assert (steps - full).abs().max() <= 1e-12 * full.abs().max()
    with torch.no_grad():
        cached = ours.generate(x, x_mask, max_new_tokens=12)
        uncached = ours.generate(x, x_mask, max_new_tokens=12, use_cache=False)
        ref = hf.generate(input_ids=x, attention_mask=x_mask, max_new_tokens=12, do_sample=False, num_beams=1,
                          min_new_tokens=0)
    assert torch.equal(cached, uncached)
    assert torch.equal(cached, ref[:, 1 : 1 + cached.shape[1]])  # transformers' output starts with the start token


def test_bad_config_and_inputs_raise():
    with pytest.raises(ValueError, match="feed_forward_proj"):
        T5Config(vocab_size=10, feed_forward_proj="swish")
    with pytest.raises(ValueError, match="relative_attention_max_distance"):
        T5Config(vocab_size=10, relative_attention_num_buckets=32, relative_attention_max_distance=8)
    with pytest.raises(ValueError, match="eos_token_id"):
        T5Config(vocab_size=10, eos_token_id=10)
    model = T5ForConditionalGeneration(T5Config(**TINY)).eval()
    x = torch.randint(0, 101, (2, 5))
    with pytest.raises(ValueError, match="input_ids holds ids outside"):
        model(x + 200, x)
    with pytest.raises(ValueError, match="int64"):
        model(x.float(), x)
    with pytest.raises(ValueError, match="attention_mask must have the shape"):
        model(x, x, attention_mask=torch.ones(2, 4))
    with pytest.raises(ValueError, match="decoder_input_ids or labels"):
        model(x)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(x, max_new_tokens=0)
    with pytest.raises(ValueError, match="integer tensor"):
        relative_position_bucket(torch.zeros(3), bidirectional=True)


# --------------------------------------------------------------------------- span corruption

SENTINELS = list(range(1000, 1040))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 999), min_size=2, max_size=300), st.integers(0, 2**32 - 1),
       st.sampled_from([0.15, 0.3, 0.5]), st.sampled_from([1.0, 3.0, 5.0]))
def test_span_corruption_round_trips(ids, seed, density, span):
    inputs, targets = span_corrupt(ids, SENTINELS, random.Random(seed), noise_density=density,
                                   mean_noise_span_length=span, eos_id=2000)
    assert reconstruct(inputs, targets, SENTINELS, eos_id=2000) == ids
    sentinels_in = [t for t in inputs if t in SENTINELS]
    sentinels_out = [t for t in targets if t in SENTINELS]
    assert sentinels_in == SENTINELS[: len(sentinels_in)]  # <extra_id_0>, <extra_id_1>, ... in order
    assert sentinels_out == SENTINELS[: len(sentinels_in) + 1]  # and one closing sentinel (Figure 2's <Z>)
    assert targets[0] == SENTINELS[0] and inputs[0] != SENTINELS[0]  # a text starts with kept tokens


def test_span_corruption_text_round_trip_and_figure_2_shape():
    from papercraft.papers.bpe import train_bpe

    text = "Thank you for inviting me to your party last week. " * 3
    tok = train_bpe(text, 300, special_tokens=[f"<extra_id_{i}>" for i in range(8)])
    sentinels = [tok.special_tokens[f"<extra_id_{i}>"] for i in range(8)]
    ids = tok.encode_ordinary(text)
    for seed in range(50):
        inputs, targets = span_corrupt(ids, sentinels, random.Random(seed))
        assert tok.decode(reconstruct(inputs, targets, sentinels)) == text
    shown_in, shown_out = tok.decode(inputs), tok.decode(targets)
    assert "<extra_id_0>" in shown_in and shown_out.startswith("<extra_id_0>")


def test_noise_density_and_mean_span_length_match_the_paper():
    rng = random.Random(0)
    noise = spans = total = 0
    lengths = []
    for _ in range(2000):
        length = rng.randrange(50, 600)
        mask = random_spans_noise_mask(length, rng)
        n = sum(mask)
        assert n == round(length * 0.15)  # the number of corrupted tokens is fixed, as in T5's code
        runs = [i for i in range(length) if mask[i] and (i == 0 or not mask[i - 1])]
        assert len(runs) == max(round(n / 3), 1) and not mask[0]
        noise, spans, total = noise + n, spans + len(runs), total + length
        lengths += [sum(1 for _ in _run(mask, r)) for r in runs]
    assert noise / total == pytest.approx(0.15, abs=0.002)
    assert noise / spans == pytest.approx(3.0, abs=0.05)
    # span lengths are a uniform random composition: every length from 1 up occurs, the mean is 3
    assert min(lengths) == 1 and max(lengths) > 8
    assert sum(lengths) / len(lengths) == pytest.approx(3.0, abs=0.05)


def _run(mask, start):
    i = start
    while i < len(mask) and mask[i]:
        yield i
        i += 1


def test_downstream_tasks_share_texts_and_split_by_sentence():
    from papercraft.papers.t5.experiment import downstream_examples

    sentences = [f"Sentence number {i} was written by someone quite careful ." for i in range(60)]
    train, test, info = downstream_examples(sentences + sentences[:5], 0, 0.25, 10)
    assert info["test_sentences"] == 10 and info["train_sentences"] == 45 and info["sentences_skipped"] == 5
    for examples in (train, test):
        acceptable = [e for e in examples if e.task == "acceptable"]
        diagnose = [e for e in examples if e.task == "corruption"]
        assert sum(e.target == "yes" for e in acceptable) == sum(e.target == "no" for e in acceptable) == len(diagnose)
        assert abs(sum(e.target == "swapped" for e in diagnose) - sum(e.target == "shuffled" for e in diagnose)) <= 1
        # every corrupted copy appears under both prefixes, with the prefix the only difference
        bad = {e.source.split(": ", 1)[1] for e in acceptable if e.target == "no"}
        assert bad == {e.source.split(": ", 1)[1] for e in diagnose}
    numbers = [{w for e in examples for w in e.source.split(" ") if w.isdigit()} for examples in (train, test)]
    assert len(numbers[1]) == 10 and not numbers[0] & numbers[1]  # a test sentence never occurs in training


def test_span_corruption_errors_and_text_to_text():
    with pytest.raises(ValueError, match="sentinels"):
        span_corrupt(list(range(200)), SENTINELS[:3], random.Random(0))
    with pytest.raises(ValueError, match="already holds sentinel"):
        span_corrupt([1, 2, 1000, 4], SENTINELS, random.Random(0))
    with pytest.raises(ValueError, match="length"):
        random_spans_noise_mask(1, random.Random(0))
    with pytest.raises(ValueError, match="noise_density"):
        random_spans_noise_mask(10, random.Random(0), noise_density=1.5)
    with pytest.raises(ValueError, match="no span"):
        reconstruct([5, SENTINELS[1]], [SENTINELS[0], 7, SENTINELS[2]], SENTINELS)
    assert text_to_text("acceptable", "she was very tired") == "acceptable: she was very tired"
    with pytest.raises(ValueError, match="prefix"):
        text_to_text("fix:", "x")


# --------------------------------------------------------------------------- the experiment


def test_quick_preset_numbers_recomputed(tmp_path):
    from papercraft.errors import DataMissingError
    from papercraft.registry import registry
    from papercraft.runner import run_entry

    try:
        from papercraft.data import load_austen

        load_austen()
    except DataMissingError as exc:
        pytest.skip(str(exc))
    run_dir, result = run_entry("t5", preset="quick", out=tmp_path / "run")
    p = registry().get("t5").experiment("pretraining_and_prefixes").preset("quick").params
    exp = result["experiments"]["pretraining_and_prefixes"]
    numbers, criteria = exp["numbers"], {c["name"]: c for c in exp["criteria"]}
    # Span-corruption pre-training learned something about the held-out novel's text.
    assert numbers["pretrain_heldout_span_loss"] < numbers["init_heldout_span_loss"] - 0.5
    # Each arm's scores are the last evaluation in its sub-run's metrics.jsonl, and the gain
    # intervals are Student-t intervals (t_0.975 with 2 df = 4.303) of the per-seed differences.
    seeds = [0, 1000, 2000]
    assert p["seeds"] == 3
    for arm in ("pretrained", "scratch"):
        for i, seed in enumerate(seeds):
            lines = (run_dir / "pretraining_and_prefixes" / f"finetune-{arm}-seed{seed}" / "metrics.jsonl").read_text()
            last = [json.loads(x) for x in lines.splitlines() if '"eval"' in x][-1]
            for key in ("acceptable_exact", "corruption_exact", "acceptable_format", "corruption_format"):
                assert numbers[f"{arm}_{key}"][i] == round(last[key], 4)
    for task in ("acceptable", "corruption"):
        d = [a - b for a, b in zip(numbers[f"pretrained_{task}_exact"], numbers[f"scratch_{task}_exact"])]
        m = sum(d) / 3
        half = 4.303 * math.sqrt(sum((x - m) ** 2 for x in d) / 2) / math.sqrt(3)
        assert numbers[f"{task}_gain"]["low"] == pytest.approx(m - half, abs=2e-4)
        assert numbers[f"{task}_gain"]["high"] == pytest.approx(m + half, abs=2e-4)
        # (a) cannot be decided while a scratch seed is not above chance by a one-sided binomial test
        bound = 0.5 + 1.645 * math.sqrt(0.25 / numbers[f"{task}_examples_test"])
        assert numbers[f"{task}_chance_bound"] == pytest.approx(bound, abs=1e-4)
        if min(numbers[f"scratch_{task}_exact"]) <= bound:
            assert criteria[f"{task} gain"]["passed"] is None
    smallest = min(numbers["pretrained_acceptable_format"] + numbers["pretrained_corruption_format"])
    assert criteria["one model follows both prefixes"]["measured"] == pytest.approx(smallest, abs=1e-4)
    for plot in exp["plots"]:
        assert (run_dir / plot["path"]).is_file()
