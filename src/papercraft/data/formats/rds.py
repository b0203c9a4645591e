"""R's serialization format (XDR) and its lazy-load database (``.rdx`` index + ``.rdb`` values).

Written from R's ``src/main/serialize.c`` (``R_Unserialize``, ``ReadItem``) and
``src/library/base/R/lazyload.R`` so that papercraft can read the janeaustenr package's data
without R. Only the XDR ("X\\n") variant is read; ASCII and native-binary streams are rejected.

Stream layout::

    "X\\n"                                  format: XDR, i.e. big-endian
    int version (2 or 3), int writer R version, int minimal reader R version
    (version 3) int n, n bytes              native encoding, e.g. "UTF-8"
    item                                   the object, recursively

Every item starts with a 32-bit *flags* word (``PackFlags``)::

    bits 0-7    SEXP type (below, or a special code 238..255)
    bit 8       is an object (has a class attribute)
    bit 9       has attributes  -> an attribute pairlist follows the item's payload
    bit 10      has a tag       -> (pairlists) a tag item precedes CAR
    bits 12-27  "levels": gp bits; for CHARSXP the encoding (UTF8 = 8, LATIN1 = 4, BYTES = 2, ASCII = 64)

Payloads by type:

- ``NILVALUE_SXP`` (254): no payload, ``NULL``. Other constants: ``GLOBALENV`` 253,
  ``UNBOUNDVALUE`` 252, ``MISSINGARG`` 251, ``BASENAMESPACE`` 250, ``EMPTYENV`` 242, ``BASEENV`` 241.
- ``REFSXP`` (255): a back reference: index ``flags >> 8`` (or, if that is 0, the next int) into the
  table of symbols/environments read so far (1-based).
- ``SYMSXP`` (1): a CHARSXP item (the name); the symbol is appended to the reference table.
- ``LISTSXP`` (2) and the other pairlist-shaped types (LANGSXP 6, CLOSXP 3, PROMSXP 5, DOTSXP 17):
  [attributes item if bit 9] [tag item if bit 10] CAR item, CDR item (the rest of the list,
  ending in NILVALUE).
- ``CHARSXP`` (9): int length, then that many bytes; length -1 is ``NA_character_``.
- ``LGLSXP`` (10) / ``INTSXP`` (13): int length (-1: a 64-bit length as two ints follows), then
  32-bit ints; ``NA`` is -2^31. ``REALSXP`` (14): IEEE doubles. ``CPLXSXP`` (15): pairs of doubles.
- ``STRSXP`` (16) / ``VECSXP`` (19) / ``EXPRSXP`` (20): length, then that many items.
- ``RAWSXP`` (24): length, then bytes.
- ``ENVSXP`` (4): int locked; appended to the reference table *before* its enclosure, frame,
  hash table and attributes items (so they may refer to it).
- ``EXTPTRSXP`` (22) / ``WEAKREFSXP`` (23): entered in the reference table; an external pointer
  then has two items (protected value, tag). They hold no data; papercraft returns placeholders.
- ``ALTREP_SXP`` (238): class info pairlist, state, attributes; the compact integer/real sequences
  and wrappers R writes are expanded here.

Values come back as Python objects: ``NULL`` -> None; atomic vectors and lists -> :class:`RVector`
(a ``list`` with ``.rtype`` and ``.attributes``; NA -> None); pairlists -> :class:`RPairList`;
symbols -> :class:`RSymbol`; environments -> :class:`REnvironment`.

The lazy-load database: ``NAME.rdx`` is a serialized, compressed (gzip) list
``list(variables = list(NAME = c(offset, length), ...), references = list(...), compressed = ...)``;
the value of ``NAME`` is ``length`` bytes at ``offset`` of ``NAME.rdb``: a 4-byte big-endian
uncompressed size, then (``compressed = TRUE``) a zlib stream, or (2 / 3) a type byte
``'2'`` bzip2, ``'X'`` xz, ``'Z'`` zlib or ``'0'`` stored, then the stream of one serialized object.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papercraft.errors import DataIntegrityError

# SEXP type codes (Rinternals.h) and serialize.c's special codes.
NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 0, 1, 2, 3, 4, 5, 6
SPECIALSXP, BUILTINSXP, CHARSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP = 7, 8, 9, 10, 13, 14, 15
STRSXP, DOTSXP, VECSXP, EXPRSXP, EXTPTRSXP, WEAKREFSXP, RAWSXP, S4SXP = 16, 17, 19, 20, 22, 23, 24, 25
REFSXP, NILVALUE_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP, MISSINGARG_SXP = 255, 254, 253, 252, 251
BASENAMESPACE_SXP, NAMESPACESXP, PACKAGESXP, PERSISTSXP = 250, 249, 248, 247
EMPTYENV_SXP, BASEENV_SXP, ATTRLANGSXP, ATTRLISTSXP, ALTREP_SXP = 242, 241, 240, 239, 238

IS_OBJECT_BIT, HAS_ATTR_BIT, HAS_TAG_BIT = 1 << 8, 1 << 9, 1 << 10
NA_INTEGER = -(2**31)
_LATIN1_MASK, _UTF8_MASK, _BYTES_MASK, _ASCII_MASK = 1 << 2, 1 << 3, 1 << 1, 1 << 6

_VECTOR_NAMES = {LGLSXP: "logical", INTSXP: "integer", REALSXP: "double", CPLXSXP: "complex",
                 STRSXP: "character", VECSXP: "list", EXPRSXP: "expression", RAWSXP: "raw"}
_PAIRLIST_NAMES = {LISTSXP: "pairlist", LANGSXP: "language", CLOSXP: "closure", PROMSXP: "promise",
                   DOTSXP: "...", ATTRLISTSXP: "pairlist", ATTRLANGSXP: "language"}
_CONSTANTS = {GLOBALENV_SXP: "R_GlobalEnv", UNBOUNDVALUE_SXP: "R_UnboundValue",
              MISSINGARG_SXP: "R_MissingArg", BASENAMESPACE_SXP: "R_BaseNamespace",
              EMPTYENV_SXP: "R_EmptyEnv", BASEENV_SXP: "R_BaseEnv"}


@dataclass(frozen=True)
class RSymbol:
    """An R symbol (a name), e.g. the tag ``names`` of an attribute."""

    name: str


@dataclass(frozen=True)
class RConstant:
    """One of R's singleton objects (global environment, missing argument, ...)."""

    name: str


class RVector(list):
    """An R vector or list: a Python list of its elements plus R's type and attributes.

    ``rtype`` is ``"character"``, ``"integer"``, ``"double"``, ``"logical"``, ``"list"``, ...;
    ``attributes`` maps attribute names (``names``, ``class``, ``row.names``, ...) to values.
    Missing values (NA) are None.
    """

    def __init__(self, rtype: str, values: list, attributes: dict[str, Any] | None = None):
        super().__init__(values)
        self.rtype = rtype
        self.attributes = attributes or {}

    @property
    def names(self) -> list[str | None] | None:
        """The ``names`` attribute, or None."""
        names = self.attributes.get("names")
        return list(names) if names is not None else None

    def as_dict(self) -> dict[str, Any]:
        """A named list/vector as {name: element}; raises ValueError if it has no names."""
        if self.names is None:
            raise ValueError(f"this R {self.rtype} vector has no names attribute")
        return dict(zip(self.names, self))

    def __repr__(self) -> str:
        head = list.__repr__(self[:5]) if len(self) <= 5 else list.__repr__(self[:5])[:-1] + ", ...]"
        return f"RVector({self.rtype!r}, len={len(self)}, {head}, attributes={sorted(self.attributes)})"


@dataclass
class RPairList:
    """A pairlist (LISTSXP) or pairlist-shaped object: ``items`` is [(tag or None, value), ...]."""

    rtype: str
    items: list[tuple[str | None, Any]]
    attributes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str | None, Any]:
        return dict(self.items)


@dataclass(eq=False)
class REnvironment:
    """An environment: its variables (``frame``), enclosure and attributes."""

    locked: bool = False
    enclosure: Any = None
    frame: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RPersistent:
    """A reference the serializing process replaced by strings (lazy-load ``PERSISTSXP``)."""

    names: tuple[str | None, ...]


class _Reader:
    """Cursor over an XDR serialization; ``item()`` is serialize.c's ReadItem."""

    def __init__(self, blob: bytes, name: str):
        self.blob, self.pos, self.name = blob, 0, name
        self.refs: list[Any] = []
        self.encoding = "UTF-8"

    def fail(self, message: str) -> DataIntegrityError:
        return DataIntegrityError(f"{self.name}: {message} (at byte {self.pos} of the R serialization)")

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.blob):
            raise self.fail(f"truncated: wanted {n} bytes, {len(self.blob) - self.pos} left")
        out = self.blob[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def length(self) -> int:
        n = self.int()
        if n == -1:  # LONG_VECTOR_SUPPORT: two ints, high then low 32 bits
            hi, lo = struct.unpack(">II", self.take(8))
            n = (hi << 32) | lo
        elif n < -1:
            raise self.fail(f"negative length {n}")
        return n

    def header(self) -> None:
        fmt = self.take(2)
        if fmt != b"X\n":
            kind = {b"A\n": "ASCII", b"B\n": "native binary"}.get(fmt, repr(fmt))
            raise self.fail(f"only XDR serializations (\"X\\n\") are supported, found {kind}")
        version, _writer, _reader = self.int(), self.int(), self.int()
        if version == 3:
            self.encoding = self.take(self.int()).decode("ascii")
        elif version != 2:
            raise self.fail(f"serialization format version {version}; expected 2 or 3")

    def attributes(self) -> dict[str, Any]:
        pairs = self.item()
        if not isinstance(pairs, RPairList):
            raise self.fail("attributes must be a pairlist")
        return {tag: value for tag, value in pairs.items}

    def charsxp(self, levels: int) -> str | None:
        n = self.int()
        if n == -1:
            return None  # NA_character_
        raw = self.take(n)
        if levels & _LATIN1_MASK:
            return raw.decode("latin-1")
        if levels & _BYTES_MASK:
            return raw.decode("latin-1")  # uninterpreted bytes: keep one char per byte
        try:
            return raw.decode("utf-8")  # UTF8 and ASCII flags, or native encoding (assumed UTF-8)
        except UnicodeDecodeError:
            return raw.decode(self.encoding if self.encoding.upper() != "UTF-8" else "latin-1")

    def item(self) -> Any:
        flags = self.int()
        sxp = flags & 0xFF
        levels = flags >> 12
        has_attr = bool(flags & HAS_ATTR_BIT)
        has_tag = bool(flags & HAS_TAG_BIT)

        if sxp == NILVALUE_SXP:
            return None
        if sxp in _CONSTANTS:
            return RConstant(_CONSTANTS[sxp])
        if sxp == REFSXP:
            index = flags >> 8 or self.int()
            if not 1 <= index <= len(self.refs):
                raise self.fail(f"reference {index} outside the table of {len(self.refs)}")
            return self.refs[index - 1]
        if sxp == SYMSXP:
            name = self.item()  # a CHARSXP
            symbol = RSymbol(name if name is not None else "NA")
            self.refs.append(symbol)
            return symbol
        if sxp in (PERSISTSXP, NAMESPACESXP, PACKAGESXP):
            if self.int() != 0:
                raise self.fail("malformed string vector in persistent reference")
            names = tuple(self.item() for _ in range(self.length()))
            value = RPersistent(names)
            self.refs.append(value)
            return value
        if sxp == ENVSXP:
            env = REnvironment(locked=bool(self.int()))
            self.refs.append(env)
            env.enclosure = self.item()
            frame, hashtab = self.item(), self.item()
            attrs = self.item()
            for chain in ([frame] if frame is not None else []) + (list(hashtab) if isinstance(hashtab, list) else []):
                if isinstance(chain, RPairList):
                    env.frame.update(chain.items)
            if isinstance(attrs, RPairList):
                env.attributes = dict(attrs.items)
            return env
        if sxp in _PAIRLIST_NAMES:
            return self.pairlist(sxp, has_attr, has_tag)
        if sxp == ALTREP_SXP:
            return self.altrep()
        if sxp == CHARSXP:
            value = self.charsxp(levels)
            if has_attr:  # R never writes these, and its reader discards them
                self.item()
            return value
        if sxp in (EXTPTRSXP, WEAKREFSXP):  # e.g. data.table's .internal.selfref: no data in them
            pointer = RConstant("<external pointer>" if sxp == EXTPTRSXP else "<weak reference>")
            self.refs.append(pointer)
            if sxp == EXTPTRSXP:
                self.item(), self.item()  # "protected" value and tag
            if has_attr:
                self.attributes()
            return pointer
        if sxp in (LGLSXP, INTSXP):
            n = self.length()
            values = [None if v == NA_INTEGER else v for v in struct.unpack(f">{n}i", self.take(4 * n))]
            if sxp == LGLSXP:
                values = [None if v is None else bool(v) for v in values]
            vec = RVector(_VECTOR_NAMES[sxp], values)
        elif sxp == REALSXP:
            n = self.length()
            vec = RVector("double", list(struct.unpack(f">{n}d", self.take(8 * n))))
        elif sxp == CPLXSXP:
            n = self.length()
            parts = struct.unpack(f">{2 * n}d", self.take(16 * n))
            vec = RVector("complex", [complex(parts[i], parts[i + 1]) for i in range(0, 2 * n, 2)])
        elif sxp in (STRSXP, VECSXP, EXPRSXP):
            n = self.length()
            vec = RVector(_VECTOR_NAMES[sxp], [self.item() for _ in range(n)])
        elif sxp == RAWSXP:
            vec = RVector("raw", list(self.take(self.length())))
        elif sxp in (SPECIALSXP, BUILTINSXP):
            return RSymbol(self.take(self.int()).decode("ascii"))
        elif sxp == S4SXP:
            vec = RVector("S4", [])
        else:
            what = {21: "byte code (BCODESXP) ", 244: "byte code (BCREPDEF) "}.get(sxp, "")
            raise self.fail(f"unsupported SEXP type {sxp} {what}(flags 0x{flags:08x}); papercraft reads data "
                            "objects (vectors, lists, pairlists, symbols, environments), not compiled code")
        if has_attr:
            vec.attributes = self.attributes()
        return vec

    def pairlist(self, sxp: int, has_attr: bool, has_tag: bool) -> RPairList:
        if sxp in (CLOSXP, PROMSXP):  # not lists: TAG is the environment, CAR/CDR formals/body
            attrs = self.attributes() if has_attr else {}
            env = self.item() if has_tag else None
            car, cdr = self.item(), self.item()
            parts = ("formals", "body") if sxp == CLOSXP else ("value", "expression")
            return RPairList(_PAIRLIST_NAMES[sxp], [("environment", env), (parts[0], car), (parts[1], cdr)], attrs)
        # Read iteratively along CDR: long pairlists would otherwise exhaust Python's recursion.
        result = RPairList(_PAIRLIST_NAMES[sxp], [])
        while True:
            attrs = self.attributes() if has_attr else {}
            if not result.items:
                result.attributes = attrs
            tag = self.item() if has_tag else None
            car = self.item()
            result.items.append((tag.name if isinstance(tag, RSymbol) else tag, car))
            flags = self.int()
            if flags & 0xFF not in (LISTSXP, ATTRLISTSXP):  # the list ends (NULL) or is dotted
                self.pos -= 4
                cdr = self.item()
                if isinstance(cdr, RPairList):
                    result.items.extend(cdr.items)
                elif cdr is not None:
                    result.items.append((None, cdr))
                return result
            has_attr, has_tag = bool(flags & HAS_ATTR_BIT), bool(flags & HAS_TAG_BIT)

    def altrep(self) -> RVector:
        info, state, attrs = self.item(), self.item(), self.item()
        cls = info.items[0][1].name if isinstance(info, RPairList) and info.items else "?"
        if cls in ("compact_intseq", "compact_realseq"):
            n, start, step = (int(v) for v in state[:3]) if cls == "compact_intseq" else state[:3]
            values = [start + i * step for i in range(int(n))]
            vec = RVector("integer" if cls == "compact_intseq" else "double",
                          [int(v) for v in values] if cls == "compact_intseq" else values)
        elif cls.startswith("wrap_"):
            vec = RVector(state[0].rtype, list(state[0]), dict(state[0].attributes))
        elif cls == "deferred_string":
            arg = state.items[0][1] if isinstance(state, RPairList) else state
            vec = RVector("character", [None if v is None else _r_number_to_string(v) for v in arg])
        else:
            raise self.fail(f"unsupported ALTREP class {cls}")
        if isinstance(attrs, RPairList):
            vec.attributes = dict(attrs.items)
        return vec


def _r_number_to_string(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def unserialize(blob: bytes, *, name: str = "<R serialization>") -> Any:
    """Decode one R XDR serialization (as written by ``serialize(x, NULL)``/``saveRDS``, uncompressed)."""
    reader = _Reader(blob, name)
    reader.header()
    value = reader.item()
    if reader.pos != len(blob):
        raise reader.fail(f"{len(blob) - reader.pos} trailing bytes after the object")
    return value


def read_rds(path: Path) -> Any:
    """Read an ``.rds`` file (gzip, bzip2, xz or uncompressed XDR serialization)."""
    blob = Path(path).read_bytes()
    return unserialize(_decompress_file(blob), name=str(path))


def _decompress_file(blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if blob[:3] == b"BZh":
        return bz2.decompress(blob)
    if blob[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(blob)
    return blob


def _decompress_rdb_entry(chunk: bytes, compressed: Any, name: str) -> bytes:
    """Undo R_compress1/2/3: 4-byte big-endian uncompressed size, [type byte], stream."""
    if len(chunk) < 5:
        raise DataIntegrityError(f"{name}: lazy-load entry of {len(chunk)} bytes is too short")
    size = struct.unpack(">I", chunk[:4])[0]
    if compressed in (True, 1):
        out = zlib.decompress(chunk[4:])
    else:
        kind, stream = chunk[4:5], chunk[5:]
        if kind == b"Z":
            out = zlib.decompress(stream)
        elif kind == b"2":
            out = bz2.decompress(stream)
        elif kind == b"X":
            out = lzma.decompress(stream, format=lzma.FORMAT_XZ)
        elif kind == b"0":
            out = stream
        else:
            raise DataIntegrityError(f"{name}: unknown lazy-load compression type {kind!r}")
    if len(out) != size:
        raise DataIntegrityError(f"{name}: entry decompressed to {len(out)} bytes, header says {size}")
    return out


class LazyLoadDB:
    """An R lazy-load database: ``db = LazyLoadDB("…/data/Rdata")``; ``db.names``; ``db["emma"]``."""

    def __init__(self, stem: Path):
        stem = Path(stem)
        self.rdx, self.rdb = stem.with_suffix(".rdx"), stem.with_suffix(".rdb")
        for path in (self.rdx, self.rdb):
            if not path.is_file():
                raise DataIntegrityError(f"{path}: missing (an R lazy-load database needs .rdx and .rdb)")
        index = read_rds(self.rdx)
        try:
            table = index.as_dict()
            self.variables = {k: (int(v[0]), int(v[1])) for k, v in table["variables"].as_dict().items()}
            compressed = table.get("compressed")
            self.compressed = compressed[0] if isinstance(compressed, list) and compressed else True
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataIntegrityError(f"{self.rdx}: not a lazy-load index "
                                     f"(expected list(variables=, references=, compressed=)): {exc}") from None

    @property
    def names(self) -> list[str]:
        return list(self.variables)

    def __getitem__(self, name: str) -> Any:
        if name not in self.variables:
            raise KeyError(f"{name!r} is not in {self.rdx}; it holds {', '.join(self.variables)}")
        offset, length = self.variables[name]
        with open(self.rdb, "rb") as f:
            f.seek(offset)
            chunk = f.read(length)
        if len(chunk) != length:
            raise DataIntegrityError(f"{self.rdb}: truncated at entry {name!r}")
        return unserialize(_decompress_rdb_entry(chunk, self.compressed, f"{self.rdb}[{name}]"),
                           name=f"{self.rdb}[{name}]")
