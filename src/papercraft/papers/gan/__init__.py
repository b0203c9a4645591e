"""gan — Generative Adversarial Networks (with DCGAN) (declared; no implementation yet). See ``entry.py``."""
