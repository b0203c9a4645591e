"""The ``graves-rnn`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="graves-rnn",
    title="Generating Sequences With Recurrent Neural Networks",
    authors="Graves",
    year=2013,
    arxiv="1308.0850",
    claim="Deep LSTMs predict text well below a unigram baseline and, with a soft window, synthesize handwriting of the requested text.",
    paper_numbers=(PaperNumber("Hutter Prize Wikipedia bits per character", "1.67", "Table 2"),),
)
