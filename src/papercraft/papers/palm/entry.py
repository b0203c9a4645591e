"""The ``palm`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="palm",
    title="PaLM: Scaling Language Modeling with Pathways",
    authors="Chowdhery et al.",
    year=2022,
    arxiv="2204.02311",
    claim="The parallel attention+MLP block trains faster per step at about the same loss, and multi-query attention shrinks the KV cache by the number of heads.",
    paper_numbers=(PaperNumber("parallel-block training speed-up", "≈15% at large scale", "§2"),),
    builds_on=("transformer", "gpt", "normalization"),
)
