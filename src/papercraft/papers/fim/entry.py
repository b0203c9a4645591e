"""The ``fim`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="fim",
    title="Efficient Training of Language Models to Fill in the Middle",
    authors="Bavarian, Jun, Tezak, Schulman, McLeavey, Tworek, Chen",
    year=2022,
    arxiv="2207.14255",
    claim="Training with FIM rate 0.5 leaves left-to-right loss unchanged (FIM-for-free) while enabling infilling.",
    paper_numbers=(PaperNumber("left-to-right loss with FIM 0.5 vs 0", "no degradation", "Fig. 1"),),
    builds_on=("gpt",),
)
