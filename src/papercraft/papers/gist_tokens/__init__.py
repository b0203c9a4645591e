"""gist-tokens — Learning to Compress Prompts with Gist Tokens (declared; no implementation yet). See ``entry.py``."""
