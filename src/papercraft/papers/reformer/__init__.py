"""reformer — Reformer: The Efficient Transformer (declared; no implementation yet). See ``entry.py``."""
