"""The ``fuyu`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="fuyu",
    title="Fuyu-8B: A Multimodal Architecture for AI Agents",
    authors="Adept AI",
    year=2023,
    claim="A decoder-only Transformer fed linearly projected image patches, with no image encoder, learns to answer questions about images of arbitrary size.",
    paper_numbers=(PaperNumber("image encoder", "none: patches go straight into the decoder", "blog post"),),
    builds_on=("persimmon",),
)
