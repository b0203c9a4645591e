"""The ``conformer`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="conformer",
    title="Conformer: Convolution-augmented Transformer for Speech Recognition",
    authors="Gulati et al.",
    year=2020,
    arxiv="2005.08100",
    claim="Combining convolution and self-attention gives lower error than attention-only or convolution-only encoders of the same size.",
    paper_numbers=(PaperNumber("LibriSpeech test-other WER, Conformer (M)", "4.3%", "Table 2"),),
    builds_on=("transformer",),
)
