"""The ``clip-resnet`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="clip-resnet",
    title="Learning Transferable Visual Models From Natural Language Supervision (CLIP, modified ResNet)",
    authors="Radford et al.",
    year=2021,
    arxiv="2103.00020",
    claim="A contrastively trained image-text model classifies held-out classes zero-shot from prompts, and prompt ensembling helps.",
    paper_numbers=(PaperNumber("prompt ensembling gain on ImageNet", "+3.5%", "§3.1.4"),),
    builds_on=("resnet", "transformer", "bpe"),
)
