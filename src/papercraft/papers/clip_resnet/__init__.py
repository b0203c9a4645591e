"""clip-resnet — Learning Transferable Visual Models From Natural Language Supervision (CLIP, modified ResNet) (declared; no implementation yet). See ``entry.py``."""
