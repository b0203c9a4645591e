"""The ``transformer-xl`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="transformer-xl",
    title="Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context",
    authors="Dai, Yang, Yang, Carbonell, Le, Salakhutdinov",
    year=2019,
    arxiv="1901.02860",
    claim="Segment-level recurrence with relative positions lowers loss on long-range text at equal segment length and makes evaluation much faster than recomputation.",
    paper_numbers=(PaperNumber("evaluation speed-up vs vanilla", "up to 1,874×", "Table 9"),),
    builds_on=("transformer",),
)
