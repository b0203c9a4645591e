"""The German→English translation test bed shared by ``seq2seq`` and ``transformer``: tokenization,
vocabularies, the fixed split, padded tensors, training and decoding plumbing, perplexity and BLEU
(sacrebleu) with paired bootstrap intervals.

Infrastructure: it imports no paper. An experiment passes its model in; the model must map
``model(src [B, S], tgt_in [B, T]) -> logits [B, T, V]`` and decode through a
``translate(src, beam, max_len) -> list of id lists`` function.

Data: ``papercraft.data.load_de_en()`` — about 20k real (German, English) sentence pairs from the
Debian ``trans-de-en`` dictionary's example sentences (average ~8 words).

Tokenization (documented choice): Unicode-normalize typographic apostrophes and quotes to ASCII,
lower-case, then split into runs of word characters and single punctuation marks
(``"Ich bin's!" -> ["ich", "bin", "'", "s", "!"]``). These word tokens are what BLEU scores.
The models read one of two vocabularies, both built from the training split only:

- word vocabularies (German and English separately): words seen fewer than ``min_count`` times
  map to ``<unk>``;
- a joint subword vocabulary (:class:`SubwordVocab`, the Transformer paper's choice): a byte-level
  BPE tokenizer trained by the caller (``subwords``, e.g. the ``bpe`` entry's ``train_bpe``) on the
  German and English training sentences (their word tokens joined by spaces), shared by both
  sides. It has no ``<unk>``: any text is encoded, and decoding the ids of a sentence and
  splitting on spaces gives back its word tokens exactly. The test bed imports no paper; the
  experiment passes the trainer in.

Split (fixed, documented): exact duplicate pairs are dropped, the rest is shuffled with
``random.Random(split_seed)`` (seed 0 by default) and cut into ``test`` (1,000 pairs), ``valid``
(500) and ``train`` (the rest). Pairs longer than ``max_tokens`` tokens on either side are then
removed from every split (default 30; it removes well under 1% of the pairs); a smaller
``max_tokens`` keeps shorter sentences.

Training: :func:`train_translation` trains one arm for a number of optimizer steps (never a wall
time, so that a comparison does not depend on the machine's load) through the runner's
``ctx.train``, logs the validation NLL every ``eval_every`` steps, and counts the FLOPs of a
training step (:func:`papercraft.training.flops.step_flops`), so that arms can be compared at equal
steps with their training cost beside.

BLEU: sacrebleu's corpus BLEU on the tokenized, lower-cased text (``tokenize="none"`` because the
text is already tokenized) — the "tokenized BLEU" convention of the Transformer paper's tables.
Comparisons between arms are paired bootstraps over test sentences (Koehn 2004) through
:func:`papercraft.statistics.paired_bootstrap`; a difference inside resampling noise gives an
interval that straddles 0, which a criterion reads as inconclusive.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from papercraft.results import Criterion
from papercraft.statistics import Interval, paired_bootstrap

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

_TOKEN = re.compile(r"\w+|[^\w\s]")
_ASCII_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "..."})


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (see the module docstring)."""
    text = unicodedata.normalize("NFC", text).translate(_ASCII_PUNCT).lower()
    return _TOKEN.findall(text)


def _until_eos(ids: Iterable[int]) -> list[int]:
    """The ids (as ints) before the first ``<eos>``: what a decoder's output means."""
    out = []
    for i in ids:
        if int(i) == EOS_ID:
            break
        out.append(int(i))
    return out


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
        return [self.itos[i] for i in _until_eos(ids) if i not in (PAD_ID, BOS_ID)]


class SubwordVocab:
    """A joint subword vocabulary over a byte-level BPE tokenizer (shared by source and target).

    ``tokenizer``: anything with ``encode_ordinary(text) -> list[int]``, ``decode(ids) -> str`` and
    ``vocab_size`` (the ``bpe`` entry's ``Tokenizer``). Model ids are the tokenizer's ids shifted by 4,
    after ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>`` (``<unk>`` is never produced by encoding). A
    sentence's word tokens are encoded as one text, joined by single spaces, so
    ``decode(encode(tokens)) == tokens`` for any tokens without spaces.
    """

    OFFSET = 4

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __len__(self) -> int:
        return self.OFFSET + int(self.tokenizer.vocab_size)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [i + self.OFFSET for i in self.tokenizer.encode_ordinary(" ".join(tokens))]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Word tokens of the ids up to (not including) the first ``<eos>``; specials are dropped."""
        return self.tokenizer.decode([i - self.OFFSET for i in _until_eos(ids) if i >= self.OFFSET]).split()


@dataclass
class TranslationData:
    """Tokenized splits, vocabularies and padded id tensors.

    ``src[split]``: ``[N, S]`` German ids, right-padded with ``<pad>`` (no ``<bos>``/``<eos>``).
    ``tgt[split]``: ``[N, T+2]`` English ids ``<bos> w_1 .. w_n <eos> <pad>..``; the decoder reads
    ``tgt[:, :-1]`` and predicts ``tgt[:, 1:]``.
    ``pairs[split]``: the tokenized ``(German, English)`` pairs (references for BLEU).
    """

    src_vocab: Vocab | SubwordVocab
    tgt_vocab: Vocab | SubwordVocab
    pairs: dict[str, list[tuple[list[str], list[str]]]]
    src: dict[str, Tensor]
    tgt: dict[str, Tensor]

    def describe(self) -> dict[str, int]:
        """Sizes of the splits and vocabularies."""
        return {"train_pairs": len(self.pairs["train"]), "valid_pairs": len(self.pairs["valid"]),
                "test_pairs": len(self.pairs["test"]), "src_vocab": len(self.src_vocab), "tgt_vocab": len(self.tgt_vocab)}

    def head(self, split: str, limit: int | None) -> TranslationData:
        """The same vocabularies with only the first ``limit`` pairs of ``split`` (all if None)."""
        if split not in self.pairs:
            raise ValueError(f"unknown split {split!r}; this data has {sorted(self.pairs)}")
        return TranslationData(self.src_vocab, self.tgt_vocab, {split: self.pairs[split][:limit]},
                               {split: self.src[split][:limit]}, {split: self.tgt[split][:limit]})


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
            n_test: int = 1000, n_valid: int = 500, max_train: int | None = None,
            subwords: Callable[[list[str]], Any] | None = None) -> TranslationData:
    """Split, tokenize, filter by length (``max_tokens`` word tokens on either side), build
    vocabularies and pad. ``max_train`` caps the training pairs (quick presets).

    ``subwords``: None for word vocabularies (``min_count``), or a trainer
    ``subwords(texts) -> tokenizer`` called with the training sentences of both languages (German
    first, then English; word tokens joined by spaces), whose tokenizer becomes the joint
    :class:`SubwordVocab` of both sides.
    """
    raw = split_pairs(pairs, split_seed=split_seed, n_test=n_test, n_valid=n_valid)
    tokenized: dict[str, list[tuple[list[str], list[str]]]] = {}
    for name, split in raw.items():
        toks = [(tokenize(de), tokenize(en)) for de, en in split]
        tokenized[name] = [(d, e) for d, e in toks if 0 < len(d) <= max_tokens and 0 < len(e) <= max_tokens]
    if max_train is not None:
        tokenized["train"] = tokenized["train"][:max_train]
    src_vocab: Vocab | SubwordVocab
    tgt_vocab: Vocab | SubwordVocab
    if subwords is None:
        src_vocab = Vocab.build((d for d, _ in tokenized["train"]), min_count)
        tgt_vocab = Vocab.build((e for _, e in tokenized["train"]), min_count)
    else:
        texts = [" ".join(d) for d, _ in tokenized["train"]] + [" ".join(e) for _, e in tokenized["train"]]
        src_vocab = tgt_vocab = SubwordVocab(subwords(texts))
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


def _sentence_stats(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> tuple[Any, np.ndarray]:
    """Per-sentence BLEU sufficient statistics ``[N, 2 + 2*4]`` (sys_len, ref_len, matches, totals)."""
    from sacrebleu.metrics import BLEU

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    metric = BLEU(tokenize="none", force=True)
    stats = metric._extract_corpus_statistics([" ".join(h) for h in hypotheses], [[" ".join(r) for r in references]])
    return metric, np.asarray(stats, dtype=np.int64)


def paired_bleu_bootstrap(hyp_a: Sequence[Sequence[str]], hyp_b: Sequence[Sequence[str]],
                          references: Sequence[Sequence[str]], *, samples: int = 1000, seed: int = 0) -> Interval:
    """Paired bootstrap (Koehn 2004) of ``BLEU(b) - BLEU(a)`` over the test sentences.

    Both systems are scored on the same resampled sentences (corpus BLEU from summed sufficient
    statistics); the estimate is the difference on all sentences, the interval the 2.5% and 97.5%
    quantiles of ``samples`` resamples. ``interval.decide()`` reads it as "b is better".
    """
    metric, stats_a = _sentence_stats(hyp_a, references)
    _, stats_b = _sentence_stats(hyp_b, references)

    def score(stats: np.ndarray) -> float:
        return float(metric._compute_score_from_stats([int(x) for x in stats.sum(0)]).score)

    return paired_bootstrap(len(references), lambda idx: score(stats_b[idx]) - score(stats_a[idx]),
                            samples=samples, seed=seed)


# --------------------------------------------------------------------------- perplexity


@torch.no_grad()
def sentence_nll(model: nn.Module, data: TranslationData, split: str, batch_size: int = 250) -> tuple[Tensor, Tensor]:
    """Per-sentence summed target NLL ``[N]`` (nats, ``<eos>`` included) and token counts ``[N]``,
    teacher-forced, returned on CPU whatever the model's device."""
    import torch.nn.functional as F

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    nll, count = [], []
    src_all, tgt_all = data.src[split], data.tgt[split]
    for i in range(0, len(src_all), batch_size):
        src, tgt = trim(src_all[i : i + batch_size], tgt_all[i : i + batch_size])
        src, tgt = src.to(device), tgt.to(device)
        logits = model(src, tgt[:, :-1]).float()
        target = tgt[:, 1:]
        token_nll = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=PAD_ID, reduction="none")
        nll.append(token_nll.sum(1).cpu())
        count.append((target != PAD_ID).sum(1).cpu())
    model.train(was_training)
    return torch.cat(nll), torch.cat(count)


def perplexity_interval(nll: Tensor, count: Tensor, *, samples: int = 1000, seed: int = 0) -> Interval:
    """``exp(total NLL / total tokens)`` with a 95% bootstrap interval over sentences.

    ``nll``, ``count``: ``[N]`` per-sentence summed NLL and token counts (:func:`sentence_nll`).
    """
    n, c = np.asarray(nll, dtype=np.float64), np.asarray(count, dtype=np.float64)
    return paired_bootstrap(len(n), lambda idx: float(np.exp(n[idx].sum() / c[idx].sum())), samples=samples, seed=seed)


def paired_perplexity_bootstrap(a: tuple[Tensor, Tensor], b: tuple[Tensor, Tensor], *, samples: int = 1000,
                                seed: int = 0) -> Interval:
    """Paired bootstrap of ``log ppl(a) - log ppl(b)`` (nats per token) over test sentences; above 0
    means ``b`` has the lower perplexity. ``a``, ``b``: :func:`sentence_nll` of the two models."""
    (na, ca), (nb, cb) = ((np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)) for x, y in (a, b))
    if na.shape != nb.shape:
        raise ValueError(f"the two models were scored on different sentences: {na.shape} vs {nb.shape}")
    return paired_bootstrap(len(na), lambda idx: float(na[idx].sum() / ca[idx].sum() - nb[idx].sum() / cb[idx].sum()),
                            samples=samples, seed=seed)


# --------------------------------------------------------------------------- several training seeds
# An arm trained with several seeds is compared with another arm trained with the same seeds (same
# initial weights and batches for both). Two kinds of noise are measured separately: test-set
# resampling (a paired bootstrap over test sentences of the seed-averaged difference, the same
# resampled sentences for every seed) and training-seed noise (a Student-t interval over the
# per-seed differences). A difference is decided only when both agree (:func:`decide_both`).


def paired_bleu_bootstrap_seeds(hyps_a: Sequence[Sequence[Sequence[str]]], hyps_b: Sequence[Sequence[Sequence[str]]],
                                references: Sequence[Sequence[str]], *, samples: int = 1000,
                                seed: int = 0) -> Interval:
    """Paired bootstrap over test sentences of ``mean_s [BLEU(b_s) - BLEU(a_s)]``.

    ``hyps_a[s]``, ``hyps_b[s]``: the two arms' hypotheses for training seed ``s`` (same order as
    ``references``). Each resample draws test sentences once and scores every seed's systems on
    them (corpus BLEU from summed sufficient statistics). With one seed this is
    :func:`paired_bleu_bootstrap`.
    """
    if len(hyps_a) != len(hyps_b) or not hyps_a:
        raise ValueError(f"need the same number (>= 1) of seeds for both arms, got {len(hyps_a)} and {len(hyps_b)}")
    metric = None
    stats = []
    for a, b in zip(hyps_a, hyps_b):
        metric, stats_a = _sentence_stats(a, references)
        _, stats_b = _sentence_stats(b, references)
        stats.append((stats_a, stats_b))

    def score(x: np.ndarray) -> float:
        return float(metric._compute_score_from_stats([int(v) for v in x.sum(0)]).score)

    return paired_bootstrap(len(references),
                            lambda idx: float(np.mean([score(sb[idx]) - score(sa[idx]) for sa, sb in stats])),
                            samples=samples, seed=seed)


def source_blind(hypotheses: Sequence[Sequence[str]], *, seed: int = 0) -> list[Sequence[str]]:
    """The same hypotheses paired with the wrong sentences: position ``i`` gets the hypothesis of
    sentence ``perm[i]``, ``perm`` one random cycle through all sentences (none keeps its own).

    Scored against the references, this is the BLEU a system earns without using its source: its
    common words and phrases, and (the corpus length being unchanged) the same brevity penalty.
    A system whose real BLEU does not clear it is not translating, and its BLEU cannot rank it
    (:func:`translates`).
    """
    n = len(hypotheses)
    if n < 2:
        raise ValueError(f"need at least 2 hypotheses to pair them with other sentences, got {n}")
    cycle = np.random.default_rng(seed).permutation(n)
    perm = np.empty(n, dtype=np.int64)
    perm[cycle] = np.roll(cycle, -1)  # cycle[j] takes the hypothesis of cycle[j + 1]
    return [hypotheses[int(k)] for k in perm]


def translates(hyps: Sequence[Sequence[Sequence[str]]], references: Sequence[Sequence[str]], *,
               samples: int = 1000, seed: int = 0) -> tuple[bool | None, dict[str, Any]]:
    """Does an arm translate? Its BLEU minus its :func:`source_blind` BLEU, per training seed
    (``hyps[s]``), decided by :func:`decide_both` (t interval over seeds and paired bootstrap over
    test sentences both above 0). Returns ``(passed, numbers)``: passed is True, False (both
    intervals below 0) or None, numbers the per-seed margins and both intervals."""
    blind = [source_blind(h, seed=seed) for h in hyps]
    per_seed = [bleu(h, references) - bleu(b, references) for h, b in zip(hyps, blind)]
    sentences = paired_bleu_bootstrap_seeds(blind, hyps, references, samples=samples, seed=seed)
    passed, over_seeds = decide_both(per_seed, sentences)
    return passed, {"bleu_source_blind_per_seed": [round(bleu(b, references), 2) for b in blind],
                    "margin_per_seed": [round(v, 2) for v in per_seed], "seeds_95": over_seeds.as_dict(2),
                    "sentences_95": sentences.as_dict(2)}


def translates_criterion(name: str, subject: str, passed: bool | None, measured: Mapping[str, Any], *,
                         part: str) -> Criterion:
    """The secondary criterion that reports :func:`translates` for one arm (``subject`` names it in
    the statement), the gate of an experiment's BLEU criteria."""
    return Criterion(name, "beam BLEU minus source-blind BLEU (the same translations scored against other sentences' "
                     f"references), {subject}: the t interval over seeds and the paired bootstrap over test sentences "
                     "both above 0 (the gate of the BLEU criteria)", dict(measured), "both intervals above 0", passed,
                     part=part, primary=False)


def _log_ppl(nll: np.ndarray, count: np.ndarray, idx: np.ndarray) -> float:
    return float(nll[idx].sum() / max(count[idx].sum(), 1.0))


def paired_perplexity_bootstrap_seeds(a: Sequence[tuple[Tensor, Tensor]], b: Sequence[tuple[Tensor, Tensor]], *,
                                      subset: Sequence[bool] | np.ndarray | None = None,
                                      versus: Sequence[bool] | np.ndarray | None = None, samples: int = 1000,
                                      seed: int = 0) -> Interval:
    """Paired bootstrap over test sentences of the seed-averaged ``log ppl(a_s) - log ppl(b_s)``
    (nats per token; above 0: ``b`` has the lower perplexity). ``a[s]``, ``b[s]``:
    :func:`sentence_nll` of the two arms for seed ``s``.

    ``subset`` (bool per sentence): compute the gain on those sentences only (e.g. a source-length
    bucket). ``versus`` (bool per sentence, with ``subset``): the statistic becomes
    ``gain(subset) - gain(versus)`` on the same resampled sentences (does the gain grow from the
    ``versus`` bucket to the ``subset`` bucket?).
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"need the same number (>= 1) of seeds for both arms, got {len(a)} and {len(b)}")
    arrays = [tuple(np.asarray(t, dtype=np.float64) for t in (*x, *y)) for x, y in zip(a, b)]
    n = len(arrays[0][0])
    if any(len(t) != n for arr in arrays for t in arr):
        raise ValueError("every seed and arm must be scored on the same sentences")
    if versus is not None and subset is None:
        raise ValueError("versus needs subset")
    keep = np.ones(n, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    other = None if versus is None else np.asarray(versus, dtype=bool)

    def gain(idx: np.ndarray, mask: np.ndarray) -> float:
        idx = idx[mask[idx]]
        return float(np.mean([_log_ppl(na, ca, idx) - _log_ppl(nb, cb, idx) for na, ca, nb, cb in arrays]))

    def statistic(idx: np.ndarray) -> float:
        return gain(idx, keep) if other is None else gain(idx, keep) - gain(idx, other)

    return paired_bootstrap(n, statistic, samples=samples, seed=seed)


def decide_both(per_seed: Sequence[float], sentences: Interval, margin: float = 0.0) -> tuple[bool | None, Interval]:
    """Decide "the difference is above ``margin``" from training seeds and test sentences together.

    ``per_seed``: the difference measured with each training seed; ``sentences``: the paired
    bootstrap interval over test sentences of its seed average. Returns ``(passed, seed interval)``
    where the seed interval is the Student-t interval of the per-seed differences
    (:func:`papercraft.statistics.mean_interval`) and ``passed`` is True if both intervals lie above
    ``margin``, False if both lie below it, and None (inconclusive) otherwise — e.g. a gain that is
    clear on this test set but not consistent across training seeds.
    """
    from papercraft.statistics import mean_interval

    over_seeds = mean_interval(per_seed)
    a, b = over_seeds.decide(margin), sentences.decide(margin)
    return (a if a is not None and a == b else None), over_seeds


# --------------------------------------------------------------------------- training
# One code path for every model trained on this test bed, so that the arms of a comparison are
# trained, validated and costed by exactly the same code.

LossFn = Callable[[nn.Module, tuple[Tensor, ...]], tuple[Tensor, Mapping[str, float]]]

FLOP_BATCHES = 8
"""Training batches whose counted FLOPs are averaged for the cost of a step (batches differ in length)."""


def batch_loss(model: nn.Module, batch: tuple[Tensor, Tensor],
               criterion: Callable[[Tensor, Tensor], Tensor] | None = None) -> tuple[Tensor, dict[str, float]]:
    """Teacher-forced loss of ``model(src, tgt_in) -> logits`` on one ``(src [B, S], tgt [B, T+2])`` batch.

    ``criterion(logits [N, V], target [N]) -> loss`` replaces the plain cross-entropy (e.g. a
    label-smoothed loss; it must skip ``<pad>`` targets). The logged ``nll`` is always the plain
    cross-entropy, comparable across models.
    """
    import torch.nn.functional as F

    src, tgt = trim(*batch)
    logits = model(src, tgt[:, :-1])
    flat_logits, flat_target = logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1)
    nll = F.cross_entropy(flat_logits, flat_target, ignore_index=PAD_ID)
    loss = nll if criterion is None else criterion(flat_logits, flat_target)
    return loss, {"nll": float(nll.detach()), "tokens": float((flat_target != PAD_ID).sum())}


def training_batches(data: TranslationData, batch_size: int, seed: int) -> Any:
    """The endless shuffled ``(src, tgt)`` batches of the training split (a ``TensorBatches``)."""
    from papercraft.training import TensorBatches

    return TensorBatches(data.src["train"], data.tgt["train"], batch_size=batch_size, seed=seed)


def validation_nll(data: TranslationData, limit: int | None = 500) -> Callable[[nn.Module], dict[str, float]]:
    """The trainer's ``evaluate``: ``{"valid_nll": NLL per target token}`` on the first ``limit``
    validation pairs (teacher-forced, plain cross-entropy)."""
    valid = data.head("valid", limit)

    def evaluate(model: nn.Module) -> dict[str, float]:
        nll, count = sentence_nll(model, valid, "valid")
        return {"valid_nll": float(nll.sum() / count.sum())}

    return evaluate


def training_step_flops(model: nn.Module, loss_fn: LossFn, data: TranslationData, *, batch_size: int, seed: int,
                        batches: int = FLOP_BATCHES) -> int:
    """Counted FLOPs of one training step (forward + backward, matrix products;
    :func:`papercraft.training.flops.step_flops`), averaged over the first ``batches`` training
    batches of a run with ``seed`` (the batches its first steps train on; batches differ in length).
    Torch's random state is left as it was."""
    from papercraft.training.flops import step_flops

    if batches < 1:
        raise ValueError(f"batches must be >= 1, got {batches}")
    device = next(model.parameters()).device
    source = training_batches(data, batch_size, seed)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        counts = [step_flops(model, loss_fn, tuple(t.to(device) for t in next(source))) for _ in range(batches)]
    return round(sum(counts) / len(counts))


@dataclass
class TranslationRun:
    """One trained arm: the trainer's ``TrainResult`` and the counted FLOPs of a training step
    (None if they were not counted)."""

    result: Any
    step_flops: int | None

    @property
    def steps(self) -> int:
        """Optimizer steps taken."""
        return int(self.result.step)

    @property
    def flops(self) -> int | None:
        """Counted training FLOPs: :attr:`step_flops` × :attr:`steps`."""
        return None if self.step_flops is None else self.step_flops * self.steps

    def valid_curve(self) -> tuple[list[int], list[float]]:
        """``(steps, validation NLL per token)`` of every evaluation during training."""
        points = [(int(r["step"]), float(r["valid_nll"])) for r in self.result.evals() if "valid_nll" in r]
        return [s for s, _ in points], [v for _, v in points]


def train_translation(ctx: Any, name: str, model: nn.Module, optimizer: torch.optim.Optimizer, data: TranslationData,
                      *, steps: int, batch_size: int, eval_every: int, seed: int,
                      criterion: Callable[[Tensor, Tensor], Tensor] | None = None, scheduler: Any = None,
                      grad_clip: float | None = None, flop_batches: int = FLOP_BATCHES) -> TranslationRun:
    """Train ``model`` on the training split for exactly ``steps`` optimizer steps as the sub-run
    ``name`` of the experiment ``ctx`` (the runner's ``RunContext``: directory, device, resume,
    checkpoint identity). The validation NLL is logged every ``eval_every`` steps and at the end.

    ``criterion``: as :func:`batch_loss`. Returns the :class:`TranslationRun`, with the counted FLOPs
    of a training step averaged over ``flop_batches`` batches (:func:`training_step_flops`; 0: not
    counted, for arms whose cost is equal by construction).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")

    def loss_fn(m: nn.Module, batch: tuple[Tensor, ...]) -> tuple[Tensor, dict[str, float]]:
        return batch_loss(m, batch, criterion)  # type: ignore[arg-type]

    result = ctx.train(name, model, optimizer, loss_fn, training_batches(data, batch_size, seed), steps=steps,
                       seed=seed, scheduler=scheduler, evaluate=validation_nll(data), eval_every=eval_every,
                       grad_clip=grad_clip, unit="tokens")
    flops = (training_step_flops(model, loss_fn, data, batch_size=batch_size, seed=seed, batches=flop_batches)
             if flop_batches else None)
    return TranslationRun(result, flops)


# --------------------------------------------------------------------------- decoding


@torch.no_grad()
def translate_split(translate: Callable[[Tensor, int, int], list[list[int]]], data: TranslationData, split: str, *,
                    beam: int, limit: int | None = None, batch_size: int = 100, extra_len: int = 10,
                    device: torch.device | str = "cpu") -> tuple[list[list[str]], list[list[str]]]:
    """Decode a split: returns (hypotheses, references) as token lists, in the split's order.

    ``translate(src [B, S], beam, max_len) -> list of id lists``. Sources are decoded in batches of
    similar length (faster), on ``device``, with at most ``S + extra_len`` output tokens.
    """
    src_all = data.src[split][:limit]
    refs = [e for _, e in data.pairs[split][:limit]]
    lengths = (src_all != PAD_ID).sum(1)
    order = torch.argsort(lengths, stable=True).tolist()
    hyps: list[list[str] | None] = [None] * len(order)
    for i in range(0, len(order), batch_size):
        rows = order[i : i + batch_size]
        src = src_all[rows]
        src = src[:, : int((src != PAD_ID).sum(1).max())].to(device)
        out = translate(src, beam, src.shape[1] + extra_len)
        for r, ids in zip(rows, out):
            hyps[r] = data.tgt_vocab.decode(ids)
    return hyps, refs  # type: ignore[return-value]
