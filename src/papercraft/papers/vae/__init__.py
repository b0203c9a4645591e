"""vae — Auto-Encoding Variational Bayes (declared; no implementation yet). See ``entry.py``."""
