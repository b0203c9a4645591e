"""The ``mixtral`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="mixtral",
    title="Mixtral of Experts",
    authors="Jiang et al.",
    year=2024,
    arxiv="2401.04088",
    claim="A sparse mixture of experts reaches lower loss than a dense model with the same active parameters per token.",
    paper_numbers=(PaperNumber("active / total parameters", "13B / 47B", "§2"),),
    builds_on=("transformer", "normalization", "palm"),
)
