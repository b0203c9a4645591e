"""t5 — Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer (declared; no implementation yet). See ``entry.py``."""
