"""The ``reformer`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="reformer",
    title="Reformer: The Efficient Transformer",
    authors="Kitaev, Kaiser, Levskaya",
    year=2020,
    arxiv="2001.04451",
    claim="Reversible layers give the same gradients with activation memory flat in depth, and LSH attention approaches full attention as hash rounds grow.",
    paper_numbers=(
        PaperNumber("duplication task accuracy, LSH-8 rounds (trained with LSH-4)", "≈99.9%", "Table 2"),
    ),
    builds_on=("transformer",),
)
