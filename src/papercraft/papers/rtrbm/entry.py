"""The ``rtrbm`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="rtrbm",
    title="The Recurrent Temporal Restricted Boltzmann Machine",
    authors="Sutskever, Hinton, Taylor",
    year=2008,
    claim="The RTRBM predicts the next frame of bouncing-balls videos better than the TRBM.",
    paper_numbers=(PaperNumber("bouncing balls next-frame error", "RTRBM < TRBM", "§5"),),
)
