"""seq2seq — Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks".

- :mod:`.lstm`: the LSTM cell and a multi-layer LSTM written from the equations;
- :mod:`.model`: the encoder-decoder with source reversal;
- :mod:`.decoding`: greedy decoding and batched beam search for any autoregressive decoder;
- :mod:`.translation`: the German→English task (tokenization, split, BLEU) shared with ``transformer``;
- :mod:`.experiment`: reversed vs normal source, greedy vs beam.
"""

from papercraft.papers.seq2seq.decoding import beam_search, greedy_decode
from papercraft.papers.seq2seq.lstm import LSTM, LSTMCell
from papercraft.papers.seq2seq.model import Seq2Seq, Seq2SeqConfig, reverse_padded

__all__ = ["LSTM", "LSTMCell", "Seq2Seq", "Seq2SeqConfig", "beam_search", "greedy_decode", "reverse_padded"]
