"""curriculum-learning-lm — Curriculum learning for language modeling (declared; no implementation yet). See ``entry.py``."""
