"""segmentation: FCN-32s/16s/8s (Long et al. 2015) and U-Net (Ronneberger et al. 2015), mean IoU and
a boundary F-score, and the experiment comparing skips against FCN-32s on the coco entry's shapes."""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'BilinearUpsampling': 'fcn',
    'FCN8s': 'fcn',
    'FCN16s': 'fcn',
    'FCN32s': 'fcn',
    'FCNBackbone': 'fcn',
    'FCNClassifier': 'fcn',
    'bilinear_kernel': 'fcn',
    'bilinear_ramp': 'fcn',
    'DoubleConv': 'unet',
    'UNet': 'unet',
    'UpStep': 'unet',
    'boundary_f_per_image': 'metrics',
    'boundary_f_score': 'metrics',
    'boundary_prf': 'metrics',
    'confusion_matrix': 'metrics',
    'iou_per_class': 'metrics',
    'mask_boundary': 'metrics',
    'mean_iou': 'metrics',
    'per_image_confusion': 'metrics',
    'pixel_accuracy': 'metrics',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['FCN32s', 'FCN16s', 'FCN8s', 'FCNBackbone', 'FCNClassifier', 'BilinearUpsampling', 'bilinear_kernel', 'bilinear_ramp',
           'UNet', 'DoubleConv', 'UpStep', 'confusion_matrix', 'per_image_confusion', 'iou_per_class', 'mean_iou',
           'pixel_accuracy', 'mask_boundary', 'boundary_prf', 'boundary_f_per_image', 'boundary_f_score']
