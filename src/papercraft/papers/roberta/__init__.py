"""roberta — RoBERTa: A Robustly Optimized BERT Pretraining Approach (declared; no implementation yet). See ``entry.py``."""
