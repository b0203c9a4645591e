"""transformer-xl — Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context (declared; no implementation yet). See ``entry.py``."""
