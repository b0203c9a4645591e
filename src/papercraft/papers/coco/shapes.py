"""COCO-shapes: a seeded generator of COCO-format instance data (there is no real COCO here).

Each image is a textured background with several objects of five categories — circles, squares,
triangles, five-pointed stars, and real MNIST digits pasted in — drawn one over another, plus now
and then an ``iscrowd`` region (a cluster of many small objects of one category annotated as one
RLE, as COCO annotates crowds; Lin et al. 2014, §4). Object areas span COCO's small / medium /
large ranges (thresholds 32² and 96² pixels) where the image size allows.

What the annotations mean (decisions, stated once):

* **Visible extents.** Objects are drawn in order of decreasing size; a later object occludes an
  earlier one. An annotation describes the *visible* pixels, as COCO's annotators outlined what
  they could see: ``area`` is the visible pixel count, ``bbox`` the tight box [x, y, w, h] of the
  visible pixels, and ``segmentation`` rasterizes (pycocotools ``frPyObjects`` + ``merge``, or
  papercraft's ``mask.from_polygon``) to exactly the visible mask. A placement that would leave an
  earlier object with less than a third of its pixels, or a new object with less than half of its
  own in the frame, is rejected and redrawn, so no annotation is a sliver.
* **Polygons.** An unoccluded shape lying wholly inside the frame keeps its exact geometric polygon
  (sub-pixel vertices; a circle is a regular polygon with about one vertex per 2 px of perimeter);
  its pixels are *defined* as that polygon's rasterization, so mask and polygon agree exactly.
  Occluded shapes, shapes cut by the border and digits get the outline of their visible pixels
  traced along pixel edges (``mask.polygons_from_mask``: one polygon per 4-connected part, holes
  joined by zero-width cuts).
* **Crowds** carry an uncompressed RLE (``{"size": [h, w], "counts": [...]}``) and ``iscrowd: 1``.
* Pixel (row r, column c) covers [c, c+1] x [r, r+1]; image ids run 1..N, annotation ids 1..M,
  category ids 1..K in the order of ``categories``.

Image i is drawn from its own random stream (``SeedSequence(seed).spawn``), so the first n images
of a larger set are the n-image set. The pixels never depend on anything but ``seed``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from papercraft.io import write_atomic
from papercraft.papers.coco import mask as masks

DEFAULT_CATEGORIES: tuple[str, ...] = ("circle", "square", "triangle", "star", "digit")
SHAPE_NAMES: tuple[str, ...] = DEFAULT_CATEGORIES

SMALL, LARGE = 32 ** 2, 96 ** 2          # COCO's area thresholds (pycocotools Params.areaRng)
_MIN_VISIBLE_FRACTION = 1 / 3             # an earlier object keeps at least this share of its pixels
_MIN_IN_FRAME_FRACTION = 0.5              # a new object has at least this share inside the image
_MIN_PIXELS = 12


@dataclass
class ShapesDataset:
    """A generated set: ``images`` uint8 [N, S, S, 3]; ``coco`` a COCO instances dict;
    ``instance_maps`` uint16 [N, S, S] (0 = background, k = the image's k-th annotation on top).

    Built with ``render=False`` the pixel arrays are empty ([0, S, S, ...]) and only ``coco`` is kept.
    """

    images: np.ndarray
    coco: dict[str, Any]
    instance_maps: np.ndarray
    categories: tuple[str, ...]
    _by_image: list[list[dict[str, Any]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self._by_image:
            index = {img["id"]: k for k, img in enumerate(self.coco["images"])}
            self._by_image = [[] for _ in self.coco["images"]]
            for ann in self.coco["annotations"]:
                self._by_image[index[ann["image_id"]]].append(ann)

    def __len__(self) -> int:
        return len(self.coco["images"])

    def annotations(self, i: int) -> list[dict[str, Any]]:
        """The annotations of image ``i`` (0-based position; its id is ``i + 1``), in drawing order."""
        return self._by_image[i]

    def semantic_masks(self) -> np.ndarray:
        """int64 [N, S, S]: 0 background, else the category id of the object visible on top
        (crowd regions labelled by their category)."""
        self._need_pixels("semantic_masks")
        out = np.zeros(self.instance_maps.shape, dtype=np.int64)
        for i, anns in enumerate(self._by_image):
            lookup = np.array([0] + [a["category_id"] for a in anns], dtype=np.int64)
            out[i] = lookup[self.instance_maps[i]]
        return out

    def instance_masks(self, i: int) -> np.ndarray:
        """bool [M, S, S]: the visible mask of each annotation of image ``i`` (crowds included)."""
        self._need_pixels("instance_masks")
        n = len(self._by_image[i])
        return self.instance_maps[i][None, :, :] == np.arange(1, n + 1, dtype=np.uint16)[:, None, None]

    def boxes(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Image ``i``'s non-crowd objects: boxes float32 [M, 4] as (x1, y1, x2, y2) and category
        ids int64 [M]."""
        anns = [a for a in self._by_image[i] if not a["iscrowd"]]
        b = np.array([a["bbox"] for a in anns], dtype=np.float32).reshape(-1, 4)
        b[:, 2:] += b[:, :2]
        return b, np.array([a["category_id"] for a in anns], dtype=np.int64)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``instances.json`` and ``images/<id>.png``; returns the path of the JSON."""
        out_dir = Path(out_dir)
        path = write_atomic(out_dir / "instances.json", json.dumps(self.coco))
        if self.images.shape[0]:
            from PIL import Image

            (out_dir / "images").mkdir(parents=True, exist_ok=True)
            for img, pixels in zip(self.coco["images"], self.images):
                target = out_dir / "images" / img["file_name"]
                tmp = target.with_name(target.name + ".tmp")
                Image.fromarray(pixels).save(tmp, format="PNG")
                tmp.replace(target)
        return path

    def _need_pixels(self, what: str) -> None:
        if self.instance_maps.shape[0] != len(self):
            raise ValueError(f"{what}: this set was made with render=False; make it with render=True")


# --------------------------------------------------------------------------------------------
# Shapes as polygons
# --------------------------------------------------------------------------------------------

def _regular(n: int, radius: float, angle: float) -> np.ndarray:
    a = angle + 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)


def _star(radius: float, angle: float) -> np.ndarray:
    r = np.where(np.arange(10) % 2 == 0, radius, 0.45 * radius)
    a = angle + np.pi * np.arange(10) / 5
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)


def _unit_area(name: str) -> float:
    """Area of the shape of radius 1 (to pick a radius for a target area)."""
    outline = {"circle": _regular(64, 1.0, 0.0), "square": _regular(4, 1.0, 0.0),
               "triangle": _regular(3, 1.0, 0.0), "star": _star(1.0, 0.0)}[name]
    x, y = outline[:, 0], outline[:, 1]
    return abs(float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))) / 2


def shape_polygon(name: str, cx: float, cy: float, radius: float, angle: float) -> np.ndarray:
    """Vertices [k, 2] (x, y) of a circle, square, triangle or star of circumradius ``radius``."""
    if name == "circle":
        outline = _regular(max(12, int(math.ceil(math.pi * radius))), radius, angle)
    elif name == "square":
        outline = _regular(4, radius, angle)
    elif name == "triangle":
        outline = _regular(3, radius, angle)
    elif name == "star":
        outline = _star(radius, angle)
    else:
        raise ValueError(f"name: expected one of circle, square, triangle, star, got {name!r}")
    return outline + np.array([cx, cy])


@functools.lru_cache(maxsize=1)
def _mnist_digits() -> np.ndarray:
    """The 8,000 training digits of ``papercraft.data.load_mnist`` as uint8 [N, 28, 28]."""
    from papercraft.data import load_mnist

    return load_mnist().x_train.numpy()


def _resize(image: np.ndarray, side: int) -> np.ndarray:
    """Bilinear resize of a square image [n, n] to [side, side] (pixel centres aligned)."""
    n = image.shape[0]
    pos = (np.arange(side) + 0.5) * n / side - 0.5
    pos = np.clip(pos, 0, n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    f = pos - lo
    img = image.astype(np.float64)
    rows = img[lo] * (1 - f)[:, None] + img[hi] * f[:, None]
    return rows[:, lo] * (1 - f)[None, :] + rows[:, hi] * f[None, :]


# --------------------------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------------------------

@dataclass
class _Layer:
    category: int                 # category id
    full: np.ndarray              # bool [S, S]: every pixel the layer paints
    polygon: np.ndarray | None    # exact geometric outline if any (in-frame shapes only)
    crowd: bool


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A textured background float [S, S, 3]: a colour, a linear gradient, stripes and noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    base = rng.uniform(50, 205, size=3)
    phi = rng.uniform(0, 2 * np.pi)
    ramp = (xx * np.cos(phi) + yy * np.sin(phi)) / size
    grad = rng.uniform(-35, 35, size=3)
    theta = rng.uniform(0, np.pi)
    period = rng.uniform(5, 28)
    stripes = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    amp = rng.uniform(8, 28)
    img = base + ramp[..., None] * grad + amp * stripes[..., None] * rng.uniform(0.5, 1.0, size=3)
    img += rng.normal(0, 5, size=(size, size, 3))
    return img


def _luminance(rgb: np.ndarray) -> float:
    return float(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def _object_colour(rng: np.random.Generator, background: float) -> np.ndarray:
    for _ in range(50):
        colour = rng.uniform(0, 255, size=3)
        if abs(_luminance(colour) - background) > 70:
            return colour
    return np.full(3, 0.0 if background > 128 else 255.0)


def _area_ranges(size: int) -> dict[str, tuple[float, float]]:
    """Target-area ranges for small, medium and large objects at this image size."""
    full = size * size
    ranges = {"small": (40.0, float(SMALL)), "medium": (float(SMALL), min(float(LARGE), 0.45 * full))}
    if 0.7 * full > 1.15 * LARGE:
        ranges["large"] = (float(LARGE) * 1.1, 0.7 * full)
    if ranges["medium"][1] <= ranges["medium"][0] * 1.2:
        del ranges["medium"]
    return ranges


def _sample_shape(rng: np.random.Generator, name: str, category: int, target_area: float, size: int,
                  digits: np.ndarray | None) -> _Layer:
    """One object of about ``target_area`` pixels at a random place (possibly cut by the border)."""
    if name == "digit":
        assert digits is not None
        digit = digits[rng.integers(len(digits))]
        side = max(6, int(round(math.sqrt(target_area / 0.19))))   # strokes cover ~19% of the box
        glyph = _resize(digit, side) >= 128
        margin = int(0.25 * side)
        x0 = int(rng.integers(-margin, max(-margin + 1, size - side + margin + 1)))
        y0 = int(rng.integers(-margin, max(-margin + 1, size - side + margin + 1)))
        full = np.zeros((size, size), dtype=bool)
        xs, ys = max(0, x0), max(0, y0)
        xe, ye = min(size, x0 + side), min(size, y0 + side)
        if xe > xs and ye > ys:
            full[ys:ye, xs:xe] = glyph[ys - y0:ye - y0, xs - x0:xe - x0]
        return _Layer(category, full, None, False)
    radius = math.sqrt(target_area / _unit_area(name))
    reach = 0.35 * radius
    lo, hi = reach, size - reach
    cx = float(rng.uniform(lo, hi)) if hi > lo else size / 2
    cy = float(rng.uniform(lo, hi)) if hi > lo else size / 2
    poly = shape_polygon(name, cx, cy, radius, float(rng.uniform(0, 2 * np.pi)))
    full = masks.decode(masks.from_polygon(poly.reshape(-1), size, size)).astype(bool)
    inside = bool(np.all(poly >= 0) and np.all(poly <= size))
    return _Layer(category, full, poly if inside else None, False)


def _sample_crowd(rng: np.random.Generator, name: str, category: int, size: int,
                  digits: np.ndarray | None) -> _Layer:
    """A crowd: 6-14 small objects of one category clustered in a disc; one layer, one RLE."""
    region = math.sqrt(rng.uniform(0.04, 0.12) * size * size / math.pi)
    cx = float(rng.uniform(region * 0.5, size - region * 0.5))
    cy = float(rng.uniform(region * 0.5, size - region * 0.5))
    full = np.zeros((size, size), dtype=bool)
    for _ in range(int(rng.integers(6, 15))):
        r = region * math.sqrt(rng.uniform(0, 1))
        a = rng.uniform(0, 2 * np.pi)
        member = _sample_shape(rng, name, category, float(rng.uniform(15, 60)), size, digits)
        # move the member to its place in the cluster
        ys, xs = np.nonzero(member.full)
        if xs.size == 0:
            continue
        dx = int(round(cx + r * math.cos(a) - xs.mean()))
        dy = int(round(cy + r * math.sin(a) - ys.mean()))
        xs, ys = xs + dx, ys + dy
        ok = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
        full[ys[ok], xs[ok]] = True
    return _Layer(category, full, None, True)


def _make_image(rng: np.random.Generator, size: int, categories: Sequence[str], max_objects: int,
                crowd_fraction: float, digits: np.ndarray | None, render: bool
                ) -> tuple[np.ndarray | None, np.ndarray, list[_Layer]]:
    """Pixels uint8 [S, S, 3] (or None), the instance map uint16 [S, S], and the layers on it."""
    ranges = _area_ranges(size)
    n = int(rng.integers(1, max_objects + 1))
    plans: list[tuple[float, str, int, bool]] = []          # (target area, shape, category, crowd)
    for k in range(n):
        cat = int(rng.integers(len(categories)))
        if rng.uniform() < crowd_fraction:
            plans.append((float(LARGE), categories[cat], cat + 1, True))
            continue
        if k == 0 and "large" in ranges and rng.uniform() < 0.4:
            band = "large"
        else:
            band = "small" if ("medium" not in ranges or rng.uniform() < 0.5) else "medium"
        lo, hi = ranges[band]
        plans.append((float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), categories[cat], cat + 1, False))
    plans.sort(key=lambda p: -p[0])                          # big objects first, small ones on top

    instance = np.zeros((size, size), dtype=np.uint16)
    layers: list[_Layer] = []
    full_area: list[int] = []
    for target, name, cat, crowd in plans:
        for _attempt in range(20):
            if crowd:
                layer = _sample_crowd(rng, name, cat, size, digits)
                expected = layer.full.sum()
            else:
                layer = _sample_shape(rng, name, cat, target, size, digits)
                expected = target
            own = int(layer.full.sum())
            if own < max(_MIN_PIXELS, _MIN_IN_FRAME_FRACTION * expected):
                continue
            covered = np.bincount(instance[layer.full], minlength=len(layers) + 1)[1:]
            visible = np.bincount(instance.ravel(), minlength=len(layers) + 1)[1:]
            left = visible - covered
            if np.any((left < _MIN_VISIBLE_FRACTION * np.array(full_area, dtype=np.float64)) | (left < _MIN_PIXELS)):
                continue
            instance[layer.full] = len(layers) + 1
            layers.append(layer)
            full_area.append(own)
            break

    if not render:
        return None, instance, layers
    img = _background(rng, size)
    bg_lum = _luminance(img.reshape(-1, 3).mean(axis=0))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for k, layer in enumerate(layers):
        colour = _object_colour(rng, bg_lum)
        theta, period = rng.uniform(0, np.pi), rng.uniform(4, 12)
        texture = 10 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
        paint = instance == k + 1
        img[paint] = colour + texture[paint][:, None] + rng.normal(0, 3, size=(int(paint.sum()), 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), instance, layers


def _annotation(layer: _Layer, visible: np.ndarray, image_id: int, ann_id: int) -> dict[str, Any]:
    """The COCO annotation of one layer's visible pixels (module docstring)."""
    if layer.crowd:
        segmentation: Any = masks.to_coco(masks.encode(visible), compressed=False)
    elif layer.polygon is not None and np.array_equal(visible, layer.full):
        segmentation = [layer.polygon.reshape(-1).tolist()]
    else:
        segmentation = masks.polygons_from_mask(visible)
    return {"id": ann_id, "image_id": image_id, "category_id": layer.category,
            "segmentation": segmentation, "area": float(np.count_nonzero(visible)),
            "bbox": masks.tight_bbox(visible), "iscrowd": int(layer.crowd)}


def make_shapes(n_images: int, size: int = 128, seed: int = 0, *,
                categories: Sequence[str] = DEFAULT_CATEGORIES, max_objects: int = 6,
                crowd_fraction: float = 0.05, render: bool = True) -> ShapesDataset:
    """Generate ``n_images`` COCO-shapes images of ``size`` x ``size`` pixels, deterministically.

    ``categories`` is any ordered subset of ("circle", "square", "triangle", "star", "digit"); ids
    are 1..K in that order; "digit" needs ``papercraft data get mnist``. Each image has 1 to
    ``max_objects`` objects; each object is a crowd region with probability ``crowd_fraction``.
    ``render=False`` skips the pixels and keeps only the annotations (for large benchmark sets).
    """
    if not isinstance(n_images, int) or n_images < 0:
        raise ValueError(f"n_images: expected a non-negative int, got {n_images!r}")
    if not isinstance(size, int) or size < 16:
        raise ValueError(f"size: expected an int of at least 16 pixels, got {size!r}")
    categories = tuple(categories)
    unknown = [c for c in categories if c not in SHAPE_NAMES]
    if not categories or unknown or len(set(categories)) != len(categories):
        raise ValueError(f"categories: expected distinct names from {SHAPE_NAMES}, got {categories}")
    if not isinstance(max_objects, int) or max_objects < 1:
        raise ValueError(f"max_objects: expected an int >= 1, got {max_objects!r}")
    if not 0.0 <= crowd_fraction <= 1.0:
        raise ValueError(f"crowd_fraction: expected a probability in [0, 1], got {crowd_fraction!r}")
    digits = _mnist_digits() if "digit" in categories else None

    images, instance_maps = [], []
    coco_images, annotations = [], []
    streams = np.random.SeedSequence(seed).spawn(n_images)
    ann_id = 0
    for i, stream in enumerate(streams):
        rng = np.random.default_rng(stream)
        pixels, instance, layers = _make_image(rng, size, categories, max_objects, crowd_fraction, digits, render)
        image_id = i + 1
        coco_images.append({"id": image_id, "file_name": f"{image_id}.png", "height": size, "width": size})
        for k, layer in enumerate(layers):
            ann_id += 1
            annotations.append(_annotation(layer, instance == k + 1, image_id, ann_id))
        if render:
            images.append(pixels)
            instance_maps.append(instance)
    coco = {
        "info": {"description": f"papercraft COCO-shapes (seed {seed}, {n_images} images of {size} px)"},
        "images": coco_images,
        "annotations": annotations,
        "categories": [{"id": k + 1, "name": name, "supercategory": "shape"} for k, name in enumerate(categories)],
    }
    empty = (0, size, size)
    return ShapesDataset(
        images=np.stack(images) if images else np.zeros(empty + (3,), dtype=np.uint8),
        coco=coco,
        instance_maps=np.stack(instance_maps) if instance_maps else np.zeros(empty, dtype=np.uint16),
        categories=categories,
    )
