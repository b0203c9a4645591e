"""localization — Detection and Localization (cs231n) (declared; no implementation yet). See ``entry.py``."""
