"""papercraft: the deep-learning reading list rebuilt from scratch in PyTorch.

Each catalogue entry lives in ``papercraft.papers.<id>``; :mod:`papercraft.registry` lists them.
"""

__version__ = "0.1.0"
