"""whisper — Robust Speech Recognition via Large-Scale Weak Supervision (declared; no implementation yet). See ``entry.py``."""
