"""GPT-2's real vocabulary: its 50,256 mergeable ranks plus ``<|endoftext|>`` = 50256."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from papercraft.papers.bpe.tokenizer import ENDOFTEXT, GPT2_PATTERN, Tokenizer, VocabularyError

GPT2_N_RANKS = 50_256
GPT2_VOCAB_SIZE = 50_257


def gpt2_ranks_path() -> Path:
    """Path of GPT-2's rank file in papercraft's data cache (``papercraft data get gpt2-bpe``)."""
    from papercraft.data import require

    return Path(require("gpt2-bpe")) / "gpt2.tiktoken"


@lru_cache(maxsize=4)
def _load(path: str) -> Tokenizer:
    tokenizer = Tokenizer.from_tiktoken_file(path, special_tokens={ENDOFTEXT: GPT2_N_RANKS}, pattern=GPT2_PATTERN,
                                             name="gpt2")
    if len(tokenizer.ranks) != GPT2_N_RANKS or tokenizer.vocab_size != GPT2_VOCAB_SIZE:
        raise VocabularyError(f"{path}: expected GPT-2's {GPT2_N_RANKS} ranks, found {len(tokenizer.ranks)}")
    return tokenizer


def gpt2_tokenizer(path: str | Path | None = None) -> Tokenizer:
    """GPT-2's tokenizer (vocabulary 50,257) from its real ranks.

    Args:
        path: a ``gpt2.tiktoken`` rank file; by default the one from ``papercraft data get gpt2-bpe``
            (a missing data set raises ``DataMissingError`` naming that command).

    The returned object is shared between calls with the same path (its pre-token cache warms up once).
    """
    return _load(str(path if path is not None else gpt2_ranks_path()))
