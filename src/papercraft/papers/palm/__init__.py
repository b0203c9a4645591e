"""palm — PaLM: Scaling Language Modeling with Pathways (declared; no implementation yet). See ``entry.py``."""
