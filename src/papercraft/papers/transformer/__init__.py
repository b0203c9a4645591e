"""transformer — Vaswani et al. 2017, "Attention Is All You Need" (arXiv 1706.03762).

``attention`` holds the building blocks later papers import (scaled dot-product attention,
multi-head attention, KV cache, positions).
"""

from papercraft.papers.transformer.attention import (
    KVCache,
    LearnedPositions,
    MultiHeadAttention,
    causal_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
)

__all__ = [
    "KVCache",
    "LearnedPositions",
    "MultiHeadAttention",
    "causal_mask",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
]
