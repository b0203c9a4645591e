"""integer-tokenization — "Integer tokenization is insane" (Beren Millidge, beren.io, 2023).

- :mod:`.analysis`: how a tokenizer splits the integers 0-99,999 (GPT-2's real BPE vocabulary,
  single digits, right-aligned 3-digit chunks): single-token integers, tokens per number, patterns;
- :mod:`.addition`: multi-digit addition problems under each tokenization, for the ``gpt`` entry's
  decoder;
- :mod:`.experiment`: the analysis with the blog's grid plot, and the addition experiment.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'SCHEMES': 'analysis',
    'IntegerStats': 'analysis',
    'consistency_by_digits': 'analysis',
    'gpt2_splitter': 'analysis',
    'integer_statistics': 'analysis',
    'pattern_of': 'analysis',
    'split_chunks3': 'analysis',
    'split_chunks2': 'analysis',
    'random12_splitter': 'analysis',
    'split_digits': 'analysis',
    'splitter': 'analysis',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['SCHEMES', 'IntegerStats', 'consistency_by_digits', 'gpt2_splitter', 'integer_statistics', 'pattern_of', 'split_chunks3', 'split_chunks2', 'random12_splitter', 'split_digits', 'splitter']
