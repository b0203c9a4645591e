"""RoBERTa's two ablations at toy scale (Liu et al. 2019, Tables 1 and 2), on Jane Austen.

Claims:

(a) **Dynamic masking is at least as good as static masking** (§4.1, Table 1: "comparable or
    slightly better", SQuAD 2.0 F1 78.7 vs 78.3).
(b) **Dropping next-sentence prediction does not hurt** (§4.2, Table 2: "removing the NSP loss
    matches or slightly improves downstream task performance", FULL-SENTENCES / DOC-SENTENCES vs
    SEGMENT-PAIR+NSP).

Design (all arms: the same RoBERTa encoder, vocabulary, input length, batch size and number of
optimizer steps, per seed the same initialization where the architectures agree):

- **Corpus.** A *small* one, so that many epochs pass and static masks repeat: the first
  ``train_chars`` characters of each of the five training novels, one document per chapter,
  split into sentences; a byte-level BPE vocabulary (the ``bpe`` entry) trained on it with
  RoBERTa's specials (:mod:`.vocabulary`). The held-out novel (Persuasion) is never trained on.
- **Arms.**
  (i) *static*: FULL-SENTENCES inputs (:func:`.packing.full_sentences`), no NSP, masks fixed at
  preprocessing as in the paper: ``copies`` (10) masked copies, epoch ``e`` feeds copy
  ``e mod copies`` (:class:`.masking.StaticMasking`), over ``epochs`` (40) epochs, so every
  sequence is seen with the same mask ``epochs / copies`` (4) times -- the paper's numbers.
  (ii) *dynamic*: the same inputs with a new mask every time (:class:`.masking.DynamicMasking`).
  With the same seed, (i) and (ii) get identical masks, batches and initialization during the
  first ``copies`` epochs; they differ only once static masks start repeating.
  (iii) *NSP*: BERT's SEGMENT-PAIR inputs with next-sentence prediction
  (:func:`.packing.segment_pairs`: 50 % random next segment from another document, pairs and masks
  redrawn every epoch), MLM + NSP loss on the pooled ``<s>`` (BERT §3.1), dynamic masking; the
  encoder has two segment embeddings and a pooler, otherwise the same.
- **Measurements.** (1) Held-out masked-LM loss: cross-entropy at the masked positions of the
  held-out novel packed as FULL-SENTENCES, with masks drawn once (seed :data:`EVAL_MASK_SEED`) and
  shared by every arm and seed. (2) Downstream: the acceptability task of
  :mod:`papercraft.testbeds.acceptability` with few labels, in GPT-1's setting: ``ft_train_sentences``
  (150) sentences from the parts of the training novels that the small corpus leaves out, with
  their corrupted copies (words shuffled), fine-tune each pre-trained encoder with a new
  classification head on ``<s>`` (RoBERTa's) for ``ft_steps`` (100) steps -- few labels and few
  steps, so that the score reads what pre-training put into the encoder (the from-scratch
  reference shows it: given a few hundred steps, even a random encoder learns the shuffled-word
  cues from 300 examples); the test texts are
  ``ft_test_sentences`` sentences of the held-out novel and their corrupted copies. No text of
  either side was pre-trained on. Each encoder is fine-tuned ``ft_seeds`` times (different head
  initializations and batch orders) and its accuracies averaged, so that fine-tuning noise does
  not swamp the comparison. The same encoder fine-tuned from scratch (once per seed) shows what
  pre-training is worth on the task. The paper judges NSP by downstream results, so (b) is
  decided on the downstream accuracy. (Adjacent-word swaps, the bert entry's corruption, are too
  subtle for encoders of this size pre-trained on 40k tokens: pre-trained and scratch models both
  stay near chance, so shuffled word order is used.)
- **Seeds.** ``seeds`` (>= 3) pre-training seeds; every arm uses the seed's value for its
  initialization, batch order and masks, and fine-tuning seed ``j`` is ``seed + j``, so the
  differences between arms are paired by seed.

Criteria, fixed before the first full run:

- (a) non-inferiority of dynamic masking on held-out MLM loss: the 95 % Student-t interval over
  seeds of ``static - dynamic`` (per-seed paired differences, nats/token) must lie above
  ``-MLM_MARGIN``: reproduced if its lower bound > -0.02, not reproduced if its upper bound
  < -0.02 (dynamic worse by more than the margin), inconclusive otherwise. 0.02 nats is a 2 %
  change in perplexity: smaller than the paper's "comparable" and far smaller than what a change
  of objective does to an MLM loss. (Secondary: dynamic strictly better, interval above 0.)
- (b) equivalence of dropping NSP on downstream accuracy: the 95 % t-interval over seeds of
  ``no-NSP (dynamic) - NSP`` test accuracy must lie inside ``±ACC_MARGIN`` = ±0.03 (3 points):
  reproduced inside, not reproduced wholly outside, inconclusive otherwise. Three points is the
  size of difference the paper treats as real (Table 2: SENTENCE-PAIR loses 1-2.5 points to
  SEGMENT-PAIR), and small next to what pre-training is worth on the task. If the dynamic or the
  NSP arm is at chance (mean accuracy below 0.5 plus three binomial standard deviations of the
  test set), (b) is undecided: a tie at chance says nothing.
  (Secondary: one-sided non-inferiority with the same margin -- "does not hurt" read one-sided,
  which an improvement from dropping NSP also satisfies; held-out MLM loss of no-NSP not worse
  than NSP's by more than MLM_MARGIN; pre-training beats training from scratch downstream, which
  says whether the task reads pre-training at all.)
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.data import load_austen
from papercraft.papers.bert.masking import mask_tokens
from papercraft.papers.bert.model import BertMLMHead, init_bert_weights
from papercraft.papers.roberta.masking import (
    DynamicMasking,
    MaskedBatches,
    SegmentPairBatches,
    StaticMasking,
    special_positions,
)
from papercraft.papers.roberta.model import (
    RobertaClassificationHead,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaModel,
    chosen_positions_loss,
)
from papercraft.papers.roberta.packing import full_sentences, pad_to
from papercraft.papers.roberta.vocabulary import RobertaVocabulary, train_roberta_vocabulary
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import Interval, mean_interval, seed_spread
from papercraft.testbeds.acceptability import build_acceptability, split_sentences
from papercraft.training import TensorBatches
from papercraft.training.schedules import warmup_cosine

if TYPE_CHECKING:
    from papercraft.runner import RunContext

MLM_MARGIN = 0.02  # (a), nats/token
ACC_MARGIN = 0.03  # (b), accuracy
CHANCE_SDS = 3.0  # an arm is "at chance" below 0.5 + CHANCE_SDS binomial sds of the test set
EVAL_MASK_SEED = 2019  # the held-out masks, shared by every arm and seed
ACCEPTABILITY_SEED = 0  # the downstream task's construction and split, shared by every arm and seed
ARMS = ("static", "dynamic", "nsp")
ARM_LABELS = {"static": "static masking", "dynamic": "dynamic masking", "nsp": "segment pairs + NSP",
              "scratch": "no pre-training"}

_CHAPTER = re.compile(r"(?m)^[ \t]*(?:CHAPTER|Chapter)[ \t]+[0-9IVXLC]+\.?[ \t]*$")

Documents = list[list[list[int]]]


@dataclass
class Corpus:
    vocab: RobertaVocabulary
    documents: Documents  # training chapters -> sentences -> ids
    heldout_documents: Documents  # the held-out novel's chapters -> sentences -> ids
    heldout_text: str
    train_chars: int
    unseen_texts: list[str]  # per training novel: the text after its first train_chars (never pre-trained on)


def chapters(text: str) -> list[str]:
    """A novel's chapters (the text before the first heading, the title page, is dropped)."""
    parts = _CHAPTER.split(text)
    return [p for p in parts[1:] if p.strip()] if len(parts) > 1 else [text]


def sentences_of(text: str) -> list[str]:
    """Every sentence of ``text`` (no length filter: packing must see all of the text)."""
    return split_sentences(text, min_words=1, max_words=10**9)


def load_corpus(train_chars: int, vocab_size: int, heldout: str) -> Corpus:
    """The small training corpus, its vocabulary, and the held-out novel (module docstring)."""
    books = load_austen()
    if heldout not in books:
        raise ValueError(f"heldout must be one of {sorted(books)}, got {heldout!r}")
    texts = {t: chapters(b[:train_chars]) for t, b in books.items() if t != heldout}
    unseen = [b[b.find("\n\n", train_chars) + 2:] for t, b in books.items() if t != heldout]
    train_docs = [c for cs in texts.values() for c in cs]
    vocab = train_roberta_vocabulary(train_docs, vocab_size)

    def encode(docs: list[str]) -> Documents:
        return [[vocab.encode_ordinary(s) for s in sentences_of(d)] for d in docs]

    return Corpus(vocab, encode(train_docs), encode(chapters(books[heldout])), books[heldout],
                  sum(len(d) for d in train_docs), unseen)


# ---------------------------------------------------------------------------------------------- models

class SegmentPairModel(nn.Module):
    """The NSP arm: RoBERTa's encoder (two segment embeddings, a pooler) with BERT's two heads:
    the MLM head and ``nsp`` = Linear(H, 2) on the pooled ``<s>`` (BERT §3.1, Task #2)."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        if config.type_vocab_size < 2:
            raise ValueError(f"the NSP arm needs type_vocab_size >= 2 (segments A and B), got {config.type_vocab_size}")
        self.config = config
        self.roberta = RobertaModel(config, add_pooling_layer=True)
        self.lm_head = BertMLMHead(config, self.roberta.embeddings.word_embeddings)
        self.nsp = nn.Linear(config.hidden_size, 2)
        init_bert_weights(self.nsp, config.initializer_range)

    def losses(self, inputs: Tensor, token_types: Tensor, attention: Tensor, mlm_labels: Tensor,
               nsp_labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(mlm_loss, nsp_loss, nsp_logits [B, 2])``; BERT's pre-training loss is their sum."""
        out = self.roberta(inputs, token_types, attention)
        nsp_logits = self.nsp(out.pooler_output)
        return (chosen_positions_loss(self.lm_head, out.last_hidden_state, mlm_labels),
                F.cross_entropy(nsp_logits, nsp_labels), nsp_logits)


class EncoderClassifier(nn.Module):
    """A pre-trained (or fresh) encoder + RoBERTa's classification head on ``<s>``: ``[B, L]`` -> ``[B, 2]``."""

    def __init__(self, encoder: RobertaModel, num_labels: int = 2) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = RobertaClassificationHead(encoder.config, num_labels)

    def forward(self, ids: Tensor, attention: Tensor) -> Tensor:
        """``ids``, ``attention`` [B, L] (right-padded) -> logits [B, 2]. Columns that are padding in
        every row are cut first: the same result (they are masked out), less compute."""
        length = max(int(attention.sum(1).max()), 1)
        return self.head(self.encoder(ids[:, :length], None, attention[:, :length]).last_hidden_state)


@torch.no_grad()
def heldout_mlm_loss(encoder: RobertaModel, head: nn.Module, inputs: Tensor, labels: Tensor, attention: Tensor,
                     batch_size: int = 64) -> float:
    """Token-weighted cross-entropy at the masked positions of the fixed held-out batch (nats/token)."""
    was = encoder.training
    encoder.eval()
    total, count = 0.0, 0
    for i in range(0, inputs.shape[0], batch_size):
        sl = slice(i, i + batch_size)
        hidden = encoder(inputs[sl], None, attention[sl]).last_hidden_state
        n = int((labels[sl] != -100).sum())
        if n:
            total += chosen_positions_loss(head, hidden, labels[sl]).item() * n
            count += n
    encoder.train(was)
    return total / max(count, 1)


# ---------------------------------------------------------------------------------------------- training

def _optimizer(model: nn.Module, lr: float, steps: int, warmup: float) -> tuple[Any, Any]:
    """RoBERTa §3.1: Adam with beta2 = 0.98, eps = 1e-6, weight decay 0.01, warm-up then decay."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    return opt, warmup_cosine(opt, steps, warmup_steps=max(1, round(warmup * steps)), floor=0.0)


def model_config(p: dict[str, Any], vocab: RobertaVocabulary, type_vocab_size: int = 1) -> RobertaConfig:
    """The encoder every arm uses (the NSP arm with ``type_vocab_size=2``)."""
    return RobertaConfig(vocab_size=vocab.vocab_size, hidden_size=p["hidden"], num_hidden_layers=p["layers"],
                         num_attention_heads=p["heads"], intermediate_size=p["intermediate"],
                         max_position_embeddings=p["max_length"] + vocab.pad_id + 1, type_vocab_size=type_vocab_size,
                         pad_token_id=vocab.pad_id, hidden_dropout_prob=p["dropout"],
                         attention_probs_dropout_prob=p["attention_dropout"])


def pretrain(ctx: RunContext, arm: str, seed: int, corpus: Corpus, sequences: Tensor, evaluation: tuple[Tensor, ...],
             p: dict[str, Any], steps: int) -> tuple[nn.Module, Any]:
    """Pre-train one arm with one seed; returns ``(model, TrainResult)``."""
    vocab = corpus.vocab
    masks = dict(vocab_size=vocab.vocab_size, mask_id=vocab.mask_id, special_ids=vocab.special_ids,
                 probability=p["mask_probability"], seed=seed)
    torch.manual_seed(seed)
    if arm == "nsp":
        model: nn.Module = SegmentPairModel(model_config(p, vocab, type_vocab_size=2))
        data: Any = SegmentPairBatches(corpus.documents, max_length=p["max_length"], batch_size=p["batch_size"],
                                       bos_id=vocab.bos_id, eos_id=vocab.eos_id, pad_id=vocab.pad_id,
                                       mask_id=vocab.mask_id, vocab_size=vocab.vocab_size,
                                       special_ids=vocab.special_ids, probability=p["mask_probability"], seed=seed)

        def loss_fn(m: SegmentPairModel, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
            inputs, types, attention, labels, nsp = batch
            mlm, nsp_loss, logits = m.losses(inputs, types, attention, labels, nsp)
            return mlm + nsp_loss, {"mlm_loss": mlm.item(), "nsp_loss": nsp_loss.item(),
                                    "nsp_accuracy": (logits.argmax(-1) == nsp).float().mean().item()}
    else:
        model = RobertaForMaskedLM(model_config(p, vocab))
        masking = (StaticMasking(sequences, copies=p["copies"], **masks) if arm == "static"
                   else DynamicMasking(sequences, **masks))
        data = MaskedBatches(masking, batch_size=p["batch_size"], pad_id=vocab.pad_id, seed=seed)

        def loss_fn(m: RobertaForMaskedLM, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
            inputs, labels, attention = batch
            loss = m.masked_lm_loss(inputs, labels, attention)
            return loss, {"mlm_loss": loss.item()}

    def evaluate(m: nn.Module) -> dict[str, float]:
        return {"heldout_mlm_loss": heldout_mlm_loss(m.roberta, m.lm_head, *evaluation)}

    optimizer, scheduler = _optimizer(model, p["lr"], steps, p["warmup"])
    result = ctx.train(f"pretrain-{arm}-seed{seed}", model, optimizer, loss_fn, data, steps=steps, seed=seed,
                       scheduler=scheduler, evaluate=evaluate, eval_every=p["eval_every_epochs"] * (steps // p["epochs"]),
                       log_every=max(1, steps // 100), grad_clip=1.0)
    return model, result


def finetune(ctx: RunContext, name: str, encoder: RobertaModel, task: tuple[Tensor, ...], p: dict[str, Any],
             seed: int) -> float:
    """Fine-tune ``encoder`` (a copy) + a new head on the acceptability task; returns test accuracy."""
    x_train, m_train, y_train, x_test, m_test, y_test = task
    torch.manual_seed(seed)
    model = EncoderClassifier(copy.deepcopy(encoder))
    optimizer, scheduler = _optimizer(model, p["ft_lr"], p["ft_steps"], 0.1)

    def loss_fn(m: EncoderClassifier, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        logits = m(batch[0], batch[1])
        return F.cross_entropy(logits, batch[2]), {"accuracy": (logits.argmax(-1) == batch[2]).float().mean().item()}

    @torch.no_grad()
    def evaluate(m: EncoderClassifier) -> dict[str, float]:
        preds = torch.cat([m(x_test[i:i + 256], m_test[i:i + 256]).argmax(-1) for i in range(0, len(x_test), 256)])
        return {"test_accuracy": (preds == y_test).float().mean().item()}

    result = ctx.train(name, model, optimizer, loss_fn,
                       TensorBatches(x_train, m_train, y_train, batch_size=p["ft_batch_size"], seed=seed),
                       steps=p["ft_steps"], seed=seed, scheduler=scheduler, evaluate=evaluate,
                       log_every=max(1, p["ft_steps"] // 20), grad_clip=1.0)
    return float(result.last_eval()["test_accuracy"])


def acceptability_task(corpus: Corpus, p: dict[str, Any]) -> tuple[tuple[Tensor, ...], int, int]:
    """The downstream task, tokenized: ``((x_train, mask_train, y_train, x_test, mask_test, y_test), n_train, n_test)``.

    Test: sentences of the held-out novel (``ft_test_sentences`` of them, 0 = all) and their
    corrupted copies. Fine-tuning: ``ft_train_sentences`` sentences (an equal share per novel) of the
    parts of the training novels that pre-training did not see, and their corrupted copies. No
    text of either side was pre-trained on; corruption: two adjacent words swapped.
    """
    def examples(sentences: list[str], seed: int) -> tuple[list[str], list[int]]:
        task = build_acceptability(sentences, seed, corruption=p["corruption"])
        return task.texts_and_labels(task.train + task.test)  # every kept sentence, both splits

    per_novel = -(-p["ft_train_sentences"] // len(corpus.unseen_texts))
    train_sentences = [s for text in corpus.unseen_texts for s in split_sentences(text)[:per_novel]]
    test_sentences = split_sentences(corpus.heldout_text)
    if p["ft_test_sentences"]:
        test_sentences = test_sentences[: p["ft_test_sentences"]]
    out: list[Tensor] = []
    sizes = []
    for sentences, seed in ((train_sentences[: p["ft_train_sentences"]], ACCEPTABILITY_SEED),
                            (test_sentences, ACCEPTABILITY_SEED + 1)):
        texts, labels = examples(sentences, seed)
        ids, mask = corpus.vocab.encode_batch(texts, max_length=p["max_length"])
        out += [ids, mask, torch.tensor(labels, dtype=torch.long)]
        sizes.append(len(texts))
    return tuple(out), sizes[0], sizes[1]


# ---------------------------------------------------------------------------------------------- run

def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    if p["epochs"] <= p["copies"]:
        raise ValueError(f"epochs ({p['epochs']}) must exceed copies ({p['copies']}) for static masks to repeat")
    corpus = load_corpus(p["train_chars"], p["vocab_size"], p["heldout"])
    vocab = corpus.vocab
    packed = full_sentences(corpus.documents, p["max_length"], bos=vocab.bos_id, eos=vocab.eos_id)
    sequences = pad_to(packed, p["max_length"], vocab.pad_id)
    steps_per_epoch = len(packed) // p["batch_size"]
    steps = p["epochs"] * steps_per_epoch
    train_tokens = sum(len(s) for d in corpus.documents for s in d)
    ctx.log(f"corpus: {len(corpus.documents)} chapters, {train_tokens:,} tokens ({corpus.train_chars:,} characters), "
            f"{len(packed)} FULL-SENTENCES inputs of <= {p['max_length']} tokens; {steps_per_epoch} steps/epoch, "
            f"{steps} steps ({p['epochs']} epochs)")

    held = full_sentences(corpus.heldout_documents, p["max_length"], bos=vocab.bos_id, eos=vocab.eos_id)
    held_ids = pad_to(held[: p["eval_sequences"]], p["max_length"], vocab.pad_id)
    eval_inputs, eval_labels = mask_tokens(held_ids, vocab_size=vocab.vocab_size, mask_id=vocab.mask_id,
                                           special_mask=special_positions(held_ids, vocab.special_ids),
                                           probability=p["mask_probability"],
                                           generator=torch.Generator().manual_seed(EVAL_MASK_SEED))
    evaluation = (eval_inputs, eval_labels, (held_ids != vocab.pad_id).long())
    task, n_train, n_test = acceptability_task(corpus, p)
    chance_bar = 0.5 + CHANCE_SDS * math.sqrt(0.25 / n_test)
    ctx.log(f"held-out: {held_ids.shape[0]} inputs, {int((eval_labels != -100).sum())} masked positions; "
            f"acceptability: {n_train} training / {n_test} test examples")

    seeds = ctx.seeds(p["seeds"])
    loss: dict[str, list[float]] = {a: [] for a in ARMS}
    acc: dict[str, list[float]] = {a: [] for a in (*ARMS, "scratch")}
    curves: dict[str, list[Any]] = {a: [] for a in ARMS}
    ft_runs: dict[str, list[list[float]]] = {a: [] for a in (*ARMS, "scratch")}
    nsp_acc: list[float] = []
    for seed in seeds:
        for arm in ARMS:
            model, result = pretrain(ctx, arm, seed, corpus, sequences, evaluation, p, steps)
            loss[arm].append(float(result.last_eval()["heldout_mlm_loss"]))
            curves[arm].append(result.history)
            if arm == "nsp":
                train = [r for r in result.history if r["split"] == "train"]
                tail = train[-max(1, len(train) // 10):]
                nsp_acc.append(sum(r["nsp_accuracy"] for r in tail) / len(tail))
            runs = [finetune(ctx, f"finetune-{arm}-seed{seed}-ft{j}", model.roberta, task, p, seed + j)
                    for j in range(p["ft_seeds"])]
            acc[arm].append(sum(runs) / len(runs))  # averaged over fine-tuning seeds: less fine-tuning noise
            ft_runs[arm].append(runs)
            ctx.log(f"seed {seed} {arm}: held-out MLM loss {loss[arm][-1]:.4f}, acceptability "
                    f"{', '.join(f'{a:.3f}' for a in runs)}")
        torch.manual_seed(seed)
        scratch = RobertaModel(model_config(p, vocab), add_pooling_layer=False)
        acc["scratch"].append(finetune(ctx, f"finetune-scratch-seed{seed}-ft0", scratch, task, p, seed))
        ft_runs["scratch"].append(acc["scratch"][-1:])
        ctx.log(f"seed {seed} scratch: acceptability {acc['scratch'][-1]:.3f}")

    return _outcome(ctx, p, loss, acc, ft_runs, curves, nsp_acc, seeds, chance_bar, n_train, n_test, steps,
                    steps_per_epoch, train_tokens, corpus, len(packed), held_ids.shape[0],
                    int((eval_labels != -100).sum()))


def _paired(a: list[float], b: list[float]) -> Interval:
    return mean_interval([x - y for x, y in zip(a, b, strict=True)])


def _outcome(ctx: RunContext, p: dict[str, Any], loss: dict[str, list[float]], acc: dict[str, list[float]],
             ft_runs: dict[str, list[list[float]]], curves: dict[str, list[Any]], nsp_acc: list[float],
             seeds: list[int], chance_bar: float, n_train: int, n_test: int, steps: int, steps_per_epoch: int,
             train_tokens: int, corpus: Corpus, n_inputs: int,
             n_eval: int, n_masked: int) -> Outcome:
    static_minus_dynamic = _paired(loss["static"], loss["dynamic"])
    nsp_minus_nonsp_loss = _paired(loss["nsp"], loss["dynamic"])
    nonsp_minus_nsp_acc = _paired(acc["dynamic"], acc["nsp"])
    pretrained_mean = [sum(acc[a][i] for a in ARMS) / len(ARMS) for i in range(len(seeds))]
    pretraining_gain = _paired(pretrained_mean, acc["scratch"])
    mean = {a: sum(v) / len(v) for a, v in acc.items()}
    at_chance = [a for a in ("dynamic", "nsp") if mean[a] < chance_bar]  # the arms (b) compares

    nsp_criterion = Criterion.equivalence(
        "dropping NSP: downstream accuracy",
        f"no-NSP (dynamic masking, FULL-SENTENCES) minus SEGMENT-PAIR+NSP acceptability test accuracy: the 95% "
        f"t-interval over {len(seeds)} seeds lies inside ±{ACC_MARGIN} (undecided if the dynamic or NSP arm is at "
        f"chance, mean accuracy < {chance_bar:.3f})", nonsp_minus_nsp_acc, ACC_MARGIN, part="b")
    if at_chance:
        nsp_criterion.passed = None
    criteria = [
        Criterion.interval_above(
            "dynamic vs static masking: held-out MLM loss",
            f"static minus dynamic held-out masked-LM loss (nats/token, paired by seed): the 95% t-interval over "
            f"{len(seeds)} seeds lies above -{MLM_MARGIN} (dynamic not worse by more than {MLM_MARGIN})",
            static_minus_dynamic, -MLM_MARGIN, part="a"),
        Criterion.interval_above(
            "dynamic strictly better than static", "static minus dynamic held-out MLM loss: interval above 0",
            static_minus_dynamic, 0.0, part="a", primary=False),
        nsp_criterion,
        Criterion.interval_above(
            "dropping NSP: downstream non-inferiority",
            f"no-NSP minus NSP test accuracy: interval above -{ACC_MARGIN} (one-sided: no-NSP not worse)",
            nonsp_minus_nsp_acc, -ACC_MARGIN, part="b", primary=False),
        Criterion.interval_above(
            "dropping NSP: held-out MLM loss",
            f"NSP minus no-NSP held-out masked-LM loss: interval above -{MLM_MARGIN} (no-NSP not worse by more "
            f"than {MLM_MARGIN})", nsp_minus_nonsp_loss, -MLM_MARGIN, part="b", primary=False),
        Criterion.interval_above(
            "pre-training helps downstream",
            "mean test accuracy of the three pre-trained arms minus the same encoder fine-tuned from scratch: "
            "interval above 0 (the task reads what pre-training learned)", pretraining_gain, 0.0, part="b",
            primary=False),
        Criterion.at_least(
            "no arm at chance", f"every pre-trained arm's mean test accuracy >= {chance_bar:.3f} (0.5 + "
            f"{CHANCE_SDS:g} binomial sds of {n_test} test examples)", round(min(mean[a] for a in ARMS), 4),
            round(chance_bar, 4), part="b", primary=False),
    ]
    r4 = lambda xs: [round(x, 4) for x in xs]  # noqa: E731
    numbers: dict[str, Any] = {
        "heldout_mlm_loss": {a: r4(v) for a, v in loss.items()},
        "acceptability_accuracy": {a: r4(v) for a, v in acc.items()},
        "acceptability_accuracy_per_finetuning_seed": {a: [r4(x) for x in v] for a, v in ft_runs.items()},
        "static_minus_dynamic_mlm_loss_mean": round(static_minus_dynamic.estimate, 4),
        "nonsp_minus_nsp_accuracy_mean": round(nonsp_minus_nsp_acc.estimate, 4),
        "static_minus_dynamic_mlm_loss": static_minus_dynamic.as_dict(4),
        "nonsp_minus_nsp_accuracy": nonsp_minus_nsp_acc.as_dict(4),
        "nsp_minus_nonsp_mlm_loss": nsp_minus_nonsp_loss.as_dict(4),
        "pretraining_gain_accuracy": pretraining_gain.as_dict(4),
        "nsp_train_accuracy_last10pct": r4(nsp_acc),
        "steps": steps, "epochs": p["epochs"], "steps_per_epoch": steps_per_epoch, "copies": p["copies"],
        "mask_repeats": p["epochs"] / p["copies"], "training_tokens": train_tokens, "training_inputs": n_inputs,
        "training_characters": corpus.train_chars, "vocab_size": corpus.vocab.vocab_size,
        "heldout_inputs": n_eval, "heldout_masked_positions": n_masked,
        "acceptability_train": n_train, "acceptability_test": n_test, "chance_bar": round(chance_bar, 4),
    }
    tables = [
        Table("Held-out masked-LM loss (nats/token, fixed masks on the held-out novel) and acceptability test "
              "accuracy, per seed",
              ["seed", *[f"MLM loss: {ARM_LABELS[a]}" for a in ARMS], *[f"accuracy: {ARM_LABELS[a]}" for a in
                                                                        (*ARMS, "scratch")]],
              [[s, *[round(loss[a][i], 4) for a in ARMS], *[round(acc[a][i], 4) for a in (*ARMS, "scratch")]]
               for i, s in enumerate(seeds)]),
        Table("Arms over seeds (mean ± sd)", ["arm", "held-out MLM loss", "acceptability accuracy"],
              [[ARM_LABELS[a], _mean_sd(loss[a]) if a in loss else "-", _mean_sd(acc[a])] for a in (*ARMS, "scratch")]),
    ]
    notes = [
        f"Training corpus: the first {p['train_chars']:,} characters of each of the five training novels "
        f"({train_tokens:,} tokens, {n_inputs} FULL-SENTENCES inputs of <= {p['max_length']} tokens); "
        f"{p['epochs']} epochs = {steps} steps of {p['batch_size']} inputs. Static masking: {p['copies']} masked "
        f"copies, so each input is seen with the same mask {p['epochs'] / p['copies']:g} times (the paper: 10 "
        f"copies over 40 epochs, 4 times).",
        f"Held-out: {n_eval} FULL-SENTENCES inputs of {p['heldout']} with {n_masked} masked positions, the same "
        f"masks for every arm and seed. Downstream ({p['corruption']} corruption): {n_test} test examples from "
        f"{p['heldout']}, {n_train} fine-tuning examples from the unseen parts of the training novels, "
        f"{p['ft_steps']} steps of {p['ft_batch_size']}, {p['ft_seeds']} fine-tuning seed(s) per pre-trained encoder "
        f"(averaged; the from-scratch reference once per seed); chance 0.5.",
        f"NSP arm: next-sentence accuracy on its own training pairs over the last 10% of steps, per seed: "
        f"{', '.join(f'{x:.3f}' for x in nsp_acc)}.",
    ]
    if at_chance:
        notes.append(f"Arm(s) {', '.join(at_chance)} are at chance downstream (mean accuracy below {chance_bar:.3f}), "
                     f"so (b) is left undecided.")
    _plots(ctx, curves, acc, seeds, steps_per_epoch, p)
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _mean_sd(values: list[float]) -> str:
    s = seed_spread(values)
    return f"{s.mean:.4f} ± {s.sd:.4f}"


def _plots(ctx: RunContext, curves: dict[str, list[Any]], acc: dict[str, list[float]], seeds: list[int],
           steps_per_epoch: int, p: dict[str, Any]) -> None:
    colors = {"static": "tab:orange", "dynamic": "tab:blue", "nsp": "tab:green", "scratch": "tab:gray"}
    caption = ("Left: held-out masked-LM loss (fixed masks, held-out novel) during pre-training, one line per seed. "
               "Right: training MLM loss (the NSP arm's MLM part; running mean of 5 logged steps). The dotted line "
               f"marks epoch {p['copies']}, after which static masks repeat.")
    with ctx.figure("mlm_loss.png", caption, ncols=2, size=(11, 4)) as (_, ax):
        for arm, histories in curves.items():
            for i, history in enumerate(histories):
                ev = [r for r in history if r["split"] == "eval"]
                tr = [r for r in history if r["split"] == "train"]
                label = ARM_LABELS[arm] if i == 0 else None
                ax[0].plot([r["step"] for r in ev], [r["heldout_mlm_loss"] for r in ev], color=colors[arm],
                           alpha=0.8, label=label)
                window = 5  # a running mean over 5 logged steps, for readability
                smooth = [sum(r["mlm_loss"] for r in tr[max(0, k - window + 1):k + 1]) / (k + 1 - max(0, k - window + 1))
                          for k in range(len(tr))]
                ax[1].plot([r["step"] for r in tr], smooth, color=colors[arm], alpha=0.6, lw=0.9, label=label)
        for a in ax:
            a.axvline(p["copies"] * steps_per_epoch, color="k", ls=":", lw=0.8)
            a.set_xlabel("step")
            a.legend(fontsize=8)
        ax[0].set_ylabel("held-out MLM loss (nats/token)")
        ax[0].set_title("held-out masked-LM loss")
        ax[1].set_ylabel("training MLM loss")
        ax[1].set_title("training masked-LM loss")
    with ctx.figure("downstream.png", "Acceptability test accuracy after fine-tuning (bars: mean over seeds, dots: "
                    "seeds); dashed: chance.", size=(6, 4)) as (_, ax):
        names = [*ARMS, "scratch"]
        ax.bar(range(len(names)), [sum(acc[a]) / len(acc[a]) for a in names], color=[colors[a] for a in names])
        for i, a in enumerate(names):
            ax.plot([i] * len(acc[a]), acc[a], "k.")
        ax.axhline(0.5, color="red", ls="--", lw=0.8)
        ax.set_xticks(range(len(names)), [ARM_LABELS[a] for a in names], rotation=15, fontsize=8)
        ax.set_ylabel("test accuracy")
        lo = min(min(v) for v in acc.values())
        ax.set_ylim(max(0.0, min(0.45, lo - 0.05)), 1.0)
