"""The ``microscope`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="microscope",
    title="OpenAI Microscope",
    authors="OpenAI",
    year=2020,
    claim="Feature visualization and top dataset examples give a browsable view of every unit of a network.",
    paper_numbers=(PaperNumber("models covered", "8 vision models", "microscope"),),
    builds_on=("visualizing-cnns",),
)
