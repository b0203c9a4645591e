"""stable-diffusion — High-Resolution Image Synthesis with Latent Diffusion Models (declared; no implementation yet). See ``entry.py``."""
