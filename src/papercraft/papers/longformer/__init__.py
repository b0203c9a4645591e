"""longformer — Longformer: The Long-Document Transformer (declared; no implementation yet). See ``entry.py``."""
