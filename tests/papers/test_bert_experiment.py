"""The bert entry's experiments: the word-similarity measures, the pre-training plumbing, and both quick
presets with their numbers recomputed independently.

The quick presets cannot show the pre-training claim itself (40 MLM steps of a 1-layer model); what
they can show is checked: pre-training lowers the masked-LM loss, the recorded gain is the mean of
the recorded per-seed differences, the saved model is the one the word-similarity experiment
reuses, MiniLM's recorded Spearman is what the cosines of its embeddings give, and MiniLM ranks
word pairs far better than random vectors do on the quick subset.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from papercraft.papers.bert import similarity as sim
from papercraft.statistics import mean_interval, spearman


# ------------------------------------------------------------------------------- similarity measures

def test_average_ranks_and_fast_spearman_equal_the_reference_with_ties():
    rng = np.random.default_rng(0)
    for n in (3, 10, 57):
        x = rng.integers(0, 5, n).astype(float)  # many ties
        y = rng.normal(size=n)
        assert sim.fast_spearman(x, y) == pytest.approx(spearman(x, y), abs=1e-12)
    assert sim.average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_char_ngrams_and_jaccard():
    assert sim.char_ngrams("cat") == {"#ca", "cat", "at#"}
    assert sim.char_ngrams("a") == {"#a#"}
    assert sim.ngram_jaccard("Cat", "cat") == 1.0
    assert sim.ngram_jaccard("cat", "dog") == 0.0
    # car: #ca car ar#; cart: #ca car art rt#  -> 2 shared of 5
    assert sim.ngram_jaccard("car", "cart") == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="n must be"):
        sim.char_ngrams("cat", 0)


def test_random_vectors_depend_only_on_the_word_set_and_seed():
    a = sim.random_word_vectors(["b", "a", "c"], 8, seed=3)
    b = sim.random_word_vectors(["c", "a", "b", "a"], 8, seed=3)
    assert all(torch.equal(a[w], b[w]) for w in "abc")
    assert not torch.equal(a["a"], sim.random_word_vectors("abc", 8, seed=4)["a"])
    with pytest.raises(ValueError, match="dim"):
        sim.random_word_vectors(["a"], 0, seed=0)


def test_pair_cosines_and_missing_words():
    vectors = {"x": torch.tensor([1.0, 0.0]), "y": torch.tensor([1.0, 1.0]), "z": torch.tensor([-2.0, 0.0])}
    got = sim.pair_cosines(vectors, [("x", "y"), ("x", "z"), ("y", "y")])
    np.testing.assert_allclose(got, [1 / math.sqrt(2), -1.0, 1.0])
    with pytest.raises(KeyError, match="no vector"):
        sim.pair_cosines(vectors, [("x", "w")])


def test_gain_interval_separates_a_good_method_from_noise():
    rng = np.random.default_rng(1)
    human = rng.normal(size=200)
    good = human + 0.3 * rng.normal(size=200)
    noise = {"a": rng.normal(size=200), "b": rng.normal(size=200)}
    gain = sim.spearman_gain_interval(good, noise, human, samples=200)
    assert gain.low > 0.5
    assert gain.estimate == pytest.approx(spearman(good, human) - max(spearman(v, human) for v in noise.values()))
    iv = sim.spearman_interval(good, human, samples=200)
    assert iv.low < iv.estimate < iv.high
    with pytest.raises(ValueError, match="same length"):
        sim.spearman_interval(good[:10], human, samples=10)
    with pytest.raises(ValueError, match="at least one"):
        sim.spearman_gain_interval(good, {}, human)


def test_mean_pooled_embeddings_ignore_padding():
    from papercraft.papers.bert.model import BertConfig, BertModel

    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=20, hidden_size=12, num_hidden_layers=1, num_attention_heads=3,
                                 intermediate_size=18, max_position_embeddings=8), add_pooling_layer=False)
    ids = torch.tensor([[1, 5, 6, 2, 0, 0], [1, 7, 2, 0, 0, 0]])
    mask = (ids != 0).long()
    got = sim.mean_pooled_embeddings(model, ids, mask)
    alone = sim.mean_pooled_embeddings(model, ids[:1, :4], mask[:1, :4])
    torch.testing.assert_close(got[0], alone[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no real token"):
        sim.mean_pooled_embeddings(model, ids, torch.zeros_like(mask))


# ------------------------------------------------------------------------------- pre-training plumbing

def _tiny_vocab():
    from papercraft.papers.bert.experiment import BpeBertVocab
    from papercraft.papers.bpe import train_bpe

    return BpeBertVocab(train_bpe(["the cat sat on the mat. " * 20], 270, special_tokens=["<|endoftext|>"]))


def test_vocab_frames_pads_and_refuses_to_truncate():
    vocab = _tiny_vocab()
    ids, mask = vocab.encode(["the cat", "the cat sat on the mat."], max_length=16)
    assert ids[0, 0] == vocab.cls_id and ids[1, 0] == vocab.cls_id
    assert ids[0, int(mask[0].sum()) - 1] == vocab.sep_id
    assert (ids[mask == 0] == vocab.pad_id).all() and mask[1].all()
    assert vocab.size == vocab.bpe_size + 4 and vocab.mask_id == vocab.size - 1
    with pytest.raises(ValueError, match="exceed max_length=3"):
        vocab.encode(["the cat sat"], max_length=3)


def test_masked_windows_never_mask_specials_and_resume_exactly():
    from papercraft.papers.bert.experiment import MaskedWindows

    vocab = _tiny_vocab()
    body = torch.randint(0, vocab.bpe_size, (40, 10))
    rows = torch.cat([torch.full((40, 1), vocab.cls_id), body, torch.full((40, 1), vocab.sep_id)], 1)
    data = MaskedWindows(rows, vocab, batch_size=8, probability=0.5, seed=3)
    for _ in range(6):
        inputs, labels = next(data)
        assert (labels[:, [0, -1]] == -100).all()
        assert (inputs[:, 0] == vocab.cls_id).all() and (inputs[:, -1] == vocab.sep_id).all()
        assert ((labels != -100).float().mean() - 0.5).abs() < 0.2
    state = data.state_dict()
    expected = [next(data) for _ in range(3)]
    again = MaskedWindows(rows, vocab, batch_size=8, probability=0.5, seed=3)
    again.load_state_dict(state)
    for a, b in zip(expected, (next(again) for _ in range(3))):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_chosen_positions_loss_equals_the_full_mlm_loss():
    from papercraft.papers.bert.experiment import mlm_step_loss
    from papercraft.papers.bert.model import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=30, hidden_size=12, num_hidden_layers=1, num_attention_heads=3,
                                       intermediate_size=18, max_position_embeddings=10)).eval()
    inputs = torch.randint(0, 30, (4, 10))
    labels = torch.where(torch.rand(4, 10) < 0.3, torch.randint(0, 30, (4, 10)), torch.full((4, 10), -100))
    loss, correct = mlm_step_loss(model, inputs, labels)
    logits = model(inputs)
    torch.testing.assert_close(loss, model.loss(logits, labels))
    chosen = labels != -100
    assert int(correct) == int((logits.argmax(-1)[chosen] == labels[chosen]).sum())


# ------------------------------------------------------------------------------- quick presets

@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """Both experiments of the quick preset in one run (word_similarity reuses pretraining's model)."""
    from papercraft.runner import run_entry

    run_dir, result = run_entry("bert", preset="quick", out=tmp_path_factory.mktemp("bert") / "run")
    return run_dir, result


def _metrics(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_quick_pretraining_numbers_recomputed(quick_run):
    from papercraft.data import load_austen
    from papercraft.papers.bert.experiment import (
        AUSTEN_DIR, Pretrained, acceptability_data, classifier, load_pretrained_austen, predict,
    )
    from papercraft.registry import registry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    run_dir, result = quick_run
    exp = result["experiments"]["pretraining"]
    n, p = exp["numbers"], exp["params"]
    assert p == dict(registry().get("bert").experiment("pretraining").preset("quick").params)
    # Pre-training learns: the held-out masked-LM loss falls from ln(V) at initialization to below the
    # loss of predicting each masked token by its unigram frequency (the model uses the context).
    evals = [r for r in _metrics(run_dir / "pretraining" / "mlm-pretrain" / "metrics.jsonl") if r["split"] == "eval"]
    assert n["heldout_mlm_loss"] == round(evals[-1]["heldout_mlm_loss"], 4)
    assert n["heldout_mlm_loss_initial"] == pytest.approx(math.log(n["bpe_vocab_size"] + 4), abs=0.1)
    assert n["heldout_mlm_loss"] < n["unigram_mlm_loss"] < n["heldout_mlm_loss_initial"] - 1.0
    assert n["pretrain_epochs"] == pytest.approx(p["pretrain_steps"] * p["pretrain_batch_size"]
                                                 / (n["training_tokens"] // (p["context"] - 2)), abs=1e-3)
    # Each arm's learning rate is the best on the development split (ties: the smaller rate).
    lrs = sorted(p["ft_lrs"])
    for arm in ("pretrained", "scratch"):
        dev = n[f"dev_accuracy_{arm}"]
        assert n[f"ft_lr_{arm}"] == lrs[dev.index(max(dev))]
    # The gain and its interval are the per-seed paired differences.
    pre, scratch = n["finetune_accuracy_pretrained"], n["finetune_accuracy_scratch"]
    assert len(pre) == len(scratch) == p["ft_seeds"] >= 3
    interval = mean_interval([a - b for a, b in zip(pre, scratch)])
    assert n["finetune_gain"] == pytest.approx(interval.estimate, abs=2e-4)
    assert n["finetune_gain_interval"]["low"] == pytest.approx(interval.low, abs=2e-4)
    assert n["test_texts"] % 2 == 0 and n["finetune_texts"] % 2 == 0 and n["finetune_texts"] >= 200
    # The saved model is the pre-trained one, with the parameters it was trained with ...
    model, vocab, params = load_pretrained_austen(run_dir / "pretraining" / AUSTEN_DIR)
    assert params == p and vocab.size == model.config.vocab_size
    # ... and a recorded test accuracy is what the fine-tuned checkpoint scores on the rebuilt test set.
    data = acceptability_data(vocab, load_austen()[p["heldout"]], p, seed=result["seed"])
    assert len(data.test[2]) == n["test_texts"] and len(data.dev[2]) == n["dev_texts"]
    pre_model = Pretrained(model, vocab, model.config, [], {}, "")
    clf = classifier(pre_model, "scratch", p["dropout"], seed=0)
    (_, path), = list_checkpoints(run_dir / "pretraining" / "ft-scratch-seed0" / "checkpoints")[-1:]
    load_checkpoint(path, model=clf)
    accuracy = float((predict(clf, data.test[0], data.test[1]) == data.test[2]).float().mean())
    assert round(accuracy, 4) == scratch[0]
    crit = {c["name"]: c for c in exp["criteria"]}
    assert crit["scratch arm above chance"]["threshold"] == pytest.approx(0.5 + 2 * math.sqrt(0.25 / n["test_texts"]),
                                                                         abs=1e-4)


def test_quick_word_similarity_recomputed_and_minilm_beats_random(quick_run):
    from papercraft.data import load_word_similarity, minilm_dir
    from papercraft.papers.bert.experiment import _subset
    from papercraft.papers.bert.sentence import SentenceEncoder

    run_dir, result = quick_run
    exp = result["experiments"]["word_similarity"]
    n, p = exp["numbers"], exp["params"]
    assert "austen-mlm-pretrain" not in exp["subruns"]  # reused the pretraining experiment's model
    encoder = SentenceEncoder.from_pretrained(minilm_dir())
    for d in p["datasets"]:
        pairs = _subset(load_word_similarity(d), p["max_pairs"], result["seed"])
        assert len(pairs) == n[d]["pairs"] == p["max_pairs"]
        a = encoder.encode([w for w, _, _ in pairs])
        b = encoder.encode([w for _, w, _ in pairs])
        cos = torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=1).numpy()
        human = [s for _, _, s in pairs]
        assert n[d]["spearman"]["minilm"] == pytest.approx(spearman(cos, human), abs=2e-4)
        ngram = [sim.ngram_jaccard(w1, w2) for w1, w2, _ in pairs]
        assert n[d]["spearman"]["char_ngram"] == pytest.approx(spearman(ngram, human), abs=2e-4)
        # The claim's shape on the quick subset: MiniLM ranks pairs far better than random vectors.
        assert n[d]["spearman"]["minilm"] > n[d]["spearman"]["random"] + 0.2
        assert n[d]["spearman"]["minilm"] > 0.2
    assert set(n[p["datasets"][0]]["spearman"]) == {"minilm", "random", "char_ngram", "austen_bert"}


def test_word_similarity_alone_pretrains_the_preset_model(tmp_path):
    """Run alone, word_similarity pre-trains the Austen BERT itself with the pretraining preset."""
    from papercraft.papers.bert.experiment import AUSTEN_DIR, load_pretrained_austen
    from papercraft.registry import registry
    from papercraft.runner import run_entry

    run_dir, result = run_entry("bert", preset="quick", out=tmp_path / "run", experiments=["word_similarity"],
                                overrides=["datasets=[\"wordsim353\"]", "max_pairs=20", "bootstrap=20"])
    exp = result["experiments"]["word_similarity"]
    assert "austen-mlm-pretrain" in exp["subruns"]
    _, _, params = load_pretrained_austen(run_dir / "word_similarity" / AUSTEN_DIR)
    assert params == dict(registry().get("bert").experiment("pretraining").preset("quick").params)
    assert exp["numbers"]["wordsim353"]["pairs"] == 20


def test_bad_word_similarity_dataset_is_refused(tmp_path):
    from papercraft.errors import UsageError
    from papercraft.runner import run_entry

    with pytest.raises((ValueError, UsageError), match="datasets"):
        run_entry("bert", preset="quick", out=tmp_path / "run", experiments=["word_similarity"],
                  overrides=["datasets=[\"wordsim\"]"])
