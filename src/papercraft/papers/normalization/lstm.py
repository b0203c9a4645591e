"""An LSTM language model with and without layer normalization (Ba, Kiros & Hinton 2016, §6 / Eq. 20-22).

The LSTM cell (Hochreiter & Schmidhuber 1997, in the usual form with a forget gate):

    (f, i, o, g) = W_h h_{t-1} + W_x x_t + b
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)

The layer-normalized cell (Eq. 20-22) normalizes the two summed inputs *separately* and the cell
state before its ``tanh``, each LayerNorm with its own gain and bias:

    (f, i, o, g) = LN(W_h h_{t-1}; a1, b1) + LN(W_x x_t; a2, b2) + b
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(LN(c_t; a3, b3))

With ``layer_norm=False`` the cell computes exactly ``torch.nn.LSTM``'s function (gate order
i, f, g, o as torch stores them; tests check it with copied weights).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from papercraft.papers.normalization.layers import LayerNorm


class LSTMCell(nn.Module):
    """One LSTM step: ``x`` ``[B, d_in]``, state ``(h, c)`` ``[B, H]`` each -> new ``(h, c)``.

    Weight names and gate order (i, f, g, o) follow ``torch.nn.LSTM`` (``weight_ih``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``).
    """

    def __init__(self, input_size: int, hidden_size: int, layer_norm: bool = False) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.layer_norm = input_size, hidden_size, layer_norm
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size))
        if layer_norm:
            # Eq. 20: separate normalizations of the recurrent and the input contributions; the
            # biases b1, b2 are redundant with bias_ih/bias_hh, so only the gains are kept there.
            self.ln_hh = LayerNorm(4 * hidden_size, bias=False)
            self.ln_ih = LayerNorm(4 * hidden_size, bias=False)
            self.ln_c = LayerNorm(hidden_size)  # Eq. 22
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)  # torch.nn.LSTM's initialization
        for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        if x.dim() != 2 or x.shape[1] != self.input_size or h.shape != (x.shape[0], self.hidden_size):
            raise ValueError(f"expected x [B, {self.input_size}] and h, c [B, {self.hidden_size}], got "
                             f"{list(x.shape)}, {list(h.shape)}")
        wx = x @ self.weight_ih.t()
        wh = h @ self.weight_hh.t()
        if self.layer_norm:
            wx, wh = self.ln_ih(wx), self.ln_hh(wh)
        gates = wx + wh + self.bias_ih + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.ln_c(c) if self.layer_norm else c)
        return h, c


class LSTMLanguageModel(nn.Module):
    """Embedding -> one LSTM layer -> linear softmax over the vocabulary.

    ``forward(idx)``: ``[B, T]`` token ids -> logits ``[B, T, V]`` (the state starts at zero for
    every sequence).
    """

    def __init__(self, vocab_size: int, embed: int, hidden: int, layer_norm: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed)
        self.cell = LSTMCell(embed, hidden, layer_norm=layer_norm)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: Tensor) -> Tensor:
        if idx.dim() != 2:
            raise ValueError(f"expected token ids [B, T], got {list(idx.shape)}")
        x = self.embedding(idx)
        h = x.new_zeros(idx.shape[0], self.cell.hidden_size)
        c = torch.zeros_like(h)
        outputs = []
        for t in range(idx.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return self.head(torch.stack(outputs, dim=1))
