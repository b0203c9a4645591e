"""The ``segmentation`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="segmentation",
    title="Segmentation: Fully Convolutional Networks and U-Net",
    authors="Long, Shelhamer, Darrell; Ronneberger, Fischer, Brox",
    year=2015,
    arxiv="1411.4038",
    claim="Skip connections (FCN-8s, U-Net) beat FCN-32s on mean IoU and especially at boundaries.",
    paper_numbers=(PaperNumber("PASCAL VOC mean IU, FCN-32s → FCN-8s", "59.4 → 62.7", "FCN Table 2"),),
    builds_on=("coco",),
)
