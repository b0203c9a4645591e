"""weak-to-strong — Weak-to-Strong Generalization (declared; no implementation yet). See ``entry.py``."""
