"""The ``whisper`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="whisper",
    title="Robust Speech Recognition via Large-Scale Weak Supervision",
    authors="Radford, Kim, Xu, Brockman, McLeavey, Sutskever",
    year=2022,
    arxiv="2212.04356",
    claim="An encoder-decoder Transformer on log-mel spectrograms trained with a multitask token format transcribes speech of unseen speakers.",
    paper_numbers=(PaperNumber("LibriSpeech test-clean WER, tiny.en", "5.6%", "Appendix D"),),
    builds_on=("transformer", "bpe"),
)
