"""coco — Microsoft COCO: the detection and segmentation evaluation protocol (AP over IoU .5:.95, by
object size, AR), COCO's mask run-length encoding, a reader for annotation files, and COCO-shapes, a
seeded generator of COCO-format data. Importable by later entries (localization, segmentation)."""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    "DEFAULT_CATEGORIES": "shapes",
    "ShapesDataset": "shapes",
    "make_shapes": "shapes",
    "RLE": "mask",
    "CocoEvaluation": "evaluation",
    "evaluate": "evaluation",
    "evaluate_reference": "evaluation",
    "CocoFormatError": "annotations",
    "load_ground_truth": "annotations",
    "load_detections": "annotations",
    "synthetic_detections": "synthetic",
    "ground_truth_as_detections": "synthetic",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
