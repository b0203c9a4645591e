"""explain-neurons — Language models can explain neurons in language models (declared; no implementation yet). See ``entry.py``."""
