"""roberta: parity with transformers' RobertaForMaskedLM / RobertaForSequenceClassification (logits and
gradients in float64, padded batches so the position offset matters), from_pretrained of save_pretrained
directories and its errors, static vs dynamic masking, FULL-SENTENCES packing and segment pairs, the
vocabulary, and the quick preset checked against the design (identical arms until masks repeat) and an
independent recomputation."""

from __future__ import annotations

import json
import random

import pytest
import torch
from oracles import oracle

from papercraft.papers.bert.model import BertConfig
from papercraft.papers.roberta.masking import DynamicMasking, MaskedBatches, SegmentPairBatches, StaticMasking
from papercraft.papers.roberta.model import (
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForSequenceClassification,
    RobertaModel,
    create_position_ids,
)
from papercraft.papers.roberta.packing import IS_NEXT, NOT_NEXT, full_sentences, segment_pairs
from papercraft.papers.roberta.pretrained import RobertaCheckpointError, from_pretrained, load_state_dict_hf

V, HID, HEADS, INTER, LAYERS, PAD, MAXPOS = 101, 36, 3, 50, 2, 1, 24  # 22 real tokens at most


def _hf_config(**kw):
    transformers = oracle("transformers")
    args = dict(vocab_size=V, hidden_size=HID, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                intermediate_size=INTER, max_position_embeddings=MAXPOS, pad_token_id=PAD, type_vocab_size=1,
                layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                attn_implementation="eager")
    args.update(kw)
    return transformers.RobertaConfig(**args)


def _perturb(model: torch.nn.Module) -> None:
    """Non-trivial LayerNorm parameters and biases, so that a swapped or dropped one would show."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn_like(p))


def _ours_config() -> RobertaConfig:
    return RobertaConfig(vocab_size=V, hidden_size=HID, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                         intermediate_size=INTER, max_position_embeddings=MAXPOS, pad_token_id=PAD,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _padded_batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of different lengths, right- and left-padded, so that positions depend on the padding."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, V, (4, 22), generator=g)
    ids[0, 15:] = PAD  # right padding
    ids[1, :6] = PAD  # left padding: real tokens still start at position PAD + 1
    ids[2, 9:] = PAD
    return ids, (ids != PAD).long()


def _grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad for n, p in model.named_parameters() if p.grad is not None}


def _hf_name(ours: str) -> str:
    return ours.replace("lm_head.transform.dense", "lm_head.dense").replace("lm_head.transform.LayerNorm",
                                                                           "lm_head.layer_norm")


def test_position_ids_match_transformers_and_start_after_padding_index():
    transformers = oracle("transformers")
    ids, _ = _padded_batch()
    ids[3, 4] = PAD  # padding in the middle does not advance the count
    ref = transformers.models.roberta.modeling_roberta.RobertaEmbeddings.create_position_ids_from_input_ids(ids, PAD)
    ours = create_position_ids(ids, PAD)
    assert torch.equal(ours, ref)
    assert int(ours[1, 6]) == PAD + 1 and int(ours[0, 0]) == PAD + 1 and int(ours[1, 0]) == PAD


@pytest.mark.parametrize("cls_name", ["RobertaForMaskedLM", "RobertaForSequenceClassification"])
def test_logits_and_gradients_match_transformers_float64(cls_name):
    transformers = oracle("transformers")
    torch.manual_seed(0)
    if cls_name == "RobertaForMaskedLM":
        ref = transformers.RobertaForMaskedLM(_hf_config()).double()
        ours = RobertaForMaskedLM(_ours_config()).double()
    else:
        ref = transformers.RobertaForSequenceClassification(_hf_config(num_labels=3)).double()
        ours = RobertaForSequenceClassification(_ours_config(), 3).double()
    _perturb(ref)
    load_state_dict_hf(ours, ref.state_dict())
    ref.eval()
    ours.eval()
    ids, mask = _padded_batch()
    out_ref = ref(input_ids=ids, attention_mask=mask).logits
    out = ours(ids, mask)
    assert out.dtype == torch.float64 and out.shape == out_ref.shape
    real = mask.bool() if out.dim() == 3 else slice(None)
    scale = out_ref[real].abs().max()
    assert (out[real] - out_ref[real]).abs().max() <= 1e-10 * scale
    # Gradients of the same loss w.r.t. every parameter (labels only on real tokens / per row).
    g = torch.Generator().manual_seed(3)
    if out.dim() == 3:
        labels = torch.where(mask.bool() & (torch.rand(ids.shape, generator=g) < 0.4),
                             torch.randint(0, V, ids.shape, generator=g), torch.full_like(ids, -100))
        loss_ref = torch.nn.functional.cross_entropy(out_ref.flatten(0, 1), labels.flatten(), ignore_index=-100)
        loss = ours.loss(out, labels)
    else:
        labels = torch.randint(0, 3, (ids.shape[0],), generator=g)
        loss_ref = torch.nn.functional.cross_entropy(out_ref, labels)
        loss = torch.nn.functional.cross_entropy(out, labels)
    assert loss.item() == pytest.approx(loss_ref.item(), rel=1e-12)
    loss_ref.backward()
    loss.backward()
    ref_grads = _grads(ref)
    ours_grads = _grads(ours)
    assert len(ours_grads) == len([n for n in ref_grads if n != "lm_head.decoder.bias"])
    floor = 1e-12 * max(g.abs().max().item() for g in ref_grads.values())  # key biases: exactly 0 in theory
    for name, grad in ours_grads.items():
        other = ref_grads[_hf_name(name)]
        assert (grad - other).abs().max() <= 1e-10 * other.abs().max().item() + floor, name
    # The padding position's embedding row gets no gradient (padding_idx), as in fairseq / transformers.
    pos = ours_grads["roberta.embeddings.position_embeddings.weight"]
    assert pos[PAD].abs().max() == 0 and pos[PAD + 1].abs().max() > 0


def test_masked_lm_loss_equals_full_logits_loss():
    torch.manual_seed(0)
    model = RobertaForMaskedLM(_ours_config()).double().eval()
    ids, mask = _padded_batch()
    labels = torch.where(mask.bool() & (torch.rand(ids.shape) < 0.3), ids, torch.full_like(ids, -100))
    full = model.loss(model(ids, mask), labels)
    fast = model.masked_lm_loss(ids, labels, mask)
    assert fast.item() == pytest.approx(full.item(), rel=1e-12)
    none = torch.full_like(ids, -100)
    assert model.masked_lm_loss(ids, none, mask).item() == 0.0


def _save_hf(tmp_path, model, name="ckpt"):
    directory = tmp_path / name
    model.save_pretrained(directory)
    return directory


def test_from_pretrained_reads_save_pretrained_directories(tmp_path):
    transformers = oracle("transformers")
    torch.manual_seed(0)
    ref = transformers.RobertaForMaskedLM(_hf_config()).eval()
    _perturb(ref)
    directory = _save_hf(tmp_path, ref)
    ours = from_pretrained(directory)
    assert isinstance(ours, RobertaForMaskedLM) and not ours.training
    assert ours.config.pad_token_id == PAD and ours.config.layer_norm_eps == 1e-5
    ids, mask = _padded_batch()
    with torch.no_grad():
        assert torch.allclose(ours(ids, mask), ref(input_ids=ids, attention_mask=mask).logits, atol=1e-5)
        # The encoder alone from the same directory (the LM head is dropped, there is no pooler).
        base = from_pretrained(directory, RobertaModel)
        assert base.pooler is None
        hidden = ref.roberta(input_ids=ids, attention_mask=mask).last_hidden_state
        assert torch.allclose(base(ids, None, mask).last_hidden_state, hidden, atol=1e-5)
        # A classifier on the pre-trained encoder needs num_labels and gets a fresh head.
        with pytest.raises(RobertaCheckpointError, match="num_labels"):
            from_pretrained(directory, RobertaForSequenceClassification)
        clf = from_pretrained(directory, RobertaForSequenceClassification, num_labels=2)
        assert clf(ids, mask).shape == (4, 2)
        # A bare RobertaModel save (with its pooler) loads too.
        bare = transformers.RobertaModel(_hf_config()).eval()
        loaded = from_pretrained(_save_hf(tmp_path, bare, "bare"), RobertaModel)
        out = loaded(ids, None, mask)
        ref_out = bare(input_ids=ids, attention_mask=mask)
        assert torch.allclose(out.pooler_output, ref_out.pooler_output, atol=1e-5)


def _rewrite(directory, *, drop=None, reshape=None, config=None):
    from safetensors.torch import load_file, save_file

    path = directory / "model.safetensors"
    state = load_file(path)
    if drop:
        del state[drop]
    if reshape:
        state[reshape] = torch.zeros(3, 3)
    save_file(state, path)
    if config:
        cfg = json.loads((directory / "config.json").read_text())
        cfg.update(config)
        (directory / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize("change, message", [
    (dict(drop="roberta.encoder.layer.1.output.dense.weight"), "missing key.*layer.1.output.dense.weight"),
    (dict(drop="lm_head.bias"), "missing key.*lm_head.bias"),
    (dict(reshape="roberta.encoder.layer.0.attention.self.query.weight"), "shape mismatch.*query.weight.*\\[3, 3\\]"),
    (dict(config={"position_embedding_type": "relative_key"}), "unsupported option position_embedding_type"),
    (dict(config={"is_decoder": True}), "unsupported option is_decoder"),
    (dict(config={"tie_word_embeddings": False}), "unsupported option tie_word_embeddings"),
    (dict(config={"hidden_act": "relu"}), "unsupported option hidden_act"),
    (dict(config={"model_type": "bert"}), "not a RoBERTa checkpoint"),
    (dict(config={"max_position_embeddings": 2}), "max_position_embeddings must be >= pad_token_id \\+ 2"),
])
def test_from_pretrained_errors_name_the_problem(tmp_path, change, message):
    transformers = oracle("transformers")
    directory = _save_hf(tmp_path, transformers.RobertaForMaskedLM(_hf_config()))
    _rewrite(directory, **change)
    with pytest.raises(RobertaCheckpointError, match=message):
        from_pretrained(directory)


def test_from_pretrained_rejects_non_checkpoints(tmp_path):
    with pytest.raises(RobertaCheckpointError, match="not a directory"):
        from_pretrained(tmp_path / "nope")
    with pytest.raises(RobertaCheckpointError, match="no config.json"):
        from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="model_class"):
        from_pretrained(tmp_path, torch.nn.Linear)
    model = RobertaForMaskedLM(_ours_config())
    state = {k.replace("lm_head.transform.dense", "lm_head.dense"): v for k, v in model.state_dict().items()}
    with pytest.raises(RobertaCheckpointError, match="unexpected key.*extra.weight"):
        load_state_dict_hf(model, {**state, "extra.weight": torch.zeros(1)})
    state["lm_head.decoder.weight"] = torch.zeros(V, HID)  # a decoder that is not the embeddings
    with pytest.raises(RobertaCheckpointError, match="missing key|differs"):
        load_state_dict_hf(model, state)


def test_bad_configs_and_inputs_raise():
    with pytest.raises(ValueError, match="max_position_embeddings must be >= pad_token_id"):
        RobertaConfig(vocab_size=10, hidden_size=8, num_attention_heads=2, max_position_embeddings=2)
    with pytest.raises(ValueError, match="divisible"):
        RobertaConfig(vocab_size=10, hidden_size=10, num_attention_heads=3)
    model = RobertaForMaskedLM(_ours_config())
    with pytest.raises(ValueError, match="22 fit"):
        model(torch.full((1, 23), 5))
    assert model(torch.full((1, 30), PAD).index_fill_(1, torch.arange(22), 5)).shape == (1, 30, V)
    with pytest.raises(ValueError, match="input_ids must be a long tensor"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="attention_mask"):
        model(torch.full((2, 4), 5), torch.ones(2, 5))
    with pytest.raises(ValueError, match="config must be a RobertaConfig"):
        RobertaModel(BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2))
    with pytest.raises(ValueError, match="labels must be"):
        model.masked_lm_loss(torch.full((2, 4), 5), torch.full((2, 5), -100))


# ------------------------------------------------------------------------------------------ masking

def _sequences(n=12, length=10):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 60, (n, length), generator=g)
    ids[:, 0], ids[:, -1] = 0, 2
    ids[::3, 6:] = PAD
    return ids


_MASKS = dict(vocab_size=64, mask_id=63, special_ids=(0, 1, 2, 3, 63), seed=5)


def test_dynamic_masks_change_every_epoch_and_static_repeat_with_period_copies():
    seqs = _sequences()
    dynamic, static = DynamicMasking(seqs, **_MASKS), StaticMasking(seqs, copies=3, **_MASKS)
    d = [dynamic.epoch(e)[1] for e in range(6)]
    s = [static.epoch(e)[1] for e in range(6)]
    assert all(not torch.equal(d[i], d[j]) for i in range(6) for j in range(i))  # a new mask every epoch
    for e in range(3):
        assert torch.equal(s[e], s[e + 3]) and torch.equal(static.epoch(e)[0], static.epoch(e + 3)[0])
        assert torch.equal(s[e], d[e])  # same seed: the arms share the first `copies` epochs
    assert not torch.equal(s[0], s[1]) and not torch.equal(s[1], s[2])
    for inputs, labels in (dynamic.epoch(7), static.epoch(7)):
        special = torch.isin(seqs, torch.tensor(_MASKS["special_ids"]))
        assert (labels[special] == -100).all()  # specials and padding never chosen
        chosen = labels != -100
        assert torch.equal(labels[chosen], seqs[chosen]) and torch.equal(inputs[~chosen], seqs[~chosen])


def test_masked_batches_feed_every_sequence_once_per_epoch_and_resume_exactly():
    seqs = _sequences()
    batches = MaskedBatches(DynamicMasking(seqs, **_MASKS), batch_size=4, pad_id=PAD, seed=1)
    seen = []
    for _ in range(3):  # one epoch = 3 batches of 4
        inputs, labels, attention = next(batches)
        assert torch.equal(attention, (torch.where(labels != -100, labels, inputs) != PAD).long())
        seen += [torch.where(labels != -100, labels, inputs)]
    assert sorted(map(tuple, torch.cat(seen).tolist())) == sorted(map(tuple, seqs.tolist()))
    next(batches)
    state = batches.state_dict()
    expected = [next(batches) for _ in range(4)]
    resumed = MaskedBatches(DynamicMasking(seqs, **_MASKS), batch_size=4, pad_id=PAD, seed=1)
    resumed.load_state_dict(state)
    for a, b in zip(expected, (next(resumed) for _ in range(4)), strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="copies"):
        StaticMasking(seqs, copies=0, **_MASKS)
    with pytest.raises(ValueError, match="batch_size"):
        MaskedBatches(DynamicMasking(seqs, **_MASKS), batch_size=13, pad_id=PAD)
    with pytest.raises(ValueError, match="sequences must be a long tensor"):
        DynamicMasking(seqs.float(), **_MASKS)


# ------------------------------------------------------------------------------------------ packing

def _documents(seed=0, n_docs=5):
    rng = random.Random(seed)
    counter = iter(range(10, 10**6))
    return [[[next(counter) for _ in range(rng.randint(1, 9))] for _ in range(rng.randint(0, 7))]
            for _ in range(n_docs)] + [[[next(counter) for _ in range(23)]]]  # one sentence longer than an input


@pytest.mark.parametrize("max_length", [3, 8, 12, 40])
def test_full_sentences_keep_every_token_once_within_max_length(max_length):
    docs = _documents()
    inputs = full_sentences(docs, max_length, bos=0, eos=2)
    assert all(len(x) <= max_length and x[0] == 0 and x[-1] == 2 for x in inputs)
    content = [t for x in inputs for t in x[1:-1]]
    assert [t for t in content if t != 2] == [t for d in docs for s in d for t in s]  # each token once, in order
    # Separators only between documents, never opening or closing an input's content.
    assert content.count(2) <= sum(1 for d in docs if d) - 1
    assert all(x[1] != 2 and x[-2] != 2 for x in inputs)
    where = {t: i for i, x in enumerate(inputs) for t in x[1:-1]}
    for sentence in (s for d in docs for s in d if len(s) <= max_length - 2):  # kept whole when it fits
        assert {where[t] for t in sentence} == {where[sentence[0]]}


def test_full_sentences_cross_documents_with_a_separator():
    assert full_sentences([[[5, 6]], [[7]], [], [[8, 9]]], 10, bos=0, eos=2) == [[0, 5, 6, 2, 7, 2, 8, 9, 2]]
    assert full_sentences([[[5, 6]], [[7, 8]]], 6, bos=0, eos=2) == [[0, 5, 6, 2], [0, 7, 8, 2]]
    with pytest.raises(ValueError, match="max_length"):
        full_sentences([[[5]]], 2, bos=0, eos=2)
    with pytest.raises(ValueError, match="documents"):
        full_sentences("text", 8, bos=0, eos=2)


def test_segment_pairs_are_bert_style_with_half_random_next():
    # Token 10000 + 100 d + 10 s + t is token t of sentence s of document d; sentences of 4 tokens
    # fill the 20-token capacity of a 23-token input exactly, so IsNext pairs are never trimmed.
    docs = [[[10000 + 100 * d + 10 * s + t for t in range(4)] for s in range(8)] for d in range(30)]
    pairs = segment_pairs(docs, 23, bos=0, eos=2, rng=random.Random(0))
    labels = [label for _, _, label in pairs]
    assert 0.35 < labels.count(NOT_NEXT) / len(labels) < 0.65
    for ids, types, label in pairs:
        assert len(ids) <= 23 and ids[0] == 0 and ids[-1] == 2 and len(types) == len(ids)
        sep = ids.index(2)
        a, b = ids[1:sep], ids[sep + 1:-1]
        assert a and b and types == [0] * (sep + 1) + [1] * (len(b) + 1)
        assert a[0] % 10 == 0 and b[0] % 10 == 0  # segments start at sentence boundaries
        if label == IS_NEXT:  # B is the continuation of A in the same document
            assert b[0] // 100 == a[0] // 100 and a[-1] % 10 == 3 and b[0] // 10 == a[-1] // 10 + 1
        else:  # B comes from another document
            assert b[0] // 100 != a[0] // 100
    with pytest.raises(ValueError, match="two non-empty documents"):
        segment_pairs([docs[0]], 20, bos=0, eos=2, rng=random.Random(0))


def test_segment_pair_batches_redraw_pairs_and_masks_each_epoch():
    docs = [[[100 * d + 10 * s + t for t in range(4)] for s in range(8)] for d in range(10)]
    batches = SegmentPairBatches(docs, max_length=20, batch_size=4, bos_id=0, eos_id=2, pad_id=PAD,
                                 mask_id=1023, vocab_size=1024, special_ids=(0, 1, 2, 3, 1023), seed=0)
    first = batches._epoch()
    batches.epoch = 1
    second = batches._epoch()
    assert not torch.equal(first[3], second[3]) or not torch.equal(first[4], second[4])
    inputs, types, attention, labels, nsp = next(batches)
    assert inputs.shape == types.shape == attention.shape == labels.shape == (4, 20) and nsp.shape == (4,)


# ------------------------------------------------------------------------------------------ vocabulary

def test_vocabulary_renumbers_bpe_with_fairseq_specials(tmp_path):
    from papercraft.papers.bpe import train_bpe
    from papercraft.papers.roberta.vocabulary import RobertaVocabulary, train_roberta_vocabulary

    text = "It is a truth universally acknowledged, that a single man in possession of a good fortune. " * 20
    vocab = train_roberta_vocabulary(text, 300)
    assert len(vocab) == 300 and (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.mask_id == 299
    bpe = train_bpe(text, 295)
    assert vocab.encode_ordinary("a single truth") == [i + 4 for i in bpe.encode_ordinary("a single truth")]
    ids = vocab.encode("héllo wörld ✓")  # byte-level: anything encodes, no <unk>
    assert ids[0] == 0 and ids[-1] == 2 and vocab.unk_id not in ids
    assert vocab.decode(ids) == "<s>héllo wörld ✓</s>"
    batch, mask = vocab.encode_batch(["a", "a single man in possession"], max_length=5)
    assert batch.shape == (2, 5) and batch[1, -1] == vocab.eos_id and batch[0, -1] == vocab.pad_id
    assert torch.equal(mask, (batch != vocab.pad_id).long())
    again = RobertaVocabulary.load(vocab.save(tmp_path / "vocab"))
    assert again.encode(text) == vocab.encode(text) and again.mask_id == vocab.mask_id
    with pytest.raises(ValueError, match="vocab_size"):
        train_roberta_vocabulary(text, 200)


# ------------------------------------------------------------------------------------------ quick preset

def test_quick_preset_arms_identical_until_masks_repeat_and_numbers_recomputed(tmp_path):
    from papercraft.errors import DataMissingError
    from papercraft.registry import registry
    from papercraft.runner import run_entry
    from papercraft.statistics import mean_interval

    try:
        from papercraft.data import load_austen

        load_austen()
    except DataMissingError as exc:
        pytest.skip(str(exc))
    run_dir, result = run_entry("roberta", preset="quick", out=tmp_path / "run")
    p = registry().get("roberta").experiment("ablations").preset("quick").params
    exp = result["experiments"]["ablations"]
    numbers = exp["numbers"]
    spe = numbers["steps_per_epoch"]
    assert numbers["steps"] == p["epochs"] * spe and numbers["mask_repeats"] == p["epochs"] / p["copies"]

    def history(name):
        lines = (run_dir / "ablations" / name / "metrics.jsonl").read_text().splitlines()
        return [json.loads(x) for x in lines]

    for seed in (0, 1000)[: p["seeds"]]:
        static = {r["step"]: r["loss"] for r in history(f"pretrain-static-seed{seed}") if r["split"] == "train"}
        dynamic = {r["step"]: r["loss"] for r in history(f"pretrain-dynamic-seed{seed}") if r["split"] == "train"}
        early = [s for s in static if s <= p["copies"] * spe]
        late = [s for s in static if s > p["copies"] * spe]
        # The design: same seed, same masks, same batches until static masks start repeating ...
        assert early and all(static[s] == dynamic[s] for s in early)
        # ... and then the arms part: static masking feeds masks it has seen before.
        assert late and all(static[s] != dynamic[s] for s in late)
    # The intervals, recomputed from the per-seed numbers.
    loss, acc = numbers["heldout_mlm_loss"], numbers["acceptability_accuracy"]
    d = mean_interval([a - b for a, b in zip(loss["static"], loss["dynamic"], strict=True)])
    assert numbers["static_minus_dynamic_mlm_loss"]["estimate"] == pytest.approx(d.estimate, abs=1e-3)
    assert numbers["static_minus_dynamic_mlm_loss"]["low"] == pytest.approx(d.low, abs=1e-3)
    n = mean_interval([a - b for a, b in zip(acc["dynamic"], acc["nsp"], strict=True)])
    assert numbers["nonsp_minus_nsp_accuracy"]["estimate"] == pytest.approx(n.estimate, abs=1e-3)
    criteria = {c["name"]: c for c in exp["criteria"]}
    assert criteria["dynamic vs static masking: held-out MLM loss"]["passed"] == d.decide(-0.02)
    # The reported held-out loss, recomputed from the final checkpoint with full logits and a plain
    # cross-entropy on the same fixed masks.
    from papercraft.papers.bert.masking import mask_tokens
    from papercraft.papers.roberta import experiment as ex
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    corpus = ex.load_corpus(p["train_chars"], p["vocab_size"], p["heldout"])
    vocab = corpus.vocab
    held = full_sentences(corpus.heldout_documents, p["max_length"], bos=vocab.bos_id, eos=vocab.eos_id)
    held_ids = ex.pad_to(held[: p["eval_sequences"]], p["max_length"], vocab.pad_id)
    special = torch.isin(held_ids, torch.tensor(vocab.special_ids))
    inputs, labels = mask_tokens(held_ids, vocab_size=len(vocab), mask_id=vocab.mask_id, special_mask=special,
                                 generator=torch.Generator().manual_seed(ex.EVAL_MASK_SEED))
    model = RobertaForMaskedLM(ex.model_config(p, vocab))
    load_checkpoint(list_checkpoints(run_dir / "ablations" / "pretrain-static-seed0" / "checkpoints")[-1][1],
                    model=model, restore_rng=False)
    with torch.no_grad():
        logits = model.eval()(inputs, (held_ids != vocab.pad_id).long())
    recomputed = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
    assert recomputed.item() == pytest.approx(loss["static"][0], abs=1e-4)
    assert (run_dir / "ablations" / "mlm_loss.png").is_file() and (run_dir / "ablations" / "downstream.png").is_file()
