"""The ``tts`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="tts",
    title="Text-to-speech: Tacotron 2 and a non-autoregressive model (coqui-ai TTS collection)",
    authors="Shen et al.; Kim et al.",
    year=2018,
    arxiv="1712.05884",
    claim="A sequence-to-sequence model with location-sensitive attention generates intelligible speech of held-out sentences with a monotonic alignment.",
    paper_numbers=(PaperNumber("MOS, Tacotron 2", "4.53", "Table 1"),),
    builds_on=("seq2seq",),
)
