"""multimodality — Multimodality: how CLIP, Fuyu, Whisper and latent diffusion fuse modalities (declared; no implementation yet). See ``entry.py``."""
