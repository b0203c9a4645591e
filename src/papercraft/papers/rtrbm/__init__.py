"""rtrbm — The Recurrent Temporal Restricted Boltzmann Machine (declared; no implementation yet). See ``entry.py``."""
