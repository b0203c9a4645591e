"""integer-tokenization — "Integer tokenization is insane" (Beren Millidge, beren.io, 2023).

- :mod:`.analysis`: how a tokenizer splits the integers 0-99,999 (GPT-2's real BPE vocabulary,
  single digits, right-aligned 3-digit chunks): single-token integers, tokens per number, patterns;
- :mod:`.addition`: multi-digit addition problems under each tokenization, for the ``gpt`` entry's
  decoder;
- :mod:`.experiment`: the analysis with the blog's grid plot, and the addition experiment.
"""

from papercraft.papers.integer_tokenization.analysis import (
    SCHEMES,
    IntegerStats,
    consistency_by_digits,
    gpt2_splitter,
    integer_statistics,
    pattern_of,
    split_chunks3,
    split_digits,
    splitter,
)

__all__ = ["SCHEMES", "IntegerStats", "consistency_by_digits", "gpt2_splitter", "integer_statistics", "pattern_of",
           "split_chunks3", "split_digits", "splitter"]
