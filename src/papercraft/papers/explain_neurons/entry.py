"""The ``explain-neurons`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="explain-neurons",
    title="Language models can explain neurons in language models",
    authors="Bills, Cammarata, Mossing, Tillman, Gao, Goh, Sutskever, Leike, Wu, Saunders",
    year=2023,
    claim="Explanations of neurons, scored by simulating activations from them, beat random explanations for a fraction of neurons.",
    paper_numbers=(PaperNumber("neurons with score ≥ 0.8 (GPT-2 XL)", "≈1,000 of 307,200", "§4"),),
    builds_on=("gpt",),
)
