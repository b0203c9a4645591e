"""The ``galactica`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="galactica",
    title="Galactica: A Large Language Model for Science",
    authors="Taylor, Kardas, Cucurull, Scialom, Hartshorn, Saravia, Poulton, Kerkez, Stojnic",
    year=2022,
    arxiv="2211.09085",
    claim="Training on step-by-step <work> traces improves multi-step arithmetic over answers-only training.",
    paper_numbers=(PaperNumber("MMLU mathematics with <work>", "improves over answers only", "§5"),),
    builds_on=("gpt",),
)
