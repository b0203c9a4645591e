"""mixtral — Mixtral of Experts (declared; no implementation yet). See ``entry.py``."""
