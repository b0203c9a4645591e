"""COCO RLE masks in batches: the operations of ``mask.py`` for many masks at once, with array
operations instead of Python loops (decoding 500,000 compressed masks in Python would take
minutes). Each function is tested against its one-mask counterpart in ``mask.py``.

Two representations:

* **CSR counts**: the RLE counts of n masks concatenated (``counts`` [V]) with ``offsets`` [n+1];
* **intervals**: each mask as its runs of 1s, ``[start, end)`` in column-major pixel order, sorted,
  also in CSR form. Areas, unions and intersections are simple on intervals: the intersection of
  masks a and b is ``sum over a's runs [s, e) of F_b(e) - F_b(s)``, ``F_b(x)`` the number of b's
  pixels before x (one ``searchsorted``).

Polygons are rasterized all at once with the same integer and float64 operations as
``mask.polygon_toggles`` (pycocotools' ``rleFrPoly``), so the masks are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

_CHUNK = 1 << 22        # elements per chunk of the large intermediate arrays


# --------------------------------------------------------------------------------------------
# Batches of RLE counts
# --------------------------------------------------------------------------------------------

class RleStringError(ValueError):
    """A compressed RLE string that cannot be decoded; ``index`` is its position in the batch."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


def _segment_ids(offsets: np.ndarray) -> np.ndarray:
    """For CSR ``offsets`` [n+1], the segment index of each of the ``offsets[-1]`` elements."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def decode_count_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Decode many compressed RLE strings (``mask.from_string`` each) into CSR counts.

    Returns ``counts`` int64 [V] and ``offsets`` int64 [n+1]. Counts are reduced modulo 2**32 as
    the C code stores them (valid masks never reach that). Raises :class:`RleStringError` naming
    the first bad string.
    """
    n = len(strings)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    all_counts, all_lengths = [], []
    start = 0
    while start < n:
        # chunks of about _CHUNK characters
        stop, chars = start, 0
        while stop < n and (chars < _CHUNK or stop == start):
            chars += len(strings[stop])
            stop += 1
        counts, per_string = _decode_chunk(strings[start:stop], start)
        all_counts.append(counts)
        all_lengths.append(per_string)
        start = stop
    lengths = np.concatenate(all_lengths) if all_lengths else np.zeros(0, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return (np.concatenate(all_counts) if all_counts else np.zeros(0, dtype=np.int64)), offsets


def _decode_chunk(strings: Sequence[str], first_index: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(strings)
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=n)
    char_off = np.concatenate(([0], np.cumsum(lengths)))
    joined = "".join(strings)
    try:
        raw = joined.encode("ascii")
    except UnicodeEncodeError as err:
        k = int(np.searchsorted(char_off, err.start, side="right") - 1)
        raise RleStringError(first_index + k, f"counts: character {joined[err.start]!r} is not in the RLE code (ASCII 48-111)") from None
    c = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) - 48
    bad = np.flatnonzero((c < 0) | (c > 63))
    if bad.size:
        k = int(np.searchsorted(char_off, bad[0], side="right") - 1)
        raise RleStringError(first_index + k, f"counts: character {joined[bad[0]]!r} is not in the RLE code (ASCII 48-111)")
    end = (c & 0x20) == 0
    nonempty = lengths > 0
    unfinished = np.flatnonzero(nonempty & ~np.concatenate((end, [True]))[np.maximum(char_off[1:] - 1, 0)])
    if unfinished.size:
        raise RleStringError(first_index + int(unfinished[0]), "counts: compressed RLE string ends inside a value")
    value_end = np.flatnonzero(end)
    value_start = np.concatenate(([0], value_end[:-1] + 1)) if value_end.size else value_end
    nchars = value_end - value_start + 1
    too_long = np.flatnonzero(nchars > 6)
    if too_long.size:
        k = int(np.searchsorted(char_off, value_start[too_long[0]], side="right") - 1)
        raise RleStringError(first_index + k, "counts: a run length beyond 2**30 pixels")
    k_in_value = np.arange(c.size) - np.repeat(value_start, nchars)
    x = np.add.reduceat((c & 0x1F) << (5 * k_in_value), value_start) if value_start.size else np.zeros(0, dtype=np.int64)
    sign = (c[value_end] & 0x10) != 0
    x = np.where(sign, x - (np.int64(1) << (5 * nchars)), x)
    ends_cum = np.concatenate(([0], np.cumsum(end)))
    per_string = ends_cum[char_off[1:]] - ends_cum[char_off[:-1]]
    v_off = np.concatenate(([0], np.cumsum(per_string)))
    string_of = _segment_ids(v_off)
    m = np.arange(x.size) - v_off[string_of]
    # from the fourth count on, a count is coded as its difference to the count two places before
    odd = (m % 2) == 1
    even2 = ((m % 2) == 0) & (m >= 2)
    cy = np.cumsum(np.where(odd, x, 0))
    cz = np.cumsum(np.where(even2, x, 0))
    base_y = np.concatenate(([0], cy))[v_off[:-1]]
    base_z = np.concatenate(([0], cz))[v_off[:-1]]
    counts = np.where(m == 0, x, np.where(odd, cy - base_y[string_of], cz - base_z[string_of]))
    return counts & 0xFFFFFFFF, per_string


def encode_count_strings(counts: np.ndarray, offsets: np.ndarray) -> list[str]:
    """Compress CSR counts into pycocotools' strings (``mask.to_string`` for each mask)."""
    counts = np.asarray(counts, dtype=np.int64)
    seg = _segment_ids(offsets)
    m = np.arange(counts.size) - offsets[:-1][seg]
    prev2 = np.concatenate(([0, 0], counts))[:counts.size]
    x = np.where(m > 2, counts - prev2, counts)
    # a value takes L characters, L the least with -2**(5L-1) <= x < 2**(5L-1) (the last chunk's
    # bit 0x10 is the sign)
    n_chars = np.ones(x.size, dtype=np.int64)
    for k in range(1, 7):
        n_chars += (x >= (1 << (5 * k - 1))) | (x < -(1 << (5 * k - 1)))
    value = np.repeat(np.arange(x.size), n_chars)
    k = np.arange(value.size) - np.repeat(np.cumsum(n_chars) - n_chars, n_chars)
    chars = ((x[value] >> (5 * k)) & 0x1F) | np.where(k < n_chars[value] - 1, 0x20, 0)
    flat = (chars + 48).astype(np.uint8).tobytes().decode("ascii")
    per_mask = np.concatenate(([0], np.cumsum(np.bincount(seg, weights=n_chars, minlength=len(offsets) - 1)).astype(np.int64)))
    return [flat[per_mask[i]:per_mask[i + 1]] for i in range(len(offsets) - 1)]


def encode_masks(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RLE counts (CSR) of masks ``stack`` [n, h, w] (``mask.encode`` for each)."""
    n, h, w = stack.shape
    flat = np.ascontiguousarray(stack.astype(bool).transpose(0, 2, 1)).reshape(n, h * w)
    change = np.diff(flat.astype(np.int8), axis=1, prepend=0) != 0
    rows, pos = np.nonzero(change)
    key = np.concatenate((rows, np.arange(n), np.arange(n)))
    val = np.concatenate((pos, np.zeros(n, dtype=np.int64), np.full(n, h * w)))
    order = np.lexsort((val, key))
    key, val = key[order], val[order]
    same = key[1:] == key[:-1]
    counts = np.diff(val)[same]
    per_mask = np.bincount(rows, minlength=n) + 1
    return counts.astype(np.int64), np.concatenate(([0], np.cumsum(per_mask))).astype(np.int64)


def quirk_boxes(counts: np.ndarray, offsets: np.ndarray, heights: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """``toBbox`` [n, 4] of CSR counts, with maskApi.c's rules (see ``mask.to_bbox``)."""
    n = len(offsets) - 1
    heights = np.asarray(heights, dtype=np.int64)
    widths = np.asarray(widths, dtype=np.int64)
    length = np.diff(offsets)
    used = (length // 2) * 2
    seg = _segment_ids(offsets)
    j = np.arange(counts.size) - offsets[:-1][seg]
    cc = np.cumsum(counts)
    end = cc - np.concatenate(([0], cc))[offsets[:-1]][seg]        # one past each run, per mask
    run = (j % 2 == 1) & (j < used[seg]) & (counts > 0)              # the non-empty runs of 1s read
    seg, end, count = seg[run], end[run], counts[run]
    h = heights[seg]
    start, last = end - count, end - 1
    x_start, x_end = start // h, last // h
    xs, xe, ys, ye = widths.copy(), np.zeros(n, np.int64), heights.copy(), np.zeros(n, np.int64)
    np.minimum.at(xs, seg, x_start)
    np.maximum.at(xe, seg, x_end)
    np.minimum.at(ys, seg, start % h)
    np.maximum.at(ye, seg, last % h)
    spans = np.zeros(n, dtype=bool)
    spans[seg[x_start < x_end]] = True
    ys = np.where(spans, 0, ys)
    ye = np.where(spans, heights - 1, ye)
    out = np.stack([xs, ys, (xe - xs + 1) & 0xFFFFFFFF, (ye - ys + 1) & 0xFFFFFFFF], axis=1).astype(np.float64)
    out[used == 0] = 0.0
    return out


# --------------------------------------------------------------------------------------------
# Masks as intervals
# --------------------------------------------------------------------------------------------

@dataclass
class Intervals:
    """Masks as runs of 1s: ``starts``/``ends`` int64 [V] (column-major, sorted per mask),
    ``offsets`` [n+1]; ``height`` [n] (the column length, to find columns)."""

    starts: np.ndarray
    ends: np.ndarray
    offsets: np.ndarray
    height: np.ndarray

    def areas(self) -> np.ndarray:
        total = np.concatenate(([0], np.cumsum(self.ends - self.starts)))
        return total[self.offsets[1:]] - total[self.offsets[:-1]]

    def boxes(self) -> np.ndarray:
        """A box [n, 4] (x0, y0, x1, y1 inclusive pixel indices) containing each mask; empty masks
        get x0 > x1."""
        n = len(self.offsets) - 1
        out = np.zeros((n, 4), dtype=np.int64)
        out[:, 0], out[:, 2] = 1, 0
        has = np.flatnonzero(np.diff(self.offsets) > 0)
        if has.size == 0:
            return out
        seg = _segment_ids(self.offsets)
        h = self.height[seg]
        c0, c1 = self.starts // h, (self.ends - 1) // h
        r0, r1 = self.starts % h, (self.ends - 1) % h
        spans = c1 > c0
        r0 = np.where(spans, 0, r0)
        r1 = np.where(spans, h - 1, r1)
        first = self.offsets[has]
        out[has, 0] = np.minimum.reduceat(c0, first)
        out[has, 2] = np.maximum.reduceat(c1, first)
        out[has, 1] = np.minimum.reduceat(r0, first)
        out[has, 3] = np.maximum.reduceat(r1, first)
        return out


def intervals_from_counts(counts: np.ndarray, offsets: np.ndarray, heights: np.ndarray) -> Intervals:
    """CSR counts -> CSR runs of 1s (zero-length runs dropped)."""
    seg = _segment_ids(offsets)
    j = np.arange(counts.size) - offsets[:-1][seg]
    cc = np.cumsum(counts)
    base = np.concatenate(([0], cc))[offsets[:-1]]
    end = cc - base[seg]
    keep = (j % 2 == 1) & (counts > 0)
    per = np.bincount(seg[keep], minlength=len(offsets) - 1)
    return Intervals((end - counts)[keep], end[keep], np.concatenate(([0], np.cumsum(per))).astype(np.int64),
                     np.asarray(heights, dtype=np.int64))


def polygon_intervals(polygons: Sequence[Sequence[float]], heights: np.ndarray, widths: np.ndarray) -> Intervals:
    """Rasterize many polygons (``mask.from_polygon`` each) into CSR runs, one mask per polygon."""
    n = len(polygons)
    heights = np.asarray(heights, dtype=np.int64)
    widths = np.asarray(widths, dtype=np.int64)
    parts_s, parts_e, per_poly = [], [], []
    start = 0
    while start < n:
        stop, work = start, 0
        while stop < n and (work < _CHUNK // 8 or stop == start):
            work += len(polygons[stop])
            stop += 1
        s, e, per = _polygon_chunk(polygons[start:stop], heights[start:stop], widths[start:stop])
        parts_s.append(s)
        parts_e.append(e)
        per_poly.append(per)
        start = stop
    per = np.concatenate(per_poly) if per_poly else np.zeros(0, dtype=np.int64)
    return Intervals(np.concatenate(parts_s) if parts_s else np.zeros(0, dtype=np.int64),
                     np.concatenate(parts_e) if parts_e else np.zeros(0, dtype=np.int64),
                     np.concatenate(([0], np.cumsum(per))).astype(np.int64), heights)


def _polygon_chunk(polygons: Sequence[Sequence[float]], heights: np.ndarray, widths: np.ndarray):
    n = len(polygons)
    k = np.array([len(p) // 2 for p in polygons], dtype=np.int64)
    xy = np.concatenate([np.asarray(p, dtype=np.float64)[:2 * kk] for p, kk in zip(polygons, k)]) if n else np.zeros(0)
    poly_of_vertex = np.repeat(np.arange(n), k)
    v_off = np.concatenate(([0], np.cumsum(k)))
    x = np.trunc(5.0 * xy[0::2] + .5).astype(np.int64)
    y = np.trunc(5.0 * xy[1::2] + .5).astype(np.int64)
    nxt = np.arange(x.size) + 1
    last = v_off[1:][k > 0] - 1
    nxt[last] = v_off[:-1][k > 0]
    xs0, ys0, xe0, ye0 = x, y, x[nxt], y[nxt]
    dx, dy = np.abs(xe0 - xs0), np.abs(ys0 - ye0)
    along_x = dx >= dy
    flip = (along_x & (xs0 > xe0)) | (~along_x & (ys0 > ye0))
    xs, xe = np.where(flip, xe0, xs0), np.where(flip, xs0, xe0)
    ys, ye = np.where(flip, ye0, ys0), np.where(flip, ys0, ye0)
    steps = np.where(along_x, dx, dy)
    s = np.where(along_x, (ye - ys) / np.maximum(dx, 1).astype(np.float64), (xe - xs) / np.maximum(dy, 1).astype(np.float64))
    n_points = steps + 1
    edge = np.repeat(np.arange(x.size), n_points)
    p_start = np.cumsum(n_points) - n_points
    d = np.arange(int(n_points.sum())) - p_start[edge]
    t = np.where(flip[edge], steps[edge] - d, d)
    ax = along_x[edge]
    xs_e, ys_e, s_e = xs[edge], ys[edge], s[edge]
    u = np.where(ax, t + xs_e, np.trunc(xs_e + s_e * t + .5).astype(np.int64))
    v = np.where(ax, np.trunc(ys_e + s_e * t + .5).astype(np.int64), t + ys_e)
    poly = poly_of_vertex[edge]
    moved = (u[1:] != u[:-1]) & (poly[1:] == poly[:-1])
    u1, u0, v1, v0, pp = u[1:][moved], u[:-1][moved], v[1:][moved], v[:-1][moved], poly[1:][moved]
    h, w = heights[pp], widths[pp]
    xd = (np.where(u1 < u0, u1, u1 - 1).astype(np.float64) + .5) / 5.0 - .5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    yd = np.ceil(np.clip((np.minimum(v1, v0).astype(np.float64) + .5) / 5.0 - .5, 0, h))
    pos = xd[keep].astype(np.int64) * h[keep] + yd[keep].astype(np.int64)
    pp = pp[keep]
    stride = int((heights * widths).max()) + 1 if n else 1
    uniq, mult = np.unique(pp * stride + pos, return_counts=True)
    pp, pos = uniq // stride, uniq % stride
    total = heights[pp] * widths[pp]
    odd = (mult % 2 == 1) & (pos < total)
    pp, pos = pp[odd], pos[odd]
    # runs of 1s: [toggle 0, toggle 1), [toggle 2, toggle 3), ...; an unpaired last toggle runs to h*w
    first = np.searchsorted(pp, np.arange(n))
    idx = np.arange(pp.size) - first[pp]
    is_start = idx % 2 == 0
    nxt_same = np.concatenate((pp[1:] == pp[:-1], [False]))
    nxt_pos = np.concatenate((pos[1:], [0]))
    ends = np.where(nxt_same, nxt_pos, heights[pp] * widths[pp])
    starts, ends, owner = pos[is_start], ends[is_start], pp[is_start]
    nonempty = ends > starts
    per = np.bincount(owner[nonempty], minlength=n)
    return starts[nonempty], ends[nonempty], per


def union_intervals(iv: Intervals, owner: np.ndarray, n_owners: int, heights: np.ndarray) -> Intervals:
    """Per owner, the union of the masks in ``iv`` that ``owner`` [n] assigns to it."""
    seg = _segment_ids(iv.offsets)
    who = owner[seg]
    order = np.lexsort((iv.starts, who))
    who, s, e = who[order], iv.starts[order], iv.ends[order]
    stride = int(max(e.max(initial=0), 1)) + 1
    run_end = np.maximum.accumulate(who * stride + e) - who * stride
    prev_end = np.concatenate(([-1], run_end[:-1]))
    new = np.ones(s.size, dtype=bool)
    new[1:] = (who[1:] != who[:-1]) | (s[1:] > prev_end[1:])
    starts = s[new]
    ends = np.maximum.reduceat(e, np.flatnonzero(new)) if s.size else e
    per = np.bincount(who[new], minlength=n_owners)
    return Intervals(starts, ends, np.concatenate(([0], np.cumsum(per))).astype(np.int64), np.asarray(heights, dtype=np.int64))


def pair_intersections(a: Intervals, b: Intervals, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """``|a[pa[p]] ∩ b[pb[p]]|`` int64 [P] for pairs of masks of equal size."""
    out = np.zeros(pa.size, dtype=np.int64)
    if pa.size == 0 or b.starts.size == 0 or a.starts.size == 0:
        return out
    stride = int(max(a.ends.max(), b.ends.max())) + 1
    a_seg = _segment_ids(a.offsets)
    b_seg = _segment_ids(b.offsets)
    a_key_s = a_seg * stride + a.starts
    a_key_e = a_seg * stride + a.ends
    b_key_s = b_seg * stride + b.starts
    b_len = b.ends - b.starts
    b_cum = np.concatenate(([0], np.cumsum(b_len)))
    b_before = b_cum[:-1] - b_cum[b.offsets[:-1]][b_seg]        # pixels of b before each of its runs
    # only a's runs overlapping b's span [first start, last end)
    b_lo = np.where(np.diff(b.offsets) > 0, b.starts[np.minimum(b.offsets[:-1], b.starts.size - 1)], 0)
    b_hi = np.where(np.diff(b.offsets) > 0, b.ends[np.maximum(b.offsets[1:] - 1, 0)], 0)
    lo = np.searchsorted(a_key_e, pa * stride + b_lo[pb], side="right")
    hi = np.searchsorted(a_key_s, pa * stride + b_hi[pb], side="left")
    lo = np.maximum(lo, a.offsets[pa])
    hi = np.minimum(hi, a.offsets[pa + 1])
    n = np.maximum(hi - lo, 0)
    cum = np.concatenate(([0], np.cumsum(n)))
    p_start = 0
    while p_start < pa.size:
        p_stop = int(np.searchsorted(cum, cum[p_start] + _CHUNK, side="right")) - 1
        p_stop = max(p_stop, p_start + 1)
        p_stop = min(p_stop, pa.size)
        counts = n[p_start:p_stop]
        rep = np.repeat(np.arange(p_start, p_stop), counts)
        j = lo[rep] + (np.arange(rep.size) - (cum[rep] - cum[p_start]))
        g = pb[rep]

        def pixels_before(x: np.ndarray) -> np.ndarray:
            key = g * stride + x
            i = np.searchsorted(b_key_s, key, side="right") - 1
            inside = (i >= 0) & (i >= b.offsets[g]) & (i < b.offsets[g + 1])
            ic = np.clip(i, 0, b.starts.size - 1)
            val = b_before[ic] + np.minimum(x - b.starts[ic], b_len[ic])
            return np.where(inside, val, 0)

        diff = pixels_before(a.ends[j]) - pixels_before(a.starts[j])
        out[p_start:p_stop] = np.bincount(rep - p_start, weights=diff, minlength=p_stop - p_start).astype(np.int64)
        p_start = p_stop
    return out


def take_counts(counts: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR counts of the masks ``rows`` (in that order)."""
    lengths = np.diff(offsets)[rows]
    new_off = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    gather = np.repeat(offsets[:-1][rows], lengths) + (np.arange(int(new_off[-1])) - np.repeat(new_off[:-1], lengths))
    return counts[gather], new_off


def segmentation_intervals(segms: Sequence[Any], heights: np.ndarray, widths: np.ndarray,
                           boxes: np.ndarray | None = None,
                           decoded: tuple[np.ndarray, np.ndarray] | None = None) -> Intervals:
    """Masks of many COCO ``segmentation`` values, as ``mask.from_segmentation`` reads each.

    ``None`` stands for a box-style detection without a mask: its box from ``boxes`` [n, 4] becomes
    the polygon pycocotools' ``loadRes`` gives it. ``decoded`` (CSR counts aligned with ``segms``)
    supplies compressed masks the reader has already decoded. Inputs are assumed checked.
    """
    n = len(segms)
    heights = np.asarray(heights, dtype=np.int64)
    widths = np.asarray(widths, dtype=np.int64)
    poly_list: list[Any] = []
    poly_owner: list[int] = []
    str_list: list[str] = []
    str_owner: list[int] = []
    list_counts: list[np.ndarray] = []
    list_owner: list[int] = []
    have = np.diff(decoded[1]) > 0 if decoded is not None else np.zeros(n, dtype=bool)
    for i, segm in enumerate(segms):
        if segm is None:
            x, y, w, h = (float(v) for v in boxes[i])
            poly_list.append([x, y, x, y + h, x + w, y + h, x + w, y])
            poly_owner.append(i)
        elif isinstance(segm, list):
            poly_list.extend(segm)
            poly_owner.extend([i] * len(segm))
        elif isinstance(segm["counts"], str):
            if not have[i]:
                str_list.append(segm["counts"])
                str_owner.append(i)
        else:
            list_counts.append(np.asarray(segm["counts"], dtype=np.int64))
            list_owner.append(i)
    sources: list[tuple[Intervals, np.ndarray]] = []          # (masks, owner of each mask)
    if poly_list:
        owners = np.array(poly_owner, dtype=np.int64)
        sources.append((polygon_intervals(poly_list, heights[owners], widths[owners]), owners))
    if have.any():
        owners = np.flatnonzero(have)
        counts, offsets = take_counts(decoded[0], decoded[1], owners)
        sources.append((intervals_from_counts(counts, offsets, heights[owners]), owners))
    if str_list:
        owners = np.array(str_owner, dtype=np.int64)
        counts, offsets = decode_count_strings(str_list)
        sources.append((intervals_from_counts(counts, offsets, heights[owners]), owners))
    if list_counts:
        owners = np.array(list_owner, dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum([len(c) for c in list_counts]))).astype(np.int64)
        sources.append((intervals_from_counts(np.concatenate(list_counts), offsets, heights[owners]), owners))
    if not sources:
        return Intervals(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(n + 1, np.int64), heights)
    n_masks = np.bincount(np.concatenate([o for _, o in sources]), minlength=n)
    starts, ends, owner = [], [], []
    for iv, owners in sources:
        who = owners[_segment_ids(iv.offsets)]
        single = n_masks[who] == 1
        starts.append(iv.starts[single])
        ends.append(iv.ends[single])
        owner.append(who[single])
    multi_s, multi_e, multi_o = [], [], []
    for iv, owners in sources:
        who = owners[_segment_ids(iv.offsets)]
        sel = n_masks[who] > 1
        multi_s.append(iv.starts[sel])
        multi_e.append(iv.ends[sel])
        multi_o.append(who[sel])
    ms = np.concatenate(multi_s)
    if ms.size:
        merged = union_intervals(Intervals(ms, np.concatenate(multi_e), np.arange(ms.size + 1, dtype=np.int64), heights),
                                 np.concatenate(multi_o), n, heights)
        starts.append(merged.starts)
        ends.append(merged.ends)
        owner.append(_segment_ids(merged.offsets))
    owner_all = np.concatenate(owner)
    order = np.argsort(owner_all, kind="stable")
    per = np.bincount(owner_all, minlength=n)
    return Intervals(np.concatenate(starts)[order], np.concatenate(ends)[order],
                     np.concatenate(([0], np.cumsum(per))).astype(np.int64), heights)
