"""fuyu — Fuyu-8B: A Multimodal Architecture for AI Agents (declared; no implementation yet). See ``entry.py``."""
