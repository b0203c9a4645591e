"""The ``gist-tokens`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="gist-tokens",
    title="Learning to Compress Prompts with Gist Tokens",
    authors="Mu, Li, Goodman",
    year=2023,
    arxiv="2304.08467",
    claim="Gist tokens compress a prompt into a few cached activations while approaching the full-prompt model's quality.",
    paper_numbers=(PaperNumber("prompt compression", "up to 26×", "abstract"),),
    builds_on=("gpt",),
)
