"""bert's WordPiece tokenizer: identical ids to HF ``tokenizers``' ``BertWordPieceTokenizer(vocab,
lowercase=True)`` with MiniLM's ``vocab.txt`` on a whole Austen novel and the German side of the de-en
pairs (line by line), on accented, CJK, emoji and control-character text and on Hypothesis strings;
pairs, batches with truncation, decoding, the cased options; the readable path vs the cached fast
path; the greedy algorithm on a toy vocabulary; and errors.

Unicode versions. Python 3.11's ``unicodedata`` is Unicode 14.0; the Rust tokenizer reads its
categories (non-spacing marks, punctuation, format characters) from older crate tables and its
case mappings from Rust's newer ones. An exhaustive sweep over all 1,112,064 Unicode scalar values
(``benchmarks/bench_bert.py --sweep``: each code point c in the probe ``"Xcy c "`` through both
normalizers and pre-tokenizers) finds exactly the 559 code points of
:data:`DISAGREEMENT_RANGES` where the two differ: 384 non-spacing marks (Mn) assigned in Unicode
10-14 that we strip and Rust keeps; 104 newer punctuation characters (P*) that we split off and
Rust does not; 13 newer format characters (Cf) that we drop; 55 code points unassigned in Unicode
14 that Rust lower-cases (capital letters of Unicode 15-16); and 3 more: U+166D (Po before Unicode
12, So since: Rust still splits it as punctuation), U+1734 (Mn before Unicode 14, Mc since: Rust
still strips it) and U+11938 (Unicode 13, whose canonical decomposition ends in a non-spacing mark
that we strip; Rust's normalization tables predate it). Hypothesis avoids exactly these; a fast test
re-checks that each of them still differs and that a stride of the others agrees.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles import oracle

from papercraft.papers.bert.wordpiece import VocabularyError, WordPieceTokenizer

PARITY: Counter[str] = Counter()  # lines / characters / tokens checked id-for-id against HF tokenizers

# Found by `benchmarks/bench_bert.py --sweep` (see the module docstring): 559 code points, 116 ranges.
DISAGREEMENT_RANGES = (
    (0x061D, 0x061D), (0x07FD, 0x07FD), (0x0890, 0x0891), (0x0898, 0x089F), (0x08CA, 0x08E2), (0x09FD, 0x09FE),
    (0x0A76, 0x0A76), (0x0AFA, 0x0AFF), (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0C77, 0x0C77),
    (0x0C84, 0x0C84), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C), (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x166D, 0x166D),
    (0x1734, 0x1734), (0x180F, 0x180F), (0x1885, 0x1886), (0x1ABF, 0x1ACE), (0x1B7D, 0x1B7E), (0x1C89, 0x1C89),
    (0x1DF6, 0x1DFB), (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0xA7CB, 0xA7CC), (0xA7CE, 0xA7CE), (0xA7D2, 0xA7D2),
    (0xA7D4, 0xA7D4), (0xA7DA, 0xA7DA), (0xA7DC, 0xA7DC), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5), (0xA8FF, 0xA8FF),
    (0xA9BD, 0xA9BD), (0x10D24, 0x10D27), (0x10D50, 0x10D65), (0x10EAB, 0x10EAD), (0x10F46, 0x10F50),
    (0x10F55, 0x10F59), (0x10F82, 0x10F89), (0x11070, 0x11070), (0x11073, 0x11074), (0x110C2, 0x110C2),
    (0x110CD, 0x110CD), (0x111C9, 0x111C9), (0x111CF, 0x111CF), (0x1123E, 0x1123E), (0x1133B, 0x1133B),
    (0x11438, 0x1143F), (0x11442, 0x11444), (0x11446, 0x11446), (0x1144B, 0x1144F), (0x1145A, 0x1145B),
    (0x1145D, 0x1145E), (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1182F, 0x11837), (0x11839, 0x1183B),
    (0x11938, 0x11938), (0x1193B, 0x1193C), (0x1193E, 0x1193E), (0x11943, 0x11946), (0x119D4, 0x119D7),
    (0x119DA, 0x119DB), (0x119E0, 0x119E0), (0x119E2, 0x119E2), (0x11A01, 0x11A0A), (0x11A33, 0x11A38),
    (0x11A3B, 0x11A47), (0x11A51, 0x11A56), (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A9C),
    (0x11A9E, 0x11AA2), (0x11C30, 0x11C36), (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C41, 0x11C45),
    (0x11C70, 0x11C71), (0x11C92, 0x11CA7), (0x11CAA, 0x11CB0), (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6),
    (0x11D31, 0x11D36), (0x11D3A, 0x11D3A), (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47),
    (0x11D90, 0x11D91), (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4), (0x11EF7, 0x11EF8),
    (0x11FFF, 0x11FFF), (0x12FF1, 0x12FF2), (0x13430, 0x13438), (0x16E97, 0x16E9A), (0x16EA0, 0x16EB8),
    (0x16F4F, 0x16F4F), (0x16FE2, 0x16FE2), (0x16FE4, 0x16FE4), (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46),
    (0x1E000, 0x1E006), (0x1E008, 0x1E018), (0x1E01B, 0x1E021), (0x1E023, 0x1E024), (0x1E026, 0x1E02A),
    (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E944, 0x1E94A), (0x1E95E, 0x1E95F),
)
UNICODE_VERSION_DISAGREEMENTS = frozenset(cp for lo, hi in DISAGREEMENT_RANGES for cp in range(lo, hi + 1))


# ------------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def minilm_vocab() -> Path:
    from papercraft import data

    if not data.is_available("minilm"):
        pytest.fail("data set 'minilm' is not downloaded; run: papercraft data get minilm", pytrace=False)
    return data.minilm_dir() / "vocab.txt"


@pytest.fixture(scope="module")
def ours() -> WordPieceTokenizer:
    return WordPieceTokenizer.from_file(minilm_vocab())


@pytest.fixture(scope="module")
def reference():
    """HF tokenizers' Rust BertWordPieceTokenizer on the same vocabulary (truncation/padding off)."""
    tokenizers = oracle("tokenizers")
    return tokenizers.BertWordPieceTokenizer(str(minilm_vocab()), lowercase=True)


@functools.lru_cache(maxsize=1)
def austen() -> dict[str, str]:
    from papercraft.data import load_austen
    from papercraft.errors import DataMissingError

    try:
        return load_austen()
    except DataMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


@functools.lru_cache(maxsize=1)
def german() -> list[str]:
    from papercraft.data import load_de_en
    from papercraft.errors import DataMissingError

    try:
        return [de for de, _ in load_de_en()]
    except DataMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


def assert_lines_parity(ours: WordPieceTokenizer, reference, lines: list[str], label: str) -> None:
    mine = [ours.encode(line) for line in lines]
    theirs = [e.ids for e in reference.encode_batch(lines)]
    for line, a, b in zip(lines, mine, theirs):
        if a != b:
            first = next(i for i, (x, y) in enumerate(zip(a + [-1], b + [-1])) if x != y)
            raise AssertionError(f"{label}: {line[:80]!r}: first difference at token {first}: ours "
                                 f"{ours.convert_ids_to_tokens(a[first:first + 4])} vs HF "
                                 f"{ours.convert_ids_to_tokens(b[first:first + 4])}")
    PARITY["lines"] += len(lines)
    PARITY["characters"] += sum(map(len, lines))
    PARITY["tokens"] += sum(map(len, theirs))


# ------------------------------------------------------------------------------------------------
# the algorithm on a toy vocabulary (no oracle): BERT's examples and the rules one by one
# ------------------------------------------------------------------------------------------------

TOY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "una", "##ffa", "##ble", "a", "b",
       "##b", "ab", "hello", "world", "!", ",", "x", "##x", "日", "本", "cafe", "café", "σ", "##σ", "ας"]


@pytest.fixture(scope="module")
def toy() -> WordPieceTokenizer:
    return WordPieceTokenizer({t: i for i, t in enumerate(TOY)})


def test_greedy_longest_match_first(toy):
    # "una" is longer than "un", so "unaffable" -> una ##ffa ##ble (not un ##aff ##able): greedy, not optimal.
    assert toy.wordpiece("unaffable") == ["una", "##ffa", "##ble"]
    assert toy.wordpiece("abb") == ["ab", "##b"]
    assert toy.wordpiece("abc") == ["[UNK]"]  # one unmatched piece makes the whole word unknown
    assert toy.wordpiece("x" * 100) == ["x"] + ["##x"] * 99
    assert toy.wordpiece("x" * 101) == ["[UNK]"]  # longer than max_input_chars_per_word


def test_basic_tokenizer_rules(toy):
    assert toy.basic_tokenize("Hello, WORLD!") == ["hello", ",", "world", "!"]
    assert toy.basic_tokenize("a\x00b\ufffd\u200bc\x0bd\ud800e") == ["abcde"]  # NUL, U+FFFD, Cf, VT, Cs dropped
    assert toy.basic_tokenize("a\tb\nc\u3000d\u00a0e") == ["a", "b", "c", "d", "e"]
    assert toy.basic_tokenize("日本語x") == ["日", "本", "語", "x"]  # each CJK ideograph is a word
    assert toy.basic_tokenize("Café Ça") == ["cafe", "ca"]  # NFD, then the combining marks dropped
    assert toy.basic_tokenize("$5^2") == ["$", "5", "^", "2"]  # ASCII symbols count as punctuation
    assert toy.basic_tokenize("ΟΔΟΣ") == ["οδοσ"]  # per-character lower case: no final ς
    cased = WordPieceTokenizer(toy.vocab, lowercase=False)
    assert cased.basic_tokenize("Café") == ["Café"] and not cased.strip_accents
    lower_keep_accents = WordPieceTokenizer(toy.vocab, strip_accents=False)
    assert lower_keep_accents.tokenize("CAFÉ") == ["café"]


def test_special_tokens_pairs_and_batches(toy):
    assert toy.encode("hello world") == [2, 15, 16, 3]
    assert toy.encode("hello world", add_special_tokens=False) == [15, 16]
    assert toy.encode("hello", "world") == [2, 15, 3, 16, 3]
    assert toy.encode_pair("hello", "world !") == ([2, 15, 3, 16, 17, 3], [0, 0, 0, 1, 1, 1])
    assert toy.encode("a [MASK] b") == [2, 11, 4, 12, 3]  # a literal special token is itself
    assert toy.encode("") == [2, 3]
    ids, mask = toy.encode_batch(["hello world !", "", "a b a b"], max_length=4)
    assert ids.tolist() == [[2, 15, 16, 3], [2, 3, 0, 0], [2, 11, 12, 3]]  # truncated, [SEP] kept last
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1]]
    assert toy.encode_batch([])[0].shape == (0, 0)
    assert (toy.cls_id, toy.sep_id, toy.pad_id, toy.mask_id, toy.unk_id, len(toy)) == (2, 3, 0, 4, 1, len(TOY))


def test_arguments_are_checked(toy, tmp_path):
    with pytest.raises(ValueError, match="mask_token='\\[MASK\\]'"):
        WordPieceTokenizer({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3})
    with pytest.raises(ValueError, match="vocab"):
        WordPieceTokenizer({})
    with pytest.raises(ValueError, match="max_input_chars_per_word"):
        WordPieceTokenizer(toy.vocab, max_input_chars_per_word=0)
    with pytest.raises(ValueError, match="text must be a str"):
        toy.encode(b"bytes")
    with pytest.raises(ValueError, match="texts must be a list"):
        toy.encode_batch("one string")
    with pytest.raises(ValueError, match="max_length"):
        toy.encode_batch(["a"], max_length=1)
    with pytest.raises(ValueError, match="999"):
        toy.decode([2, 999])
    with pytest.raises(VocabularyError, match="no such vocabulary file"):
        WordPieceTokenizer.from_file(tmp_path / "missing.txt")
    with pytest.raises(VocabularyError, match="is a directory"):
        WordPieceTokenizer.from_file(tmp_path)
    (tmp_path / "latin1.txt").write_bytes("[PAD]\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(VocabularyError, match="not UTF-8"):
        WordPieceTokenizer.from_file(tmp_path / "latin1.txt")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(VocabularyError, match="no tokens"):
        WordPieceTokenizer.from_file(tmp_path / "empty.txt")
    (tmp_path / "nomask.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n")
    with pytest.raises(VocabularyError, match=r"nomask.txt.*\[MASK\]"):
        WordPieceTokenizer.from_file(tmp_path / "nomask.txt")
    (tmp_path / "crlf.txt").write_bytes(b"[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nhello  \r\n")
    assert WordPieceTokenizer.from_file(tmp_path / "crlf.txt").encode("Hello") == [2, 5, 3]


# ------------------------------------------------------------------------------------------------
# parity with HF tokenizers (Rust) on MiniLM's vocabulary
# ------------------------------------------------------------------------------------------------

def test_known_minilm_ids(ours):
    assert len(ours) == 30522 and (ours.pad_id, ours.unk_id, ours.cls_id, ours.sep_id, ours.mask_id) == (0, 100, 101, 102, 103)
    assert ours.encode("Hello world") == [101, 7592, 2088, 102]
    assert ours.tokenize("unaffable") == ["una", "##ffa", "##ble"]


def test_parity_on_a_whole_austen_novel(ours, reference):
    lines = austen()["Persuasion"].split("\n")
    assert len(lines) > 8000
    assert_lines_parity(ours, reference, lines, "Persuasion")


def test_parity_on_the_german_side_of_de_en(ours, reference):
    lines = german()
    assert len(lines) > 20000
    assert_lines_parity(ours, reference, lines, "de-en German")


HAND_STRINGS = [
    # accents (NFD + non-spacing marks dropped), German, French, Greek (final sigma), Turkish dotted I
    "Größe, Straße, naïve café, œuvre, Ærøskøbing, résumé, Ångström, İstanbul, ΟΔΥΣΣΕΥΣ, ὈΔΥΣΣΕΎΣ",
    "combining: e\u0301 a\u0308 n\u0303 \u0915\u094d\u0937 Z̴̢̛a̸l̷g̵o̶ \u1ea0\u0300 \u0041\u030a\u0327",
    # CJK ideographs (split per character), kana and Hangul (not split), full-width forms
    "中文字符 日本語のテキスト 한국어 텍스트 ＡＢＣ１２３ 、。「」 𠀀𪜀 \u3400\u4dbf\u9fff \U0002b820\U0002b920",
    # emoji: ZWJ sequences, flags, skin tones, keycaps
    "😀😃😄 👩‍👩‍👧‍👦 family 🇩🇪🇬🇧 flags 👍🏽 #️⃣ 1️⃣ ©®™ ⭐",
    # control, format and private-use characters, NUL and U+FFFD, odd whitespace
    "\x00a\x01b\x7f\x80\u0085c\u00a0d\u2028e\u2029f\ufeffg\ufffdh\u200bi\u200dj\ue000k\U000f0000 l",
    "line\r\nendings\rand\ttabs\x0b\x0cform\x1cfeeds\x1f\u3000\u2003end",
    # punctuation: ASCII symbols, Unicode P* and non-P symbols
    "$100 + 5% = x^2 | a~b `c` @d #e &f *g <h> {i} [j] \\k ¿¡ «» „“ — – … · • ¶ § ‰ ′″ ‽ ⁂",
    "contractions: I'm you're they've he'll she'd it's can't 'tis o'clock DON'T",
    "special tokens: [CLS] [SEP] [PAD] [MASK] [UNK] [cls] [MASK][MASK] x[SEP]y [ MASK ]",
    "a" * 100 + " " + "b" * 101 + " " + "supercalifragilisticexpialidocious" * 3,
    "", " ", "\n", "\x00", "\u0301", "  leading and trailing  ",
    "mixed: abc123def ４５６ ½ ² Ⅻ ٣٤ ०१२३ 𝟘𝟙𝟚 ℕℤℚ ﬁ ﬀ Ⅷ ㍿",
    "scripts: русский текст, עברית, العربية, ไทย, हिन्दी, தமிழ், ግዕዝ, ᏣᎳᎩ, ꦗꦮ",
]


def test_parity_on_hand_written_strings(ours, reference):
    assert_lines_parity(ours, reference, HAND_STRINGS, "hand-written")
    for text in HAND_STRINGS:  # the same strings inside one text, not line by line
        assert ours.encode(text) == reference.encode(text).ids


def test_parity_of_pairs_batches_and_decoding(ours, reference):
    tokenizers = oracle("tokenizers")
    a, b = HAND_STRINGS[0], HAND_STRINGS[2]
    pair = reference.encode(a, b)
    assert ours.encode(a, b) == pair.ids
    assert ours.encode_pair(a, b) == (pair.ids, pair.type_ids)
    assert ours.encode(a, b, add_special_tokens=False) == reference.encode(a, b, add_special_tokens=False).ids

    truncating = tokenizers.BertWordPieceTokenizer(str(minilm_vocab()), lowercase=True)
    truncating.enable_truncation(max_length=12)
    truncating.enable_padding(pad_id=0, pad_token="[PAD]")
    texts = HAND_STRINGS[:6] + ["", "short"]
    ids, mask = ours.encode_batch(texts, max_length=12)
    encodings = truncating.encode_batch(texts)
    assert ids.tolist() == [e.ids for e in encodings]
    assert mask.tolist() == [e.attention_mask for e in encodings]

    for text in HAND_STRINGS + austen()["Emma"].split("\n")[:300]:
        ids = ours.encode(text)
        assert ours.decode(ids) == reference.decode(ids)
        assert ours.decode(ids, skip_special_tokens=False) == reference.decode(ids, skip_special_tokens=False)


@pytest.mark.parametrize("lowercase, strip_accents", [(False, None), (True, False), (False, True)])
def test_parity_of_the_cased_and_accent_options(reference, lowercase, strip_accents):
    tokenizers = oracle("tokenizers")
    theirs = tokenizers.BertWordPieceTokenizer(str(minilm_vocab()), lowercase=lowercase, strip_accents=strip_accents)
    mine = WordPieceTokenizer.from_file(minilm_vocab(), lowercase=lowercase, strip_accents=strip_accents)
    assert_lines_parity(mine, theirs, HAND_STRINGS + austen()["Emma"].split("\n")[:500], f"{lowercase=} {strip_accents=}")


# ------------------------------------------------------------------------------------------------
# Unicode versions: the pinned code points where the Rust tables and Python's unicodedata differ
# ------------------------------------------------------------------------------------------------

def _probe(cp: int) -> str:
    c = chr(cp)
    return f"X{c}y {c} "  # the probe of benchmarks/bench_bert.py --sweep


def _agree(ours: WordPieceTokenizer, reference, text: str) -> bool:
    mine = ours.normalize(text)
    return (mine == reference.normalizer.normalize_str(text)
            and ours.pre_tokenize(mine) == [w for w, _ in reference.pre_tokenizer.pre_tokenize_str(mine)])


def test_pinned_unicode_disagreements_are_exactly_where_the_versions_differ(ours, reference):
    """Each pinned code point still differs, and every 37th other code point agrees (the full
    sweep over all of them, ~40 s, is ``benchmarks/bench_bert.py --sweep``)."""
    assert len(UNICODE_VERSION_DISAGREEMENTS) == 559
    assert unicodedata.unidata_version == "14.0.0"  # the sweep was for this version
    still = [cp for cp in sorted(UNICODE_VERSION_DISAGREEMENTS) if not _agree(ours, reference, _probe(cp))]
    assert len(still) == len(UNICODE_VERSION_DISAGREEMENTS), "a pinned code point agrees now: rerun the sweep"
    sample = [cp for cp in range(0, 0x110000, 37) if not 0xD800 <= cp <= 0xDFFF and cp not in UNICODE_VERSION_DISAGREEMENTS]
    for start in range(0, len(sample), 512):  # blocks of probes at once (they cannot interact)
        block = sample[start:start + 512]
        if not _agree(ours, reference, "".join(map(_probe, block))):
            bad = [hex(cp) for cp in block if not _agree(ours, reference, _probe(cp))]
            raise AssertionError(f"code points outside the pinned set differ: {bad[:10]}")
    PARITY["code points"] += len(sample) + len(UNICODE_VERSION_DISAGREEMENTS)


def unicode_text():
    """Arbitrary Unicode without surrogates or the pinned code points, mixed with tricky fragments."""
    chars = st.characters(exclude_categories=("Cs",), exclude_characters="".join(map(chr, UNICODE_VERSION_DISAGREEMENTS)))
    fragments = st.sampled_from(HAND_STRINGS + ["[MASK]", "[CLS]", "##", "'s", " \u0301", "e\u0301", "ΣΣ",
                                                "İ", "\u3000", "日本", "unaffable", "\x00\x0b"])
    return st.lists(st.one_of(st.text(chars, max_size=30), fragments), max_size=6).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unicode_text(), unicode_text())
def test_parity_on_generated_unicode(ours, reference, text, other):
    assert ours.encode(text) == reference.encode(text).ids
    assert ours.encode_pair(text, other) == tuple(getattr(reference.encode(text, other), k) for k in ("ids", "type_ids"))
    PARITY["hypothesis strings"] += 2


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unicode_text())
def test_cached_fast_path_equals_the_readable_path(ours, text):
    """tokenize() (raw words split on whitespace, each cached) == basic_tokenize on the whole text
    then wordpiece per word, for text without literal special tokens."""
    for special in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"):
        text = text.replace(special, "")
    readable = [piece for word in ours.basic_tokenize(text) for piece in ours.wordpiece(word)]
    assert ours.tokenize(text) == readable
    assert ours.tokenize(text) == readable  # again, from the cache


def test_fast_path_equals_readable_path_on_a_novel(ours):
    text = austen()["Northanger Abbey"][:200_000]
    assert ours.tokenize(text) == [p for w in ours.basic_tokenize(text) for p in ours.wordpiece(w)]

