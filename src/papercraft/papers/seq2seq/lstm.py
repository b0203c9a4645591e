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

Two paths compute the same function. :meth:`LSTM.forward_readable` is the loop over time steps
above, the one to read next to the paper. :meth:`LSTM.forward_fused` hands each layer's weights to
torch's fused LSTM kernel (the one behind ``nn.LSTM``; catalog.md allows a torch built-in as a fast
path beside the readable one). Measured on a CPU (``benchmarks/bench_lstm.py``): on unpadded
sequences (the decoder's) it is faster than the readable loop; on right-padded batches (the
encoder's) it runs torch's packed-sequence kernel, which is no faster than the readable loop, so on
the translation experiments' real batches a whole training step gains only about 5-10%. The tests
check that both give the same outputs, states and gradients, padding included. ``LSTM.fused``
picks the path (default ``True``); FLOP counting (:func:`papercraft.training.flops.step_flops`)
switches it off, because the fused kernel is opaque to torch's FLOP counter.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

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
    carried through unchanged (and output), so the final state of every row is its state after its
    last real token, whichever side the padding is on.

    ``fused`` (default ``True``) runs :meth:`forward_fused` where it applies (no mask, or padding on
    the right of rows with at least one real token), else :meth:`forward_readable`.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *, dropout: float = 0.0,
                 fused: bool = True) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.fused = fused
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

        if not self.fused:
            return self.forward_readable(x, state, mask)
        lengths = None
        if mask is not None and not bool(mask.all()):
            lengths = mask.sum(1)
            right_padded = bool((mask == (torch.arange(length, device=mask.device) < lengths[:, None])).all())
            if not right_padded or not bool((lengths > 0).all()):
                return self.forward_readable(x, state, mask)  # the fused kernel only packs right padding
        return self.forward_fused(x, state, lengths)

    def forward_readable(self, x: Tensor, state: State, mask: Tensor | None = None) -> tuple[Tensor, State]:
        """The gate equations, one time step at a time (arguments checked by :meth:`forward`)."""
        h0, c0 = state
        length = x.shape[1]
        final_h, final_c = [], []
        layer_input = x
        for layer, cell in enumerate(self.cells):
            projected = cell.input_projection(layer_input).unbind(1)  # T × [B, 4H]: the non-recurrent half, at once
            h, c = h0[layer], c0[layer]
            outputs = []
            for t in range(length):
                new_h, new_c = cell.step(projected[t], (h, c))
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

    def forward_fused(self, x: Tensor, state: State, lengths: Tensor | None = None) -> tuple[Tensor, State]:
        """The same function through torch's fused LSTM kernel, one layer at a time so that the
        dropout between layers is this module's own (the same random draws as the readable path).

        ``lengths [B]`` (each ≥ 1): rows are right-padded to ``T``; the padded tail is packed away,
        and its outputs are set to the row's final hidden state, as the readable path carries it.
        """
        h0, c0 = state
        final_h, final_c = [], []
        layer_input = x
        for layer, cell in enumerate(self.cells):
            weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
            hx = (h0[layer : layer + 1], c0[layer : layer + 1])
            if lengths is None:
                out, h, c = torch._VF.lstm(layer_input, hx, weights, True, 1, 0.0, self.training, False, True)
            else:
                packed = pack_padded_sequence(layer_input, lengths.cpu(), batch_first=True, enforce_sorted=False)
                order = packed.sorted_indices
                data, h, c = torch._VF.lstm(packed.data, packed.batch_sizes,
                                            (hx[0].index_select(1, order), hx[1].index_select(1, order)),
                                            weights, True, 1, 0.0, self.training, False)
                h, c = h.index_select(1, packed.unsorted_indices), c.index_select(1, packed.unsorted_indices)
                out, _ = pad_packed_sequence(packed._replace(data=data), batch_first=True,
                                             total_length=layer_input.shape[1])
                real = torch.arange(out.shape[1], device=out.device)[None, :, None] < lengths.to(out.device)[:, None, None]
                out = torch.where(real, out, h[0][:, None, :])  # padding carries the final state
            final_h.append(h[0])
            final_c.append(c[0])
            layer_input = out
            if layer < self.num_layers - 1:
                layer_input = self.dropout(layer_input)
        return layer_input, (torch.stack(final_h), torch.stack(final_c))
