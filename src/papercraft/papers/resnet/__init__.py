"""ResNet: residual blocks, ImageNet- and CIFAR-style networks and their plain counterparts, and the
degradation experiment. Importable by later entries."""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'IMAGENET_LAYERS': 'model',
    'BasicBlock': 'model',
    'Bottleneck': 'model',
    'ResNet': 'model',
    'ZeroPadShortcut': 'model',
    'cifar_resnet': 'model',
    'from_torchvision_state_dict': 'model',
    'imagenet_resnet': 'model',
    'resnet18': 'model',
    'resnet34': 'model',
    'resnet50': 'model',
    'resnet101': 'model',
    'resnet152': 'model',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['BasicBlock', 'Bottleneck', 'ResNet', 'ZeroPadShortcut', 'IMAGENET_LAYERS', 'cifar_resnet', 'imagenet_resnet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'from_torchvision_state_dict']
