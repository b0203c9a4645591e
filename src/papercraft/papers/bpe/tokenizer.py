"""GPT-2's byte-level BPE tokenizer: byte↔unicode table, pre-tokenization, encoding, decoding, files.

GPT-2 (Radford et al. 2019, §2.2 "Input Representation") runs Byte Pair Encoding (Sennrich et al.
2016) on *bytes* rather than Unicode characters, so the base vocabulary is only 256 symbols and any
string can be encoded with no unknown token. To stop BPE from merging across character categories
("dog." "dog!" "dog?" wasting vocabulary), the text is first cut into *pre-tokens* by a regular
expression (letters, digits, punctuation and whitespace runs, with an optional leading space), and
merges never cross a pre-token boundary.

Encoding follows tiktoken's formulation, which is equivalent to GPT-2's ``encoder.py`` for a
vocabulary produced by BPE training: every token has a *rank* (its id; smaller = merged earlier);
a pre-token's bytes start as single-byte parts, and the adjacent pair whose concatenation has the
lowest rank is merged, leftmost first, until no adjacent concatenation is a token.

Files: a tiktoken rank file has one line ``base64(token bytes) rank`` per mergeable token. The
Hugging Face / GPT-2 format is ``vocab.json`` (token → id, the token's bytes written through the
byte↔unicode table so that they are printable) and ``merges.txt`` (one merge ``left right`` per
line, in merge order).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex

from papercraft.errors import PapercraftError

# GPT-2's pre-tokenization pattern, verbatim from openai/gpt-2 src/encoder.py. ``\p{L}`` is any
# letter, ``\p{N}`` any number; ``\s+(?!\S)`` leaves the last space of a run to the next word so that
# " word" stays one pre-token. (tiktoken's r50k pattern is an equivalent, possessive rewrite.)
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# The cl100k (GPT-3.5/4) pattern, from tiktoken_ext/openai_public.py, with one change: tiktoken's
# ``$`` (Rust: end of text only) is written ``\Z`` because Python's ``$`` also matches before a final
# newline. Differences from GPT-2's: case-insensitive contractions, numbers cut into runs of at most
# three digits, a letter run may take one leading non-letter, and newlines are grouped.
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++\Z"""
    r"""|\s*[\r\n]|\s+(?!\S)|\s"""
)

PATTERNS = {"gpt2": GPT2_PATTERN, "cl100k": CL100K_PATTERN}
ENDOFTEXT = "<|endoftext|>"

TIKTOKEN_FILE = "tokenizer.tiktoken"
VOCAB_FILE = "vocab.json"
MERGES_FILE = "merges.txt"
META_FILE = "tokenizer.json"


class VocabularyError(PapercraftError, ValueError):
    """A vocabulary file is malformed or inconsistent; the message names the file and line."""


class DisallowedSpecialTokenError(PapercraftError, ValueError):
    """Ordinary text contains a special token that the caller did not allow."""


@lru_cache(maxsize=None)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character table (``encoder.py: bytes_to_unicode``).

    Bytes that are printable Latin-1 characters map to themselves; the other 68 (control codes,
    space, DEL, NBSP, soft hyphen) are shifted to U+0100 onwards, so that every token can be written
    in ``vocab.json`` / ``merges.txt`` as visible text with no whitespace inside.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    bs, cs = list(printable), list(printable)
    shifted = 0
    for b in range(256):
        if b not in printable:
            bs.append(b)
            cs.append(256 + shifted)
            shifted += 1
    return dict(zip(bs, map(chr, cs)))


@lru_cache(maxsize=None)
def unicode_to_bytes() -> dict[str, int]:
    """The inverse of :func:`bytes_to_unicode`."""
    return {c: b for b, c in bytes_to_unicode().items()}


def byte_order() -> list[int]:
    """The 256 byte values in GPT-2's base-vocabulary order (ranks 0..255 of GPT-2's vocabulary).

    It is the key order of :func:`bytes_to_unicode`: printable bytes first. papercraft's trainer
    gives single bytes the same ranks, and so does HF ``tokenizers`` (it sorts its initial alphabet
    by the mapped character), which makes merge tie-breaks comparable.
    """
    return list(bytes_to_unicode())


def token_to_str(token: bytes) -> str:
    """A token's bytes as printable text through the byte↔unicode table (as in vocab.json)."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in token)


def str_to_token(text: str, *, where: str = "") -> bytes:
    """The inverse of :func:`token_to_str`; a character outside the table is a VocabularyError."""
    table = unicode_to_bytes()
    try:
        return bytes(table[c] for c in text)
    except KeyError as exc:
        raise VocabularyError(f"{where}token {text!r} contains {exc.args[0]!r}, which is not a character "
                              f"of GPT-2's byte↔unicode table") from None


def fix_surrogates(text: str) -> str:
    """Make ``text`` encodable as UTF-8 exactly as tiktoken does.

    A Python ``str`` may hold surrogate code points (e.g. from ``json.loads('"\\ud83d"')``). A valid
    high+low pair is joined into the character it encodes and a lone surrogate becomes U+FFFD, so
    for such strings ``decode(encode(s)) != s``, as with tiktoken.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# ----------------------------------------------------------------------------------------------
# Merging the bytes of one pre-token
# ----------------------------------------------------------------------------------------------

def bpe_merge(piece: bytes, ranks: Mapping[bytes, int]) -> list[int]:
    """Token ids of one pre-token: merge the lowest-rank adjacent pair, leftmost first, until none.

    The readable version. ``pair_ranks[i]`` is the rank of ``parts[i] + parts[i+1]`` (or None); after
    a merge only the two neighbouring entries change. O(n²) in the piece length, which is fine for
    words; :func:`bpe_merge_heap` handles long pieces (whitespace runs, long digit strings).
    """
    parts = [piece[i:i + 1] for i in range(len(piece))]
    inf = float("inf")

    def rank_at(i: int) -> float:
        r = ranks.get(parts[i] + parts[i + 1])
        return inf if r is None else r

    pair_ranks = [rank_at(i) for i in range(len(parts) - 1)]
    while pair_ranks:
        best = min(pair_ranks)  # list.index finds the *leftmost* minimum, as tiktoken does
        if best == inf:
            break
        i = pair_ranks.index(best)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
        del pair_ranks[i]
        if i < len(parts) - 1:
            pair_ranks[i] = rank_at(i)
        if i > 0:
            pair_ranks[i - 1] = rank_at(i - 1)
    return [ranks[p] for p in parts]


def bpe_merge_heap(piece: bytes, ranks: Mapping[bytes, int]) -> list[int]:
    """Same result as :func:`bpe_merge` in O(n log n): a heap of candidate merges over a linked list.

    Heap entries are ``(rank, start, end_of_right)``; byte offsets identify parts because a part's
    start never changes when it absorbs its right neighbour. An entry is stale (skipped) if the left
    part no longer starts at ``start`` or the right part no longer ends at ``end_of_right``. Among
    equal ranks the smaller ``start`` pops first: the leftmost, as in :func:`bpe_merge`.
    """
    n = len(piece)
    if n < 2:
        return [ranks[piece]] if n else []
    end = list(range(1, n + 1))  # end[s]: end offset of the part starting at s (valid if alive[s])
    prev = list(range(-1, n - 1))  # prev[s]: start of the part left of the one at s
    alive = [True] * n
    heap: list[tuple[int, int, int]] = []

    def push(s: int) -> None:
        e = end[s]
        if e < n:
            r = ranks.get(piece[s:end[e]])
            if r is not None:
                heapq.heappush(heap, (r, s, end[e]))

    for s in range(n - 1):
        push(s)
    while heap:
        _, s, right_end = heapq.heappop(heap)
        if not alive[s]:
            continue
        mid = end[s]
        if mid >= n or end[mid] != right_end:
            continue
        alive[mid] = False  # the right part is absorbed into the left one
        end[s] = right_end
        if right_end < n:
            prev[right_end] = s
        push(s)
        if prev[s] >= 0:
            push(prev[s])
    out = []
    s = 0
    while s < n:
        out.append(ranks[piece[s:end[s]]])
        s = end[s]
    return out


MAX_VOCAB = 10_000_000  # ids above this are taken for corruption, not a vocabulary
LONG_PIECE = 128  # bytes; above this the heap version is used (they agree: tests/papers/test_bpe.py)


# ----------------------------------------------------------------------------------------------
# The tokenizer
# ----------------------------------------------------------------------------------------------

class Tokenizer:
    """A byte-level BPE tokenizer: mergeable ranks + special tokens + a pre-tokenization pattern.

    Args:
        ranks: token bytes → rank (= token id). Must contain all 256 single bytes, so that any text
            can be encoded.
        special_tokens: special token text → id (e.g. ``{"<|endoftext|>": 50256}``); ids must not
            collide with ranks.
        pattern: the pre-tokenization regular expression (:data:`GPT2_PATTERN` or
            :data:`CL100K_PATTERN`, or a name in :data:`PATTERNS`).
        merges: the merges in training order, as ``(left, right)`` byte pairs, when known (a trained
            tokenizer, or loaded from merges.txt); otherwise derived from the ranks on demand.
        name: a label for messages.
    """

    def __init__(self, ranks: Mapping[bytes, int], special_tokens: Mapping[str, int] | None = None,
                 pattern: str = GPT2_PATTERN, *, merges: Sequence[tuple[bytes, bytes]] | None = None,
                 name: str = "bpe", cache_size: int = 200_000) -> None:
        pattern = PATTERNS.get(pattern, pattern)
        self.ranks: dict[bytes, int] = dict(ranks)
        self.special_tokens: dict[str, int] = dict(special_tokens or {})
        self.pattern = pattern
        self.name = name
        self._merges = list(merges) if merges is not None else None
        missing = [b for b in range(256) if bytes([b]) not in self.ranks]
        if missing:
            raise VocabularyError(f"{name}: the vocabulary lacks {len(missing)} of the 256 single bytes "
                                  f"(e.g. {bytes(missing[:3])!r}); byte-level BPE needs all of them")
        for token, rank in [*self.ranks.items(), *self.special_tokens.items()]:
            if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < MAX_VOCAB:
                raise VocabularyError(f"{name}: the id of {token!r} must be an int in [0, {MAX_VOCAB:,}), got {rank!r}")
        self.vocab_size = max([*self.ranks.values(), *self.special_tokens.values()]) + 1
        decoder: list[bytes | None] = [None] * self.vocab_size
        for token, rank in self.ranks.items():
            if decoder[rank] is not None:
                raise VocabularyError(f"{name}: rank {rank} is given to both {decoder[rank]!r} and {token!r}")
            decoder[rank] = token
        for text, token_id in self.special_tokens.items():
            if decoder[token_id] is not None:
                raise VocabularyError(f"{name}: special token {text!r} has id {token_id}, already the id of "
                                      f"{decoder[token_id]!r}")
            decoder[token_id] = text.encode("utf-8")
        self._decoder = decoder
        try:
            self._regex = regex.compile(pattern)
        except regex.error as exc:
            raise ValueError(f"invalid pre-tokenization pattern {pattern!r}: {exc}") from None
        self._special_regex = (regex.compile("|".join(regex.escape(s) for s in sorted(self.special_tokens, key=len, reverse=True)))
                               if self.special_tokens else None)
        # The pre-token cache (GPT-2's encoder.py keeps one too): most pre-tokens of natural text
        # repeat, so after a warm-up encoding is one regex pass and one dict look-up per pre-token.
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def from_tiktoken_file(cls, path: str | Path, *, special_tokens: Mapping[str, int] | None = None,
                           pattern: str = GPT2_PATTERN, name: str | None = None) -> Tokenizer:
        """Load a tiktoken rank file (``base64(token) rank`` per line)."""
        return cls(read_tiktoken_ranks(path), special_tokens, pattern, name=name or Path(path).name)

    @classmethod
    def from_vocab_merges(cls, vocab_path: str | Path, merges_path: str | Path, *,
                          pattern: str = GPT2_PATTERN, name: str | None = None) -> Tokenizer:
        """Load GPT-2/HF-style ``vocab.json`` + ``merges.txt``.

        The mergeable tokens are the 256 single bytes and the results of the merges; every other
        vocabulary entry (e.g. ``<|endoftext|>``) is a special token.
        """
        ranks, specials, merges = read_vocab_merges(vocab_path, merges_path)
        return cls(ranks, specials, pattern, merges=merges, name=name or Path(vocab_path).parent.name)

    @classmethod
    def load(cls, directory: str | Path) -> Tokenizer:
        """Load a tokenizer saved by :meth:`save` (the tiktoken rank file and ``tokenizer.json``)."""
        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.is_file():
            raise VocabularyError(f"{directory} is not a saved papercraft tokenizer: {META_FILE} is missing "
                                  f"(save one with Tokenizer.save or `papercraft bpe train`)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            pattern, specials = meta["pattern"], {str(k): int(v) for k, v in meta["special_tokens"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VocabularyError(f"{meta_path}: expected a JSON object with 'pattern' and 'special_tokens' "
                                  f"({exc})") from None
        merges = None
        if (directory / MERGES_FILE).is_file() and (directory / VOCAB_FILE).is_file():
            _, _, merges = read_vocab_merges(directory / VOCAB_FILE, directory / MERGES_FILE)
        return cls(read_tiktoken_ranks(directory / TIKTOKEN_FILE), specials, pattern, merges=merges,
                   name=directory.name)

    def save(self, directory: str | Path) -> Path:
        """Write the tokenizer in both formats: ``tokenizer.tiktoken``, ``vocab.json`` + ``merges.txt``,
        and ``tokenizer.json`` (pattern and special tokens). Returns the directory."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.save_tiktoken(directory / TIKTOKEN_FILE)
        self.save_vocab_merges(directory / VOCAB_FILE, directory / MERGES_FILE)
        meta = {"format": "papercraft-bpe-1", "pattern": self.pattern, "special_tokens": self.special_tokens,
                "vocab_size": self.vocab_size}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return directory

    def save_tiktoken(self, path: str | Path) -> None:
        """Write the mergeable ranks as a tiktoken rank file (special tokens are not part of it)."""
        lines = [f"{base64.b64encode(t).decode('ascii')} {r}\n" for t, r in sorted(self.ranks.items(), key=lambda kv: kv[1])]
        Path(path).write_text("".join(lines), encoding="ascii")

    def save_vocab_merges(self, vocab_path: str | Path, merges_path: str | Path) -> None:
        """Write GPT-2/HF-style ``vocab.json`` (with the special tokens) and ``merges.txt``."""
        vocab = {token_to_str(t): r for t, r in sorted(self.ranks.items(), key=lambda kv: kv[1])}
        vocab.update(self.special_tokens)
        Path(vocab_path).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        lines = ["#version: 0.2\n"] + [f"{token_to_str(a)} {token_to_str(b)}\n" for a, b in self.merges]
        Path(merges_path).write_text("".join(lines), encoding="utf-8")

    @property
    def merges(self) -> list[tuple[bytes, bytes]]:
        """The merges in rank order. Derived from the ranks when not given: the merge that makes a
        token of rank r is what BPE with only the ranks below r leaves of its bytes (two parts)."""
        if self._merges is None:
            merges = []
            for token, rank in sorted(self.ranks.items(), key=lambda kv: kv[1]):
                if len(token) < 2:
                    continue
                below = _RanksBelow(self.ranks, rank)
                parts = bpe_merge(token, below)
                if len(parts) != 2:
                    raise VocabularyError(f"{self.name}: token {token!r} (rank {rank}) cannot be made by one merge "
                                          f"of lower-ranked tokens, so the ranks are not a BPE vocabulary")
                merges.append((self._decoder[parts[0]], self._decoder[parts[1]]))
            self._merges = merges
        return list(self._merges)

    # --- encoding -------------------------------------------------------------------------------

    def pre_tokenize(self, text: str) -> list[str]:
        """Cut text into pre-tokens by the pattern; merges never cross their boundaries."""
        return self._regex.findall(text)

    def encode_piece(self, piece: bytes) -> list[int]:
        """Token ids of one pre-token's bytes."""
        rank = self.ranks.get(piece)
        if rank is not None:
            return [rank]
        return bpe_merge(piece, self.ranks) if len(piece) <= LONG_PIECE else bpe_merge_heap(piece, self.ranks)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode text with no special-token handling (``<|endoftext|>`` is just text here)."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        text = fix_surrogates(text)
        cache, get = self._cache, self._cache.get
        out: list[int] = []
        extend = out.extend
        for piece in self._regex.findall(text):
            ids = get(piece)
            if ids is None:
                ids = self.encode_piece(piece.encode("utf-8"))
                if len(cache) >= self._cache_size:
                    cache.clear()
                cache[piece] = ids
            extend(ids)
        return out

    def encode(self, text: str, *, allowed_special: Literal["all"] | Collection[str] = frozenset(),
               disallowed_special: Literal["all"] | Collection[str] = "all") -> list[int]:
        """Encode text to token ids, with tiktoken's special-token rules.

        A special token in ``allowed_special`` becomes its id. One in ``disallowed_special`` (by
        default every special token not allowed) raises :class:`DisallowedSpecialTokenError`, since
        user text that happens to contain ``<|endoftext|>`` must not silently end a document. Pass
        ``disallowed_special=()`` to encode such text as ordinary characters.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        unknown = allowed - set(self.special_tokens)
        if unknown:
            raise ValueError(f"allowed_special names {sorted(unknown)}, which are not special tokens of {self.name} "
                             f"(its special tokens: {sorted(self.special_tokens)})")
        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" else set(disallowed_special)
        text = fix_surrogates(text)
        if disallowed:
            found = regex.search("|".join(regex.escape(s) for s in disallowed), text)
            if found:
                raise DisallowedSpecialTokenError(
                    f"the text contains the special token {found.group()!r} at character {found.start()}; pass "
                    f"allowed_special={{{found.group()!r}}} to encode it as a special token, or "
                    f"disallowed_special=() to encode it as ordinary text")
        if not allowed:
            return self.encode_ordinary(text)
        specials = regex.compile("|".join(regex.escape(s) for s in sorted(allowed, key=len, reverse=True)))
        out: list[int] = []
        start = 0
        for match in specials.finditer(text):
            out.extend(self.encode_ordinary(text[start:match.start()]))
            out.append(self.special_tokens[match.group()])
            start = match.end()
        out.extend(self.encode_ordinary(text[start:]))
        return out

    # --- decoding -------------------------------------------------------------------------------

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of a sequence of token ids (special tokens as their UTF-8 text)."""
        decoder = self._decoder
        ids = list(ids)
        try:
            parts = [decoder[i] for i in ids]
            if None in parts or (ids and min(ids) < 0):
                raise IndexError
        except (IndexError, TypeError):
            bad = [i for i in ids if not (isinstance(i, int) and 0 <= i < len(decoder) and decoder[i] is not None)]
            raise ValueError(f"token id(s) {bad[:5]} are not in the vocabulary of {self.name} "
                             f"(ids are integers in [0, {self.vocab_size}))") from None
        return b"".join(parts)  # type: ignore[arg-type]

    def decode(self, ids: Iterable[int]) -> str:
        """Decode token ids to text; invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD,
        as GPT-2's ``decode`` does with ``errors="replace"``."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token."""
        return self.decode_bytes([token_id])

    def __repr__(self) -> str:
        return (f"Tokenizer(name={self.name!r}, vocab_size={self.vocab_size}, "
                f"special_tokens={len(self.special_tokens)})")


class _RanksBelow(Mapping[bytes, int]):
    """A view of ``ranks`` restricted to ranks below ``limit`` (for deriving merges)."""

    def __init__(self, ranks: Mapping[bytes, int], limit: int) -> None:
        self._ranks, self._limit = ranks, limit

    def __getitem__(self, key: bytes) -> int:
        r = self._ranks[key]
        if r >= self._limit:
            raise KeyError(key)
        return r

    def get(self, key: bytes, default=None):  # type: ignore[override]
        r = self._ranks.get(key)
        return r if r is not None and r < self._limit else default

    def __iter__(self):
        return (k for k, r in self._ranks.items() if r < self._limit)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# ----------------------------------------------------------------------------------------------
# Reading files, with errors that say what is wrong and where
# ----------------------------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VocabularyError(f"vocabulary file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise VocabularyError(f"{path}: not UTF-8 text ({exc})") from None


def read_tiktoken_ranks(path: str | Path) -> dict[bytes, int]:
    """Parse a tiktoken rank file: one ``base64(token bytes) rank`` per line."""
    path = Path(path)
    ranks: dict[bytes, int] = {}
    seen_ranks: dict[int, int] = {}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2:
            raise VocabularyError(f"{path}:{lineno}: expected 'base64-token rank', got {line[:60]!r}")
        try:
            token = base64.b64decode(fields[0], validate=True)
        except (binascii.Error, ValueError):
            raise VocabularyError(f"{path}:{lineno}: {fields[0][:40]!r} is not valid base64") from None
        try:
            rank = int(fields[1])
        except ValueError:
            raise VocabularyError(f"{path}:{lineno}: rank {fields[1][:20]!r} is not an integer") from None
        if rank < 0:
            raise VocabularyError(f"{path}:{lineno}: rank {rank} is negative")
        if token in ranks:
            raise VocabularyError(f"{path}:{lineno}: token {token!r} already has rank {ranks[token]}")
        if rank in seen_ranks:
            raise VocabularyError(f"{path}:{lineno}: rank {rank} already used on line {seen_ranks[rank]}")
        ranks[token] = rank
        seen_ranks[rank] = lineno
    if not ranks:
        raise VocabularyError(f"{path}: no tokens (an empty tiktoken rank file)")
    return ranks


def read_vocab_merges(vocab_path: str | Path, merges_path: str | Path
                      ) -> tuple[dict[bytes, int], dict[str, int], list[tuple[bytes, bytes]]]:
    """Parse ``vocab.json`` + ``merges.txt`` into (ranks, special tokens, merges), checking that they agree."""
    vocab_path, merges_path = Path(vocab_path), Path(merges_path)
    try:
        vocab = json.loads(_read_text(vocab_path))
    except ValueError as exc:
        raise VocabularyError(f"{vocab_path}: not valid JSON ({exc})") from None
    if not isinstance(vocab, dict) or not all(isinstance(v, int) for v in vocab.values()):
        raise VocabularyError(f"{vocab_path}: expected a JSON object mapping token strings to integer ids")
    merges: list[tuple[bytes, bytes]] = []
    for lineno, line in enumerate(_read_text(merges_path).splitlines(), 1):
        if lineno == 1 and line.startswith("#version"):
            continue
        if not line.strip():
            continue
        fields = line.split(" ")
        if len(fields) != 2 or not all(fields):
            raise VocabularyError(f"{merges_path}:{lineno}: expected 'left right', got {line[:60]!r}")
        where = f"{merges_path}:{lineno}: "
        merges.append((str_to_token(fields[0], where=where), str_to_token(fields[1], where=where)))
    by_bytes: dict[bytes, int] = {}
    others: dict[str, int] = {}
    table = unicode_to_bytes()
    for text, token_id in vocab.items():
        if all(c in table for c in text):
            by_bytes[bytes(table[c] for c in text)] = token_id
        else:
            others[text] = token_id
    ranks: dict[bytes, int] = {}
    for b in range(256):
        token = bytes([b])
        if token not in by_bytes:
            raise VocabularyError(f"{vocab_path}: the single byte {token!r} ({token_to_str(token)!r}) is missing")
        ranks[token] = by_bytes[token]
    last_id = -1
    for lineno, (left, right) in enumerate(merges, 1):
        for part in (left, right):
            if part not in ranks:
                raise VocabularyError(f"{merges_path}: merge {lineno} uses {token_to_str(part)!r}, which is neither a "
                                      f"byte nor the result of an earlier merge")
        merged = left + right
        if merged not in by_bytes:
            raise VocabularyError(f"{merges_path}: the result {token_to_str(merged)!r} of merge {lineno} is not in "
                                  f"{vocab_path.name}")
        if merged in ranks:
            continue  # the same bytes made again by another split (HF's trainer can do this): keeps its id
        if by_bytes[merged] <= last_id:
            raise VocabularyError(f"{vocab_path}: the result {token_to_str(merged)!r} of merge {lineno} has id "
                                  f"{by_bytes[merged]}, not above the previous merge's ({last_id}); ids must follow "
                                  f"merge order for rank-based encoding")
        ranks[merged] = last_id = by_bytes[merged]
    specials = dict(others)
    specials.update({token.decode("utf-8", "replace"): i for token, i in by_bytes.items() if token not in ranks})
    return ranks, specials, merges
