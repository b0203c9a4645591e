"""t5 — Raffel et al. 2019, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
Transformer".

- :mod:`.model`: :class:`T5ForConditionalGeneration`, :class:`T5Config`, the bucketed relative
  position bias (:func:`relative_position_bucket`), the RMS LayerNorm, greedy decoding with a cache;
- :mod:`.pretrained`: :func:`from_pretrained` for transformers ``save_pretrained`` directories;
- :mod:`.span_corruption`: span corruption with sentinels (§3.1.4), its inverse, the text-to-text
  format (§2.4);
- :mod:`.experiment`: span-corruption pre-training on Austen vs none, one model fine-tuned on two
  prefixed tasks.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'T5Config': 'model',
    'T5ForConditionalGeneration': 'model',
    'T5Attention': 'model',
    'T5Block': 'model',
    'T5FeedForward': 'model',
    'T5Stack': 'model',
    'RelativePositionBias': 'model',
    'relative_position_bucket': 'model',
    'T5CheckpointError': 'pretrained',
    'config_from_hf': 'pretrained',
    'from_pretrained': 'pretrained',
    'load_hf_state_dict': 'pretrained',
    'random_spans_noise_mask': 'span_corruption',
    'reconstruct': 'span_corruption',
    'span_corrupt': 'span_corruption',
    'text_to_text': 'span_corruption',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
