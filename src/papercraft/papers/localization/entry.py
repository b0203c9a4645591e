"""The ``localization`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="localization",
    title="Detection and Localization (cs231n)",
    authors="cs231n",
    year=2016,
    claim="A small one-stage detector with non-maximum suppression scores far above a sliding-window baseline on the shapes set.",
    paper_numbers=(PaperNumber("detector vs sliding window", "far higher AP", "lecture"),),
    builds_on=("coco", "resnet"),
)
