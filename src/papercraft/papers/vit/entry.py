"""The ``vit`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="vit",
    title="An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
    authors="Dosovitskiy et al.",
    year=2020,
    arxiv="2010.11929",
    claim="With little data ViT lacks the inductive bias of CNNs and trails a ResNet of similar size; the gap narrows with more data.",
    paper_numbers=(
        PaperNumber("ImageNet-only pre-training", "ResNets beat ViT; ViT wins with JFT-300M", "Fig. 3"),
    ),
    builds_on=("transformer", "resnet"),
)
