"""galactica — Galactica: A Large Language Model for Science (declared; no implementation yet). See ``entry.py``."""
