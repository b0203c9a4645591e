"""normalization — BatchNorm, LayerNorm, InstanceNorm, GroupNorm and RMSNorm, in chronological order.

The layers live in :mod:`papercraft.papers.normalization.layers`; the experiments (RMSNorm vs
LayerNorm in a GPT, BatchNorm vs GroupNorm vs LayerNorm at small batches, LayerNorm in an LSTM
language model) in :mod:`papercraft.papers.normalization.experiment`.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'BatchNorm': 'layers',
    'GroupNorm': 'layers',
    'InstanceNorm': 'layers',
    'LayerNorm': 'layers',
    'RMSNorm': 'layers',
    'layer_norm': 'layers',
    'rms_norm': 'layers',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['BatchNorm', 'LayerNorm', 'InstanceNorm', 'GroupNorm', 'RMSNorm', 'layer_norm', 'rms_norm']
