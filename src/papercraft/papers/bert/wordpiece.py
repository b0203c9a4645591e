"""BERT's WordPiece tokenizer, written from the papers: a basic tokenizer, then greedy word pieces.

BERT (Devlin et al. 2018, §3 "Input/Output Representations") feeds its encoder WordPiece tokens
(Wu et al. 2016, "Google's Neural Machine Translation System", §4.1): a vocabulary of ~30,000 whole
words and word pieces, where a piece that continues a word is written with the prefix ``##``
("playing" -> ``play ##ing``). Every input starts with ``[CLS]`` (whose final hidden state the
pooler reads) and each segment ends with ``[SEP]``; a pair of segments is ``[CLS] A [SEP] B [SEP]``
with segment (token type) ids 0 for ``[CLS] A [SEP]`` and 1 for ``B [SEP]``.

Tokenizing a text has two stages, exactly as BERT's released ``tokenization.py`` and Hugging Face
``tokenizers`` (``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece``) do it:

1. **Basic tokenizer.** Normalize, in this order:
   clean the text (drop U+0000, U+FFFD and every "other" character -- categories Cc, Cf, Cn, Co,
   Cs -- except tab, newline and carriage return; map whitespace to a space) ->
   put spaces around CJK ideographs (each becomes its own word) ->
   strip accents (NFD, then drop non-spacing marks, category Mn; by default only when lower-casing) ->
   lower-case, character by character.
   Then pre-tokenize: split on whitespace (removed) and around every punctuation character
   (isolated): ASCII ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~`` and Unicode categories P*.
2. **WordPiece** (greedy longest-match-first): from the start of a word take the longest prefix in
   the vocabulary, then the longest ``##``-continuation of the rest, and so on. A word with no
   match at some point, or longer than ``max_input_chars_per_word`` characters, becomes ``[UNK]``
   as a whole.

Special tokens (``[CLS]``, ``[SEP]``, ``[PAD]``, ``[MASK]``, ``[UNK]``) written literally in the
input are recognized as themselves before normalization (as Hugging Face's tokenizers do), so
``"the [MASK] sat"`` encodes the mask token.

Character classes come from Python's :mod:`unicodedata` (Unicode 14.0 in Python 3.11). Hugging
Face's Rust tokenizer reads older tables for some of them, so for a set of code points assigned in
newer Unicode versions the two disagree; ``tests/papers/test_bert_wordpiece.py`` pins that set.

Speed: :meth:`WordPieceTokenizer.tokenize` and ``encode`` split the raw text on whitespace and
cache the ids of each distinct raw word, so the per-character work runs once per distinct word.
Normalization never crosses a whitespace boundary, so this equals the readable path
(:meth:`WordPieceTokenizer.basic_tokenize` on the whole text, then :meth:`WordPieceTokenizer.wordpiece`
per word), which a test checks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from papercraft.errors import PapercraftError

if TYPE_CHECKING:
    import torch

__all__ = ["WordPieceTokenizer", "VocabularyError", "is_punctuation", "is_cjk", "is_dropped", "WHITESPACE"]


class VocabularyError(PapercraftError, ValueError):
    """A WordPiece vocabulary file that cannot be used: missing, unreadable, empty, or without a special token."""


# ------------------------------------------------------------------------------------------------
# character classes (BERT's tokenization.py: _is_whitespace, _is_control, _is_punctuation,
# _is_chinese_char; HF tokenizers' normalizers/bert.rs and pre_tokenizers/bert.rs)
# ------------------------------------------------------------------------------------------------

#: The Unicode White_Space property (unchanged since Unicode 6.3). The control characters among them
#: other than tab, newline and carriage return (VT, FF, U+0085) are dropped by the cleaning step
#: before whitespace is mapped to a space.
WHITESPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                       "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_WHITESPACE_RUN = re.compile("[" + "".join(sorted(WHITESPACE)) + "]+")

# CJK Unified Ideographs and their extensions/compatibility blocks, as in BERT's _is_chinese_char
# (Hangul, kana and other CJK scripts are written with spaces and are not split per character).
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
               (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))

# Python's str.isspace() is true for these, but BERT drops them as control characters (category
# Cc) instead of treating them as word boundaries: remove them before splitting on str.split().
_ISSPACE_CONTROLS = "\x0b\x0c\x1c\x1d\x1e\x1f\x85"
_ISSPACE_CONTROLS_RE = re.compile("[" + _ISSPACE_CONTROLS + "]")
_REMOVE_ISSPACE_CONTROLS = str.maketrans("", "", _ISSPACE_CONTROLS)


@functools.lru_cache(maxsize=None)
def is_dropped(char: str) -> bool:
    """True if the cleaning step deletes ``char``: U+0000, U+FFFD, or an "other" character (Cc, Cf,
    Cn, Co, Cs) except tab, newline and carriage return (BERT's ``_is_control``, widened as in HF)."""
    if char in "\t\n\r":
        return False
    return char in "\x00\ufffd" or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


@functools.lru_cache(maxsize=None)
def is_punctuation(char: str) -> bool:
    """True for ASCII punctuation (code points 33-47, 58-64, 91-96, 123-126, which includes symbols
    such as ``$`` and ``^``) and for every Unicode punctuation category (Pc, Pd, Pe, Pf, Pi, Po, Ps)."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char)[0] == "P"


@functools.lru_cache(maxsize=None)
def is_cjk(char: str) -> bool:
    """True for a CJK ideograph, which the basic tokenizer makes a word of its own."""
    cp = ord(char)
    return cp >= 0x3400 and any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


# ------------------------------------------------------------------------------------------------
# the tokenizer
# ------------------------------------------------------------------------------------------------

class WordPieceTokenizer:
    """BERT's tokenizer: basic tokenization, then greedy longest-match-first WordPiece (BERT §3).

    Args:
        vocab: token -> id. Must contain the five special tokens.
        lowercase: lower-case the text (an "uncased" vocabulary such as MiniLM's).
        strip_accents: drop combining marks after NFD; ``None`` (default) follows ``lowercase``.
        tokenize_chinese_chars: make every CJK ideograph a word of its own.
        unk_token, cls_token, sep_token, pad_token, mask_token: the special tokens.
        max_input_chars_per_word: a longer word (after normalization) becomes ``[UNK]``.
    """

    def __init__(self, vocab: dict[str, int], *, lowercase: bool = True, strip_accents: bool | None = None,
                 tokenize_chinese_chars: bool = True, unk_token: str = "[UNK]", cls_token: str = "[CLS]",
                 sep_token: str = "[SEP]", pad_token: str = "[PAD]", mask_token: str = "[MASK]",
                 max_input_chars_per_word: int = 100) -> None:
        if not isinstance(vocab, dict) or not vocab:
            raise ValueError("vocab must be a non-empty dict token -> id")
        if not all(isinstance(t, str) and t for t in vocab):
            raise ValueError("vocab keys must be non-empty strings")
        if not all(isinstance(i, int) and i >= 0 for i in vocab.values()):
            raise ValueError("vocab ids must be non-negative ints")
        if not isinstance(max_input_chars_per_word, int) or max_input_chars_per_word < 1:
            raise ValueError(f"max_input_chars_per_word must be a positive int, got {max_input_chars_per_word!r}")
        specials = {"unk_token": unk_token, "cls_token": cls_token, "sep_token": sep_token, "pad_token": pad_token,
                    "mask_token": mask_token}
        missing = [f"{name}={token!r}" for name, token in specials.items() if token not in vocab]
        if missing:
            raise VocabularyError(f"the vocabulary has no {', '.join(missing)}")
        self.vocab = dict(vocab)
        self.lowercase = bool(lowercase)
        self.strip_accents = self.lowercase if strip_accents is None else bool(strip_accents)
        self.tokenize_chinese_chars = bool(tokenize_chinese_chars)
        self.max_input_chars_per_word = max_input_chars_per_word
        self.unk_token, self.cls_token, self.sep_token = unk_token, cls_token, sep_token
        self.pad_token, self.mask_token = pad_token, mask_token
        self.unk_id, self.cls_id, self.sep_id = vocab[unk_token], vocab[cls_token], vocab[sep_token]
        self.pad_id, self.mask_id = vocab[pad_token], vocab[mask_token]
        self.special_ids = frozenset(vocab[t] for t in specials.values())
        self._id_to_token = {i: t for t, i in self.vocab.items()}
        self._longest = max(map(len, self.vocab))  # no match can be longer: bounds the greedy search
        # Literal special tokens in the input, longest first (leftmost-longest like HF's matcher).
        alternatives = sorted(set(specials.values()), key=lambda t: (-len(t), t))
        self._special_re = re.compile("|".join(map(re.escape, alternatives)))
        self._special_chars = frozenset(t[0] for t in alternatives)
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: str | Path, lowercase: bool = True, **kwargs) -> WordPieceTokenizer:
        """Read a ``vocab.txt``: one token per line, its id the line number (from 0).

        Trailing whitespace is trimmed; a token listed twice keeps its last line's id (as HF's
        reader does). Raises :class:`VocabularyError` (naming the file) if it cannot be read.
        """
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise VocabularyError(f"no such vocabulary file: {path}") from None
        except IsADirectoryError:
            raise VocabularyError(f"{path} is a directory, not a vocab.txt file") from None
        except UnicodeDecodeError as exc:
            raise VocabularyError(f"vocabulary file {path} is not UTF-8 text ({exc})") from None
        except OSError as exc:
            raise VocabularyError(f"cannot read vocabulary file {path}: {exc.strerror or exc}") from None
        vocab: dict[str, int] = {}
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the final newline ends the last line; it does not start an empty one
        for index, line in enumerate(lines):
            token = line.rstrip()
            if token:
                vocab[token] = index
        if not vocab:
            raise VocabularyError(f"vocabulary file {path} has no tokens")
        try:
            return cls(vocab, lowercase=lowercase, **kwargs)
        except VocabularyError as exc:
            raise VocabularyError(f"vocabulary file {path}: {exc}") from None

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return (f"WordPieceTokenizer(vocab={len(self)} tokens, lowercase={self.lowercase}, "
                f"strip_accents={self.strip_accents}, tokenize_chinese_chars={self.tokenize_chinese_chars})")

    # -------------------------------------------------------------------------------- readable path

    def normalize(self, text: str) -> str:
        """The basic tokenizer's normalization of ``text`` (clean, CJK spacing, accents, case)."""
        _check_text(text, "text")
        # Clean: drop NUL, U+FFFD and control/format/unassigned/private-use characters; whitespace -> " ".
        text = "".join(" " if c in WHITESPACE else c for c in text if not is_dropped(c))
        if self.tokenize_chinese_chars:  # every CJK ideograph becomes a word (BERT's multilingual README)
            text = "".join(f" {c} " if is_cjk(c) else c for c in text)
        if self.strip_accents:  # é = e + U+0301 (NFD); U+0301 is a non-spacing mark (Mn)
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        if self.lowercase:
            # Character by character: str.lower() would turn a word-final Σ into ς (Unicode's
            # Final_Sigma rule), which BERT's per-character lower-casing does not.
            text = text.replace("\u03a3", "\u03c3").lower()
        return text

    @staticmethod
    def pre_tokenize(text: str) -> list[str]:
        """Split normalized text into words: on whitespace (dropped) and around punctuation (kept)."""
        words = []
        for chunk in _WHITESPACE_RUN.split(text):
            start = 0
            for i, char in enumerate(chunk):
                if is_punctuation(char):
                    if start < i:
                        words.append(chunk[start:i])
                    words.append(char)
                    start = i + 1
            if start < len(chunk):
                words.append(chunk[start:])
        return words

    def basic_tokenize(self, text: str) -> list[str]:
        """BERT's ``BasicTokenizer``: :meth:`normalize`, then :meth:`pre_tokenize` (no special tokens)."""
        return self.pre_tokenize(self.normalize(text))

    def wordpiece(self, word: str) -> list[str]:
        """Greedy longest-match-first word pieces of one basic-tokenizer word (Wu et al. 2016 §4.1).

        >>> tok.wordpiece("unaffable")   # doctest: +SKIP
        ['una', '##ffa', '##ble']
        """
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = min(len(word), start + self._longest)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            else:  # no prefix of the rest is in the vocabulary: the whole word is unknown
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    # -------------------------------------------------------------------------------- fast path

    def _segments(self, text: str) -> Iterator[tuple[str, int | None]]:
        """``text`` cut at literal special tokens: (ordinary text, None) and (token, its id) in order."""
        if not any(c in text for c in self._special_chars):
            yield text, None
            return
        start = 0
        for match in self._special_re.finditer(text):
            if match.start() > start:
                yield text[start:match.start()], None
            yield match.group(), self.vocab[match.group()]
            start = match.end()
        if start < len(text):
            yield text[start:], None

    def _word_ids(self, word: str) -> tuple[int, ...]:
        """Ids of one whitespace-delimited raw word, cached: the readable path on that word."""
        ids = self._cache.get(word)
        if ids is None:
            vocab = self.vocab
            ids = tuple(vocab[p] for w in self.basic_tokenize(word) for p in self.wordpiece(w))
            if len(self._cache) >= 1_000_000:  # bound the memory on endless distinct input
                self._cache.clear()
            self._cache[word] = ids
        return ids

    def _ids(self, text: str) -> list[int]:
        ids: list[int] = []
        cache = self._cache
        for segment, special in self._segments(text):
            if special is not None:
                ids.append(special)
                continue
            if _ISSPACE_CONTROLS_RE.search(segment):  # these would split str.split(); BERT drops them
                segment = segment.translate(_REMOVE_ISSPACE_CONTROLS)
            for word in segment.split():
                cached = cache.get(word)
                ids += cached if cached is not None else self._word_ids(word)
        return ids

    # -------------------------------------------------------------------------------- public API

    def tokenize(self, text: str) -> list[str]:
        """``text`` as WordPiece tokens, without ``[CLS]``/``[SEP]``."""
        _check_text(text, "text")
        return [self._id_to_token[i] for i in self._ids(text)]

    def encode(self, text: str, pair: str | None = None, *, add_special_tokens: bool = True) -> list[int]:
        """Token ids of ``text`` (``[CLS] text [SEP]``), or of a pair (``[CLS] text [SEP] pair [SEP]``).

        Nothing is truncated. With ``add_special_tokens=False`` only the word pieces (of both texts).
        """
        _check_text(text, "text")
        if pair is not None:
            _check_text(pair, "pair")
        first = self._ids(text)
        second = self._ids(pair) if pair is not None else None
        if not add_special_tokens:
            return first + (second or [])
        ids = [self.cls_id, *first, self.sep_id]
        if second is not None:
            ids += [*second, self.sep_id]
        return ids

    def encode_pair(self, a: str, b: str) -> tuple[list[int], list[int]]:
        """``[CLS] a [SEP] b [SEP]`` and its segment ids: 0 up to the first ``[SEP]``, 1 after (BERT §3)."""
        _check_text(a, "a")
        _check_text(b, "b")
        first, second = self._ids(a), self._ids(b)
        ids = [self.cls_id, *first, self.sep_id, *second, self.sep_id]
        return ids, [0] * (len(first) + 2) + [1] * (len(second) + 1)

    def encode_batch(self, texts: Sequence[str], max_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``[CLS] text [SEP]`` for each text, right-padded with ``pad_id`` to the longest.

        ``max_length`` (counting ``[CLS]`` and ``[SEP]``, >= 2) truncates the word pieces so that
        ``[SEP]`` stays last. Returns ``input_ids [B, L]`` (long) and ``attention_mask [B, L]`` (long,
        1 = real token, 0 = padding); ``L`` is 0 for an empty batch.
        """
        import torch

        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise ValueError(f"texts must be a list of strings, got {type(texts).__name__}")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 2):
            raise ValueError(f"max_length must be an int >= 2 (room for [CLS] and [SEP]) or None, got {max_length!r}")
        rows = []
        for i, text in enumerate(texts):
            _check_text(text, f"texts[{i}]")
            pieces = self._ids(text)
            if max_length is not None:
                pieces = pieces[:max_length - 2]
            rows.append([self.cls_id, *pieces, self.sep_id])
        length = max(map(len, rows), default=0)
        input_ids = torch.full((len(rows), length), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
            attention_mask[i, :len(row)] = 1
        return input_ids, attention_mask

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        """The token of each id; raises ValueError for an id not in the vocabulary."""
        try:
            return [self._id_to_token[int(i)] for i in ids]
        except KeyError as exc:
            raise ValueError(f"ids: token id {exc.args[0]} is not in the vocabulary") from None

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        """Text from ids, as HF's WordPiece decoder writes it: pieces joined by spaces, ``##``
        continuations glued to the previous piece, and a space before ``. ? ! ,`` and in ``' s``-like
        contractions removed (its per-token "cleanup"). Lower-casing and accents are not undone."""
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            specials = {self._id_to_token[i] for i in self.special_ids}
            tokens = [t for t in tokens if t not in specials]
        out = []
        for i, token in enumerate(tokens):
            if i:
                token = token[2:] if token.startswith("##") else " " + token
            out.append(_cleanup(token))
        return "".join(out)


def _cleanup(token: str) -> str:
    for dirty, clean in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                         (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        token = token.replace(dirty, clean)
    return token


def _check_text(text: object, name: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a str, got {type(text).__name__}")
