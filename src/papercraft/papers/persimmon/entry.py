"""The ``persimmon`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="persimmon",
    title="Persimmon-8B",
    authors="Adept AI",
    year=2023,
    claim="Query/key LayerNorm keeps training stable at learning rates where the same model without it diverges.",
    paper_numbers=(PaperNumber("context length", "16k", "blog post"),),
    builds_on=("gpt", "normalization"),
)
