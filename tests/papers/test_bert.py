"""bert: parity with transformers' BertForPreTraining (MLM + NSP logits and every gradient, float64),
the fused vs written-out attention, the heads, 80/10/10 masking within binomial bounds, NSP pairs,
``from_pretrained`` of ``save_pretrained`` directories (and its errors), and real MiniLM weights:
sentence embeddings equal transformers' BertModel with mean pooling + L2 normalization."""

from __future__ import annotations

import json
import math

import pytest
import torch
from oracles import oracle

from papercraft.papers.bert.model import (
    BertConfig,
    BertEncoder,
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)
from papercraft.papers.bert.pretrained import BertCheckpointError, _rename, from_pretrained, load_state_dict_hf

# A tiny, odd-sized configuration: 3 heads of width 12, intermediate 50, vocabulary 97.
TINY = dict(vocab_size=97, hidden_size=36, num_hidden_layers=2, num_attention_heads=3, intermediate_size=50,
            max_position_embeddings=40, type_vocab_size=2, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, pad_token_id=0)


def _hf_config(**overrides):
    transformers = oracle("transformers")
    return transformers.BertConfig(**{**TINY, **overrides})


def _randomize(model: torch.nn.Module, seed: int) -> None:
    """Weights far from the 0.02 init (LayerNorm gains and all biases too), so a swapped or
    misplaced parameter changes the output by much more than the tolerance."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=p.dtype)
            p.copy_((1.0 + 0.2 * noise) if name.endswith("LayerNorm.weight") else 0.3 * noise)


def _hf_pretraining(seed: int = 0):
    transformers = oracle("transformers")
    torch.manual_seed(seed)
    hf = transformers.BertForPreTraining(_hf_config()).double().eval()
    _randomize(hf, seed)
    return hf


def _batch(seed: int = 1):
    """[B=3, L=11] ids, two segments, and a padding mask with different lengths (one full row)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, TINY["vocab_size"], (3, 11), generator=g)
    lengths = torch.tensor([11, 7, 4])
    mask = (torch.arange(11)[None, :] < lengths[:, None]).long()
    ids = ids.masked_fill(mask == 0, 0)
    types = ((torch.arange(11)[None, :] >= (lengths[:, None] // 2)) & (mask == 1)).long()
    return ids, types, mask


def test_pretraining_logits_and_gradients_match_transformers_float64():
    hf = _hf_pretraining()
    ours = BertForPreTraining(BertConfig(**TINY)).double().eval()
    load_state_dict_hf(ours, hf.state_dict())
    ids, types, mask = _batch()

    out = hf(input_ids=ids, token_type_ids=types, attention_mask=mask)
    mlm, nsp = ours(ids, token_type_ids=types, attention_mask=mask)
    real = mask.bool()  # padded positions' outputs are never used; transformers computes them alike anyway
    torch.testing.assert_close(mlm, out.prediction_logits, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(nsp, out.seq_relationship_logits, rtol=1e-10, atol=1e-10)
    assert mlm[real].abs().max() > 1.0  # not a degenerate comparison

    # Gradients of a loss that weights every logit differently, through both heads.
    g = torch.Generator().manual_seed(2)
    w_mlm = torch.randn(mlm.shape, generator=g, dtype=torch.float64)
    w_nsp = torch.randn(nsp.shape, generator=g, dtype=torch.float64)
    ((out.prediction_logits * w_mlm).sum() + (out.seq_relationship_logits * w_nsp).sum()).backward()
    ((mlm * w_mlm).sum() + (nsp * w_nsp).sum()).backward()
    ours_params = dict(ours.named_parameters())
    checked = set()
    for name, p in hf.named_parameters():
        mine = ours_params[_rename(name)]
        torch.testing.assert_close(mine.grad, p.grad, rtol=1e-9, atol=1e-10, msg=lambda m: f"{name}: {m}")
        checked.add(_rename(name))
    assert checked == set(ours_params), set(ours_params) ^ checked  # every parameter compared


def test_pretraining_loss_matches_transformers():
    hf = _hf_pretraining(3)
    ours = BertForPreTraining(BertConfig(**TINY)).double().eval()
    load_state_dict_hf(ours, hf.state_dict())
    ids, types, mask = _batch(4)
    labels = torch.full_like(ids, -100)
    labels[0, 2], labels[1, 5], labels[2, 1] = 5, 17, 96
    nsp_labels = torch.tensor([0, 1, 1])
    expected = hf(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels,
                  next_sentence_label=nsp_labels).loss
    mlm, nsp = ours(ids, types, mask)
    torch.testing.assert_close(BertForPreTraining.loss(mlm, labels, nsp, nsp_labels), expected, rtol=1e-12, atol=0)


def test_fused_attention_equals_the_transformer_entrys_written_out_attention():
    torch.manual_seed(0)
    fused = BertModel(BertConfig(**TINY)).double().eval()
    _randomize(fused, 5)
    plain = BertModel(BertConfig(**TINY, fused_attention=False)).double().eval()
    plain.load_state_dict(fused.state_dict())
    ids, types, mask = _batch()
    a, b = fused(ids, types, mask), plain(ids, types, mask)
    torch.testing.assert_close(a.last_hidden_state, b.last_hidden_state, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(a.pooler_output, b.pooler_output, rtol=1e-12, atol=1e-12)


def test_padding_does_not_change_real_positions_and_masks_are_checked():
    torch.manual_seed(0)
    model = BertModel(BertConfig(**TINY)).double().eval()
    _randomize(model, 6)
    ids = torch.randint(1, 97, (1, 6))
    alone = model(ids).last_hidden_state
    padded_ids = torch.cat([ids, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    padded = model(padded_ids, attention_mask=torch.tensor([[1] * 6 + [0] * 3])).last_hidden_state
    torch.testing.assert_close(padded[:, :6], alone, rtol=1e-12, atol=1e-12)
    bool_mask = model(padded_ids, attention_mask=torch.tensor([[True] * 6 + [False] * 3])).last_hidden_state
    torch.testing.assert_close(bool_mask, padded, rtol=0, atol=0)
    with pytest.raises(ValueError, match="attention_mask must be"):
        model(padded_ids, attention_mask=torch.ones(1, 5))
    with pytest.raises(ValueError, match="only 0 and 1"):
        model(padded_ids, attention_mask=torch.full((1, 9), 2))
    with pytest.raises(ValueError, match="no real token"):
        model(padded_ids, attention_mask=torch.zeros(1, 9))
    with pytest.raises(ValueError, match="input_ids must be a long tensor"):
        model(ids.float())
    with pytest.raises(ValueError, match="vocab_size=97"):
        model(ids + 97)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model(torch.ones(1, 41, dtype=torch.long))
    with pytest.raises(ValueError, match="token_type_ids"):
        model(ids, token_type_ids=torch.full_like(ids, 2))
    with pytest.raises(ValueError, match="hidden must be"):
        BertEncoder(BertConfig(**TINY))(torch.zeros(2, 3, 35))


def test_config_validation_and_round_trip():
    config = BertConfig(**TINY)
    assert BertConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="divisible by num_attention_heads"):
        BertConfig(**{**TINY, "num_attention_heads": 5})
    with pytest.raises(ValueError, match="hidden_act"):
        BertConfig(**{**TINY, "hidden_act": "relu"})
    with pytest.raises(ValueError, match="unknown BertConfig field"):
        BertConfig.from_dict({**TINY, "position_embedding_type": "absolute"})


def test_mlm_and_classifier_heads_match_transformers():
    transformers = oracle("transformers")
    torch.manual_seed(0)
    ids, types, mask = _batch(7)
    hf_mlm = transformers.BertForMaskedLM(_hf_config()).double().eval()
    _randomize(hf_mlm, 8)
    ours_mlm = BertForMaskedLM(BertConfig(**TINY)).double().eval()
    load_state_dict_hf(ours_mlm, hf_mlm.state_dict())
    torch.testing.assert_close(ours_mlm(ids, types, mask), hf_mlm(input_ids=ids, token_type_ids=types,
                                                                  attention_mask=mask).logits, rtol=1e-10, atol=1e-10)
    hf_cls = transformers.BertForSequenceClassification(_hf_config(num_labels=5)).double().eval()
    _randomize(hf_cls, 9)
    ours_cls = BertForSequenceClassification(BertConfig(**TINY), num_labels=5).double().eval()
    load_state_dict_hf(ours_cls, hf_cls.state_dict())
    torch.testing.assert_close(ours_cls(ids, types, mask), hf_cls(input_ids=ids, token_type_ids=types,
                                                                  attention_mask=mask).logits, rtol=1e-10, atol=1e-10)
    # The MLM decoder is the word-embedding matrix itself.
    assert ours_mlm.mlm.decoder.weight is ours_mlm.bert.embeddings.word_embeddings.weight


# --- masking -------------------------------------------------------------------------------------


def _within(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_mask_tokens_80_10_10_within_binomial_bounds_and_never_special():
    from papercraft.papers.bert.masking import mask_tokens

    vocab, mask_id = 1000, 3
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (200, 500), generator=g)  # ids 0..4 are "special": never in ids
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True  # [CLS] and [SEP]
    special[::3, 400:] = True  # padding
    inputs, labels = mask_tokens(ids, vocab_size=vocab, mask_id=mask_id, special_mask=special, generator=g)
    chosen = labels != -100
    eligible = int((~special).sum())
    n = int(chosen.sum())
    assert _within(n, eligible, 0.15)
    assert not (chosen & special).any()  # special positions are never chosen ...
    assert torch.equal(inputs[special], ids[special])  # ... nor changed
    assert torch.equal(labels[chosen], ids[chosen])  # labels are the original ids
    assert torch.equal(inputs[~chosen], ids[~chosen])  # unchosen positions are untouched
    masked = int((inputs[chosen] == mask_id).sum())
    unchanged = int((inputs[chosen] == ids[chosen]).sum())
    replaced = n - masked - unchanged
    # A random replacement can hit the original token (1/V) or [MASK] (1/V): fold those in exactly.
    p_masked = 0.8 + 0.1 / vocab
    p_unchanged = 0.1 + 0.1 / vocab
    assert _within(masked, n, p_masked), masked / n
    assert _within(unchanged, n, p_unchanged), unchanged / n
    assert _within(replaced, n, 1 - p_masked - p_unchanged), replaced / n
    # Replacements are spread over the whole vocabulary (not e.g. only over the batch's ids).
    random_ids = inputs[chosen & (inputs != mask_id) & (inputs != ids)]
    assert random_ids.min() < 5 and random_ids.max() > vocab - 20


def test_mask_tokens_is_reproducible_and_checks_arguments():
    from papercraft.papers.bert.masking import mask_tokens

    ids = torch.randint(5, 50, (4, 30))
    special = torch.zeros_like(ids, dtype=torch.bool)
    a = mask_tokens(ids, vocab_size=50, mask_id=4, special_mask=special, generator=torch.Generator().manual_seed(1))
    b = mask_tokens(ids, vocab_size=50, mask_id=4, special_mask=special, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    none = mask_tokens(ids, vocab_size=50, mask_id=4, special_mask=special, probability=0.0)
    assert torch.equal(none[0], ids) and (none[1] == -100).all()
    with pytest.raises(ValueError, match="special_mask"):
        mask_tokens(ids, vocab_size=50, mask_id=4, special_mask=special.long())
    with pytest.raises(ValueError, match="mask_id"):
        mask_tokens(ids, vocab_size=50, mask_id=50, special_mask=special)
    with pytest.raises(ValueError, match="ids must be"):
        mask_tokens(ids[0], vocab_size=50, mask_id=4, special_mask=special[0])


def test_nsp_pairs_half_next_with_segments_and_truncation():
    import random

    from papercraft.papers.bert.masking import IS_NEXT, NOT_NEXT, nsp_pairs

    docs = [[[10_000 * (d + 1) + 10 * s + t for t in range(1 + (s % 4))] for s in range(30)] for d in range(40)]
    pairs = nsp_pairs(docs, max_tokens=8, cls_id=1, sep_id=2, rng=random.Random(0))
    assert len(pairs) == 40 * 29
    nexts = sum(label == IS_NEXT for _, _, label in pairs)
    assert _within(nexts, len(pairs), 0.5)
    for ids, types, label in pairs:
        assert len(ids) == len(types) <= 8 and ids[0] == 1 and ids[-1] == 2 and ids.count(2) == 2
        sep = ids.index(2)
        assert types == [0] * (sep + 1) + [1] * (len(ids) - sep - 1)
        a_doc, b_doc = ids[1] // 10_000, ids[sep + 1] // 10_000
        if label == IS_NEXT:  # B is the sentence right after A
            assert b_doc == a_doc and (ids[sep + 1] % 10_000) // 10 == (ids[1] % 10_000) // 10 + 1
        else:
            assert label == NOT_NEXT and b_doc != a_doc
    with pytest.raises(ValueError, match="two non-empty documents"):
        nsp_pairs(docs[:1], max_tokens=8, cls_id=1, sep_id=2, rng=random.Random(0))


# --- from_pretrained ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_pretraining(tmp_path_factory):
    """A transformers BertForPreTraining (float32, randomized) saved with save_pretrained."""
    transformers = oracle("transformers")
    torch.manual_seed(0)
    hf = transformers.BertForPreTraining(_hf_config()).eval()
    _randomize(hf, 11)
    directory = tmp_path_factory.mktemp("bert-pretraining")
    hf.save_pretrained(directory)
    return hf, directory


def test_from_pretrained_loads_save_pretrained_directories(saved_pretraining, tmp_path):
    transformers = oracle("transformers")
    hf, directory = saved_pretraining
    assert (directory / "model.safetensors").is_file()
    ids, types, mask = _batch(12)
    expected = hf(input_ids=ids, token_type_ids=types, attention_mask=mask)

    ours = from_pretrained(directory, BertForPreTraining)
    assert not ours.training
    mlm, nsp = ours(ids, types, mask)
    torch.testing.assert_close(mlm, expected.prediction_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(nsp, expected.seq_relationship_logits, rtol=1e-5, atol=1e-5)

    # The encoder alone from a pre-training checkpoint: the heads are dropped, the pooler kept.
    base = from_pretrained(directory, BertModel, dtype=torch.float64)
    hf_base = hf.bert(input_ids=ids, token_type_ids=types, attention_mask=mask)
    out = base(ids, types, mask)
    torch.testing.assert_close(out.last_hidden_state, hf_base.last_hidden_state.double(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.pooler_output, hf_base.pooler_output.double(), rtol=1e-5, atol=1e-5)
    assert from_pretrained(directory, BertForMaskedLM).bert.pooler is None

    # A new classifier on the pre-trained encoder needs num_labels; a saved one is read back.
    with pytest.raises(BertCheckpointError, match="num_labels"):
        from_pretrained(directory, BertForSequenceClassification)
    fresh = from_pretrained(directory, BertForSequenceClassification, num_labels=3)
    torch.testing.assert_close(fresh.bert(ids, types, mask).pooler_output,
                               hf_base.pooler_output, rtol=1e-5, atol=1e-5)
    hf_cls = transformers.BertForSequenceClassification(_hf_config(num_labels=4)).eval()
    _randomize(hf_cls, 13)
    hf_cls.save_pretrained(tmp_path / "cls")
    cls = from_pretrained(tmp_path / "cls", BertForSequenceClassification)
    assert cls.num_labels == 4
    torch.testing.assert_close(cls(ids, types, mask), hf_cls(input_ids=ids, token_type_ids=types,
                                                             attention_mask=mask).logits, rtol=1e-5, atol=1e-5)
    # A bare BertModel checkpoint (keys without "bert."); a head model needs heads it lacks.
    hf.bert.save_pretrained(tmp_path / "base")
    bare = from_pretrained(tmp_path / "base", BertModel)
    torch.testing.assert_close(bare(ids, types, mask).pooler_output, hf_base.pooler_output, rtol=1e-5, atol=1e-5)
    with pytest.raises(BertCheckpointError, match="missing key.*mlm.transform.dense.weight"):
        from_pretrained(tmp_path / "base", BertForPreTraining)


def _copy_checkpoint(src, dst, *, config=None, state=None):
    from safetensors.torch import load_file, save_file

    dst.mkdir()
    hf_config = json.loads((src / "config.json").read_text())
    (dst / "config.json").write_text(json.dumps({**hf_config, **(config or {})}))
    tensors = load_file(src / "model.safetensors")
    save_file(state(tensors) if state else tensors, dst / "model.safetensors")
    return dst


def test_from_pretrained_errors_name_the_problem(saved_pretraining, tmp_path):
    _, directory = saved_pretraining
    cases = {
        "missing": ({}, lambda t: {k: v for k, v in t.items() if k != "bert.encoder.layer.1.output.dense.bias"},
                    "missing key.*bert.encoder.layer.1.output.dense.bias"),
        "unexpected": ({}, lambda t: {**t, "bert.encoder.layer.2.output.dense.bias": torch.zeros(36)},
                       "unexpected key.*bert.encoder.layer.2.output.dense.bias"),
        "shape": ({}, lambda t: {**t, "cls.seq_relationship.weight": torch.zeros(3, 36)},
                  r"shape mismatch: nsp.weight: checkpoint \[3, 36\] vs model \[2, 36\]"),
        "position": ({"position_embedding_type": "relative_key"}, None,
                     "unsupported option position_embedding_type='relative_key'"),
        "act": ({"hidden_act": "gelu_new"}, None, "unsupported option hidden_act='gelu_new'"),
        "roberta": ({"model_type": "roberta"}, None, "model_type is 'roberta', not 'bert'"),
        "heads": ({"num_attention_heads": 5}, None, "divisible by num_attention_heads"),
    }
    for name, (config, state, message) in cases.items():
        path = _copy_checkpoint(directory, tmp_path / name, config=config, state=state)
        with pytest.raises(BertCheckpointError, match=message):
            from_pretrained(path, BertForPreTraining)
    with pytest.raises(BertCheckpointError, match="no config.json"):
        from_pretrained(tmp_path, BertModel)
    with pytest.raises(BertCheckpointError, match="not a directory"):
        from_pretrained(tmp_path / "nowhere", BertModel)
    (tmp_path / "noweights").mkdir()
    (tmp_path / "noweights" / "config.json").write_text((directory / "config.json").read_text())
    with pytest.raises(BertCheckpointError, match="no model.safetensors"):
        from_pretrained(tmp_path / "noweights", BertModel)
    (tmp_path / "noweights" / "model.safetensors").write_bytes(b"\x08garbage")
    with pytest.raises(BertCheckpointError, match="cannot read the weights"):
        from_pretrained(tmp_path / "noweights", BertModel)
    (tmp_path / "badjson").mkdir()
    (tmp_path / "badjson" / "config.json").write_text("{")
    with pytest.raises(BertCheckpointError, match="not valid JSON"):
        from_pretrained(tmp_path / "badjson", BertModel)
    from papercraft.errors import PapercraftError

    assert issubclass(BertCheckpointError, PapercraftError)
    with pytest.raises(ValueError, match="model_class"):
        from_pretrained(directory, torch.nn.Linear)


# --- real weights: all-MiniLM-L6-v2 ------------------------------------------------------------

SENTENCES = [
    "A man is playing a guitar.",
    "Someone plays an instrument on stage.",
    "The weather is lovely today.",
    "",
    "Why?",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in "
    "want of a wife.",
    "Émilie's café serves crème brûlée — naïve, isn't it?",
    "東京は日本の首都です。",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "I ❤️ emoji 🎉🎉 and tabs\tand\nnewlines.",
    "UPPER CASE AND lower case are the same to an uncased model.",
    "Numbers like 3.14159, 2,718 and 1e-12 split oddly.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "The cat sat on the mat. " * 80,  # ~560 tokens: truncated to 256
    " ".join(f"word{i}" for i in range(300)),  # ~900 pieces: truncated to 256
    "Mr. Darcy walked off; and Elizabeth remained with no very cordial feelings toward him.",
    "Stocks fell sharply after the central bank raised interest rates.",
    "Photosynthesis converts light energy into chemical energy.",
    "[CLS] literal special tokens [SEP] in the text [MASK]",
    "a",
    "Sentence embeddings map similar meanings to nearby vectors.",
]


@pytest.fixture(scope="module")
def minilm():
    from papercraft import data

    if not data.is_available("minilm"):
        pytest.fail("data set 'minilm' is not downloaded; run: papercraft data get minilm", pytrace=False)
    return data.minilm_dir()


def test_minilm_sentence_embeddings_equal_transformers(minilm):
    """Real-weight parity: papercraft's SentenceEncoder vs transformers' BertModel on the same files,
    with the sentence-transformers recipe (mean pooling over the mask, L2 norm) computed here, on
    the ids of HF tokenizers' BertWordPieceTokenizer (and the ids of papercraft's WordPiece agree)."""
    transformers = oracle("transformers")
    tokenizers = oracle("tokenizers")
    from papercraft.papers.bert.sentence import SentenceEncoder

    encoder = SentenceEncoder.from_pretrained(minilm)
    assert (encoder.pooling, encoder.normalize, encoder.max_seq_length, encoder.dim) == ("mean", True, 256, 384)

    hf_tok = tokenizers.BertWordPieceTokenizer(str(minilm / "vocab.txt"), lowercase=True)
    hf_tok.enable_truncation(max_length=256)
    hf_tok.enable_padding(pad_id=0, pad_token="[PAD]")
    batch = hf_tok.encode_batch(SENTENCES)
    ids = torch.tensor([e.ids for e in batch])
    mask = torch.tensor([e.attention_mask for e in batch])
    assert ids.shape[1] == 256 and mask.sum(1).min() == 2  # truncation and padding both exercised
    ours_ids, ours_mask = encoder.tokenize(SENTENCES)
    assert torch.equal(ours_ids, ids) and torch.equal(ours_mask, mask)

    hf = transformers.BertModel.from_pretrained(str(minilm)).eval()
    expected = torch.empty(len(SENTENCES), 384)
    long = mask.sum(1) == 256
    for rows in (long, ~long):  # two padded batches, each cut to its longest row (cheaper than 21 x 256)
        width = int(mask[rows].sum(1).max())
        sub_ids, sub_mask = ids[rows, :width], mask[rows, :width]
        with torch.no_grad():
            hidden = hf(input_ids=sub_ids, attention_mask=sub_mask).last_hidden_state
        m = sub_mask.unsqueeze(-1).float()
        expected[rows] = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1)

    got = encoder.encode(SENTENCES, batch_size=4)  # other batches, so other padding, than the reference
    assert got.shape == (len(SENTENCES), 384) and got.dtype == torch.float32
    difference = (got - expected).abs().max().item()
    assert difference <= 1e-5, difference
    short = torch.nonzero(~long).flatten()[:6]
    with torch.no_grad():
        width = int(mask[short].sum(1).max())
        direct = encoder.embed_ids(ids[short, :width], mask[short, :width])
    assert (direct - expected[short]).abs().max().item() <= 1e-5
    # Meaning, not just numbers: the paraphrase is the nearest neighbour of the first sentence.
    assert int((got[1:] @ got[0]).argmax()) == 0


def test_sentence_encoder_files_and_errors(minilm, tmp_path):
    import shutil

    from papercraft.papers.bert.sentence import SentenceEncoder

    # A plain BERT directory (no sentence-transformers files): mean pooling, L2 norm, 512 tokens.
    plain = tmp_path / "plain"
    plain.mkdir()
    for f in ("config.json", "model.safetensors", "vocab.txt"):
        (plain / f).symlink_to(minilm / f)
    encoder = SentenceEncoder.from_pretrained(plain)
    assert (encoder.pooling, encoder.normalize, encoder.max_seq_length) == ("mean", True, 512)
    assert encoder.encode([]).shape == (0, 384)

    st = "sentence_transformers.models."
    (plain / "modules.json").write_text(json.dumps([{"path": "", "type": st + "Transformer"},
                                                    {"path": "1_Pooling", "type": st + "Pooling"},
                                                    {"path": "2_Dense", "type": st + "Dense"}]))
    with pytest.raises(BertCheckpointError, match="unsupported sentence-transformers module.*Dense"):
        SentenceEncoder.from_pretrained(plain)
    (plain / "modules.json").write_text(json.dumps([{"path": "1_Pooling", "type": st + "Pooling"}]))
    (plain / "1_Pooling").mkdir()
    (plain / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    cls_encoder = SentenceEncoder.from_pretrained(plain)
    assert (cls_encoder.pooling, cls_encoder.normalize) == ("cls", False)
    (plain / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_weightedmean_tokens": True}))
    with pytest.raises(BertCheckpointError, match="unsupported pooling"):
        SentenceEncoder.from_pretrained(plain)

    not_bert = tmp_path / "not-bert"
    shutil.copytree(minilm / "1_Pooling", not_bert / "1_Pooling")
    with pytest.raises(BertCheckpointError, match="no config.json: not a BERT checkpoint"):
        SentenceEncoder.from_pretrained(not_bert)
    (not_bert / "config.json").write_text(json.dumps({"model_type": "t5", "vocab_size": 10}))
    with pytest.raises(BertCheckpointError, match="model_type is 't5'"):
        SentenceEncoder.from_pretrained(not_bert)
    with pytest.raises(ValueError, match="sentences must be a list"):
        encoder.encode("one string")
