"""The ``coco`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="coco",
    title="Microsoft COCO: Common Objects in Context",
    authors="Lin et al.",
    year=2014,
    arxiv="1405.0312",
    claim="The COCO evaluation protocol (AP averaged over IoU .5:.95, by object size, and AR) scores detections and masks.",
    paper_numbers=(PaperNumber("IoU thresholds", ".50:.05:.95", "detection eval"),),
)
