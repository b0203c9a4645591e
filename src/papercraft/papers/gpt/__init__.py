"""gpt — Radford et al. 2018 (GPT-1) and 2019 (GPT-2): one decoder, the variants explicit.

- :mod:`.model`: :class:`GPT`, :class:`GPTConfig` (``variant="gpt1"`` post-LN / ``"gpt2"`` pre-LN),
  a normalization factory (default: the normalization entry's LayerNorm), KV-cached generation,
  sampling, the GPT-1 fine-tuning classifier, Hugging-Face state-dict loaders;
- :mod:`.corpus`: Jane Austen's novels, BPE-tokenized, with fixed splits;
- :mod:`.loss`: the output layer + cross-entropy, plain and chunked (never materializes the logits);
- :mod:`.experiment`: loss vs model size on Austen, pre-training + fine-tuning vs from scratch;
- :mod:`.cli`: ``papercraft generate`` from a trained checkpoint.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'chunked_linear_cross_entropy': 'loss',
    'linear_cross_entropy': 'loss',
    'GPT': 'model',
    'GPTClassifier': 'model',
    'GPTConfig': 'model',
    'NormFactory': 'model',
    'layer_norm_factory': 'model',
    'from_hf_gpt2_state_dict': 'model',
    'from_hf_openai_gpt_state_dict': 'model',
    'sample_next_token': 'model',
    'to_hf_gpt2_state_dict': 'model',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['GPT', 'GPTConfig', 'NormFactory', 'layer_norm_factory', 'GPTClassifier', 'sample_next_token', 'from_hf_gpt2_state_dict', 'from_hf_openai_gpt_state_dict', 'to_hf_gpt2_state_dict', 'linear_cross_entropy', 'chunked_linear_cross_entropy']
