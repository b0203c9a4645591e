"""The ``roberta`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="roberta",
    title="RoBERTa: A Robustly Optimized BERT Pretraining Approach",
    authors="Liu, Ott, Goyal, Du, Joshi, Chen, Levy, Lewis, Zettlemoyer, Stoyanov",
    year=2019,
    arxiv="1907.11692",
    claim="Dynamic masking is at least as good as static masking, and dropping next-sentence prediction does not hurt.",
    paper_numbers=(PaperNumber("SQuAD 2.0 F1, static / dynamic masking", "78.3 / 78.7", "Table 1"),),
    builds_on=("bert", "bpe"),
)
