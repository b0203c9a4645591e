"""coco — Microsoft COCO: Common Objects in Context (declared; no implementation yet). See ``entry.py``."""
