"""papercraft's R unserializer and lazy-load database reader.

The streams are written here by a small XDR *writer* that follows R's serialize.c (``WriteItem``),
independently of the reader under test; a real ``.rds`` written by R 4.2.1 (janeaustenr's
``Meta/package.rds``, MIT) is the golden file.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import lzma
import struct
import zlib

import pytest

from papercraft.data.formats.rds import LazyLoadDB, RPairList, RSymbol, RVector, read_rds, unserialize
from papercraft.errors import DataIntegrityError

# --- a minimal XDR writer (serialize.c's WriteItem for the types papercraft reads) ------------

NA_INT = -(2**31)


def flags(sxp: int, *, obj: bool = False, attr: bool = False, tag: bool = False, levels: int = 0) -> bytes:
    return struct.pack(">i", sxp | (obj << 8) | (attr << 9) | (tag << 10) | (levels << 12))


class Writer:
    """Writes R objects; symbols already written become REFSXP back references, as R does."""

    def __init__(self, version: int = 3):
        self.out = bytearray(b"X\n" + struct.pack(">iii", version, 0x040201, 0x030500))
        if version == 3:
            self.out += struct.pack(">i", 5) + b"UTF-8"
        self.symbols: list[str] = []

    def int(self, v: int) -> None:
        self.out += struct.pack(">i", v)

    def charsxp(self, s: str | None) -> None:
        if s is None:
            self.out += flags(9) + struct.pack(">i", -1)
            return
        raw = s.encode("utf-8")
        self.out += flags(9, levels=64 if s.isascii() else 8) + struct.pack(">i", len(raw)) + raw

    def symbol(self, name: str) -> None:
        if name in self.symbols:  # REFSXP with the 1-based index packed in the flags word
            self.out += struct.pack(">i", 255 | ((self.symbols.index(name) + 1) << 8))
            return
        self.symbols.append(name)
        self.out += flags(1)
        self.charsxp(name)

    def attributes(self, attrs: dict) -> None:
        """A pairlist of (tag symbol, value) cells ending in NILVALUE."""
        for name, value in attrs.items():
            self.out += flags(2, tag=True)
            self.symbol(name)
            self.value(value)
        self.out += flags(254)

    def vector(self, sxp: int, items: list, attrs: dict | None, write_one) -> None:
        self.out += flags(sxp, attr=bool(attrs), obj=bool(attrs and "class" in attrs))
        self.int(len(items))
        for item in items:
            write_one(item)
        if attrs:
            self.attributes(attrs)

    def value(self, v, attrs: dict | None = None) -> None:
        if v is None:
            self.out += flags(254)
        elif isinstance(v, tuple) and v[0] == "chr":
            self.vector(16, v[1], attrs, self.charsxp)
        elif isinstance(v, tuple) and v[0] == "int":
            self.vector(13, v[1], attrs, lambda x: self.int(NA_INT if x is None else x))
        elif isinstance(v, tuple) and v[0] == "lgl":
            self.vector(10, v[1], attrs, lambda x: self.int(NA_INT if x is None else int(x)))
        elif isinstance(v, tuple) and v[0] == "dbl":
            self.vector(14, v[1], attrs, lambda x: self.out.extend(struct.pack(">d", x)))
        elif isinstance(v, tuple) and v[0] == "list":
            self.vector(19, v[1], attrs, self.value)
        elif isinstance(v, tuple) and v[0] == "named":  # list(a = ..., b = ...)
            names = list(v[1])
            self.vector(19, list(v[1].values()), {"names": ("chr", names), **(attrs or {})}, self.value)
        elif isinstance(v, tuple) and v[0] == "pairlist":
            for tag, item in v[1]:
                self.out += flags(2, tag=tag is not None)
                if tag is not None:
                    self.symbol(tag)
                self.value(item)
            self.out += flags(254)
        elif isinstance(v, tuple) and v[0] == "attr":  # ("attr", value, {attributes})
            self.value(v[1], v[2])
        else:
            raise TypeError(v)

    def bytes(self) -> bytes:
        return bytes(self.out)


def serialize(value, version: int = 3) -> bytes:
    w = Writer(version)
    w.value(value)
    return w.bytes()


# --- the types, one by one -----------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 3])
def test_character_vector_with_na_and_utf8(version):
    v = unserialize(serialize(("chr", ["EMMA", "", None, "Mr. Knightley’s été"]), version))
    assert isinstance(v, RVector) and v.rtype == "character"
    assert list(v) == ["EMMA", "", None, "Mr. Knightley’s été"] and v.attributes == {}


def test_atomic_vectors_and_na():
    assert list(unserialize(serialize(("int", [1, None, -7, 2**31 - 1])))) == [1, None, -7, 2**31 - 1]
    assert list(unserialize(serialize(("lgl", [True, False, None])))) == [True, False, None]
    v = unserialize(serialize(("dbl", [0.5, -2.0, 1e300])))
    assert v.rtype == "double" and list(v) == [0.5, -2.0, 1e300]
    assert unserialize(serialize(None)) is None


def test_named_list_with_class_attribute_and_symbol_references():
    obj = ("named", {
        "title": ("chr", ["Emma"]),
        "lines": ("attr", ("chr", ["a", "b"]), {"names": ("chr", ["x", "y"])}),
        "meta": ("named", {"year": ("int", [1815])}),
    })
    w = Writer()
    w.value(obj, None)
    blob = w.bytes()
    assert blob.count(b"names") == 1  # later uses of the symbol `names` are REFSXP back references
    v = unserialize(blob)
    assert v.rtype == "list" and v.names == ["title", "lines", "meta"]
    d = v.as_dict()
    assert list(d["title"]) == ["Emma"]
    assert d["lines"].as_dict() == {"x": "a", "y": "b"}
    assert list(d["meta"].as_dict()["year"]) == [1815]

    classed = unserialize(serialize(("attr", ("int", [1, 2]), {"class": ("chr", ["factor"]),
                                                                   "levels": ("chr", ["lo", "hi"])})))
    assert list(classed.attributes["class"]) == ["factor"] and list(classed.attributes["levels"]) == ["lo", "hi"]


def test_pairlist_with_and_without_tags():
    v = unserialize(serialize(("pairlist", [("a", ("int", [1])), (None, ("chr", ["b"])), ("a", None)])))
    assert isinstance(v, RPairList) and v.rtype == "pairlist"
    assert [t for t, _ in v.items] == ["a", None, "a"]
    assert list(v.items[0][1]) == [1] and v.items[2][1] is None


def test_long_pairlist_does_not_recurse():
    v = unserialize(serialize(("pairlist", [(f"t{i % 7}", ("int", [i])) for i in range(5000)])))
    assert len(v.items) == 5000 and list(v.items[-1][1]) == [4999]


def test_altrep_compact_sequence_and_environment_with_self_reference():
    # 1:5 as R >= 3.5 writes it: ALTREP_SXP, info pairlist (class, package, type), state c(n, n1, inc)
    w = Writer()
    w.out += flags(238)
    w.out += flags(2)
    w.symbol("compact_intseq")
    w.out += flags(2)
    w.symbol("base")
    w.out += flags(2)
    w.value(("int", [13]))
    w.out += flags(254)
    w.value(("dbl", [5.0, 1.0, 1.0]))
    w.out += flags(254)  # no attributes
    v = unserialize(w.bytes())
    assert v.rtype == "integer" and list(v) == [1, 2, 3, 4, 5]

    # an environment whose frame refers to the environment itself (REFSXP to a table entry)
    w = Writer()
    w.out += flags(4) + struct.pack(">i", 0)
    w.out += flags(253)  # enclosure: R_GlobalEnv
    w.out += flags(2, tag=True)
    w.symbol("me")
    w.out += struct.pack(">i", 255 | (2 << 8))  # reference table: 1 = the environment, 2 = the symbol `me`
    w.out += flags(254)  # end of frame
    w.out += flags(254) + flags(254)  # no hash table, no attributes
    env = unserialize(w.bytes())
    assert isinstance(env.frame["me"], RSymbol) and env.frame["me"].name == "me"
    w.out[-16:-12] = struct.pack(">i", 255 | (1 << 8))  # now point at the environment itself
    env = unserialize(bytes(w.out))
    assert env.frame["me"] is env and env.enclosure.name == "R_GlobalEnv"


def test_external_pointer_attribute_as_in_data_table():
    # list(a = 1L) with attributes names and .internal.selfref = <externalptr>, then a second
    # attribute referring back to the pointer through the reference table
    w = Writer()
    w.out += flags(19, attr=True) + struct.pack(">i", 1)
    w.value(("int", [1]))
    w.out += flags(2, tag=True)
    w.symbol("names")  # reference table 1
    w.value(("chr", ["a"]))
    w.out += flags(2, tag=True)
    w.symbol(".internal.selfref")  # reference table 2
    w.out += flags(22) + flags(254) + flags(254)  # external pointer (table 3), prot NULL, tag NULL
    w.out += flags(2, tag=True)
    w.symbol("again")  # reference table 4
    w.out += struct.pack(">i", 255 | (3 << 8))
    w.out += flags(254)
    v = unserialize(w.bytes())
    assert v.as_dict() == {"a": [1]}
    assert v.attributes[".internal.selfref"].name == "<external pointer>"
    assert v.attributes["again"] is v.attributes[".internal.selfref"]


def test_compiled_code_is_refused_clearly():
    blob = b"X\n" + struct.pack(">iii", 2, 0, 0) + flags(21)
    with pytest.raises(DataIntegrityError, match=r"unsupported SEXP type 21 byte code \(BCODESXP\)"):
        unserialize(blob)


def test_rejects_other_formats_and_truncation():
    with pytest.raises(DataIntegrityError, match="only XDR"):
        unserialize(b"A\n3\n262657\n197888\n")
    blob = serialize(("chr", ["hello", "world"]))
    with pytest.raises(DataIntegrityError, match="truncated"):
        unserialize(blob[:-3])
    with pytest.raises(DataIntegrityError, match="trailing bytes"):
        unserialize(blob + b"\x00")
    with pytest.raises(DataIntegrityError, match="version 4"):
        unserialize(b"X\n" + struct.pack(">iii", 4, 0, 0))
    with pytest.raises(DataIntegrityError, match="reference 3 outside"):
        unserialize(b"X\n" + struct.pack(">iii", 2, 0, 0) + struct.pack(">i", 255 | (3 << 8)))


def test_rds_file_gzip_bzip2_xz(tmp_path):
    blob = serialize(("chr", ["a"]))
    for name, packed in (("g.rds", gzip.compress(blob)), ("b.rds", bz2.compress(blob)),
                         ("x.rds", lzma.compress(blob)), ("raw.rds", blob)):
        (tmp_path / name).write_bytes(packed)
        assert list(read_rds(tmp_path / name)) == ["a"]


# --- the lazy-load database (.rdx + .rdb) ------------------------------------------------------


def make_lazyload_db(stem, objects: dict, compressed=True) -> None:
    """Write NAME.rdb (4-byte size + compressed stream per object) and NAME.rdx, as makeLazyLoadDB."""
    rdb, offsets = bytearray(), {}
    for name, value in objects.items():
        blob = serialize(value)
        if compressed is True:
            entry = struct.pack(">I", len(blob)) + zlib.compress(blob)
        else:  # R_compress2/3: a type byte after the size
            kind, packed = {2: (b"2", bz2.compress(blob)), 3: (b"X", lzma.compress(blob))}[compressed]
            entry = struct.pack(">I", len(blob)) + kind + packed
        offsets[name] = ("int", [len(rdb), len(entry)])
        rdb += entry
    index = ("named", {"variables": ("named", offsets), "references": ("list", []),
                       "compressed": ("lgl", [True]) if compressed is True else ("dbl", [float(compressed)])})
    stem.with_suffix(".rdb").write_bytes(bytes(rdb))
    stem.with_suffix(".rdx").write_bytes(gzip.compress(serialize(index)))


@pytest.mark.parametrize("compressed", [True, 2, 3])
def test_lazyload_database(tmp_path, compressed):
    novels = {"emma": ("chr", ["EMMA", "", "By Jane Austen"]),
              "persuasion": ("chr", ["Persuasion", None, "Sir Walter Elliot"]),
              "meta": ("named", {"n": ("int", [2])})}
    make_lazyload_db(tmp_path / "Rdata", novels, compressed)
    db = LazyLoadDB(tmp_path / "Rdata")
    assert db.names == ["emma", "persuasion", "meta"]
    assert list(db["emma"]) == ["EMMA", "", "By Jane Austen"]
    assert list(db["persuasion"]) == ["Persuasion", None, "Sir Walter Elliot"]
    assert list(db["meta"].as_dict()["n"]) == [2]
    with pytest.raises(KeyError, match="holds emma, persuasion, meta"):
        db["sanditon"]


def test_lazyload_database_detects_corruption(tmp_path):
    make_lazyload_db(tmp_path / "Rdata", {"emma": ("chr", ["EMMA"])})
    rdb = tmp_path / "Rdata.rdb"
    blob = bytearray(rdb.read_bytes())
    blob[:4] = struct.pack(">I", 9999)  # wrong uncompressed size
    rdb.write_bytes(bytes(blob))
    with pytest.raises(DataIntegrityError, match="header says 9999"):
        LazyLoadDB(tmp_path / "Rdata")["emma"]
    (tmp_path / "Rdata.rdx").unlink()
    with pytest.raises(DataIntegrityError, match="needs .rdx and .rdb"):
        LazyLoadDB(tmp_path / "Rdata")


# --- a real file written by R 4.2.1 ---------------------------------------------------------------

# janeaustenr 1.0.0's Meta/package.rds (Debian r-cran-janeaustenr 1.0.0-1, MIT): the package's parsed
# DESCRIPTION as a named list of named character vectors, with class attributes and REFSXPs.
R_PACKAGE_RDS = base64.b64decode("""
H4sIAAAAAAAAA9VUUW/bNhCWZXt2MgwtVgx9GsC5D0lQW7blNA2SJkjquIALxzFkZygwDAUtMTITiRJEqoj3B/YP93O2HWXSttQC
LfY2AQLvjrzjfd8d78OuYRhlo2KWjHIVRKN6O3vXOgbbM1DqhmE+hfUno2LswPr9PWYEp1wQlijTz+/BhC4z2x5H/SiMAyIIGkef
SMDVoWrX6lgdpfy5i+CLScIjtt94nwYUN5qoMaWBT0AA8V7aLC4NF36IaWC5UQhbSRQQdIbc/QZOhfRxE9I4aGbx1AcHQ8JEdurG
6Q+vQGp04GvBb7d6R6+7rePe0YfGwYFK5693aRAgQR4FR3dRgvJ4jmTEDJGHWAYJ0iDYW8qz2cXSE2GGgyWn3EKzBeFEHUU4IQCM
MLBg5iEp0TkNqFjK7CcJ9bKNLM4kIfepR13JQeMaM35HSeChCU4epGUQhhlN4ygRC8x8kqDL+ZzIQDpCYwKcppjTiDUshe7H6+EM
vUR3FJgbDfuD8XSgdg4WQsT8pN32qVikc0lxOyM+4739eaU73+zQppynRBd/10H752eoZ73SlD/x4mCZNIE6LgCMUOZST7fLqgdX
SkUkKdEbry3b6irFZJGSXtgd2251jlv2EbLtk+7hCQi3s/4p2uSnjl5k/YayZkO/QRs1ETTR72j/jUYXJS71rCjx219om3MN4cV2
nDdfbNhzDaDvXI6V/Dyfac8+6WSZqm3bQYcS4Sk6RXuzRdpE3VfQNTGSbghwHdoS2suO3ensnaKU0UeIb0ruNEMMh8C8YWw/29oE
uw94zUF1RkWgldqv0DTQMUrduUzFIkr4haOf/BXhbkJjsTlTG0GXQk8rtXzrjHSp36a+Q2JoUV382hWJCfO0Wp+mvg9V1/rzfsTu
qN/WndAmHt26qT5gbuRR5mt9hP9YXmGBdXJO9Lj0CRtHQmfzdEyIx+UYogHeDqU48JT+3QqoTvwaUybgJ2uLxMGpiJKljgwXk/Yk
nQfU3Y5cfZvSQIDwN/SknJoVNT1L8P+QjdfMZqzqVKiXG2Cu61XWNzkf+RJeUvjxU644T+IVhqKZpSFJqLs2Z6lkEfU1RkH/5avd
VXCobHqt9I/aq+h366w5BsphLobaSTKm+b6ZimVMtmgqF66AMHmDeX5WYNJUbtVVJqbOxPwvBOWwaOor8v3o+6NYd3GeWZXS/xtF
lr1RCGBs7ZlqLRUAVbPpXXAs5W7eBCk619cz/6v+uX0zf/lnwdZ1MTZrLkB9Pc8G074znMyGN3ooqwesYjpebmLtaN3+tolWG4bb
829nRNkDDLBZVCi2BvxMFXtrzNoSzr+qvqw2mQkAAA==
""")


def test_real_r_file(tmp_path):
    path = tmp_path / "package.rds"
    path.write_bytes(R_PACKAGE_RDS)
    pkg = read_rds(path)
    assert pkg.names == ["DESCRIPTION", "Built", "Rdepends", "Rdepends2", "Depends", "Suggests",
                         "Imports", "LinkingTo"]
    description = pkg.as_dict()["DESCRIPTION"].as_dict()
    assert description["Package"] == "janeaustenr" and description["Version"] == "1.0.0"
    assert description["Title"] == "Jane Austen's Complete Novels"
    assert description["Built"] == "R 4.2.1; ; 'Thu, 15 Sep 2022 14:42:26 +0200'; unix"
    built = pkg.as_dict()["Built"].as_dict()
    r_version = built["R"][0]  # class "R_system_version": list(c(4L, 2L, 1L))
    assert list(r_version) == [4, 2, 1]
    assert list(built["R"].attributes["class"]) == ["R_system_version", "package_version", "numeric_version"]
