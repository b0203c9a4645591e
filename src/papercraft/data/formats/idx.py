"""The IDX array format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/).

An IDX file is::

    magic      4 bytes: 0x00 0x00 <dtype code> <number of dimensions d>
    dims       d big-endian uint32 sizes
    payload    prod(dims) values, big-endian, row-major

Dtype codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. The data
sets here use only uint8 (images: d=3, [N, 28, 28]; labels: d=1, [N]) but the reader accepts all.
Files ending in ``.gz`` (or starting with the gzip magic) are decompressed first.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from papercraft.errors import DataIntegrityError

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("=").str: k for k, v in _DTYPES.items()}


def parse_idx(blob: bytes, *, name: str = "<bytes>") -> np.ndarray:
    """Decode an IDX byte string (raw or gzipped) into a numpy array of its declared shape."""
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    if len(blob) < 4:
        raise DataIntegrityError(f"{name}: {len(blob)} bytes is too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", blob[:4])
    if zero != 0 or code not in _DTYPES:
        raise DataIntegrityError(f"{name}: bad IDX magic {blob[:4].hex()} "
                                 f"(expected 0000 then a dtype code in {sorted(_DTYPES)} and a rank)")
    header = 4 + 4 * ndim
    if len(blob) < header:
        raise DataIntegrityError(f"{name}: truncated IDX header ({ndim} dims need {header} bytes)")
    dims = struct.unpack(f">{ndim}I", blob[4:header])
    dtype = np.dtype(_DTYPES[code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(blob) - header != expected:
        raise DataIntegrityError(f"{name}: IDX payload is {len(blob) - header} bytes, "
                                 f"expected {expected} for shape {dims} of {dtype}")
    array = np.frombuffer(blob, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and writable


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) from disk."""
    return parse_idx(Path(path).read_bytes(), name=str(path))


def encode_idx(array: np.ndarray, *, compress: bool = True) -> bytes:
    """Encode an array as IDX bytes (gzipped unless ``compress=False``); the inverse of parse_idx."""
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str if array.dtype.byteorder not in "|" else array.dtype.str
    code = _CODES.get(np.dtype(key).str)
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; expected one of {list(_DTYPES.values())}")
    head = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    blob = head + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    return gzip.compress(blob, compresslevel=6, mtime=0) if compress else blob
