"""The ``weak-to-strong`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="weak-to-strong",
    title="Weak-to-Strong Generalization",
    authors="Burns et al.",
    year=2023,
    arxiv="2312.09390",
    claim="Strong students trained on weak labels recover part of the performance gap (PGR > 0), and an auxiliary confidence loss raises it.",
    paper_numbers=(PaperNumber("PGR on NLP tasks with confidence loss", "≈80% for large gaps", "Fig. 3"),),
)
