"""The ``t5`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="t5",
    title="Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
    authors="Raffel, Shazeer, Roberts, Lee, Narang, Matena, Zhou, Li, Liu",
    year=2019,
    arxiv="1910.10683",
    claim="Span-corruption pre-training improves downstream text-to-text tasks, and one model handles several tasks through prefixes.",
    paper_numbers=(
        PaperNumber("GLUE average, no pre-training vs span corruption", "66.22 vs 83.28", "Table 4, 7"),
    ),
    builds_on=("transformer",),
)
