"""bert — BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding (declared; no implementation yet). See ``entry.py``."""
