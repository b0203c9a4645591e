"""BERT's claim at toy scale, and what the real MiniLM weights know about words.

**pretraining** (BERT §3-§5, Table 1: "pre-training is what makes the fine-tuned numbers"). A small
BERT (:mod:`.model`; 2 layers, width 128) is pre-trained with the masked-LM objective (§3.1 Task #1;
15 % of the positions chosen, 80/10/10 ``[MASK]``/random/unchanged, :func:`.masking.mask_tokens`,
fresh masks every batch) on five of Jane Austen's novels (:mod:`papercraft.papers.gpt.corpus`: the
byte-level BPE vocabulary of the ``bpe`` entry, trained on those novels, plus ``[PAD] [CLS] [SEP]
[MASK]``), for several epochs. No next-sentence prediction: the inputs are ``[CLS]`` + contiguous
text + ``[SEP]`` (RoBERTa's packing), and the downstream task reads one sentence. Then (§3.2,
Figure 4b) the encoder is fine-tuned with a classifier on the pooled ``[CLS]`` vector,
``softmax(W tanh(W_p h_[CLS]))``, on an acceptability task in the spirit of CoLA
(:mod:`papercraft.testbeds.acceptability`): sentences of the held-out novel (Persuasion, which
pre-training never saw) labelled 1, and copies with their words shuffled labelled 0, split by
sentence into a small fine-tuning set (a few hundred sentences) and a test set (the rest). The
baseline is the same architecture fine-tuned from random initialization with the same steps,
schedule, labels and seeds (for a seed, both arms start from the same pooler and classifier
initialization and see the same batches). Each arm gets its own peak learning rate, the best of a
small grid on a development split of the fine-tuning set (BERT §4.1 picks the fine-tuning rate on
Dev the same way), so neither arm is held back by a rate chosen for the other.

The corruption is ``"shuffle"``, not ``"swap"``: with one swap of two adjacent words, pilot runs
left the from-scratch arm exactly at chance (a constant prediction) after hundreds of steps at
every learning rate tried, and a baseline at chance cannot show a gain. Shuffling also moves the
first word's capital and the closing full stop, which a model can learn from the labels alone; the
from-scratch arm therefore learns the task well above chance, and what pre-training adds is the
rest. Pilots also showed why the pre-training runs for thousands of steps: the masked-LM loss of a
small BERT sits near the unigram loss for the first ~3,000 steps and only then falls (the plateau
and drop of Chen et al. 2024, "Sudden drops in the loss"); stopped on the plateau, the pre-trained
encoder gave no gain.

Criteria, fixed before the first full run:

- (primary) **gain**: test accuracy of pre-trained + fine-tuned minus from-scratch, per seed
  (>= 3 seeds, both arms with the same seed), has a 95 % Student-t interval above
  :data:`MIN_GAIN` = 0.03 (3 accuracy points). Passed if the interval lies above it, failed if
  below, inconclusive if it straddles it. 3 points is several times the binomial standard error
  of an accuracy on ~1,800 test texts (~0.01), so the criterion can fail (no or a small gain) and
  can pass.
- (primary) **scratch above chance**: the from-scratch arm's mean accuracy has a 95 % t-interval
  (over seeds) whose lower end is above 0.5 + 2 binomial standard errors of the test set. When it
  is not, the comparison says nothing about pre-training (a baseline at chance is not a
  baseline): the criterion is then undecided, never failed, and so is the gain criterion, so the
  verdict is at best inconclusive.
- **ceiling**: when the pre-trained arm's mean accuracy is above :data:`CEILING` (0.98), the gain
  criterion cannot fail (undecided instead): a task the pre-trained model nearly solves caps the
  gain at one minus the scratch accuracy and could hide one. It can still pass (a gain above the
  margin despite the cap is shown). The check is reported as a secondary criterion.
- (secondary) pre-training learned something: the held-out masked-LM loss (on the held-out novel,
  fixed masks) is below the loss of predicting every masked token by its training-text unigram
  frequency.

**word_similarity** (the issue's real-weight result). all-MiniLM-L6-v2 (a 6-layer BERT,
``papercraft data get minilm``) loaded by :mod:`.pretrained` / :mod:`.sentence` embeds every word of
WordSim-353 and SimLex-999 (``papercraft data get word-similarity``) alone, as a one-word sentence
(mean pooling over ``[CLS] pieces [SEP]``, L2-normalized, as sentence-transformers does); a pair's
score is the cosine of its two words' embeddings, and Spearman's rho against the human scores
measures agreement (:mod:`.similarity`). No pair is dropped: a word missing from the WordPiece
vocabulary is split into pieces. Beside it: random per-word vectors, character-trigram Jaccard
similarity, and the Austen-trained BERT of **pretraining** (mean-pooled last hidden states over
``[CLS] BPE(" " + word) [SEP]``). That model is the one the **pretraining** experiment of the same
run saved (``pretraining/austen-bert/``; the runner runs the experiments in order); when this
experiment runs alone it pre-trains the same model itself, with the same code and the
**pretraining** preset's parameters, so the row always describes the model the page's fine-tuning
result used.

Criteria, fixed before the first full run, for each data set:

- (primary) MiniLM's rho has a 95 % bootstrap interval (over word pairs) above
  :data:`SPEARMAN_FLOOR` = 0.3: a correlation that high cannot come from a few lucky pairs, and
  is the level of count-based word vectors on these sets (Hill et al. 2015 report 0.1-0.4 on
  SimLex for the models of the time), so the check is not a formality.
- (primary) MiniLM's rho minus the best baseline's rho (taken again in every resample) has a 95 %
  paired bootstrap interval above 0.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from papercraft.errors import UsageError, unknown_choice
from papercraft.io import write_atomic
from papercraft.papers.bert.masking import mask_tokens
from papercraft.papers.bert.model import IGNORE_INDEX, BertConfig, BertForMaskedLM, BertForSequenceClassification
from papercraft.papers.bert.similarity import (
    mean_pooled_embeddings,
    ngram_jaccard,
    pair_cosines,
    random_word_vectors,
    spearman_gain_interval,
    spearman_interval,
)
from papercraft.papers.bpe import Tokenizer
from papercraft.papers.gpt.corpus import load_corpus, windows
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import mean_interval, seed_spread, spearman
from papercraft.testbeds.acceptability import AcceptabilitySet, build_acceptability, split_sentences
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

if TYPE_CHECKING:
    from papercraft.runner import RunContext

MIN_GAIN = 0.03  # pretraining: the gain's interval must lie above this (accuracy, 0-1)
CEILING = 0.98  # pretraining: above this mean accuracy of the pre-trained arm, the gain criterion cannot fail
SPEARMAN_FLOOR = 0.3  # word_similarity: MiniLM's rho interval must lie above this on each set

PRETRAINING = "pretraining"  # the experiment whose model word_similarity reuses
AUSTEN_DIR = "austen-bert"  # where pretraining saves that model, under its experiment directory
SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")  # appended after the BPE ids, in this order
LENGTH_SLACK = 4  # a corrupted copy can tokenize a few tokens longer (the first word loses its leading space)
WORD_SETS = ("wordsim353", "simlex999")
ARMS = ("pretrained", "scratch")


# ------------------------------------------------------------------------------- vocabulary

@dataclass
class BpeBertVocab:
    """A byte-level BPE tokenizer with BERT's four special tokens appended after its ids."""

    tokenizer: Tokenizer

    @property
    def bpe_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def size(self) -> int:
        return self.bpe_size + len(SPECIAL_TOKENS)

    @property
    def pad_id(self) -> int:
        return self.bpe_size

    @property
    def cls_id(self) -> int:
        return self.bpe_size + 1

    @property
    def sep_id(self) -> int:
        return self.bpe_size + 2

    @property
    def mask_id(self) -> int:
        return self.bpe_size + 3

    def encode(self, texts: Sequence[str], max_length: int) -> tuple[Tensor, Tensor]:
        """``[CLS] BPE(text) [SEP]`` for each text, right-padded with ``[PAD]`` to the longest:
        ``(input_ids [N, L], attention_mask [N, L])`` with ``L <= max_length``. A text that does not
        fit is a ValueError (never silently truncated: a cut could remove the very words a label is
        about)."""
        if isinstance(texts, str):
            raise ValueError("texts must be a sequence of strings, not one string")
        rows = [[self.cls_id, *self.tokenizer.encode_ordinary(t), self.sep_id] for t in texts]
        too_long = [(i, len(r)) for i, r in enumerate(rows) if len(r) > max_length]
        if too_long:
            i, n = too_long[0]
            raise ValueError(f"{len(too_long)} text(s) exceed max_length={max_length} tokens, e.g. text {i} "
                             f"({n} tokens): {texts[i][:60]!r}")
        width = max((len(r) for r in rows), default=0)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        return ids, mask


# ------------------------------------------------------------------------------- pre-training

class MaskedWindows:
    """Endless MLM batches ``(inputs [B, L], labels [B, L])`` from ``[CLS] window [SEP]`` rows.

    Batches come from :class:`TensorBatches` (a new permutation every epoch); every batch gets fresh
    masks (dynamic masking) from a generator seeded with ``(seed, batch number)``, so a resumed run
    draws exactly the masks an uninterrupted one would.
    """

    def __init__(self, rows: Tensor, vocab: BpeBertVocab, *, batch_size: int, probability: float, seed: int) -> None:
        self.batches = TensorBatches(rows, batch_size=batch_size, seed=seed)
        self.vocab, self.probability, self.seed = vocab, probability, seed
        self.count = 0

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        return self

    def __next__(self) -> tuple[Tensor, Tensor]:
        (rows,) = next(self.batches)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.count)
        self.count += 1
        return _mask(rows, self.vocab, self.probability, g)

    def state_dict(self) -> dict[str, Any]:
        return {"batches": self.batches.state_dict(), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.batches.load_state_dict(state["batches"])
        self.count = int(state["count"])


def _mask(rows: Tensor, vocab: BpeBertVocab, probability: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    special = (rows == vocab.cls_id) | (rows == vocab.sep_id) | (rows == vocab.pad_id)
    # Random replacements are drawn from the whole vocabulary (as transformers' collator does); the
    # four special ids are 4 of ~1,000.
    return mask_tokens(rows, vocab_size=vocab.size, mask_id=vocab.mask_id, special_mask=special,
                       probability=probability, generator=generator)


def mlm_step_loss(model: BertForMaskedLM, inputs: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """Masked-LM cross-entropy computed on the chosen positions only (the head runs on ``[N, H]``,
    not on all ``[B, L, H]``: the same loss as :func:`.model.mlm_loss`, less work).

    Returns ``(mean loss, number of correct top-1 predictions)``.
    """
    hidden = model.bert(inputs).last_hidden_state  # [B, L, H]; no padding in pre-training rows
    chosen = labels != IGNORE_INDEX
    logits = model.mlm(hidden[chosen])  # [N, V]
    target = labels[chosen]
    if target.numel() == 0:
        return logits.sum() * 0.0, torch.zeros(())
    return F.cross_entropy(logits, target), (logits.argmax(-1) == target).sum()


def _bert_config(p: dict[str, Any], vocab: BpeBertVocab, dropout: float) -> BertConfig:
    return BertConfig(vocab_size=vocab.size, hidden_size=p["hidden"], num_hidden_layers=p["layers"],
                      num_attention_heads=p["heads"], intermediate_size=p["intermediate"],
                      max_position_embeddings=p["context"], hidden_dropout_prob=dropout,
                      attention_probs_dropout_prob=dropout, pad_token_id=vocab.pad_id)


@dataclass
class Pretrained:
    """What :func:`pretrain` returns."""

    model: BertForMaskedLM
    vocab: BpeBertVocab
    config: BertConfig
    history: list[dict[str, Any]]  # the sub-run's metrics records
    numbers: dict[str, Any]  # corpus and pre-training measurements
    heldout_text: str  # the held-out novel (the acceptability task's source)


def pretrain(ctx: RunContext, p: dict[str, Any], *, name: str = "mlm-pretrain") -> Pretrained:
    """Pre-train a :class:`BertForMaskedLM` on the training novels with dynamic 80/10/10 masking.

    AdamW (BERT §A.2: beta = (0.9, 0.999), weight decay 0.01), linear warm-up over the first 10 % of
    the steps then cosine decay to 10 % of the peak (BERT decays linearly; papercraft's one shared
    schedule is the cosine), gradients clipped to norm 1. Evaluation: the
    masked-LM loss and accuracy on ``eval_windows`` windows of the held-out novel with masks fixed
    once (seed 0), so every evaluation scores the same predictions.
    """
    from papercraft.data import load_austen

    t0 = time.perf_counter()
    corpus = load_corpus(p["vocab_size"], heldout=p["heldout"], max_chars=p["max_chars"] or None)
    vocab = BpeBertVocab(corpus.tokenizer)
    body = p["context"] - 2
    if body < 1:
        raise ValueError(f"context must be >= 3 ([CLS] text [SEP]), got {p['context']}")

    def frame(w: Tensor) -> Tensor:  # [W, body] -> [W, body + 2]
        n = w.shape[0]
        return torch.cat([torch.full((n, 1), vocab.cls_id), w, torch.full((n, 1), vocab.sep_id)], dim=1)

    train_rows = frame(windows(corpus.train_ids, body))
    held = frame(windows(corpus.heldout_ids, body))
    eval_rows = held[torch.randperm(len(held), generator=torch.Generator().manual_seed(0))[: p["eval_windows"]]]
    eval_inputs, eval_labels = _mask(eval_rows, vocab, p["mask_probability"], torch.Generator().manual_seed(0))
    ctx.log(f"pre-training text: {corpus.train_ids.numel():,} tokens in {len(train_rows):,} windows of "
            f"{p['context']} (vocabulary {vocab.bpe_size} BPE + {len(SPECIAL_TOKENS)} special), held-out "
            f"{corpus.heldout_title}: {corpus.heldout_ids.numel():,} tokens ({time.perf_counter() - t0:.1f}s)")

    config = _bert_config(p, vocab, p["pretrain_dropout"])
    torch.manual_seed(ctx.seed)
    model = BertForMaskedLM(config)
    steps = p["pretrain_steps"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=p["pretrain_lr"], betas=(0.9, 0.999), weight_decay=0.01)
    scheduler = warmup_cosine(optimizer, steps, warmup_steps=max(1, steps // 10), floor=0.1)
    data = MaskedWindows(train_rows, vocab, batch_size=p["pretrain_batch_size"],
                         probability=p["mask_probability"], seed=ctx.seed)

    def loss_fn(m: BertForMaskedLM, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        loss, correct = mlm_step_loss(m, batch[0], batch[1])
        chosen = int((batch[1] != IGNORE_INDEX).sum())
        return loss, {"mlm_accuracy": float(correct) / max(chosen, 1)}

    def evaluate(m: BertForMaskedLM) -> dict[str, float]:
        device = next(m.parameters()).device
        total, correct, count = 0.0, 0.0, 0
        for i in range(0, len(eval_inputs), 64):
            x, y = eval_inputs[i : i + 64].to(device), eval_labels[i : i + 64].to(device)
            n = int((y != IGNORE_INDEX).sum())
            loss, c = mlm_step_loss(m, x, y)
            total, correct, count = total + loss.item() * n, correct + float(c), count + n
        return {"heldout_mlm_loss": total / max(count, 1), "heldout_mlm_accuracy": correct / max(count, 1)}

    with torch.no_grad():
        initial = evaluate(model.eval())
    model.train()
    result = ctx.train(name, model, optimizer, loss_fn, data, steps=steps, seed=ctx.seed, scheduler=scheduler,
                       evaluate=evaluate, eval_every=p["eval_every"], log_every=max(1, steps // 100), grad_clip=1.0)
    last = result.last_eval()
    # The unigram baseline: predict every masked token by its frequency in the training text.
    counts = torch.bincount(corpus.train_ids, minlength=vocab.size).double() + 1.0  # add-one: no log 0
    log_freq = (counts / counts.sum()).log()
    targets = eval_labels[eval_labels != IGNORE_INDEX]
    unigram_loss = float(-log_freq[targets].mean())
    tokens_per_step = p["pretrain_batch_size"] * p["context"]
    numbers = {
        "pretrain_steps": steps,
        "pretrain_epochs": round(steps * p["pretrain_batch_size"] / len(train_rows), 3),
        "pretrain_tokens_seen": steps * tokens_per_step,
        "training_tokens": int(corpus.train_ids.numel()),
        "heldout_tokens": int(corpus.heldout_ids.numel()),
        "bpe_vocab_size": vocab.bpe_size,
        "non_embedding_params": sum(t.numel() for n, t in model.bert.named_parameters() if "embeddings" not in n),
        "heldout_mlm_loss_initial": round(initial["heldout_mlm_loss"], 4),
        "heldout_mlm_loss": round(last["heldout_mlm_loss"], 4),
        "heldout_mlm_accuracy": round(last["heldout_mlm_accuracy"], 4),
        "unigram_mlm_loss": round(unigram_loss, 4),
    }
    ctx.log(f"pre-trained {steps} steps ({numbers['pretrain_epochs']} epochs): held-out MLM loss "
            f"{numbers['heldout_mlm_loss']} (unigram {numbers['unigram_mlm_loss']}), accuracy "
            f"{numbers['heldout_mlm_accuracy']} ({result.wall_s:.0f}s)")
    return Pretrained(model, vocab, config, result.history, numbers, load_austen()[corpus.heldout_title])


def save_pretrained_austen(pre: Pretrained, directory: Path, params: dict[str, Any]) -> None:
    """Write the pre-trained model for :func:`load_pretrained_austen`: ``model.pt`` (state dict),
    ``bert_config.json``, ``params.json`` (the parameters it was trained with) and ``tokenizer/``."""
    directory.mkdir(parents=True, exist_ok=True)
    pre.vocab.tokenizer.save(directory / "tokenizer")
    torch.save(pre.model.state_dict(), directory / "model.pt")
    write_atomic(directory / "bert_config.json", json.dumps(pre.config.to_dict(), indent=2) + "\n")
    write_atomic(directory / "params.json", json.dumps(params, indent=2, sort_keys=True) + "\n")


def load_pretrained_austen(directory: Path) -> tuple[BertForMaskedLM, BpeBertVocab, dict[str, Any]]:
    """Read what :func:`save_pretrained_austen` wrote: ``(model in eval mode, vocabulary, params)``."""
    config = BertConfig.from_dict(json.loads((directory / "bert_config.json").read_text(encoding="utf-8")))
    model = BertForMaskedLM(config)
    model.load_state_dict(torch.load(directory / "model.pt", map_location="cpu", weights_only=True))
    vocab = BpeBertVocab(Tokenizer.load(directory / "tokenizer"))
    if vocab.size != config.vocab_size:
        raise ValueError(f"{directory}: tokenizer has {vocab.size} ids with specials, the model {config.vocab_size}")
    return model.eval(), vocab, json.loads((directory / "params.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- fine-tuning

Split = tuple[Tensor, Tensor, Tensor]  # (input_ids [N, L], attention_mask [N, L], labels [N])


@dataclass
class AcceptabilityData:
    """The acceptability task, tokenized. ``train`` is the whole fine-tuning set; ``select_train`` and
    ``dev`` split it by sentence (an original and its corrupted copy on the same side) for choosing
    the learning rate; ``test`` is never used for a choice."""

    task: AcceptabilitySet
    train: Split
    select_train: Split
    dev: Split
    test: Split
    too_long: int  # sentences left out because they do not fit the context


def acceptability_data(vocab: BpeBertVocab, text: str, p: dict[str, Any], seed: int) -> AcceptabilityData:
    """Sentences of ``text`` (the held-out novel) with ``min_words``..``max_words`` words that fit the
    context with room for a corrupted copy, at most ``max_sentences`` of them (0: all), made into
    the acceptability task (:func:`build_acceptability`) and tokenized; ``dev_fraction`` of the
    fine-tuning sentences form the development split."""
    if not 0.0 < p["dev_fraction"] < 1.0:
        raise ValueError(f"dev_fraction must be in (0, 1), got {p['dev_fraction']}")
    sentences = split_sentences(text, p["min_words"], p["max_words"])
    limit = p["context"] - 2 - LENGTH_SLACK
    fitting = [s for s in sentences if len(vocab.tokenizer.encode_ordinary(s)) <= limit]
    too_long = len(sentences) - len(fitting)
    if p["max_sentences"]:
        fitting = fitting[: p["max_sentences"]]
    task = build_acceptability(fitting, seed, corruption=p["corruption"], test_fraction=p["test_fraction"])
    train_sentences = sorted({e.sentence for e in task.train})
    random.Random(seed).shuffle(train_sentences)
    n_dev = min(max(round(p["dev_fraction"] * len(train_sentences)), 1), len(train_sentences) - 1)
    dev_sentences = set(train_sentences[:n_dev])

    def tensors(examples: Sequence[Any]) -> Split:
        texts, labels = AcceptabilitySet.texts_and_labels(examples)
        ids, mask = vocab.encode(texts, p["context"])
        return ids, mask, torch.tensor(labels, dtype=torch.long)

    return AcceptabilityData(task, tensors(task.train),
                             tensors([e for e in task.train if e.sentence not in dev_sentences]),
                             tensors([e for e in task.train if e.sentence in dev_sentences]),
                             tensors(task.test), too_long)


@torch.no_grad()
def predict(model: BertForSequenceClassification, ids: Tensor, mask: Tensor, batch_size: int = 128) -> Tensor:
    """Predicted labels ``[N]`` for ``ids``/``mask`` ``[N, L]`` (model in eval mode for the call)."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(ids), batch_size):
        x, m = _trim(ids[i : i + batch_size], mask[i : i + batch_size])
        out.append(model(x.to(device), attention_mask=m.to(device)).argmax(-1).cpu())
    model.train(was)
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long)


def _trim(ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Drop the padding columns no row of the batch uses."""
    width = int(mask.sum(1).max())
    return ids[:, :width], mask[:, :width]


def matthews(pred: Tensor, gold: Tensor) -> float:
    """Matthews correlation coefficient of binary predictions (CoLA's metric in GLUE)."""
    tp = float(((pred == 1) & (gold == 1)).sum())
    tn = float(((pred == 0) & (gold == 0)).sum())
    fp = float(((pred == 1) & (gold == 0)).sum())
    fn = float(((pred == 0) & (gold == 1)).sum())
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denom if denom > 0 else 0.0


def classifier(pre: Pretrained, arm: str, dropout: float, seed: int) -> BertForSequenceClassification:
    """The fine-tuning model of ``arm``: ``"pretrained"`` (the pre-trained encoder, a new pooler and
    classifier) or ``"scratch"`` (everything freshly initialized). The same ``seed`` gives both arms
    the same pooler and classifier initialization."""
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
    torch.manual_seed(seed)
    config = replace(pre.config, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    clf = BertForSequenceClassification(config, num_labels=2)
    if arm == "pretrained":
        missing, unexpected = clf.bert.load_state_dict(pre.model.bert.state_dict(), strict=False)
        if unexpected or any(not k.startswith("pooler.") for k in missing):
            raise RuntimeError(f"pre-trained weights do not fit the classifier: missing {missing}, "
                               f"unexpected {unexpected}")
    return clf


def finetune(ctx: RunContext, name: str, model: BertForSequenceClassification, train: Split, evaluate_on: Split, *,
             steps: int, batch_size: int, lr: float, seed: int) -> dict[str, float]:
    """BERT §3.2 / §A.3 fine-tuning of every weight on ``train``: AdamW (weight decay 0.01), linear
    warm-up over the first 10 % of the steps then cosine decay to 0, gradients clipped to norm 1.
    Returns the accuracy and Matthews correlation on ``evaluate_on``, and the accuracy on ``train``."""
    ids, mask, labels = train
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=0.01)
    scheduler = warmup_cosine(optimizer, steps, warmup_steps=max(1, steps // 10), floor=0.0)

    def loss_fn(m: BertForSequenceClassification, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        x, am = _trim(batch[0], batch[1])
        logits = m(x, attention_mask=am)
        return F.cross_entropy(logits, batch[2]), {"accuracy": (logits.argmax(-1) == batch[2]).float().mean().item()}

    torch.manual_seed(seed)  # dropout
    ctx.train(name, model, optimizer, loss_fn, TensorBatches(ids, mask, labels, batch_size=batch_size, seed=seed),
              steps=steps, seed=seed, scheduler=scheduler, log_every=max(1, steps // 20), grad_clip=1.0)
    pred = predict(model, evaluate_on[0], evaluate_on[1])
    train_pred = predict(model, ids, mask)
    return {"accuracy": float((pred == evaluate_on[2]).float().mean()), "mcc": matthews(pred, evaluate_on[2]),
            "train_accuracy": float((train_pred == labels).float().mean())}


def select_learning_rates(ctx: RunContext, pre: Pretrained, data: AcceptabilityData, p: dict[str, Any],
                          seed: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """BERT §4.1: each arm's fine-tuning learning rate is the one of ``ft_lrs`` with the best accuracy
    on the development split (fine-tuned on the rest of the fine-tuning set, one seed; ties go to
    the smaller rate). Returns ``({arm: lr}, {arm: dev accuracy per lr})``."""
    lrs = sorted(p["ft_lrs"])
    if not lrs or any(not lr > 0 for lr in lrs):
        raise ValueError(f"ft_lrs must be a non-empty list of positive learning rates, got {p['ft_lrs']}")
    chosen, dev = {}, {}
    for arm in ARMS:
        dev[arm] = []
        for lr in lrs:
            out = finetune(ctx, f"select-{arm}-lr{lr:g}", classifier(pre, arm, p["dropout"], seed), data.select_train,
                           data.dev, steps=p["ft_steps"], batch_size=p["ft_batch_size"], lr=lr, seed=seed)
            dev[arm].append(out["accuracy"])
        chosen[arm] = lrs[max(range(len(lrs)), key=lambda i: (dev[arm][i], -i))]
        ctx.log(f"{arm}: development accuracy {dict(zip(lrs, (round(a, 4) for a in dev[arm])))} -> lr {chosen[arm]:g}")
    return chosen, dev


def run_pretraining(ctx: RunContext) -> Outcome:
    p = ctx.params
    if p["ft_seeds"] < 1:
        raise ValueError(f"ft_seeds must be >= 1, got {p['ft_seeds']}")
    pre = pretrain(ctx, p)
    save_pretrained_austen(pre, ctx.subdir(AUSTEN_DIR), dict(p))
    data = acceptability_data(pre.vocab, pre.heldout_text, p, seed=ctx.seed)
    n_train, n_test, n_dev = len(data.train[2]), len(data.test[2]), len(data.dev[2])
    ctx.log(f"acceptability ({data.task.corruption}): {n_train} fine-tuning texts ({n_dev} of them the development "
            f"split) and {n_test} test texts from {len(data.task.sentences)} sentences of the held-out novel "
            f"({data.too_long} too long left out)")

    seeds = ctx.seeds(p["ft_seeds"])
    lr, dev = select_learning_rates(ctx, pre, data, p, seeds[0])
    runs: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    for seed in seeds:
        for arm in ARMS:
            out = finetune(ctx, f"ft-{arm}-seed{seed}", classifier(pre, arm, p["dropout"], seed), data.train,
                           data.test, steps=p["ft_steps"], batch_size=p["ft_batch_size"], lr=lr[arm], seed=seed)
            runs[arm].append(out)
            ctx.log(f"{arm} seed {seed}: test accuracy {out['accuracy']:.4f}, MCC {out['mcc']:.3f}, "
                    f"fine-tuning-set accuracy {out['train_accuracy']:.4f}")

    acc = {arm: [r["accuracy"] for r in rs] for arm, rs in runs.items()}
    mcc = {arm: [r["mcc"] for r in rs] for arm, rs in runs.items()}
    diffs = [a - b for a, b in zip(acc["pretrained"], acc["scratch"], strict=True)]
    gain = mean_interval(diffs)
    scratch = mean_interval(acc["scratch"])
    spread = {arm: seed_spread(v) for arm, v in acc.items()}
    chance_bar = 0.5 + 2 * math.sqrt(0.25 / n_test)
    scratch_ok = math.isfinite(scratch.low) and scratch.low > chance_bar
    below_ceiling = spread["pretrained"].mean <= CEILING
    decided = gain.decide(MIN_GAIN) if scratch_ok else None
    if decided is False and not below_ceiling:
        decided = None  # a ceiling can hide a gain, so it cannot show there is none

    criteria = [
        Criterion("fine-tuning gain from pre-training",
                  f"test accuracy of MLM-pre-trained + fine-tuned minus from-scratch, 95% Student-t interval over "
                  f"{len(seeds)} paired seeds, lies above {MIN_GAIN} (passed) or below it (failed), else undecided; "
                  f"undecided too while the scratch arm is not above chance, and not failed while the pre-trained "
                  f"arm is above the ceiling ({CEILING})",
                  gain.as_dict(4), f"interval above {MIN_GAIN:g}", decided),
        Criterion("scratch arm above chance",
                  f"the from-scratch arm's 95% t-interval of mean test accuracy lies above chance + 2 binomial "
                  f"standard errors ({chance_bar:.4f}); otherwise undecided (a baseline at chance tests nothing)",
                  scratch.as_dict(4), round(chance_bar, 4), True if scratch_ok else None),
        Criterion("pre-trained arm below the ceiling",
                  f"the pre-trained arm's mean test accuracy is at most {CEILING} (reported; above it, the gain "
                  f"criterion cannot fail)", round(spread["pretrained"].mean, 4), CEILING, below_ceiling,
                  primary=False),
        Criterion.at_most("masked-LM learned",
                          "held-out masked-LM loss is below the training-text unigram loss of the same masked tokens",
                          pre.numbers["heldout_mlm_loss"], pre.numbers["unigram_mlm_loss"], primary=False),
    ]
    numbers = {
        **pre.numbers,
        "finetune_texts": n_train,
        "dev_texts": n_dev,
        "test_texts": n_test,
        "sentences_too_long": data.too_long,
        "ft_lr_pretrained": lr["pretrained"],
        "ft_lr_scratch": lr["scratch"],
        "dev_accuracy_pretrained": [round(x, 4) for x in dev["pretrained"]],
        "dev_accuracy_scratch": [round(x, 4) for x in dev["scratch"]],
        "finetune_accuracy_pretrained": [round(x, 4) for x in acc["pretrained"]],
        "finetune_accuracy_scratch": [round(x, 4) for x in acc["scratch"]],
        "finetune_accuracy_pretrained_mean": round(spread["pretrained"].mean, 4),
        "finetune_accuracy_scratch_mean": round(spread["scratch"].mean, 4),
        "finetune_accuracy_pretrained_sd": round(spread["pretrained"].sd, 4),
        "finetune_accuracy_scratch_sd": round(spread["scratch"].sd, 4),
        "finetune_mcc_pretrained": [round(x, 4) for x in mcc["pretrained"]],
        "finetune_mcc_scratch": [round(x, 4) for x in mcc["scratch"]],
        "finetune_train_accuracy_pretrained": [round(r["train_accuracy"], 4) for r in runs["pretrained"]],
        "finetune_train_accuracy_scratch": [round(r["train_accuracy"], 4) for r in runs["scratch"]],
        "finetune_gain": round(gain.estimate, 4),
        "finetune_gain_interval": gain.as_dict(4),
        "scratch_accuracy_interval": scratch.as_dict(4),
        "chance_plus_2se": round(chance_bar, 4),
    }
    corruption = {"swap": "two adjacent words swapped", "shuffle": "words shuffled"}.get(p["corruption"],
                                                                                       p["corruption"])
    tables = [
        Table(f"Acceptability (held-out sentence vs a copy with its {corruption}): test accuracy and "
              f"Matthews correlation",
              ["seed", "pre-trained + fine-tuned acc.", "from scratch acc.", "gain", "pre-trained MCC", "scratch MCC"],
              [[s, round(a, 4), round(b, 4), round(a - b, 4), round(c, 3), round(d, 3)]
               for s, a, b, c, d in zip(seeds, acc["pretrained"], acc["scratch"], mcc["pretrained"], mcc["scratch"],
                                        strict=True)]),
        Table("Learning-rate selection (development accuracy, first seed)", ["learning rate", *ARMS],
              [[lr_, round(a, 4), round(b, 4)] for lr_, a, b in zip(sorted(p["ft_lrs"]), dev["pretrained"],
                                                                    dev["scratch"], strict=True)]),
        Table("Pre-training", ["steps", "epochs", "tokens seen", "held-out MLM loss", "unigram loss",
                               "held-out MLM accuracy", "non-embedding params"],
              [[pre.numbers["pretrain_steps"], pre.numbers["pretrain_epochs"], pre.numbers["pretrain_tokens_seen"],
                pre.numbers["heldout_mlm_loss"], pre.numbers["unigram_mlm_loss"],
                pre.numbers["heldout_mlm_accuracy"], pre.numbers["non_embedding_params"]]]),
    ]
    notes = [
        f"Pre-training: {pre.numbers['pretrain_steps']} steps of {p['pretrain_batch_size']} x {p['context']} "
        f"tokens = {pre.numbers['pretrain_epochs']} epochs of the five training novels "
        f"({pre.numbers['training_tokens']:,} BPE tokens); MLM only (no NSP), fresh 80/10/10 masks every step.",
        f"Fine-tuning: {p['ft_steps']} steps of {p['ft_batch_size']} texts "
        f"({p['ft_steps'] * p['ft_batch_size'] / n_train:.1f} epochs of the {n_train} fine-tuning texts); each "
        f"arm's peak learning rate chosen from {sorted(p['ft_lrs'])} on {n_dev} development texts "
        f"(pre-trained: {lr['pretrained']:g}, scratch: {lr['scratch']:g}); test: {n_test} texts of other sentences "
        f"of {p['heldout']}. Chance = 0.5 (balanced).",
        f"BERT-base's CoLA Matthews correlation is 52.1 (Table 1); this task (a copy with its {corruption}) is "
        f"easier than CoLA, and the model has {pre.numbers['non_embedding_params']:,} non-embedding parameters.",
    ]
    _pretraining_plots(ctx, pre, acc, chance=0.5, epoch_steps=pre.numbers["pretrain_steps"]
                       / max(pre.numbers["pretrain_epochs"], 1e-9))
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _pretraining_plots(ctx: RunContext, pre: Pretrained, acc: dict[str, list[float]], *, chance: float,
                       epoch_steps: float) -> None:
    with ctx.figure("pretraining_loss.png", "Masked-LM pre-training on five Austen novels: training loss "
                    "(per logged step) and loss on the held-out novel (fixed masks); dotted lines mark epochs.",
                    size=(6, 4)) as (_, ax):
        train = [r for r in pre.history if r["split"] == "train"]
        ev = [r for r in pre.history if r["split"] == "eval"]
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], lw=0.8, label="training MLM loss")
        ax.plot([0] + [r["step"] for r in ev], [pre.numbers["heldout_mlm_loss_initial"]]
                + [r["heldout_mlm_loss"] for r in ev], "o-", label="held-out MLM loss")
        ax.axhline(pre.numbers["unigram_mlm_loss"], color="gray", ls="--", label="unigram baseline")
        last = max((r["step"] for r in train), default=0)
        k = 1
        while k * epoch_steps <= last:
            ax.axvline(k * epoch_steps, color="k", ls=":", lw=0.8)
            k += 1
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats / masked token)")
        ax.legend()
    with ctx.figure("finetune_accuracy.png", "Acceptability test accuracy after fine-tuning: MLM-pre-trained "
                    "vs the same model from random initialization (bars: means; dots: seeds).",
                    size=(4.5, 3.8)) as (_, ax):
        names = list(acc)
        ax.bar(names, [sum(v) / len(v) for v in acc.values()], color=["tab:blue", "tab:gray"], alpha=0.8)
        for i, v in enumerate(acc.values()):
            ax.plot([i] * len(v), v, "k.", ms=8)
        ax.axhline(chance, color="red", ls=":", label="chance")
        ax.set_ylim(0.4, 1.0)
        ax.set_ylabel("test accuracy")
        ax.legend()


# ------------------------------------------------------------------------------- word similarity

def _austen_bert(ctx: RunContext) -> tuple[BertForMaskedLM, BpeBertVocab, str]:
    """The Austen-pre-trained BERT: the one the pretraining experiment of this run saved, or, when
    there is none (this experiment run alone) or it was trained with other parameters than the
    preset's, the same model pre-trained here with the preset's parameters."""
    wanted = dict(ctx.entry.experiment(PRETRAINING).preset(ctx.preset).params)
    saved = ctx.out_dir.parent / PRETRAINING / AUSTEN_DIR
    if (saved / "params.json").is_file():
        model, vocab, params = load_pretrained_austen(saved)
        if params == json.loads(json.dumps(wanted)):
            return model, vocab, f"the model the {PRETRAINING} experiment of this run pre-trained"
        ctx.log(f"{saved} was pre-trained with other parameters than the {ctx.preset} preset's; pre-training anew")
    pre = pretrain(ctx, wanted, name="austen-mlm-pretrain")
    save_pretrained_austen(pre, ctx.subdir(AUSTEN_DIR), wanted)
    return pre.model.eval(), pre.vocab, f"pre-trained by this experiment with the {PRETRAINING} {ctx.preset} preset"


def _subset(pairs: list[tuple[str, str, float]], max_pairs: int, seed: int) -> list[tuple[str, str, float]]:
    if not max_pairs or max_pairs >= len(pairs):
        return pairs
    keep = sorted(np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False).tolist())
    return [pairs[i] for i in keep]


def run_word_similarity(ctx: RunContext) -> Outcome:
    from papercraft.data import load_word_similarity, minilm_dir
    from papercraft.papers.bert.sentence import SentenceEncoder

    p = ctx.params
    if not p["datasets"]:
        raise UsageError(f"parameter 'datasets' must name at least one of {list(WORD_SETS)}")
    for d in p["datasets"]:
        if d not in WORD_SETS:
            raise unknown_choice("word-similarity data set (parameter 'datasets')", d, WORD_SETS)
    sets = {d: _subset(load_word_similarity(d), p["max_pairs"], ctx.seed) for d in p["datasets"]}
    words = sorted({w for pairs in sets.values() for a, b, _ in pairs for w in (a, b)})
    ctx.log(f"{len(words)} distinct words in {sum(len(v) for v in sets.values())} pairs")

    t0 = time.perf_counter()
    encoder = SentenceEncoder.from_pretrained(minilm_dir())
    minilm = dict(zip(words, encoder.encode(words, batch_size=64), strict=True))
    ctx.log(f"MiniLM embedded the words ({time.perf_counter() - t0:.1f}s)")
    methods: dict[str, dict[str, Tensor] | None] = {
        "MiniLM (all-MiniLM-L6-v2)": minilm,
        "random vectors": random_word_vectors(words, p["random_dim"], seed=ctx.seed),
        f"character {p['ngram']}-gram Jaccard": None,
    }
    austen_source = ""
    if p["austen_bert"]:
        model, vocab, austen_source = _austen_bert(ctx)
        ids, mask = vocab.encode([" " + w for w in words], model.config.max_position_embeddings)
        vectors = mean_pooled_embeddings(model.bert, ids, mask)
        methods["Austen BERT (pretraining)"] = dict(zip(words, vectors, strict=True))
    names = list(methods)
    main, baselines = names[0], names[1:]

    numbers: dict[str, Any] = {"words": len(words)}
    criteria: list[Criterion] = []
    rows: list[list[Any]] = []
    scored: dict[str, dict[str, np.ndarray]] = {}
    intervals: dict[str, dict[str, Any]] = {}
    for d, pairs in sets.items():
        human = np.array([s for _, _, s in pairs], dtype=float)
        word_pairs = [(a, b) for a, b, _ in pairs]
        scores = {}
        for name, vectors in methods.items():
            if vectors is None:
                scores[name] = np.array([ngram_jaccard(a, b, p["ngram"]) for a, b in word_pairs])
            else:
                scores[name] = pair_cosines(vectors, word_pairs)
        scored[d] = {**scores, "human": human}
        intervals[d] = {}
        for name, s in scores.items():
            rho = spearman(s, human)
            iv = spearman_interval(s, human, samples=p["bootstrap"], seed=ctx.seed)
            intervals[d][name] = iv
            rows.append([d, name, len(pairs), round(rho, 4), round(iv.low, 4), round(iv.high, 4)])
        gain = spearman_gain_interval(scores[main], {b: scores[b] for b in baselines}, human,
                                      samples=p["bootstrap"], seed=ctx.seed)
        key = {name: _key(name) for name in names}
        numbers[d] = {
            "pairs": len(pairs),
            "spearman": {key[n]: round(spearman(scores[n], human), 4) for n in names},
            "spearman_interval": {key[n]: intervals[d][n].as_dict(4) for n in names},
            "minilm_minus_best_baseline": gain.as_dict(4),
        }
        criteria += [
            Criterion.interval_above(f"{d}: MiniLM agrees with humans",
                                     f"MiniLM's Spearman rho on {d} ({len(pairs)} pairs), 95% bootstrap interval over "
                                     f"pairs, lies above {SPEARMAN_FLOOR}", intervals[d][main], SPEARMAN_FLOOR, part=d),
            Criterion.interval_above(f"{d}: MiniLM above every baseline",
                                     f"MiniLM's rho minus the best baseline's rho ({', '.join(baselines)}), paired "
                                     f"95% bootstrap interval over pairs, lies above 0", gain, 0.0, part=d),
        ]
    numbers["minilm_spearman_wordsim353"] = numbers.get("wordsim353", {}).get("spearman", {}).get("minilm")
    numbers["minilm_spearman_simlex999"] = numbers.get("simlex999", {}).get("spearman", {}).get("minilm")
    numbers = {k: v for k, v in numbers.items() if v is not None}
    notes = [
        "Each word is embedded alone as a one-word sentence; words outside a vocabulary are split into word "
        "pieces (MiniLM) or BPE tokens (Austen BERT), so no pair is dropped.",
        "WordSim-353 scores relatedness (coffee/cup is high); SimLex-999 scores similarity only "
        "(coffee/cup is low), which co-occurrence-trained vectors find harder.",
    ]
    if austen_source:
        notes.append(f"Austen BERT: {austen_source} (mean-pooled last hidden states over [CLS] BPE(' ' + word) [SEP]).")
    _similarity_plots(ctx, scored, intervals, main)
    table = Table("Spearman's rho of each method's pair scores against human scores (95% bootstrap interval over "
                  "word pairs)", ["data set", "method", "pairs", "Spearman rho", "low", "high"], rows)
    return Outcome(numbers=numbers, criteria=criteria, tables=[table], notes=notes)


def _key(name: str) -> str:
    if name.startswith("MiniLM"):
        return "minilm"
    if name.startswith("random"):
        return "random"
    if name.startswith("character"):
        return "char_ngram"
    return "austen_bert"


def _similarity_plots(ctx: RunContext, scored: dict[str, dict[str, np.ndarray]],
                      intervals: dict[str, dict[str, Any]], main: str) -> None:
    sets = list(scored)
    with ctx.figure("word_similarity_scatter.png", "MiniLM: cosine of the two words' embeddings against the human "
                    "score, one dot per word pair.", ncols=len(sets), size=(4.5 * len(sets), 3.8)) as (_, axes):
        for ax, d in zip(np.atleast_1d(axes), sets, strict=True):
            ax.scatter(scored[d]["human"], scored[d][main], s=6, alpha=0.5)
            ax.set_xlabel("human score")
            ax.set_ylabel("MiniLM cosine")
            ax.set_title(f"{d}: rho = {intervals[d][main].estimate:.3f}")
    with ctx.figure("word_similarity_methods.png", "Spearman's rho with human scores per method and data set "
                    "(error bars: 95% bootstrap intervals over word pairs).",
                    size=(7, 3.8)) as (_, ax):
        methods = list(intervals[sets[0]])
        width = 0.8 / len(methods)
        for j, name in enumerate(methods):
            est = [intervals[d][name].estimate for d in sets]
            err = [[e - intervals[d][name].low for e, d in zip(est, sets)],
                   [intervals[d][name].high - e for e, d in zip(est, sets)]]
            ax.bar([i + j * width for i in range(len(sets))], est, width, yerr=err, capsize=3, label=name)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sets))], sets)
        ax.axhline(SPEARMAN_FLOOR, color="red", ls=":", lw=1)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylabel("Spearman rho")
        ax.legend(fontsize=7)
