"""The CNN case study: LeNet-5, AlexNet, ZFNet, VGG and GoogLeNet, each faithful at its paper's input
size and adapted to 28-32 px images, and the historical table they make on MNIST and Fashion-MNIST.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'VGG_CONFIGS': 'vgg',
    'PAPER_ALEXNET': 'alexnet',
    'TORCHVISION_ALEXNET': 'alexnet',
    'AlexNet': 'alexnet',
    'AlexNetConfig': 'alexnet',
    'LocalResponseNorm': 'alexnet',
    'alexnet': 'alexnet',
    'alexnet_small': 'alexnet',
    'local_response_norm': 'alexnet',
    'ShiftedBatches': 'augment',
    'random_shift': 'augment',
    'count_macs': 'complexity',
    'count_parameters': 'complexity',
    'PAPER_GOOGLENET': 'googlenet',
    'TORCHVISION_GOOGLENET': 'googlenet',
    'GoogLeNet': 'googlenet',
    'GoogLeNetConfig': 'googlenet',
    'GoogLeNetOutputs': 'googlenet',
    'googlenet': 'googlenet',
    'googlenet_loss': 'googlenet',
    'googlenet_small': 'googlenet',
    'LeNet5': 'lenet',
    'LeNet5Logits': 'lenet',
    'lenet5': 'lenet',
    'lenet_input': 'lenet',
    'lenet_map_loss': 'lenet',
    'VGG': 'vgg',
    'vgg': 'vgg',
    'vgg11': 'vgg',
    'vgg16': 'vgg',
    'vgg_small': 'vgg',
    'PAPER_ZFNET': 'zfnet',
    'zfnet': 'zfnet',
    'zfnet_small': 'zfnet',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['AlexNet', 'AlexNetConfig', 'PAPER_ALEXNET', 'TORCHVISION_ALEXNET', 'LocalResponseNorm', 'local_response_norm', 'alexnet', 'alexnet_small', 'zfnet', 'zfnet_small', 'PAPER_ZFNET', 'VGG', 'VGG_CONFIGS', 'vgg', 'vgg11', 'vgg16', 'vgg_small', 'GoogLeNet', 'GoogLeNetConfig', 'GoogLeNetOutputs', 'PAPER_GOOGLENET', 'TORCHVISION_GOOGLENET', 'googlenet', 'googlenet_loss', 'googlenet_small', 'LeNet5', 'LeNet5Logits', 'lenet5', 'lenet_input', 'lenet_map_loss', 'count_parameters', 'count_macs', 'ShiftedBatches', 'random_shift']
