"""T5's claim at toy scale: span-corruption pre-training improves downstream text-to-text tasks,
and one model handles several tasks through prefixes (Raffel et al. 2019, §3.1.4, §3.3, Table 4
vs Table 7's "no pre-training" row: GLUE 66.22 without pre-training, 83.28 with).

Set-up:

- **Vocabulary**: byte-level BPE (the ``bpe`` entry's trainer) on the five training novels of
  Jane Austen, with ``<pad>``, ``</s>`` and the sentinels ``<extra_id_0..n-1>`` as special tokens.
  *Persuasion* is held out (the convention of :mod:`papercraft.papers.gpt.corpus`): neither the
  vocabulary nor pre-training sees it. Whitespace is normalized (the Gutenberg line wraps removed),
  as in the downstream sentences.
- **Pre-training** (§3.1.4): one small T5 trained with span corruption (15 % of the tokens, mean
  span length 3, sentinels) on 64-token windows of the training novels drawn at random offsets,
  each corrupted afresh; its held-out span-corruption loss on *Persuasion* is logged.
- **Two downstream tasks, one model** (§2.4): sentences of *Persuasion*
  (:func:`papercraft.testbeds.acceptability.split_sentences`, 4-20 words), split by sentence into
  training and test sentences. Each sentence gets one corrupted copy made with the acceptability
  test bed's corruptions, alternately two adjacent words swapped and all words shuffled. Two tasks
  share those texts and differ in the prefix and the kind of answer:

  - ``"acceptable: <text>"`` -> ``"yes"`` (the original) / ``"no"`` (the corrupted copy): a
    CoLA-like acceptability judgement;
  - ``"corruption: <corrupted copy>"`` -> ``"swapped"`` / ``"shuffled"``: which corruption it was.

  The corrupted test texts appear under *both* prefixes, so only the prefix says whether to answer
  yes/no or swapped/shuffled. Both need word order, which only the position biases give a T5
  (a word's identity alone tells nothing: the copies have the original's words). ONE model is
  fine-tuned on the mixture of both training sets (examples-proportional mixing, §3.5.2) and scored
  by exact match of its greedy output (§2.4: an output that is not a valid label counts as wrong).
  Chance is 0.5 on both (balanced labels).
- **Arms**: the pre-trained model vs the same architecture from random initialization, fine-tuned
  with the same data, steps, optimizer and seeds; >= 3 fine-tuning seeds (the pre-trained
  checkpoint is one; a seed sets the scratch initialization, dropout and data order).
- **Optimizer** (§3.1.2-3.1.3): Adafactor (``torch.optim.Adafactor``: factored second moments, no
  momentum, steps relative to each parameter's scale, update clipping at 1) with T5's
  ``min(lr, 1/sqrt(step))`` rate, 0.01 (constant over our steps, as T5's pre-training rate is for
  its first 10^4), the same for both arms. The relative-position bias tables get 10x the rate: they
  are initialized at std ``d_model^-1/2`` and Adafactor's steps are relative to that scale, so in a
  few thousand steps (T5 trains 2^19) they would barely move and the encoder would stay nearly
  blind to word order.

Criteria, fixed before the full run:

- (a1) **acceptability gain**: ``acceptable:`` test accuracy, pre-trained minus scratch, per seed;
  passed if the 95 % Student-t interval over seeds lies above ``MIN_ACCEPTABILITY_GAIN`` = 0.03,
  failed if below, else inconclusive. It is forced to inconclusive while the scratch arm is not
  above chance -- every scratch seed's accuracy must exceed chance by a one-sided binomial test,
  ``0.5 + 1.645 sqrt(0.25 / n)`` on the ``n`` test texts (a gain over a model that learned nothing
  says little about pre-training) -- or while an arm's mean is at the ceiling (>= ``CEILING`` =
  0.98, where no gain can show).
- (a2) **corruption-diagnosis gain**: the same for ``corruption:``, with ``MIN_DIAGNOSIS_GAIN`` =
  0.03 and the same guards. 3 points is about two binomial standard deviations of one arm's
  accuracy on the ~500-1000 test texts, and far below the paper's 17-point GLUE gap.
- (b1) **one model, two tasks through prefixes**: the pre-trained multi-task model answers in
  each prefix's format -- ``acceptable:`` with yes/no, ``corruption:`` with swapped/shuffled --
  on >= ``MIN_FORMAT_RATE`` = 95 % of the test inputs of each task, in every seed.
- (b2) and solves both tasks: every pre-trained seed is above chance on each task by the same
  binomial test.

Either outcome can show: pre-training can fail to help (toy scale, five novels), the scratch arm
can stay at chance (then (a) is inconclusive, not passed), a single model can mix up the tasks (b1).
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from papercraft.data import load_austen
from papercraft.papers.bpe import Tokenizer, train_bpe
from papercraft.papers.t5.model import T5Config, T5ForConditionalGeneration
from papercraft.papers.t5.span_corruption import noise_span_count, sentinel_name, span_corrupt, text_to_text
from papercraft.results import Criterion, Outcome, Table
from papercraft.statistics import mean_interval
from papercraft.testbeds.acceptability import CORRUPTED, CORRUPTIONS, ORIGINAL, normalize, split_sentences
from papercraft.training import TensorBatches

if TYPE_CHECKING:
    from papercraft.runner import RunContext

MIN_ACCEPTABILITY_GAIN = 0.03  # (a1)
MIN_DIAGNOSIS_GAIN = 0.03  # (a2)
CEILING = 0.98  # (a1), (a2): an arm at or above this mean cannot show a gain
MIN_FORMAT_RATE = 0.95  # (b1)
CHANCE = 0.5  # (a1), (a2), (b2): balanced labels
Z_ONE_SIDED = 1.645  # (a1), (a2), (b2): "above chance" = above CHANCE + Z * binomial sd of the test score

PAD, EOS = "<pad>", "</s>"
ACCEPTABLE, DIAGNOSE = "acceptable", "corruption"
TASKS = (ACCEPTABLE, DIAGNOSE)
ANSWERS = {ORIGINAL: "yes", CORRUPTED: "no"}
CORRUPTION_NAMES = ("swap", "shuffle")  # keys of the test bed's CORRUPTIONS, used alternately
DIAGNOSES = {"swap": "swapped", "shuffle": "shuffled"}
LABELS = {ACCEPTABLE: frozenset(ANSWERS.values()), DIAGNOSE: frozenset(DIAGNOSES.values())}


# --------------------------------------------------------------------------- vocabulary and data


@dataclass
class Vocabulary:
    """The BPE tokenizer with T5's special tokens."""

    tokenizer: Tokenizer
    pad_id: int
    eos_id: int
    sentinel_ids: list[int]

    @property
    def size(self) -> int:
        return self.tokenizer.vocab_size

    def encode(self, text: str) -> list[int]:
        """Ordinary text -> ids, with ``</s>`` appended."""
        return self.tokenizer.encode_ordinary(text) + [self.eos_id]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids up to the first ``</s>`` (excluded) -> text; padding dropped."""
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i != self.pad_id:
                out.append(int(i))
        return self.tokenizer.decode(out)


def build_vocabulary(texts: Sequence[str], vocab_size: int, n_sentinels: int) -> Vocabulary:
    """Byte-level BPE of ``vocab_size`` tokens in all, ``<pad>``, ``</s>`` and ``n_sentinels``
    sentinels included (they take the last ids)."""
    specials = [PAD, EOS, *(sentinel_name(i) for i in range(n_sentinels))]
    tokenizer = train_bpe(list(texts), vocab_size, special_tokens=specials)
    ids = tokenizer.special_tokens
    return Vocabulary(tokenizer, ids[PAD], ids[EOS], [ids[sentinel_name(i)] for i in range(n_sentinels)])


def _pad(rows: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=torch.long)


def span_corruption_batch(stream: Sequence[int], starts: Sequence[int], window: int, vocab: Vocabulary,
                          rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    """Span-corrupt the windows ``stream[s : s + window]``: ``(inputs [N, S] padded with <pad>,
    labels [N, T] padded with -100)``."""
    inputs, targets = [], []
    for s in starts:
        x, y = span_corrupt(stream[s : s + window], vocab.sentinel_ids, rng, eos_id=vocab.eos_id)
        inputs.append(x)
        targets.append(y)
    return _pad(inputs, vocab.pad_id), _pad(targets, -100)


@dataclass
class Example:
    task: str
    source: str  # the input text, with its prefix
    target: str  # the expected output text


def downstream_examples(sentences: Sequence[str], seed: int, test_fraction: float,
                        max_test_sentences: int) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """The two prefixed tasks from held-out ``sentences`` (module docstring), split by sentence.

    Every kept sentence gets one corrupted copy, alternately with two adjacent words swapped and
    with its words shuffled (the acceptability test bed's corruptions); ``acceptable:`` sees the
    original (``yes``) and the copy (``no``), ``corruption:`` the copy (``swapped``/``shuffled``).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = random.Random(seed)
    unique = list(dict.fromkeys(normalize(s) for s in sentences if normalize(s)))
    rng.shuffle(unique)
    taken = set(unique)  # a corruption never equals a sentence of the set, nor another corruption
    kept: list[tuple[str, str, str]] = []  # (original, corrupted, corruption name)
    for text in unique:
        name = CORRUPTION_NAMES[len(kept) % 2]
        corrupted = CORRUPTIONS[name](text.split(" "), rng)
        joined = " ".join(corrupted) if corrupted is not None else None
        if joined is None or joined in taken:
            continue
        taken.add(joined)
        kept.append((text, joined, name))
    n_test = min(max(round(test_fraction * len(kept)), 1), len(kept) - 1)
    splits = {"test": kept[:n_test][:max_test_sentences], "train": kept[n_test:]}
    out: dict[str, list[Example]] = {}
    for split, rows in splits.items():
        examples = []
        for original, corrupted, name in rows:
            examples.append(Example(ACCEPTABLE, text_to_text(ACCEPTABLE, original), ANSWERS[ORIGINAL]))
            examples.append(Example(ACCEPTABLE, text_to_text(ACCEPTABLE, corrupted), ANSWERS[CORRUPTED]))
            examples.append(Example(DIAGNOSE, text_to_text(DIAGNOSE, corrupted), DIAGNOSES[name]))
        rng.shuffle(examples)
        out[split] = examples
    info = {"sentences_kept": len(kept), "sentences_skipped": len(sentences) - len(kept),
            "train_sentences": len(splits["train"]), "test_sentences": len(splits["test"])}
    return out["train"], out["test"], info


def encode_examples(examples: Sequence[Example], vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs [N, S] padded with <pad>, labels [N, T] padded with -100)``."""
    return (_pad([vocab.encode(e.source) for e in examples], vocab.pad_id),
            _pad([vocab.encode(e.target) for e in examples], -100))


# --------------------------------------------------------------------------- training and evaluation


def _trim(inputs: torch.Tensor, labels: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Drop the columns that are padding in every row; return ``(inputs, mask, labels)``."""
    mask = inputs != pad_id
    s = int(mask.any(0).nonzero().max()) + 1
    t = int((labels != -100).any(0).nonzero().max()) + 1
    return inputs[:, :s], mask[:, :s], labels[:, :t]


def _loss_fn(pad_id: int):
    def loss_fn(model: T5ForConditionalGeneration, batch: tuple[torch.Tensor, ...]):
        inputs, mask, labels = _trim(batch[0], batch[1], pad_id)
        logits = model(inputs, attention_mask=mask, labels=labels)
        loss = model.loss(logits, labels)
        target = labels != -100
        accuracy = ((logits.argmax(-1) == labels) & target).sum() / target.sum()
        return loss, {"token_accuracy": accuracy.item(), "tokens": float(target.sum())}

    return loss_fn


@torch.no_grad()
def span_corruption_loss(model: T5ForConditionalGeneration, inputs: torch.Tensor, labels: torch.Tensor,
                         pad_id: int, batch_size: int = 64) -> dict[str, float]:
    """Mean cross-entropy and accuracy over the target tokens of fixed span-corruption examples."""
    device = next(model.parameters()).device
    total_loss, total_correct, total = 0.0, 0, 0
    for i in range(0, len(inputs), batch_size):
        x, m, y = _trim(inputs[i : i + batch_size].to(device), labels[i : i + batch_size].to(device), pad_id)
        logits = model(x, attention_mask=m, labels=y)
        n = int((y != -100).sum())
        total_loss += model.loss(logits, y).item() * n
        total_correct += int(((logits.argmax(-1) == y) & (y != -100)).sum())
        total += n
    return {"heldout_span_loss": total_loss / total, "heldout_span_accuracy": total_correct / total}


@torch.no_grad()
def evaluate_tasks(model: T5ForConditionalGeneration, examples: Sequence[Example], vocab: Vocabulary,
                   batch_size: int = 128) -> dict[str, float]:
    """Greedy outputs for every test input; exact match and format rate per task (module docstring)."""
    device = next(model.parameters()).device
    order = sorted(range(len(examples)), key=lambda i: (examples[i].task, len(examples[i].source)))
    outputs: dict[int, str] = {}
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        inputs = _pad([vocab.encode(examples[i].source) for i in idx], vocab.pad_id).to(device)
        longest = max(len(vocab.encode(examples[i].target)) for i in idx)
        generated = model.generate(inputs, inputs != vocab.pad_id, max_new_tokens=longest + 4)
        for i, row in zip(idx, generated.tolist()):
            outputs[i] = vocab.decode(row)
    scores: dict[str, list[float]] = {f"{t}_{m}": [] for t in TASKS for m in ("exact", "format")}
    for i, e in enumerate(examples):
        out = outputs[i]
        scores[f"{e.task}_exact"].append(float(out == e.target))
        scores[f"{e.task}_format"].append(float(out in LABELS[e.task]))
    return {k: sum(v) / len(v) for k, v in scores.items() if v}


def _optimizer(model: torch.nn.Module, lr: float, bias_lr_factor: float) -> torch.optim.Optimizer:
    """Adafactor as T5 uses it (§3.1.2): relative steps ``min(lr, 1/sqrt(t)) * RMS(param)``, no
    momentum, update clipping at 1, no weight decay; the relative-position bias tables get
    ``bias_lr_factor`` times the rate (see the module docstring)."""
    tables = [p for name, p in model.named_parameters() if "relative_bias" in name]
    rest = [p for name, p in model.named_parameters() if "relative_bias" not in name]
    return torch.optim.Adafactor([{"params": rest}, {"params": tables, "lr": lr * bias_lr_factor}], lr=lr)


# --------------------------------------------------------------------------- the experiment


def run(ctx: RunContext) -> Outcome:
    p = ctx.params
    t0 = time.perf_counter()
    books = load_austen()
    heldout = p["heldout"]
    if heldout not in books:
        raise ValueError(f"heldout must be one of {sorted(books)}, got {heldout!r}")
    max_chars = p.get("max_chars") or None
    # Whitespace normalized as in the downstream sentences (the Gutenberg texts wrap lines at ~70
    # characters; left in, line breaks would be the commonest "word" the model learns to predict).
    train_texts = [" ".join(text[:max_chars].split()) for title, text in books.items() if title != heldout]
    window = p["window"]
    n_sentinels = noise_span_count(window) + 1
    vocab = build_vocabulary(train_texts, p["vocab_size"], n_sentinels)
    stream = [i for text in train_texts for i in vocab.tokenizer.encode_ordinary(text)]
    held_stream = vocab.tokenizer.encode_ordinary(" ".join(books[heldout].split()))
    ctx.log(f"vocabulary {vocab.size} (with {n_sentinels} sentinels); {len(stream):,} pre-training tokens; "
            f"held-out {heldout}: {len(held_stream):,} tokens ({time.perf_counter() - t0:.1f}s)")

    cfg = T5Config(vocab_size=vocab.size, d_model=p["d_model"], d_kv=p["d_kv"], d_ff=p["d_ff"],
                   num_layers=p["layers"], num_heads=p["heads"], relative_attention_num_buckets=p["buckets"],
                   relative_attention_max_distance=p["max_distance"], dropout_rate=p["dropout"],
                   pad_token_id=vocab.pad_id, eos_token_id=vocab.eos_id)

    # ------------------------------------------------------------ pre-training (span corruption)
    rng = random.Random(ctx.seed)
    n_pre = p["pretrain_steps"] * p["batch_size"]
    starts = [rng.randrange(len(stream) - window) for _ in range(n_pre)]
    pre_inputs, pre_labels = span_corruption_batch(stream, starts, window, vocab, rng)
    held_rng = random.Random(ctx.seed + 1)
    held_starts = [held_rng.randrange(len(held_stream) - window) for _ in range(p["heldout_windows"])]
    held_inputs, held_labels = span_corruption_batch(held_stream, held_starts, window, vocab, held_rng)
    torch.manual_seed(ctx.seed)
    pretrained = T5ForConditionalGeneration(cfg)
    ctx.log(f"T5 of {pretrained.num_parameters():,} parameters; pre-training {p['pretrain_steps']} steps of "
            f"{p['batch_size']} span-corrupted {window}-token windows")
    pre_result = ctx.train(
        "pretrain", pretrained, _optimizer(pretrained, p["pretrain_lr"], p["bias_lr_factor"]), _loss_fn(vocab.pad_id),
        TensorBatches(pre_inputs, pre_labels, batch_size=p["batch_size"], shuffle=False),
        steps=p["pretrain_steps"], seed=ctx.seed,
        evaluate=lambda m: span_corruption_loss(m, held_inputs, held_labels, vocab.pad_id),
        eval_every=p["pretrain_eval_every"], log_every=max(1, p["pretrain_steps"] // 50), unit="tokens")
    pre_eval = pre_result.last_eval()
    ctx.log(f"pre-trained: held-out span-corruption loss {pre_eval['heldout_span_loss']:.3f}, "
            f"target-token accuracy {pre_eval['heldout_span_accuracy']:.3f}")
    # The untrained model's held-out loss, for scale.
    torch.manual_seed(ctx.seed)
    init_eval = span_corruption_loss(T5ForConditionalGeneration(cfg).eval(), held_inputs, held_labels, vocab.pad_id)

    # ------------------------------------------------------------ the two prefixed tasks
    sentences = split_sentences(" ".join(books[heldout].split()), p["min_words"], p["max_words"])
    train_ex, test_ex, info = downstream_examples(sentences, ctx.seed, p["test_fraction"], p["max_test_sentences"])
    ft_inputs, ft_labels = encode_examples(train_ex, vocab)
    counts = {t: (sum(e.task == t for e in train_ex), sum(e.task == t for e in test_ex)) for t in TASKS}
    ctx.log(f"tasks from {heldout}: {info['train_sentences']} training and {info['test_sentences']} test sentences; "
            f"examples (train, test): {counts}")

    seeds = ctx.seeds(p["seeds"])
    arms = ("pretrained", "scratch")
    final: dict[str, dict[str, list[float]]] = {a: {} for a in arms}
    curves: dict[str, list[list[dict[str, Any]]]] = {a: [] for a in arms}
    for seed in seeds:
        for arm in arms:
            torch.manual_seed(seed)
            model = copy.deepcopy(pretrained) if arm == "pretrained" else T5ForConditionalGeneration(cfg)
            result = ctx.train(
                f"finetune-{arm}-seed{seed}", model, _optimizer(model, p["finetune_lr"], p["bias_lr_factor"]),
                _loss_fn(vocab.pad_id), TensorBatches(ft_inputs, ft_labels, batch_size=p["batch_size"], seed=seed),
                steps=p["finetune_steps"], seed=seed, evaluate=lambda m: evaluate_tasks(m, test_ex, vocab),
                eval_every=p["finetune_eval_every"], log_every=max(1, p["finetune_steps"] // 50), unit="tokens")
            last = result.last_eval()
            for k, v in last.items():
                if k not in ("step", "split"):
                    final[arm].setdefault(k, []).append(v)
            curves[arm].append(result.evals())
            ctx.log(f"{arm} seed {seed}: " + ", ".join(f"{t} {last[f'{t}_exact']:.3f} (format {last[f'{t}_format']:.3f})"
                                                     for t in TASKS))

    # ------------------------------------------------------------ criteria
    def mean(xs: Sequence[float]) -> float:
        return sum(xs) / len(xs)

    score = {t: {a: final[a][f"{t}_exact"] for a in arms} for t in TASKS}
    gain = {t: mean_interval([x - y for x, y in zip(score[t]["pretrained"], score[t]["scratch"], strict=True)])
            for t in TASKS}
    # "above chance": the accuracy on the n test texts beats a coin by a one-sided binomial test
    above = {t: CHANCE + Z_ONE_SIDED * (CHANCE * (1 - CHANCE) / counts[t][1]) ** 0.5 for t in TASKS}
    criteria = []
    for t, margin, part in ((ACCEPTABLE, MIN_ACCEPTABILITY_GAIN, "a"), (DIAGNOSE, MIN_DIAGNOSIS_GAIN, "a")):
        problems = []
        if min(score[t]["scratch"]) <= above[t]:
            problems.append(f"a scratch seed is not above chance (accuracies {[round(x, 3) for x in score[t]['scratch']]}, "
                            f"chance bound {above[t]:.3f})")
        if max(mean(score[t][a]) for a in arms) >= CEILING:
            problems.append(f"an arm is at the ceiling (mean >= {CEILING})")
        passed = None if problems else gain[t].decide(margin)
        criteria.append(Criterion(
            f"{t} gain", f"'{t}:' test accuracy (exact match of the generated answer), pre-trained minus scratch: "
            f"the 95% t-interval over {len(seeds)} seeds lies above {margin} (undecided unless every scratch seed is "
            f"above chance, > {above[t]:.3f}, and no arm's mean is at the ceiling {CEILING})"
            + ("; undecided: " + ", ".join(problems) if problems else ""),
            gain[t].as_dict(4), f"interval above {margin:g}", passed, part=part))
    min_format = min(min(final["pretrained"][f"{t}_format"]) for t in TASKS)
    criteria.append(Criterion.at_least(
        "one model follows both prefixes",
        f"the pre-trained multi-task model answers 'acceptable:' with yes/no and 'corruption:' with swapped/shuffled on "
        f">= {MIN_FORMAT_RATE:.0%} of each task's test inputs, in every seed (the smallest rate)",
        round(min_format, 4), MIN_FORMAT_RATE, part="b"))
    criteria.append(Criterion(
        "one model solves both tasks",
        f"every seed of the pre-trained multi-task model is above chance on both tasks (accuracy > "
        f"{above[ACCEPTABLE]:.3f} on 'acceptable:', > {above[DIAGNOSE]:.3f} on 'corruption:'; the smallest is shown)",
        {t: round(min(score[t]["pretrained"]), 4) for t in TASKS}, {t: round(above[t], 4) for t in TASKS},
        all(min(score[t]["pretrained"]) > above[t] for t in TASKS), part="b"))

    numbers: dict[str, Any] = {
        "vocab_size": vocab.size,
        "parameters": pretrained.num_parameters(),
        "pretraining_tokens": len(stream),
        "pretrain_heldout_span_loss": round(pre_eval["heldout_span_loss"], 4),
        "pretrain_heldout_span_accuracy": round(pre_eval["heldout_span_accuracy"], 4),
        "init_heldout_span_loss": round(init_eval["heldout_span_loss"], 4),
        **{f"{t}_examples_train": v[0] for t, v in counts.items()},
        **{f"{t}_examples_test": v[1] for t, v in counts.items()},
        "acceptable_gain_mean": round(gain[ACCEPTABLE].estimate, 4),
        "corruption_gain_mean": round(gain[DIAGNOSE].estimate, 4),
        **{f"{t}_gain": gain[t].as_dict(4) for t in TASKS},
        **{f"{t}_chance_bound": round(above[t], 4) for t in TASKS},
    }
    for arm in arms:
        for k, v in final[arm].items():
            numbers[f"{arm}_{k}"] = [round(x, 4) for x in v]
            numbers[f"{arm}_{k}_mean"] = round(mean(v), 4)

    _plots(ctx, pre_result.evals(), init_eval["heldout_span_loss"], curves, final)
    tables = [
        Table("Test accuracy after multi-task fine-tuning (exact match of the greedy output)",
              ["seed", "arm", "acceptable: accuracy", "acceptable: format", "corruption: accuracy",
               "corruption: format"],
              [[s, a, *(round(final[a][f"{t}_{m}"][i], 4) for t in TASKS for m in ("exact", "format"))]
               for i, s in enumerate(seeds) for a in arms]),
    ]
    notes = [
        f"Model: {p['layers']}+{p['layers']} layers, d_model {p['d_model']}, {p['heads']} heads of {p['d_kv']}, d_ff "
        f"{p['d_ff']}, {pretrained.num_parameters():,} parameters; vocabulary {vocab.size} (byte-level BPE on the "
        f"training novels). Pre-training: {p['pretrain_steps']} steps x {p['batch_size']} windows of {window} tokens "
        f"({p['pretrain_steps'] * p['batch_size'] * window:,} token positions over {len(stream):,} distinct training "
        f"tokens); held-out span-corruption loss {init_eval['heldout_span_loss']:.3f} at initialization -> "
        f"{pre_eval['heldout_span_loss']:.3f}.",
        f"Tasks from {heldout}: {info['train_sentences']} training / {info['test_sentences']} test sentences of "
        f"{p['min_words']}-{p['max_words']} words; training examples {counts[ACCEPTABLE][0]} (acceptable) + "
        f"{counts[DIAGNOSE][0]} (corruption), test {counts[ACCEPTABLE][1]} + {counts[DIAGNOSE][1]}; fine-tuning "
        f"{p['finetune_steps']} steps x {p['batch_size']} for both arms. Chance is 0.5 on both tasks.",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=tables, notes=notes)


def _plots(ctx: RunContext, pre_evals: list[dict[str, Any]], init_loss: float,
           curves: dict[str, list[list[dict[str, Any]]]], final: dict[str, dict[str, list[float]]]) -> None:
    colors = {"pretrained": "tab:blue", "scratch": "tab:gray"}
    with ctx.figure("curves.png", "Left: held-out (Persuasion) span-corruption loss during pre-training. Middle and "
                    "right: test accuracy of the two prefixed tasks during multi-task fine-tuning, pre-trained vs "
                    "from scratch (thin: seeds; thick: mean; dotted: chance).", ncols=3, size=(14, 3.8)) as (_, ax):
        ax[0].plot([0] + [e["step"] for e in pre_evals], [init_loss] + [e["heldout_span_loss"] for e in pre_evals], "o-")
        ax[0].set_xlabel("pre-training step")
        ax[0].set_ylabel("held-out span-corruption loss (nats/token)")
        ax[0].set_title("span-corruption pre-training")
        for k, task in enumerate(TASKS, start=1):
            key = f"{task}_exact"
            for arm, runs in curves.items():
                for run in runs:
                    ax[k].plot([e["step"] for e in run], [e[key] for e in run], color=colors[arm], alpha=0.3, lw=0.8)
                steps = [e["step"] for e in runs[0]]
                avg = [sum(run[i][key] for run in runs) / len(runs) for i in range(len(steps))]
                ax[k].plot(steps, avg, color=colors[arm], lw=2, label=arm)
            ax[k].axhline(CHANCE, color="red", ls=":", label="chance")
            ax[k].set_ylim(0, 1.02)
            ax[k].set_xlabel("fine-tuning step")
            ax[k].set_title(f"'{task}:' test accuracy")
            ax[k].legend(fontsize=8)
    with ctx.figure("tasks.png", "Final test accuracy per task (bars: mean over seeds; dots: seeds); each arm and seed "
                    "is ONE model fine-tuned on both prefixed tasks.", size=(6, 3.8)) as (_, ax):
        width = 0.38
        for j, arm in enumerate(final):
            for i, task in enumerate(TASKS):
                v = final[arm][f"{task}_exact"]
                x = i + (j - 0.5) * width
                ax.bar(x, sum(v) / len(v), width, color=colors[arm], label=arm if i == 0 else None)
                ax.plot([x] * len(v), v, "k.")
        ax.axhline(CHANCE, color="red", ls=":", label="chance")
        ax.set_xticks(range(len(TASKS)), [f"{t}:" for t in TASKS])
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
