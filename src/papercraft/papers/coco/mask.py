"""Binary masks as COCO run-length encodings (RLE), written to give the values pycocotools gives.

COCO stores a mask of height h and width w as the lengths of its alternating runs of 0s and 1s
in **column-major** order, starting with a (possibly empty) run of 0s: ``[0 0 1 1 1 0 1]`` is
``[2, 3, 1, 1]``. Every operation the evaluation needs works on that representation:

* ``area`` is the sum of the odd-indexed counts;
* ``iou(dt, gt)`` is ``|dt ∩ gt| / |dt ∪ gt|``, and for a *crowd* ground truth
  ``|dt ∩ gt| / |dt|`` (a detection may match any part of a crowd; Lin et al. 2014, §4 and
  pycocotools' ``mask.py``);
* ``from_polygon`` rasterizes a polygon exactly as pycocotools' C routine ``rleFrPoly`` does:
  the vertices are scaled by 5 and rounded, the edges walked densely on that grid, and every
  column crossing at a pixel centre (x integer) toggles the mask at ``ceil(y)``; toggles combine
  by parity (an even-odd fill). Segmentation scores depend on this rule to the last pixel, so it
  is reproduced operation for operation, in float64.
* the compressed string form (``to_string``/``from_string``) is pycocotools' LEB128-like code:
  6 bits per character (ASCII 48–111), 5 bits of payload and a continuation bit, and from the
  fourth count on, the *difference* to the count two places before.

:class:`RLE` keeps the counts as an ``int64`` array. The functions here are the readable versions;
``rle_batch.py`` batches the same operations over many masks for the evaluator and is tested against
these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RLE:
    """A run-length-encoded binary mask: ``counts`` int64 [m], runs of 0s and 1s alternating,
    column-major, starting with 0s; ``sum(counts) == height * width``."""

    height: int
    width: int
    counts: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", np.asarray(self.counts, dtype=np.int64).reshape(-1))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RLE) and (self.height, self.width) == (other.height, other.width)
                and np.array_equal(self.counts, other.counts))

    def __hash__(self) -> int:
        return hash((self.height, self.width, self.counts.tobytes()))


# --------------------------------------------------------------------------------------------
# Encode, decode, area, box
# --------------------------------------------------------------------------------------------

def encode(mask: np.ndarray) -> RLE:
    """Run-length encode a binary mask [h, w] (any dtype; nonzero is 1), column-major."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask: expected a 2-D array [h, w], got shape {mask.shape}")
    h, w = mask.shape
    flat = mask.astype(bool).ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(edges)
    if flat.size and flat[0]:
        counts = np.concatenate(([0], counts))
    if flat.size == 0:
        counts = np.zeros(1, dtype=np.int64)
    return RLE(h, w, counts)


def decode(rle: RLE) -> np.ndarray:
    """The mask [h, w] uint8 of an RLE."""
    values = np.arange(len(rle.counts)) % 2
    flat = np.repeat(values.astype(np.uint8), rle.counts)
    if flat.size != rle.height * rle.width:
        raise ValueError(f"rle: counts sum to {flat.size}, expected height*width = {rle.height * rle.width}")
    return flat.reshape((rle.width, rle.height)).T.copy()


def area(rle: RLE) -> int:
    """Number of 1-pixels: the sum of the odd-indexed counts."""
    return int(rle.counts[1::2].sum())


def to_bbox(rle: RLE) -> np.ndarray:
    """The box [x, y, w, h] float64 of an RLE as pycocotools' ``toBbox`` computes it.

    The rule (maskApi.c ``rleToBbox`` as pycocotools 2.0.x ships it) reads the first and last pixel
    of each non-empty run of 1s: columns give x; a run that continues from one column into the next
    widens the rows to the full height. Only the first ``2 * (m // 2)`` counts are read; with no run
    read the box is [w, h, 1 - w, 1 - h] in unsigned 32-bit arithmetic, and an RLE without counts
    gives zeros. For a canonical RLE this is the tight box, except for the widening.
    """
    h, w = rle.height, rle.width
    m = (len(rle.counts) // 2) * 2
    if m == 0:
        return np.zeros(4)
    end = np.cumsum(rle.counts[:m])[1::2]                 # one past each run of 1s
    length = rle.counts[1:m:2]
    keep = length > 0
    start, last = (end - length)[keep], (end - 1)[keep]
    x_start, x_end = start // h, last // h
    spans = bool(np.any(x_start < x_end))
    xs = min([w, *x_start.tolist()])
    xe = max([0, *x_end.tolist()])
    ys = 0 if spans else min([h, *(start % h).tolist()])
    ye = h - 1 if spans else max([0, *(last % h).tolist()])
    return np.array([xs, ys, (xe - xs + 1) & 0xFFFFFFFF, (ye - ys + 1) & 0xFFFFFFFF], dtype=np.float64)


def tight_bbox(mask: np.ndarray) -> list[float]:
    """The tight box [x, y, w, h] of a mask's 1-pixels (pixel (r, c) covers [c, c+1] x [r, r+1]);
    zeros for an empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(cols[0]), float(rows[0]), float(cols[-1] - cols[0] + 1), float(rows[-1] - rows[0] + 1)]


def merge(rles: Sequence[RLE], intersect: bool = False) -> RLE:
    """Union (or intersection) of masks of one size; one mask is returned unchanged, as in
    pycocotools' ``merge``."""
    if len(rles) == 0:
        raise ValueError("rles: expected at least one mask")
    if len(rles) == 1:
        return rles[0]
    h, w = rles[0].height, rles[0].width
    for k, r in enumerate(rles):
        if (r.height, r.width) != (h, w):
            raise ValueError(f"rles[{k}]: size {r.height}x{r.width}, expected {h}x{w} like rles[0]")
    masks = [decode(r).astype(bool) for r in rles]
    out = masks[0]
    for m in masks[1:]:
        out = (out & m) if intersect else (out | m)
    return encode(out)


# --------------------------------------------------------------------------------------------
# IoU
# --------------------------------------------------------------------------------------------

def box_iou(dt: np.ndarray, gt: np.ndarray, iscrowd: Sequence[int] | np.ndarray) -> np.ndarray:
    """IoU [m, n] float64 of boxes [x, y, w, h]: ``dt`` [m, 4], ``gt`` [n, 4], ``iscrowd`` [n].

    The operations follow maskApi.c ``bbIou`` in order, so the floats are bit-identical:
    ``w = min(dx+dw, gx+gw) - max(dx, gx)``, likewise ``h``; 0 unless both are positive; then
    ``i = w*h`` over ``u = da + ga - i`` (or ``da`` for a crowd ground truth).
    """
    dt = np.asarray(dt, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    crowd = np.asarray(iscrowd, dtype=bool).reshape(-1)
    if crowd.size != gt.shape[0]:
        raise ValueError(f"iscrowd: expected {gt.shape[0]} flags (one per gt box), got {crowd.size}")
    D, G = dt[:, None, :], gt[None, :, :]
    w = np.minimum(D[..., 2] + D[..., 0], G[..., 2] + G[..., 0]) - np.maximum(D[..., 0], G[..., 0])
    h = np.minimum(D[..., 3] + D[..., 1], G[..., 3] + G[..., 1]) - np.maximum(D[..., 1], G[..., 1])
    da = D[..., 2] * D[..., 3]
    ga = G[..., 2] * G[..., 3]
    i = w * h
    u = np.where(crowd[None, :], da, da + ga - i)
    ok = (w > 0) & (h > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, i / np.where(ok, u, 1.0), 0.0)


def iou(dt: Sequence[RLE], gt: Sequence[RLE], iscrowd: Sequence[int] | np.ndarray) -> np.ndarray:
    """Mask IoU [m, n] float64: ``|d ∩ g| / |d ∪ g|``, or ``|d ∩ g| / |d|`` for a crowd ``g``.

    As in maskApi.c ``rleIou``: 0 when the masks do not intersect, and -1 for masks of different
    sizes whose boxes overlap. The division is of two exact integers, so the float is the one C
    computes.
    """
    crowd = np.asarray(iscrowd, dtype=bool).reshape(-1)
    if crowd.size != len(gt):
        raise ValueError(f"iscrowd: expected {len(gt)} flags (one per gt mask), got {crowd.size}")
    out = np.zeros((len(dt), len(gt)))
    if len(dt) == 0 or len(gt) == 0:
        return out
    boxes = box_iou(np.array([to_bbox(d) for d in dt]), np.array([to_bbox(g) for g in gt]), crowd)
    dmasks = [decode(d).astype(bool) for d in dt]
    gmasks = [decode(g).astype(bool) for g in gt]
    for gi, g in enumerate(gt):
        for di, d in enumerate(dt):
            if not boxes[di, gi] > 0:
                continue
            if (d.height, d.width) != (g.height, g.width):
                out[di, gi] = -1.0
                continue
            inter = int(np.count_nonzero(dmasks[di] & gmasks[gi]))
            if inter == 0:
                continue
            union = area(d) if crowd[gi] else int(np.count_nonzero(dmasks[di] | gmasks[gi]))
            out[di, gi] = inter / union
    return out


# --------------------------------------------------------------------------------------------
# Polygons and boxes to RLE (maskApi.c rleFrPoly, rleFrBbox)
# --------------------------------------------------------------------------------------------

_SCALE = 5.0


def _trunc_int(values: np.ndarray) -> np.ndarray:
    """C's ``(int)`` cast of a double: truncation toward zero."""
    return np.trunc(values).astype(np.int64)


def polygon_toggles(xy: Sequence[float] | np.ndarray, height: int, width: int) -> np.ndarray:
    """The column-major positions (int64, unsorted, with repeats) at which ``rleFrPoly`` toggles
    the mask of polygon ``xy`` = [x1, y1, x2, y2, ...].

    Step 1 (upsample): the vertices are scaled by 5 and rounded with ``(int)(5*v + .5)``; each edge
    is walked one grid step at a time along its longer axis, the other coordinate rounded the same
    way from the edge's left (or upper) end, so that an edge and its reverse give the same points.
    Step 2 (downsample): wherever the walk moves one step in x, it crosses x = ``(u + .5)/5 - .5``;
    if that is an integer column in [0, w-1], the mask toggles in that column at row
    ``ceil(clip((v + .5)/5 - .5, 0, h))``.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1)
    k = len(xy) // 2
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    x = _trunc_int(_SCALE * xy[0:2 * k:2] + .5)
    y = _trunc_int(_SCALE * xy[1:2 * k:2] + .5)
    x = np.append(x, x[0])
    y = np.append(y, y[0])
    xs0, xe0, ys0, ye0 = x[:-1], x[1:], y[:-1], y[1:]
    dx, dy = np.abs(xe0 - xs0), np.abs(ys0 - ye0)
    along_x = dx >= dy
    flip = (along_x & (xs0 > xe0)) | (~along_x & (ys0 > ye0))
    xs = np.where(flip, xe0, xs0)
    xe = np.where(flip, xs0, xe0)
    ys = np.where(flip, ye0, ys0)
    ye = np.where(flip, ys0, ye0)
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(along_x, (ye - ys) / np.where(dx == 0, 1, dx).astype(np.float64),
                     (xe - xs) / np.where(dy == 0, 1, dy).astype(np.float64))
    # every edge contributes steps+1 points (its two ends included)
    n_points = steps + 1
    edge = np.repeat(np.arange(k), n_points)
    start = np.cumsum(n_points) - n_points
    d = np.arange(int(n_points.sum())) - start[edge]
    t = np.where(flip[edge], steps[edge] - d, d)
    ax = along_x[edge]
    xs_e, ys_e, s_e = xs[edge], ys[edge], s[edge]
    u = np.where(ax, t + xs_e, _trunc_int(xs_e + s_e * t + .5))
    v = np.where(ax, _trunc_int(ys_e + s_e * t + .5), t + ys_e)

    moved = u[1:] != u[:-1]
    u1, u0, v1, v0 = u[1:][moved], u[:-1][moved], v[1:][moved], v[:-1][moved]
    xd = np.where(u1 < u0, u1, u1 - 1).astype(np.float64)
    xd = (xd + .5) / _SCALE - .5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= width - 1)
    yd = np.minimum(v1, v0).astype(np.float64)
    yd = (yd + .5) / _SCALE - .5
    yd = np.ceil(np.clip(yd, 0, height))
    return xd[keep].astype(np.int64) * height + yd[keep].astype(np.int64)


def counts_from_toggles(positions: np.ndarray, height: int, width: int) -> np.ndarray:
    """RLE counts from toggle positions, combined by parity.

    maskApi.c sorts the positions, takes differences, and folds each zero difference (two toggles
    at one place) into the run before; that is the same as keeping the positions that occur an
    odd number of times. A toggle at ``h*w`` (the end) changes nothing.
    """
    total = height * width
    if positions.size:
        uniq, mult = np.unique(positions, return_counts=True)
        odd = uniq[(mult % 2 == 1) & (uniq < total)]
    else:
        odd = positions
    return np.diff(np.concatenate(([0], odd, [total]))).astype(np.int64)


def from_polygon(xy: Sequence[float] | np.ndarray, height: int, width: int) -> RLE:
    """Rasterize one polygon [x1, y1, x2, y2, ...] into an h x w mask as ``rleFrPoly`` does.

    The coordinates are pixel coordinates where pixel (row r, column c) covers [c, c+1] x [r, r+1];
    the fill is even-odd (a self-intersecting polygon leaves its doubly covered parts empty).
    An odd trailing coordinate is ignored, as pycocotools ignores it.
    """
    if height < 0 or width < 0:
        raise ValueError(f"height, width: expected non-negative sizes, got {height}x{width}")
    return RLE(height, width, counts_from_toggles(polygon_toggles(xy, height, width), height, width))


def from_bbox(box: Sequence[float], height: int, width: int) -> RLE:
    """The mask of a box [x, y, w, h]: its four corners rasterized as a polygon (``rleFrBbox``)."""
    x, y, w, h = (float(v) for v in box)
    xe, ye = x + w, y + h
    return from_polygon([x, y, x, ye, xe, ye, xe, y], height, width)


# --------------------------------------------------------------------------------------------
# Compressed strings (maskApi.c rleToString / rleFrString)
# --------------------------------------------------------------------------------------------

def to_string(counts: np.ndarray | Sequence[int]) -> str:
    """Compress RLE counts into pycocotools' string form.

    From the fourth count on, the count minus the count two places before is coded; each value is
    written 5 bits at a time, least significant first, as characters ``48 + chunk`` with bit 0x20
    set while more chunks follow; a value is complete when the rest is 0 (or -1 for a negative
    value whose last chunk has its sign bit 0x10 set).
    """
    counts = [int(c) for c in counts]
    out: list[str] = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def from_string(s: str | bytes) -> np.ndarray:
    """Decompress pycocotools' string form into counts (int64), the inverse of :func:`to_string`.

    Raises ValueError on characters outside the code (ASCII 48–111) or a truncated last value.
    """
    data = s.encode("ascii") if isinstance(s, str) else bytes(s)
    counts: list[int] = []
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
            if p >= len(data):
                raise ValueError("counts: compressed RLE string ends inside a value")
            c = data[p] - 48
            if not 0 <= c < 64:
                raise ValueError(f"counts: character {chr(data[p])!r} at position {p} is not in the RLE code (ASCII 48-111)")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return np.array(counts, dtype=np.int64)


def to_coco(rle: RLE, compressed: bool = True) -> dict[str, Any]:
    """The JSON form: ``{"size": [h, w], "counts": str}`` (or a list of ints if not compressed)."""
    counts: Any = to_string(rle.counts) if compressed else [int(c) for c in rle.counts]
    return {"size": [int(rle.height), int(rle.width)], "counts": counts}


def from_segmentation(segm: Any, height: int, width: int) -> RLE:
    """The mask of a COCO ``segmentation`` as pycocotools' ``annToRLE`` makes it: a list of polygons
    is rasterized (each with ``from_polygon``) and their union taken; an RLE dict is read with its
    own ``size`` (uncompressed when ``counts`` is a list, compressed when it is a string).
    Inputs are assumed valid (the reader in ``annotations.py`` checks them)."""
    if isinstance(segm, list):
        return merge([from_polygon(p, height, width) for p in segm])
    h, w = int(segm["size"][0]), int(segm["size"][1])
    counts = segm["counts"]
    if isinstance(counts, list):
        return RLE(h, w, np.asarray(counts, dtype=np.int64))
    return RLE(h, w, from_string(counts))


# --------------------------------------------------------------------------------------------
# Mask to polygons, exactly (used by the generator)
# --------------------------------------------------------------------------------------------

# Directions on the image grid (x right, y down): 0 right, 1 down, 2 left, 3 up.
_DX = np.array([1, 0, -1, 0])
_DY = np.array([0, 1, 0, -1])


def _boundary_loops(mask: np.ndarray) -> list[np.ndarray]:
    """Closed loops along the pixel edges between 1s and 0s, as corner vertices [k, 2] (x, y).

    Each boundary edge is directed with the 1-pixel on its right (clockwise on screen around a
    region, counter-clockwise around a hole); at a corner where two regions touch diagonally the
    walk turns right, so regions that only touch at a corner get separate loops.
    """
    m = np.pad(np.asarray(mask, dtype=bool), 1)
    on = m[1:-1, 1:-1]
    h, w = on.shape
    starts = np.zeros((4, h + 1, w + 1), dtype=bool)   # edge starting at vertex (y, x) in direction d
    starts[0, :h, :w] |= on & ~m[:-2, 1:-1]            # top edge: (c, r) -> (c+1, r)
    starts[1, :h, 1:] |= on & ~m[1:-1, 2:]             # right edge: (c+1, r) -> (c+1, r+1)
    starts[2, 1:, 1:] |= on & ~m[2:, 1:-1]             # bottom edge: (c+1, r+1) -> (c, r+1)
    starts[3, 1:, :w] |= on & ~m[1:-1, :-2]            # left edge: (c, r+1) -> (c, r)
    d, y, x = np.nonzero(starts)
    if d.size == 0:
        return []
    ids = -np.ones(starts.shape, dtype=np.int64)
    ids[d, y, x] = np.arange(d.size)
    ex, ey = x + _DX[d], y + _DY[d]
    nxt = -np.ones(d.size, dtype=np.int64)
    for turn in (1, 0, 3):                              # right, straight, left
        nd = (d + turn) % 4
        cand = ids[nd, ey, ex]
        take = (nxt < 0) & (cand >= 0)
        nxt[take] = cand[take]
    nxt_list = nxt.tolist()
    seen = np.zeros(d.size, dtype=bool)
    loops: list[np.ndarray] = []
    for first in range(d.size):
        if seen[first]:
            continue
        order = []
        e = first
        while not seen[e]:
            seen[e] = True
            order.append(e)
            e = nxt_list[e]
        order = np.array(order)
        dirs = d[order]
        corner = dirs != np.roll(dirs, 1)               # keep vertices where the direction turns
        loops.append(np.stack([x[order][corner], y[order][corner]], axis=1))
    return loops


def _shoelace(loop: np.ndarray) -> float:
    x, y = loop[:, 0].astype(np.float64), loop[:, 1].astype(np.float64)
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) / 2


def _inside(px: float, py: float, loop: np.ndarray) -> bool:
    """Even-odd point-in-polygon for a point that is never on the loop (a pixel centre)."""
    x0, y0 = loop[:, 0].astype(np.float64), loop[:, 1].astype(np.float64)
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > py) != (y1 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(crosses & (xc > px)) % 2)


def polygons_from_mask(mask: np.ndarray) -> list[list[float]]:
    """COCO polygons whose rasterization (``from_polygon`` each, then the union) is exactly ``mask``.

    One polygon per region of 4-connected 1-pixels, traced along pixel edges (vertices on pixel
    corners). COCO polygons cannot have holes, so each hole's outline is joined to its region's
    outline by a zero-width cut: the polygon walks from the region's first vertex to the hole,
    around it, and back the same way. A segment walked there and back toggles every column it
    crosses twice, so under ``rleFrPoly``'s even-odd fill the cut adds nothing and the hole stays
    empty. Returns [] for an empty mask.
    """
    loops = _boundary_loops(mask)
    outers = [lp for lp in loops if _shoelace(lp) > 0]
    holes = [lp for lp in loops if _shoelace(lp) < 0]
    outer_area = [_shoelace(lp) for lp in outers]
    attached: list[list[np.ndarray]] = [[] for _ in outers]
    for hole in holes:
        # the 1-pixel on the right of the hole's first edge belongs to the enclosing region; the
        # smallest outer loop containing its centre is that region's outline
        (x0, y0), (x1, y1) = hole[0], hole[1]
        dx, dy = np.sign(x1 - x0), np.sign(y1 - y0)
        px, py = x0 + dx * 0.5 - dy * 0.5, y0 + dy * 0.5 + dx * 0.5
        best = min((a, k) for k, (lp, a) in enumerate(zip(outers, outer_area)) if _inside(px, py, lp))[1]
        attached[best].append(hole)
    polygons = []
    for outer, its_holes in zip(outers, attached):
        parts = [outer]
        for hole in its_holes:
            parts += [outer[:1], hole, hole[:1]]
        poly = np.concatenate(parts).astype(np.float64)
        polygons.append(poly.reshape(-1).tolist())
    return polygons
