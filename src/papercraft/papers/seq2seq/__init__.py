"""seq2seq — Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks".

- :mod:`.lstm`: the LSTM cell and a multi-layer LSTM written from the equations;
- :mod:`.model`: the encoder-decoder with source reversal, and how the experiments build and train it;
- :mod:`.decoding`: greedy decoding and batched beam search for any autoregressive decoder;
- :mod:`.experiment`: reversed vs normal source, greedy vs beam.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'beam_search': 'decoding',
    'greedy_decode': 'decoding',
    'LSTM': 'lstm',
    'LSTMCell': 'lstm',
    'GRAD_CLIP': 'model',
    'Seq2Seq': 'model',
    'Seq2SeqConfig': 'model',
    'build_for_training': 'model',
    'reverse_padded': 'model',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['GRAD_CLIP', 'LSTM', 'LSTMCell', 'Seq2Seq', 'Seq2SeqConfig', 'beam_search', 'build_for_training', 'greedy_decode', 'reverse_padded']
