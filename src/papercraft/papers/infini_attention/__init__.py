"""infini-attention — Leave No Context Behind: Efficient Infinite Context Transformers with Infini-attention (declared; no implementation yet). See ``entry.py``."""
