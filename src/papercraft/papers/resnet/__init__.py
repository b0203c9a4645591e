"""ResNet: residual blocks, ImageNet- and CIFAR-style networks and their plain counterparts, and the
degradation experiment. Importable by later entries."""

from papercraft.papers.resnet.model import (
    IMAGENET_LAYERS,
    BasicBlock,
    Bottleneck,
    ResNet,
    ZeroPadShortcut,
    cifar_resnet,
    from_torchvision_state_dict,
    imagenet_resnet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "ZeroPadShortcut", "IMAGENET_LAYERS", "cifar_resnet", "imagenet_resnet",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "from_torchvision_state_dict"]
