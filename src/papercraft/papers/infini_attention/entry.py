"""The ``infini-attention`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="infini-attention",
    title="Leave No Context Behind: Efficient Infinite Context Transformers with Infini-attention",
    authors="Munkhdalai, Faruqui, Gopal",
    year=2024,
    arxiv="2404.07143",
    claim="A compressive memory with constant size lets a Transformer retrieve a passkey from far beyond its local segment.",
    paper_numbers=(PaperNumber("passkey retrieval", "solved at 1M tokens", "Table 3"),),
    builds_on=("transformer",),
)
