"""pixelrnn — Pixel Recurrent Neural Networks (declared; no implementation yet). See ``entry.py``."""
