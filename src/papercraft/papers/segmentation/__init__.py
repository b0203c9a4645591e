"""segmentation — Segmentation: Fully Convolutional Networks and U-Net (declared; no implementation yet). See ``entry.py``."""
