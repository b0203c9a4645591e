"""conformer — Conformer: Convolution-augmented Transformer for Speech Recognition (declared; no implementation yet). See ``entry.py``."""
