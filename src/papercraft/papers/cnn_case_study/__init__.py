"""The CNN case study: LeNet-5, AlexNet, ZFNet, VGG and GoogLeNet, each faithful at its paper's input
size and adapted to 28-32 px images, and the historical table they make on MNIST and Fashion-MNIST.
"""

from papercraft.papers.cnn_case_study.alexnet import (
    PAPER_ALEXNET,
    TORCHVISION_ALEXNET,
    AlexNet,
    AlexNetConfig,
    LocalResponseNorm,
    alexnet,
    alexnet_small,
    local_response_norm,
)
from papercraft.papers.cnn_case_study.complexity import count_macs, count_parameters
from papercraft.papers.cnn_case_study.googlenet import (
    PAPER_GOOGLENET,
    TORCHVISION_GOOGLENET,
    GoogLeNet,
    GoogLeNetConfig,
    GoogLeNetOutputs,
    googlenet,
    googlenet_loss,
    googlenet_small,
)
from papercraft.papers.cnn_case_study.lenet import LeNet5, LeNet5Logits, lenet5, lenet_input, lenet_map_loss
from papercraft.papers.cnn_case_study.vgg import CONFIGS as VGG_CONFIGS
from papercraft.papers.cnn_case_study.vgg import VGG, vgg, vgg11, vgg16, vgg_small
from papercraft.papers.cnn_case_study.zfnet import PAPER_ZFNET, zfnet, zfnet_small

__all__ = [
    "AlexNet", "AlexNetConfig", "PAPER_ALEXNET", "TORCHVISION_ALEXNET", "LocalResponseNorm", "local_response_norm",
    "alexnet", "alexnet_small", "zfnet", "zfnet_small", "PAPER_ZFNET", "VGG", "VGG_CONFIGS", "vgg", "vgg11", "vgg16",
    "vgg_small", "GoogLeNet", "GoogLeNetConfig", "GoogLeNetOutputs", "PAPER_GOOGLENET", "TORCHVISION_GOOGLENET",
    "googlenet", "googlenet_loss", "googlenet_small", "LeNet5", "LeNet5Logits", "lenet5", "lenet_input",
    "lenet_map_loss", "count_parameters", "count_macs",
]
