"""The German→English translation task shared by ``seq2seq`` and ``transformer``: tokenization,
vocabularies, the fixed split, padded tensors, and BLEU (sacrebleu) with a paired bootstrap.

Data: ``papercraft.data.load_de_en()`` — about 20k real (German, English) sentence pairs from the
Debian ``trans-de-en`` dictionary's example sentences (average ~8 words).

Tokenization (documented choice, no subwords): Unicode-normalize typographic apostrophes and
quotes to ASCII, lower-case, then split into runs of word characters and single punctuation marks
(``"Ich bin's!" -> ["ich", "bin", "'", "s", "!"]``). Word vocabularies are built from the
training split only; words seen fewer than ``min_count`` times map to ``<unk>``.

Split (fixed, documented): exact duplicate pairs are dropped, the rest is shuffled with
``random.Random(split_seed)`` (seed 0 by default) and cut into ``test`` (1,000 pairs), ``valid``
(500) and ``train`` (the rest). Pairs longer than ``max_tokens`` tokens on either side are then
removed from every split (default 30; it removes well under 1% of the pairs).

BLEU: sacrebleu's corpus BLEU on the tokenized, lower-cased text (``tokenize="none"`` because the
text is already tokenized) — the "tokenized BLEU" convention of the Transformer paper's tables.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

_TOKEN = re.compile(r"\w+|[^\w\s]")
_ASCII_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "..."})


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (see the module docstring)."""
    text = unicodedata.normalize("NFC", text).translate(_ASCII_PUNCT).lower()
    return _TOKEN.findall(text)


class Vocab:
    """Word ↔ id. Ids 0-3 are ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``."""

    def __init__(self, words: Sequence[str]) -> None:
        self.itos = [PAD, UNK, BOS, EOS] + [w for w in words if w not in (PAD, UNK, BOS, EOS)]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 2) -> Vocab:
        """Words seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        counts = Counter(w for s in sentences for w in s)
        words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls(words)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens up to (not including) the first ``<eos>``; ``<pad>``/``<bos>`` are dropped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                break
            if i not in (PAD_ID, BOS_ID):
                out.append(self.itos[i])
        return out


@dataclass
class TranslationData:
    """Tokenized splits, vocabularies and padded id tensors.

    ``src[split]``: ``[N, S]`` German ids, right-padded with ``<pad>`` (no ``<bos>``/``<eos>``).
    ``tgt[split]``: ``[N, T+2]`` English ids ``<bos> w_1 .. w_n <eos> <pad>..``; the decoder reads
    ``tgt[:, :-1]`` and predicts ``tgt[:, 1:]``.
    ``pairs[split]``: the tokenized ``(German, English)`` pairs (references for BLEU).
    """

    src_vocab: Vocab
    tgt_vocab: Vocab
    pairs: dict[str, list[tuple[list[str], list[str]]]]
    src: dict[str, Tensor]
    tgt: dict[str, Tensor]

    def describe(self) -> dict[str, int]:
        return {"train_pairs": len(self.pairs["train"]), "valid_pairs": len(self.pairs["valid"]),
                "test_pairs": len(self.pairs["test"]), "src_vocab": len(self.src_vocab), "tgt_vocab": len(self.tgt_vocab)}


def split_pairs(pairs: Sequence[tuple[str, str]], *, split_seed: int = 0, n_test: int = 1000,
                n_valid: int = 500) -> dict[str, list[tuple[str, str]]]:
    """The fixed split of the module docstring (before tokenization and length filtering)."""
    unique = sorted(set(pairs))  # sorted first so the shuffle does not depend on the input order
    if len(unique) < n_test + n_valid + 1:
        raise ValueError(f"need more than {n_test + n_valid} distinct pairs to split, got {len(unique)}")
    random.Random(split_seed).shuffle(unique)
    return {"test": unique[:n_test], "valid": unique[n_test:n_test + n_valid], "train": unique[n_test + n_valid:]}


def pad_batch(rows: Sequence[Sequence[int]], length: int | None = None) -> Tensor:
    """``[N, length]`` int64, right-padded with ``<pad>``."""
    length = max((len(r) for r in rows), default=0) if length is None else length
    out = torch.full((len(rows), length), PAD_ID, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def prepare(pairs: Sequence[tuple[str, str]], *, split_seed: int = 0, max_tokens: int = 30, min_count: int = 2,
            n_test: int = 1000, n_valid: int = 500, max_train: int | None = None) -> TranslationData:
    """Split, tokenize, filter by length, build vocabularies and pad. ``max_train`` caps the training
    pairs (quick presets)."""
    raw = split_pairs(pairs, split_seed=split_seed, n_test=n_test, n_valid=n_valid)
    tokenized: dict[str, list[tuple[list[str], list[str]]]] = {}
    for name, split in raw.items():
        toks = [(tokenize(de), tokenize(en)) for de, en in split]
        tokenized[name] = [(d, e) for d, e in toks if 0 < len(d) <= max_tokens and 0 < len(e) <= max_tokens]
    if max_train is not None:
        tokenized["train"] = tokenized["train"][:max_train]
    src_vocab = Vocab.build((d for d, _ in tokenized["train"]), min_count)
    tgt_vocab = Vocab.build((e for _, e in tokenized["train"]), min_count)
    src, tgt = {}, {}
    for name, split in tokenized.items():
        src[name] = pad_batch([src_vocab.encode(d) for d, _ in split])
        tgt[name] = pad_batch([[BOS_ID] + tgt_vocab.encode(e) + [EOS_ID] for _, e in split])
    return TranslationData(src_vocab, tgt_vocab, tokenized, src, tgt)


def load(**kwargs) -> TranslationData:
    """:func:`prepare` on ``papercraft.data.load_de_en()`` (raises ``DataMissingError`` if absent)."""
    from papercraft.data import load_de_en

    return prepare(load_de_en(), **kwargs)


def trim(src: Tensor, tgt: Tensor) -> tuple[Tensor, Tensor]:
    """Drop all-padding columns at the right of a batch (batches are padded to the split's longest)."""
    s = int((src != PAD_ID).sum(1).max())
    t = int((tgt != PAD_ID).sum(1).max())
    return src[:, : max(s, 1)], tgt[:, : max(t, 2)]


# --------------------------------------------------------------------------- BLEU


def bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Corpus BLEU (0-100) of tokenized hypotheses against one tokenized reference each."""
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    return float(sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses], [[" ".join(r) for r in references]],
                                       tokenize="none", force=True).score)


def _sentence_stats(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]):
    """Per-sentence BLEU sufficient statistics ``[N, 2 + 2*4]`` (sys_len, ref_len, matches, totals)."""
    import numpy as np
    from sacrebleu.metrics import BLEU

    metric = BLEU(tokenize="none", force=True)
    stats = metric._extract_corpus_statistics([" ".join(h) for h in hypotheses], [[" ".join(r) for r in references]])
    return metric, np.asarray(stats, dtype=np.int64)


def paired_bootstrap(hyp_a: Sequence[Sequence[str]], hyp_b: Sequence[Sequence[str]],
                     references: Sequence[Sequence[str]], *, samples: int = 1000, seed: int = 0) -> dict[str, float]:
    """Paired bootstrap (Koehn 2004) of ``BLEU(b) - BLEU(a)`` over test sentences.

    Returns the observed difference, the 2.5% and 97.5% quantiles of the resampled differences
    (a 95% interval) and the fraction of resamples where ``b`` wins.
    """
    import numpy as np

    metric, stats_a = _sentence_stats(hyp_a, references)
    _, stats_b = _sentence_stats(hyp_b, references)
    rng = np.random.default_rng(seed)
    n = len(references)

    def score(stats) -> float:
        return metric._compute_score_from_stats([int(x) for x in stats.sum(0)]).score

    diffs = np.empty(samples)
    for s in range(samples):
        idx = rng.integers(0, n, n)
        diffs[s] = score(stats_b[idx]) - score(stats_a[idx])
    observed = score(stats_b) - score(stats_a)
    return {"diff": float(observed), "low": float(np.quantile(diffs, 0.025)), "high": float(np.quantile(diffs, 0.975)),
            "p_b_wins": float((diffs > 0).mean())}


def decide_better(interval: dict[str, float]) -> bool | None:
    """A criterion's ``passed`` for "b is better than a" from :func:`paired_bootstrap`: True if the 95%
    interval of the difference lies above 0, False if the observed difference is <= 0, None otherwise
    (b ahead but within resampling noise)."""
    if interval["low"] > 0:
        return True
    if interval["diff"] <= 0:
        return False
    return None


# --------------------------------------------------------------------------- training and evaluation
# Shared by the seq2seq and transformer experiments, so that the baseline and the Transformer are
# trained and scored by exactly the same code.


def batch_loss(model, batch: tuple[Tensor, Tensor], criterion=None) -> tuple[Tensor, dict[str, float]]:
    """Teacher-forced loss of ``model(src, tgt_in) -> logits`` on one ``(src, tgt)`` batch.

    ``criterion(logits [N, V], target [N]) -> loss`` replaces the plain cross-entropy (the Transformer
    passes its label-smoothed loss, §5.4; it must skip ``<pad>`` targets). The logged ``nll`` is always
    the plain cross-entropy, comparable across models.
    """
    import torch.nn.functional as F

    src, tgt = trim(*batch)
    logits = model(src, tgt[:, :-1])
    flat_logits, flat_target = logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1)
    nll = F.cross_entropy(flat_logits, flat_target, ignore_index=PAD_ID)
    loss = nll if criterion is None else criterion(flat_logits, flat_target)
    return loss, {"nll": float(nll.detach()), "tokens": float((flat_target != PAD_ID).sum())}


@torch.no_grad()
def sentence_nll(model, data: TranslationData, split: str, batch_size: int = 250) -> tuple[Tensor, Tensor]:
    """Per-sentence summed target NLL (nats, ``<eos>`` included) and token counts, teacher-forced."""
    import torch.nn.functional as F

    was_training = model.training
    model.eval()
    nll, count = [], []
    src_all, tgt_all = data.src[split], data.tgt[split]
    for i in range(0, len(src_all), batch_size):
        src, tgt = trim(src_all[i : i + batch_size], tgt_all[i : i + batch_size])
        logits = model(src, tgt[:, :-1]).float()
        target = tgt[:, 1:]
        token_nll = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=PAD_ID, reduction="none")
        nll.append(token_nll.sum(1))
        count.append((target != PAD_ID).sum(1))
    model.train(was_training)
    return torch.cat(nll), torch.cat(count)


def perplexity_with_interval(nll: Tensor, count: Tensor, *, samples: int = 1000, seed: int = 0) -> dict[str, float]:
    """exp(total NLL / total tokens) and a 95% bootstrap interval over sentences."""
    g = torch.Generator().manual_seed(seed)
    n = len(nll)
    idx = torch.randint(0, n, (samples, n), generator=g)
    boot = torch.exp(nll[idx].sum(1) / count[idx].sum(1))
    return {"ppl": float(torch.exp(nll.sum() / count.sum())), "low": float(boot.quantile(0.025)),
            "high": float(boot.quantile(0.975))}


def paired_perplexity_bootstrap(a: tuple[Tensor, Tensor], b: tuple[Tensor, Tensor], *, samples: int = 1000,
                                seed: int = 0) -> dict[str, float]:
    """Paired bootstrap of ``log ppl(a) - log ppl(b)`` over test sentences (> 0: b has lower perplexity).
    Same keys as :func:`paired_bootstrap`, so :func:`decide_better` applies."""
    g = torch.Generator().manual_seed(seed)
    n = len(a[0])
    idx = torch.randint(0, n, (samples, n), generator=g)
    diffs = a[0][idx].sum(1) / a[1][idx].sum(1) - b[0][idx].sum(1) / b[1][idx].sum(1)
    observed = float(a[0].sum() / a[1].sum() - b[0].sum() / b[1].sum())
    return {"diff": observed, "low": float(diffs.quantile(0.025)), "high": float(diffs.quantile(0.975)),
            "p_b_wins": float((diffs > 0).double().mean())}


@torch.no_grad()
def translate_split(translate, data: TranslationData, split: str, *, beam: int, limit: int | None = None,
                    batch_size: int = 100, extra_len: int = 10) -> tuple[list[list[str]], list[list[str]]]:
    """Decode a split: returns (hypotheses, references) as token lists, in the split's order.

    ``translate(src [B, S], beam, max_len) -> list of id lists``. Sources are decoded in batches of
    similar length (faster), with at most ``S + extra_len`` output tokens.
    """
    src_all = data.src[split][:limit]
    refs = [e for _, e in data.pairs[split][:limit]]
    lengths = (src_all != PAD_ID).sum(1)
    order = torch.argsort(lengths, stable=True).tolist()
    hyps: list[list[str] | None] = [None] * len(order)
    for i in range(0, len(order), batch_size):
        rows = order[i : i + batch_size]
        src = src_all[rows]
        src = src[:, : int((src != PAD_ID).sum(1).max())]
        out = translate(src, beam, src.shape[1] + extra_len)
        for r, ids in zip(rows, out):
            hyps[r] = data.tgt_vocab.decode(ids)
    return hyps, refs  # type: ignore[return-value]


class TrainingClock:
    """``evaluate``/``stop_when`` for :class:`papercraft.training.Trainer`.

    The trainer calls them every ``eval_every`` steps. Every ``valid_every``-th call also records the
    validation NLL against *training* wall time (time spent evaluating is excluded from the clock);
    training stops once ``seconds`` of training time have passed (None: no time limit).
    :meth:`freeze` stops the clock when training ends.
    """

    def __init__(self, data: TranslationData, seconds: float | None, *, valid_every: int = 10,
                 valid_limit: int = 500, last_call: int | None = None) -> None:
        self.data, self.seconds, self.valid_every, self.valid_limit = data, seconds, valid_every, valid_limit
        self.last_call = last_call  # the call at the last training step, which always validates
        self.started = time.perf_counter()
        self.eval_seconds = 0.0
        self.calls = 0
        self.frozen: float | None = None
        self.curve: list[dict[str, float]] = []  # {"train_s", "valid_nll"} per validation

    def training_seconds(self) -> float:
        if self.frozen is not None:
            return self.frozen
        return time.perf_counter() - self.started - self.eval_seconds

    def freeze(self) -> None:
        self.frozen = self.training_seconds()

    def evaluate(self, model) -> dict[str, float]:
        self.calls += 1
        final = self.stop_when({}) or self.calls == self.last_call
        if self.frozen is None and self.calls % self.valid_every and not final:
            return {}
        train_s = self.training_seconds()
        t0 = time.perf_counter()
        sub = TranslationData(self.data.src_vocab, self.data.tgt_vocab, self.data.pairs,
                              {"valid": self.data.src["valid"][: self.valid_limit]},
                              {"valid": self.data.tgt["valid"][: self.valid_limit]})
        nll, count = sentence_nll(model, sub, "valid")
        valid_nll = float(nll.sum() / count.sum())
        self.curve.append({"train_s": train_s, "valid_nll": valid_nll})
        self.eval_seconds += time.perf_counter() - t0
        return {"valid_nll": valid_nll}

    def stop_when(self, record) -> bool:
        return self.seconds is not None and self.training_seconds() >= self.seconds


def train_translation_model(model, data: TranslationData, *, optimizer, out_dir, max_steps: int,
                            seconds: float | None, batch_size: int, seed: int, criterion=None,
                            scheduler=None, eval_every: int = 50, grad_clip: float | None = 5.0,
                            device="cpu", resume: bool = False, identity: dict | None = None, desc: str = "train"):
    """Train on ``data``'s training split with the papercraft Trainer until ``max_steps`` or ``seconds``
    of training time. The time limit is checked every 5 steps; the validation NLL is logged every
    ``eval_every`` steps (rounded to a multiple of 5). Returns ``(TrainResult, TrainingClock)``."""
    from papercraft.training import TensorBatches, TrainConfig, Trainer

    check_every = 5 if eval_every >= 5 else max(eval_every, 1)
    clock = TrainingClock(data, seconds, valid_every=max(eval_every // check_every, 1),
                          last_call=max_steps // check_every)
    batches = TensorBatches(data.src["train"], data.tgt["train"], batch_size=batch_size, seed=seed)
    trainer = Trainer(model, optimizer, lambda m, b: batch_loss(m, b, criterion), batches,
                      TrainConfig(max_steps=max_steps, eval_every=check_every, log_every=10, grad_clip=grad_clip,
                                  desc=desc, unit="tokens"),
                      out_dir=out_dir, scheduler=scheduler, evaluate=clock.evaluate, stop_when=clock.stop_when,
                      device=device, resume=resume, identity=identity)
    clock.started = time.perf_counter()  # start the clock after the set-up
    result = trainer.fit()
    clock.freeze()
    return result, clock
