"""microscope — OpenAI Microscope (declared; no implementation yet). See ``entry.py``."""
