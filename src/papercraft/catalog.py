"""The catalogue's map: the ordered entry ids, grouped by section, as in ``shared/catalog.md``.

This is the only central file an entry touches. Each entry declares itself in
``src/papercraft/papers/<id>/entry.py``; the registry (:func:`papercraft.registry.registry`)
reads the declarations in this order. A test checks the ids against ``../shared/catalog.md``.
"""

from __future__ import annotations

SECTIONS: dict[str, tuple[str, ...]] = {
    'A. Generalization and optimization': (
        'rethinking-generalization',
        'optimizers',
        'super-convergence',
        'curriculum-learning-lm',
    ),
    'B. Transformers and their descendants': (
        'transformer',
        'seq2seq',
        'gpt',
        'bert',
        'roberta',
        't5',
        'transformer-xl',
        'reformer',
        'flash-attention',
        'longformer',
        'infini-attention',
        'palm',
        'galactica',
        'persimmon',
        'fuyu',
        'mixtral',
        'ssm',
        'conformer',
        'whisper',
        'tts',
        'vit',
    ),
    'C. Convolutional networks and vision tasks': (
        'cnn-case-study',
        'visualizing-cnns',
        'resnet',
        'clip-resnet',
        'coco',
        'localization',
        'segmentation',
    ),
    'D. Sequences and generative models': (
        'graves-rnn',
        'pixelrnn',
        'vae',
        'gan',
        'stable-diffusion',
        'rtrbm',
    ),
    'E. Interpretability, supervision, multimodality': (
        'microscope',
        'explain-neurons',
        'weak-to-strong',
        'multimodality',
    ),
    'F. Normalization and tokenization': (
        'normalization',
        'bpe',
        'fim',
        'gist-tokens',
        'integer-tokenization',
    ),
}
"""Section title -> the ids of its entries, in the catalogue's order."""

ORDER: tuple[str, ...] = tuple(entry_id for ids in SECTIONS.values() for entry_id in ids)
"""Every entry id, in the catalogue's order."""

_SECTION_OF = {entry_id: section for section, ids in SECTIONS.items() for entry_id in ids}


def section_of(entry_id: str) -> str:
    """The section title of an entry, e.g. ``"A. Generalization and optimization"``."""
    return _SECTION_OF[entry_id]
