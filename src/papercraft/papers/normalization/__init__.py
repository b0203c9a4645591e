"""normalization — BatchNorm, LayerNorm, InstanceNorm, GroupNorm and RMSNorm, in chronological order.

The layers live in :mod:`papercraft.papers.normalization.layers`; the experiments (RMSNorm vs
LayerNorm in a GPT, BatchNorm vs GroupNorm vs LayerNorm at small batches, LayerNorm in an LSTM
language model) in :mod:`papercraft.papers.normalization.experiment`.
"""

from papercraft.papers.normalization.layers import (
    BatchNorm,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    RMSNorm,
    layer_norm,
    make_norm,
    rms_norm,
)

__all__ = ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm", "RMSNorm", "layer_norm", "rms_norm", "make_norm"]
