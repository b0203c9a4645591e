"""transformer — Vaswani et al. 2017, "Attention Is All You Need" (arXiv 1706.03762).

- :mod:`.attention`: the building blocks later papers import (scaled dot-product attention,
  multi-head attention, KV cache, sinusoidal and learned positions), re-exported here;
- :mod:`.model`: ``TransformerConfig``, ``EncoderLayer``, ``DecoderLayer``, ``Encoder``, ``Decoder``,
  ``Transformer``, label smoothing and the warm-up schedule (import them from ``.model``: this package
  stays light so that importing attention does not pull in the normalization and seq2seq entries);
- :mod:`.experiment`: the Transformer against the seq2seq baseline at equal training steps (FLOPs counted).
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'KVCache': 'attention',
    'LearnedPositions': 'attention',
    'MultiHeadAttention': 'attention',
    'causal_mask': 'attention',
    'scaled_dot_product_attention': 'attention',
    'sinusoidal_positions': 'attention',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['KVCache', 'LearnedPositions', 'MultiHeadAttention', 'causal_mask', 'scaled_dot_product_attention', 'sinusoidal_positions']
