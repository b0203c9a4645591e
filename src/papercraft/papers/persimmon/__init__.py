"""persimmon — Persimmon-8B (declared; no implementation yet). See ``entry.py``."""
