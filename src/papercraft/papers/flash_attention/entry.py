"""The ``flash-attention`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="flash-attention",
    title="FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
    authors="Dao, Fu, Ermon, Rudra, Ré",
    year=2022,
    arxiv="2205.14135",
    claim="Tiled attention with online softmax is exact, uses memory linear in sequence length, and is 2-4× faster than standard attention on GPU.",
    paper_numbers=(PaperNumber("speed-up over PyTorch attention", "2-4×", "Fig. 1"),),
    builds_on=("transformer",),
)
