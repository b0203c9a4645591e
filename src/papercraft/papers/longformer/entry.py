"""The ``longformer`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="longformer",
    title="Longformer: The Long-Document Transformer",
    authors="Beltagy, Peters, Cohan",
    year=2020,
    arxiv="2004.05150",
    claim="Sliding-window plus global attention scales linearly with length and matches full attention on long-document tasks.",
    paper_numbers=(PaperNumber("memory scaling", "linear vs quadratic", "Fig. 1"),),
    builds_on=("transformer",),
)
