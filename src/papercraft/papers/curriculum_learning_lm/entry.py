"""The ``curriculum-learning-lm`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="curriculum-learning-lm",
    title="Curriculum learning for language modeling",
    authors="Campos",
    year=2021,
    arxiv="2108.02170",
    claim="Competence-based curricula ordered by difficulty do not improve a language model's validation perplexity beyond seed noise.",
    paper_numbers=(
        PaperNumber("best curriculum vs baseline perplexity", "no consistent improvement", "Table 1"),
    ),
)
