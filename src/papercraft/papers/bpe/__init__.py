"""GPT-2 byte-level BPE (Radford et al. 2019, §2.2; Sennrich et al. 2016): papercraft's tokenizer.

- :mod:`.tokenizer`: the byte↔unicode table, pre-tokenization patterns, the encoder (with a
  pre-token cache), decoding, special tokens, tiktoken / vocab.json+merges.txt files;
- :mod:`.train`: the BPE trainer (incremental pair counts);
- :mod:`.experiment`: compression (bytes per token) vs vocabulary size on held-out text;
- :mod:`.cli`: ``papercraft bpe train|encode|decode``.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'CL100K_PATTERN': 'tokenizer',
    'ENDOFTEXT': 'tokenizer',
    'GPT2_PATTERN': 'tokenizer',
    'PATTERNS': 'tokenizer',
    'DisallowedSpecialTokenError': 'tokenizer',
    'Tokenizer': 'tokenizer',
    'VocabularyError': 'tokenizer',
    'bytes_to_unicode': 'tokenizer',
    'unicode_to_bytes': 'tokenizer',
    'train_bpe': 'train',
    'gpt2_tokenizer': 'gpt2',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['Tokenizer', 'train_bpe', 'gpt2_tokenizer', 'GPT2_PATTERN', 'CL100K_PATTERN', 'PATTERNS', 'ENDOFTEXT', 'VocabularyError', 'DisallowedSpecialTokenError', 'bytes_to_unicode', 'unicode_to_bytes']
