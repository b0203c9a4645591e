"""RoBERTa's model: BERT's encoder with position ids offset by the padding index (Liu et al. 2019).

Claim (arXiv 1907.11692): BERT was undertrained, and its recipe, not its architecture, was what
held it back. RoBERTa keeps BERT-large's architecture (§2.1, §3) and changes the pre-training:
dynamic masking (§4.1, :mod:`.masking`), no next-sentence prediction with FULL-SENTENCES inputs
(§4.2, :mod:`.packing`), larger batches (§4.3), and a byte-level BPE vocabulary (§4.4,
:mod:`.vocabulary`).

What differs from :mod:`papercraft.papers.bert.model` in the network itself is small, and is all
here (fairseq's implementation, which Hugging Face's ``RobertaModel`` mirrors):

- **Positions offset by the padding index.** fairseq numbers positions from ``padding_idx + 1``
  and gives padding tokens the position ``padding_idx`` (whose embedding row is the embedding's
  ``padding_idx``: zero at initialization and never updated)::

      position_i = padding_idx + sum_{j <= i} [x_j != padding_idx]   for real tokens,
      position_i = padding_idx                                         for padding.

  With ``pad_token_id = 1`` the first real token sits at position 2, so a model with
  ``max_position_embeddings = 514`` reads 512 tokens. Left- or right-padded rows therefore give
  their real tokens the same positions.
- **No segments.** Without NSP there are no sentence pairs to tell apart: ``type_vocab_size = 1``
  (one segment embedding, added to every token).
- **LM head** (``lm_head``): ``LayerNorm(GELU(h W + b)) E_tok^T + b_out`` with the decoder tied to the
  word embeddings: exactly BERT's :class:`~papercraft.papers.bert.model.BertMLMHead`, reused.
- RoBERTa-base's defaults: ``layer_norm_eps = 1e-5``, ``pad_token_id = 1``,
  ``max_position_embeddings = 514``.

The encoder layers, attention, pooler and initialization are BERT's blocks, imported.
Shapes: ``B`` batch, ``L`` sequence length, ``H`` = ``hidden_size``, ``V`` = ``vocab_size``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.bert.model import (
    IGNORE_INDEX,
    BertConfig,
    BertEmbeddings,
    BertMLMHead,
    BertModel,
    BertOutput,
    init_bert_weights,
    mlm_loss,
)

__all__ = [
    "RobertaConfig", "create_position_ids", "RobertaEmbeddings", "RobertaModel", "RobertaForMaskedLM",
    "RobertaClassificationHead", "RobertaForSequenceClassification", "chosen_positions_loss",
]


@dataclass
class RobertaConfig(BertConfig):
    """BERT's hyper-parameters with RoBERTa-base's defaults (fairseq / Hugging Face ``roberta-base``).

    ``pad_token_id`` is also the position padding index: real tokens take positions
    ``pad_token_id + 1 ..``, so at most ``max_position_embeddings - pad_token_id - 1`` tokens fit.
    """

    max_position_embeddings: int = 514
    type_vocab_size: int = 1
    layer_norm_eps: float = 1e-5
    pad_token_id: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_position_embeddings < self.pad_token_id + 2:
            raise ValueError(f"max_position_embeddings must be >= pad_token_id + 2 = {self.pad_token_id + 2} "
                             f"(positions start at pad_token_id + 1), got {self.max_position_embeddings}")

    @property
    def max_length(self) -> int:
        """The longest input (real tokens) the position table holds."""
        return self.max_position_embeddings - self.pad_token_id - 1


def create_position_ids(input_ids: Tensor, padding_idx: int) -> Tensor:
    """fairseq's ``make_positions``: ``[B, L]`` ids -> ``[B, L]`` positions (module docstring).

    Real tokens are numbered ``padding_idx + 1, padding_idx + 2, ...`` in order (padding in
    between does not advance the count); padding tokens get ``padding_idx``.
    """
    real = (input_ids != padding_idx).long()
    return torch.cumsum(real, dim=1) * real + padding_idx


class RobertaEmbeddings(BertEmbeddings):
    """BERT's embeddings with fairseq's positions: ``LayerNorm(E_tok[x] + E_pos[p(x)] + E_seg[0])``.

    The position table has ``padding_idx = pad_token_id`` (as fairseq's and Hugging Face's), so the
    padding position's row gets no gradient.
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size,
                                                padding_idx=config.pad_token_id)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                position_ids: Tensor | None = None) -> Tensor:
        """``input_ids`` [B, L] long; ``token_type_ids`` [B, L] or None (segment 0);
        ``position_ids`` [B, L] or None (:func:`create_position_ids`). Returns ``[B, L, H]``."""
        if position_ids is None and isinstance(input_ids, Tensor) and input_ids.dim() == 2:
            position_ids = create_position_ids(input_ids, self.padding_idx)
            if position_ids.numel() and int(position_ids.max()) >= self.config.max_position_embeddings:
                longest = int(position_ids.max()) - self.padding_idx
                raise ValueError(f"input_ids has a row of {longest} real tokens; with positions starting at "
                                 f"pad_token_id + 1 = {self.padding_idx + 1} and max_position_embeddings = "
                                 f"{self.config.max_position_embeddings}, at most "
                                 f"{self.config.max_position_embeddings - self.padding_idx - 1} fit; truncate the input")
        return super().forward(input_ids, token_type_ids, position_ids)


class RobertaModel(BertModel):
    """BERT's encoder (:class:`~papercraft.papers.bert.model.BertModel`) with :class:`RobertaEmbeddings`.

    ``forward(input_ids, token_type_ids=None, attention_mask=None, position_ids=None)`` ->
    :class:`~papercraft.papers.bert.model.BertOutput`. As in Hugging Face, ``attention_mask=None``
    lets every token (padding included) be attended to: pass ``input_ids != pad_token_id`` for
    padded batches.
    """

    def __init__(self, config: RobertaConfig, add_pooling_layer: bool = True) -> None:
        if not isinstance(config, RobertaConfig):
            raise ValueError(f"config must be a RobertaConfig, got {type(config).__name__}")
        super().__init__(config, add_pooling_layer=add_pooling_layer)
        self.embeddings = RobertaEmbeddings(config)
        init_bert_weights(self.embeddings, config.initializer_range)


class RobertaForMaskedLM(nn.Module):
    """RoBERTa's pre-training model (§2.3, no NSP): the encoder ``.roberta`` (no pooler) and ``.lm_head``."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.config = config
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.lm_head = BertMLMHead(config, self.roberta.embeddings.word_embeddings)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None, position_ids: Tensor | None = None) -> Tensor:
        """``input_ids`` [B, L] long, ``attention_mask`` [B, L] bool/0-1 (1 = real token) or None
        -> MLM logits ``[B, L, V]``. (Argument order as Hugging Face's ``RobertaForMaskedLM``.)"""
        hidden = self.roberta(input_ids, token_type_ids, attention_mask, position_ids).last_hidden_state
        return self.lm_head(hidden)

    @staticmethod
    def loss(logits: Tensor, labels: Tensor) -> Tensor:
        """Mean cross-entropy over the masked positions (labels -100 elsewhere): ``[B, L, V]``, ``[B, L]`` -> scalar."""
        return mlm_loss(logits, labels)

    def masked_lm_loss(self, input_ids: Tensor, labels: Tensor, attention_mask: Tensor | None = None,
                       token_type_ids: Tensor | None = None) -> Tensor:
        """``loss(self(input_ids, attention_mask), labels)`` with the LM head applied only at the
        labelled positions (~15 %): the same value, ~7x less head compute. ``[B, L]`` inputs -> scalar."""
        hidden = self.roberta(input_ids, token_type_ids, attention_mask).last_hidden_state
        return chosen_positions_loss(self.lm_head, hidden, labels)


def chosen_positions_loss(head: nn.Module, hidden: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy of ``head`` (``[N, H] -> [N, V]``) at the positions of ``hidden`` [B, L, H]
    whose ``labels`` [B, L] are not -100; zero (not NaN) when none is."""
    if labels.shape != hidden.shape[:2]:
        raise ValueError(f"labels must be [B, L] = {list(hidden.shape[:2])}, got {list(labels.shape)}")
    chosen = labels != IGNORE_INDEX
    if not bool(chosen.any()):
        return hidden.sum() * 0.0
    return F.cross_entropy(head(hidden[chosen]), labels[chosen])


class RobertaClassificationHead(nn.Module):
    """fairseq's sentence classification head on the ``<s>`` token:
    ``out_proj(Dropout(tanh(dense(Dropout(h_<s>)))))`` -> ``[B, num_labels]``.

    Unlike BERT's pooler, ``dense`` is not pre-trained (there is no NSP to train it).
    """

    def __init__(self, config: RobertaConfig, num_labels: int) -> None:
        super().__init__()
        if not isinstance(num_labels, int) or isinstance(num_labels, bool) or num_labels < 1:
            raise ValueError(f"num_labels must be an integer >= 1, got {num_labels!r}")
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.out_proj = nn.Linear(config.hidden_size, num_labels)
        init_bert_weights(self, config.initializer_range)

    def forward(self, hidden: Tensor) -> Tensor:
        """``hidden`` [B, L, H] -> logits ``[B, num_labels]`` (read at position 0, ``<s>``)."""
        x = self.dropout(hidden[:, 0])
        return self.out_proj(self.dropout(torch.tanh(self.dense(x))))


class RobertaForSequenceClassification(nn.Module):
    """Fine-tuning (§5, GLUE): ``.roberta`` (no pooler) + :class:`RobertaClassificationHead` ``.classifier``."""

    def __init__(self, config: RobertaConfig, num_labels: int) -> None:
        super().__init__()
        self.config, self.num_labels = config, num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(config, num_labels)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None, position_ids: Tensor | None = None) -> Tensor:
        """``input_ids`` [B, L], ``attention_mask`` [B, L] or None -> logits ``[B, num_labels]``."""
        out: BertOutput = self.roberta(input_ids, token_type_ids, attention_mask, position_ids)
        return self.classifier(out.last_hidden_state)
