"""The ``ssm`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="ssm",
    title="Efficiently Modeling Long Sequences with Structured State Spaces (S4) / Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
    authors="Gu, Goel, Ré; Gu & Dao",
    year=2023,
    arxiv="2312.00752",
    claim="Selective (input-dependent) state spaces solve selective copying and induction heads, which LTI state spaces such as S4 do not, at constant inference cost per token.",
    paper_numbers=(PaperNumber("selective copying accuracy, S4 / Mamba (S6)", "18.3% / 99.8%", "Table 1"),),
)
