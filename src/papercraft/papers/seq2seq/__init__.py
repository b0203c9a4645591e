"""seq2seq — Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks".

- :mod:`.lstm`: the LSTM cell and a multi-layer LSTM written from the equations;
- :mod:`.model`: the encoder-decoder with source reversal;
- :mod:`.decoding`: greedy decoding and batched beam search for any autoregressive decoder;
- :mod:`.translation`: the German→English task (tokenization, split, BLEU) shared with ``transformer``;
- :mod:`.experiment`: reversed vs normal source, greedy vs beam.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'beam_search': 'decoding',
    'greedy_decode': 'decoding',
    'LSTM': 'lstm',
    'LSTMCell': 'lstm',
    'Seq2Seq': 'model',
    'Seq2SeqConfig': 'model',
    'reverse_padded': 'model',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['LSTM', 'LSTMCell', 'Seq2Seq', 'Seq2SeqConfig', 'beam_search', 'greedy_decode', 'reverse_padded']
