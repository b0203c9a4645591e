"""The ``bert`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="bert",
    title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    authors="Devlin, Chang, Lee, Toutanova",
    year=2018,
    arxiv="1810.04805",
    claim="Masked-language-model pre-training of a bidirectional encoder, then fine-tuning, beats training the same model from scratch on downstream tasks.",
    paper_numbers=(PaperNumber("GLUE average, BERT-base", "79.6", "Table 1"),),
    builds_on=("transformer",),
)
