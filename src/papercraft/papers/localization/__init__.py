"""localization: boxes and IoU/GIoU losses, non-maximum suppression, single-object localization,
a small CenterNet detector and a sliding-window baseline (cs231n "Detection and Localization").
Importable by later entries; the detector's :func:`detect` gives COCO-format detections."""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'aligned_box_iou': 'boxes',
    'box_area': 'boxes',
    'box_iou': 'boxes',
    'generalized_box_iou': 'boxes',
    'giou_loss': 'boxes',
    'iou_loss': 'boxes',
    'xywh_to_xyxy': 'boxes',
    'xyxy_to_xywh': 'boxes',
    'nms': 'nms',
    'nms_reference': 'nms',
    'batched_nms': 'nms',
    'Localizer': 'localizer',
    'LocalizerConfig': 'localizer',
    'localization_loss': 'localizer',
    'localization_scores': 'localizer',
    'CenterNet': 'detector',
    'CenterNetConfig': 'detector',
    'CenterTargets': 'detector',
    'Detections': 'detector',
    'centernet_loss': 'detector',
    'coco_detections': 'detector',
    'decode': 'detector',
    'detect': 'detector',
    'encode_targets': 'detector',
    'focal_loss': 'detector',
    'gaussian_radius': 'detector',
    'images_to_tensor': 'detector',
    'WindowClassifier': 'sliding_window',
    'sample_training_windows': 'sliding_window',
    'sliding_window_detect': 'sliding_window',
    'window_grid': 'sliding_window',
    'window_loss': 'sliding_window',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
