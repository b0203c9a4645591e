"""vit — An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale (declared; no implementation yet). See ``entry.py``."""
