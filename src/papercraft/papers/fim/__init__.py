"""fim — Efficient Training of Language Models to Fill in the Middle (declared; no implementation yet). See ``entry.py``."""
