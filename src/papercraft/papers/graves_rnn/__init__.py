"""graves-rnn — Generating Sequences With Recurrent Neural Networks (declared; no implementation yet). See ``entry.py``."""
