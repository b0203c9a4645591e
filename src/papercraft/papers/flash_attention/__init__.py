"""flash-attention — FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness (declared; no implementation yet). See ``entry.py``."""
