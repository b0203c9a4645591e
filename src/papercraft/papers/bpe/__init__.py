"""GPT-2 byte-level BPE (Radford et al. 2019, §2.2; Sennrich et al. 2016): papercraft's tokenizer.

- :mod:`.tokenizer`: the byte↔unicode table, pre-tokenization patterns, the encoder (with a
  pre-token cache), decoding, special tokens, tiktoken / vocab.json+merges.txt files;
- :mod:`.train`: the BPE trainer (incremental pair counts);
- :mod:`.experiment`: compression (bytes per token) vs vocabulary size on held-out text;
- :mod:`.cli`: ``papercraft bpe train|encode|decode``.
"""

from papercraft.papers.bpe.tokenizer import (
    CL100K_PATTERN,
    ENDOFTEXT,
    GPT2_PATTERN,
    PATTERNS,
    DisallowedSpecialTokenError,
    Tokenizer,
    VocabularyError,
    bytes_to_unicode,
    unicode_to_bytes,
)
from papercraft.papers.bpe.train import train_bpe
from papercraft.papers.bpe.gpt2 import gpt2_tokenizer

__all__ = ["Tokenizer", "train_bpe", "gpt2_tokenizer", "GPT2_PATTERN", "CL100K_PATTERN", "PATTERNS", "ENDOFTEXT",
           "VocabularyError", "DisallowedSpecialTokenError", "bytes_to_unicode", "unicode_to_bytes"]
