"""The LSTM, written from its equations (Hochreiter & Schmidhuber 1997; the form with a forget gate,
Gers et al. 2000, that Sutskever et al. 2014 use, their §2 citing Graves 2013).

For input ``x_t``, previous hidden state ``h_{t-1}`` and cell ``c_{t-1}``::

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate cell
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The four gates' weights are stacked in the order (i, f, g, o) and named ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh`` exactly like ``torch.nn.LSTM``'s, so weights copy across one to one (the
oracle test does that).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["LSTMCell", "LSTM"]

State = tuple[Tensor, Tensor]


class LSTMCell(nn.Module):
    """One LSTM step. ``forward(x [B, I], (h, c) [B, H] each) -> (h', c')``."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Sutskever et al. §3.4: "We initialized all of the LSTM's parameters with the uniform
        # distribution between -0.08 and 0.08"; nn.LSTM uses ±1/sqrt(H). We follow the paper.
        for p in self.parameters():
            nn.init.uniform_(p, -0.08, 0.08)

    def input_projection(self, x: Tensor) -> Tensor:
        """``W_i* x + b_i*`` for any leading shape ``[..., I] -> [..., 4H]``.

        Split out so that :class:`LSTM` can compute it for a whole sequence in one matrix product;
        only the recurrent half has to run step by step.
        """
        return x @ self.weight_ih.T + self.bias_ih

    def step(self, projected_x: Tensor, state: State) -> State:
        """One step from an already projected input ``[B, 4H]``."""
        h, c = state
        gates = projected_x + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def forward(self, x: Tensor, state: State | None = None) -> State:
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"LSTMCell expects x [B, input_size={self.input_size}], got {list(x.shape)}")
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        return self.step(self.input_projection(x), state)


class LSTM(nn.Module):
    """A stack of :class:`LSTMCell` layers run over a sequence (batch first).

    Args:
        input_size, hidden_size, num_layers: as ``nn.LSTM``.
        dropout: dropout between layers (on each layer's outputs except the last), as ``nn.LSTM``.

    ``forward(x [B, T, I], state=None, mask=None) -> (outputs [B, T, H], (h, c) [L, B, H] each)``.
    ``mask`` ``[B, T]`` bool marks real tokens (True) vs padding: at a padded position the state is
    carried through unchanged, so the final state of every row is its state after its last real
    token, whichever side the padding is on.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *, dropout: float = 0.0) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.dropout = nn.Dropout(dropout)
        self.cells = nn.ModuleList(
            LSTMCell(input_size if layer == 0 else hidden_size, hidden_size) for layer in range(num_layers)
        )

    def initial_state(self, batch: int, like: Tensor) -> State:
        zeros = like.new_zeros(self.num_layers, batch, self.hidden_size)
        return zeros, zeros.clone()

    def forward(self, x: Tensor, state: State | None = None, mask: Tensor | None = None) -> tuple[Tensor, State]:
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"LSTM expects x [B, T, input_size={self.input_size}], got {list(x.shape)}")
        batch, length, _ = x.shape
        if state is None:
            state = self.initial_state(batch, x)
        h0, c0 = state
        expected = (self.num_layers, batch, self.hidden_size)
        if tuple(h0.shape) != expected or tuple(c0.shape) != expected:
            raise ValueError(f"state (h, c) must each be [L, B, H] = {list(expected)}, got {list(h0.shape)}, {list(c0.shape)}")
        if mask is not None and (mask.dtype != torch.bool or tuple(mask.shape) != (batch, length)):
            raise ValueError(f"mask must be a bool [B, T] = [{batch}, {length}] tensor (True = real token), "
                             f"got {mask.dtype} {list(mask.shape)}")

        final_h, final_c = [], []
        layer_input = x
        for layer, cell in enumerate(self.cells):
            projected = cell.input_projection(layer_input)  # [B, T, 4H]: the non-recurrent half, at once
            h, c = h0[layer], c0[layer]
            outputs = []
            for t in range(length):
                new_h, new_c = cell.step(projected[:, t], (h, c))
                if mask is not None:
                    keep = mask[:, t, None]
                    new_h, new_c = torch.where(keep, new_h, h), torch.where(keep, new_c, c)
                h, c = new_h, new_c
                outputs.append(h)
            final_h.append(h)
            final_c.append(c)
            layer_input = torch.stack(outputs, dim=1)
            if layer < self.num_layers - 1:
                layer_input = self.dropout(layer_input)
        return layer_input, (torch.stack(final_h), torch.stack(final_c))
