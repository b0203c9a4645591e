"""BERT: a bidirectional Transformer encoder pre-trained with masked language modelling (Devlin et al. 2018).

Claim (arXiv 1810.04805): pre-training a deep *bidirectional* encoder on unlabelled text with two
objectives, then fine-tuning all of it with one extra output layer, beats training the same
architecture from scratch on downstream tasks (GLUE average 79.6 for BERT-base, Table 1).

The model (§3, Figure 2):

- **Input representation.** For tokens ``x_1..x_L`` with segment ids ``s_i`` (A = 0, B = 1),
  ``e_i = LayerNorm(E_tok[x_i] + E_pos[i] + E_seg[s_i])`` (learned positions, up to 512; the
  segment embedding tells the two sentences of a pair apart). A sequence starts with ``[CLS]`` and
  each segment ends with ``[SEP]``.
- **Encoder.** ``N`` post-LN Transformer encoder layers (Vaswani et al. 2017, §3.1):
  ``h' = LayerNorm(h + Dropout(MultiHead(h, h, h) W^O))``,
  ``h'' = LayerNorm(h' + Dropout(GELU(h' W_1 + b_1) W_2 + b_2))``, with the exact (erf) GELU.
  Attention is bidirectional; only padding keys are masked out.
- **Pooler.** ``pooled = tanh(W_p h_[CLS] + b_p)``: the sentence-level representation ``C`` the
  NSP head and classifiers read (§3, "the final hidden vector of the special [CLS] token").
- **Masked LM head** (§3.1 Task #1, Appendix A.1): ``logits = LayerNorm(GELU(h W_t + b_t)) E_tok^T + b``,
  the output matrix tied to the input word embeddings, predicting the 15 % of positions chosen
  by :func:`papercraft.papers.bert.masking.mask_tokens`.
- **Next-sentence head** (§3.1 Task #2): ``softmax(pooled W_nsp)`` over {IsNext, NotNext}.

Module and parameter names mirror Hugging Face's ``modeling_bert`` so that a state dict maps 1:1
(``embeddings.word_embeddings``, ``encoder.layer.N.attention.self.query``, ..., ``LayerNorm``);
the heads are renamed (``cls.predictions`` -> ``mlm``, ``cls.seq_relationship`` -> ``nsp``) by
:mod:`papercraft.papers.bert.pretrained`.

Attention is eq. (1) of the Transformer, ``softmax(Q K^T / sqrt(d_k)) V``. By default it runs through
the fused ``F.scaled_dot_product_attention`` kernel (the same function; transformers uses it too);
``BertConfig(fused_attention=False)`` uses the Transformer entry's written-out
:func:`~papercraft.papers.transformer.attention.scaled_dot_product_attention` and the tests check
that both agree.

Shapes: ``B`` batch, ``L`` sequence length, ``H`` = ``hidden_size``, ``V`` = ``vocab_size``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from papercraft.papers.transformer.attention import scaled_dot_product_attention

__all__ = [
    "BertConfig", "BertOutput", "BertEmbeddings", "BertSelfAttention", "BertLayer", "BertEncoder",
    "BertPooler", "BertModel", "BertMLMHead", "BertForPreTraining", "BertForMaskedLM",
    "BertForSequenceClassification", "IGNORE_INDEX", "init_bert_weights", "mlm_loss",
]

IGNORE_INDEX = -100
"""Label of the positions the MLM loss ignores (not chosen for prediction), as in PyTorch's cross-entropy."""


@dataclass
class BertConfig:
    """Hyper-parameters; defaults are BERT-base (§3: L=12, H=768, A=12, 110M parameters) except ``vocab_size``.

    ``hidden_act`` must be ``"gelu"``: the exact erf GELU of the released models (Appendix A.2).
    ``fused_attention`` chooses the kernel, not the function (module docstring).
    """

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    pad_token_id: int = 0
    hidden_act: str = "gelu"
    initializer_range: float = 0.02
    fused_attention: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be divisible by "
                             f"num_attention_heads ({self.num_attention_heads})")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not self.layer_norm_eps > 0:
            raise ValueError(f"layer_norm_eps must be > 0, got {self.layer_norm_eps}")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"pad_token_id must be in [0, vocab_size={self.vocab_size}), got {self.pad_token_id}")
        if self.hidden_act != "gelu":
            raise ValueError(f"hidden_act must be 'gelu' (the exact erf GELU of BERT), got {self.hidden_act!r}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BertConfig:
        """The inverse of :meth:`to_dict`; an unknown key raises ValueError naming it.

        (A Hugging Face ``config.json`` has many more keys: read it with
        :func:`papercraft.papers.bert.pretrained.config_from_hf`.)
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown BertConfig field(s) {unknown}; expected some of {sorted(known)}")
        return cls(**d)


@dataclass
class BertOutput:
    """What :class:`BertModel` returns: ``last_hidden_state`` [B, L, H], ``pooler_output`` [B, H] or None."""

    last_hidden_state: Tensor
    pooler_output: Tensor | None


def _check_ids(input_ids: Tensor, name: str = "input_ids") -> None:
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2 or input_ids.dtype != torch.long:
        got = (f"{input_ids.dtype} {list(input_ids.shape)}" if isinstance(input_ids, Tensor)
               else type(input_ids).__name__)
        raise ValueError(f"{name} must be a long tensor [B, L], got {got}")


def _check_like(x: Tensor | None, ids: Tensor, name: str) -> None:
    if x is not None and (not isinstance(x, Tensor) or x.shape != ids.shape):
        got = list(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must have input_ids' shape {list(ids.shape)} [B, L], got {got}")


class BertEmbeddings(nn.Module):
    """§3 "Input/Output Representations": token + position + segment embeddings, LayerNorm, dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                position_ids: Tensor | None = None) -> Tensor:
        """``input_ids`` [B, L] long; ``token_type_ids`` [B, L] (segment A = 0, B = 1; default all 0);
        ``position_ids`` [B, L] (default ``0..L-1``). Returns ``[B, L, H]``."""
        _check_ids(input_ids)
        _check_like(token_type_ids, input_ids, "token_type_ids")
        _check_like(position_ids, input_ids, "position_ids")
        length = input_ids.shape[1]
        if position_ids is None:
            if length > self.config.max_position_embeddings:
                raise ValueError(f"input_ids has length {length} > max_position_embeddings "
                                 f"{self.config.max_position_embeddings}; truncate the input")
            position_ids = torch.arange(length, device=input_ids.device)[None, :]
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        if token_type_ids is None:  # every token in segment A: add E_seg[0]
            x = x + self.token_type_embeddings.weight[0]
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Multi-head self-attention (Transformer §3.2.2) with Hugging Face's names ``query``, ``key``, ``value``."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.num_heads, self.head_dim = config.num_attention_heads, config.head_dim
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def _heads(self, x: Tensor) -> Tensor:
        b, length, _ = x.shape
        return x.view(b, length, self.num_heads, self.head_dim).transpose(1, 2)  # [B, A, L, d]

    def forward(self, hidden: Tensor, allowed: Tensor | None = None) -> Tensor:
        """``hidden`` [B, L, H]; ``allowed`` bool [B, 1, 1, L] (True = real key) or None. Returns the
        concatenated heads ``[B, L, H]`` (before the output projection)."""
        b, length, _ = hidden.shape
        q, k, v = self._heads(self.query(hidden)), self._heads(self.key(hidden)), self._heads(self.value(hidden))
        p = self.dropout_p if self.training else 0.0
        if self.config.fused_attention:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        else:  # eq. (1) written out, from the Transformer entry
            out = scaled_dot_product_attention(q, k, v, mask=allowed, dropout_p=p, training=self.training)
        return out.transpose(1, 2).reshape(b, length, self.config.hidden_size)


class _SelfOutput(nn.Module):
    """``LayerNorm(residual + Dropout(x W^O))``: the post-LN residual around attention (Transformer §5.4)."""

    def __init__(self, config: BertConfig, width_in: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width_in, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class _Attention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = _SelfOutput(config, config.hidden_size)

    def forward(self, hidden: Tensor, allowed: Tensor | None) -> Tensor:
        return self.output(self.self(hidden, allowed), hidden)


class _Intermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(self.dense(x))  # exact erf GELU (BERT Appendix A.2 / Hendrycks & Gimpel)


def _allowed_keys(attention_mask: Tensor | None, shape: torch.Size) -> Tensor | None:
    """A ``[B, L]`` 0/1 or bool padding mask (1 = real token) -> bool ``[B, 1, 1, L]`` (True = may attend)."""
    if attention_mask is None:
        return None
    if not isinstance(attention_mask, Tensor) or attention_mask.shape != shape[:2]:
        got = list(attention_mask.shape) if isinstance(attention_mask, Tensor) else type(attention_mask).__name__
        raise ValueError(f"attention_mask must be [B, L] = {list(shape[:2])} (1 = real token), got {got}")
    if attention_mask.dtype == torch.bool:
        keep = attention_mask
    else:
        if attention_mask.is_floating_point() or attention_mask.is_complex():
            bad = ~((attention_mask == 0) | (attention_mask == 1))
        else:
            bad = (attention_mask != 0) & (attention_mask != 1)
        if bool(bad.any()):
            raise ValueError("attention_mask must hold only 0 and 1 (1 = real token)")
        keep = attention_mask != 0
    if not bool(keep.any(dim=1).all()):
        raise ValueError("attention_mask has a row with no real token; every sequence needs at least one")
    if bool(keep.all()):
        return None  # no padding: the same function, and the fused kernel is faster without a mask
    return keep[:, None, None, :]


class BertLayer(nn.Module):
    """One post-LN encoder layer: self-attention, then the position-wise GELU feed-forward network."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _SelfOutput(config, config.intermediate_size)

    def forward(self, hidden: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """``hidden`` [B, L, H]; ``attention_mask`` [B, L] bool/0-1 (1 = real token) or None -> ``[B, L, H]``."""
        return self._forward(hidden, _allowed_keys(attention_mask, hidden.shape))

    def _forward(self, hidden: Tensor, allowed: Tensor | None) -> Tensor:
        h = self.attention(hidden, allowed)
        return self.output(self.intermediate(h), h)


class BertEncoder(nn.Module):
    """``num_hidden_layers`` :class:`BertLayer` s, in ``.layer`` (Hugging Face's name)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, hidden: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """``hidden`` [B, L, H]; ``attention_mask`` [B, L] bool/0-1 (1 = real token) or None -> ``[B, L, H]``."""
        if hidden.dim() != 3 or hidden.shape[-1] != self.config.hidden_size:
            raise ValueError(f"hidden must be [B, L, H={self.config.hidden_size}], got {list(hidden.shape)}")
        allowed = _allowed_keys(attention_mask, hidden.shape)
        for layer in self.layer:
            hidden = layer._forward(hidden, allowed)
        return hidden


class BertPooler(nn.Module):
    """``tanh(W_p h_[CLS] + b_p)`` [B, H]: the sequence representation ``C`` of §3."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


def init_bert_weights(module: nn.Module, std: float) -> None:
    """BERT's initialization (the released code): N(0, std) weights, zero biases, unit LayerNorm,
    the padding token's embedding zero."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class BertModel(nn.Module):
    """The encoder: :class:`BertEmbeddings` -> :class:`BertEncoder` (-> :class:`BertPooler`)."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        init_bert_weights(self, config.initializer_range)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None, position_ids: Tensor | None = None) -> BertOutput:
        """``input_ids`` [B, L] long; ``token_type_ids`` [B, L] or None; ``attention_mask`` [B, L]
        bool/0-1 (1 = real token) or None (all real); ``position_ids`` [B, L] or None.

        Returns :class:`BertOutput` (``last_hidden_state`` [B, L, H], ``pooler_output`` [B, H] or None).
        """
        _check_ids(input_ids)
        vocab = self.config.vocab_size
        if input_ids.numel() and (int(input_ids.min()) < 0 or int(input_ids.max()) >= vocab):
            raise ValueError(f"input_ids must lie in [0, vocab_size={vocab}), got values in "
                             f"[{int(input_ids.min())}, {int(input_ids.max())}]")
        if token_type_ids is not None and token_type_ids.numel():
            _check_like(token_type_ids, input_ids, "token_type_ids")
            if int(token_type_ids.min()) < 0 or int(token_type_ids.max()) >= self.config.type_vocab_size:
                raise ValueError(f"token_type_ids must lie in [0, type_vocab_size={self.config.type_vocab_size})")
        hidden = self.embeddings(input_ids, token_type_ids, position_ids)
        hidden = self.encoder(hidden, attention_mask)
        pooled = self.pooler(hidden) if self.pooler is not None else None
        return BertOutput(hidden, pooled)


class _HeadTransform(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: Tensor) -> Tensor:
        return self.LayerNorm(F.gelu(self.dense(x)))


class BertMLMHead(nn.Module):
    """Masked-LM output layer: ``LayerNorm(GELU(h W_t + b_t)) E_tok^T + b`` -> ``[B, L, V]``.

    ``decoder.weight`` *is* the word-embedding matrix ``E_tok`` (tied, as in the released BERT);
    ``bias`` is the output-only per-token bias.
    """

    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding) -> None:
        super().__init__()
        if word_embeddings.weight.shape != (config.vocab_size, config.hidden_size):
            raise ValueError(f"word_embeddings must be [V={config.vocab_size}, H={config.hidden_size}], "
                             f"got {list(word_embeddings.weight.shape)}")
        self.transform = _HeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.decoder.weight = word_embeddings.weight  # tied
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        init_bert_weights(self.transform, config.initializer_range)

    def forward(self, hidden: Tensor) -> Tensor:
        """``hidden`` [B, L, H] (or [N, H] for the chosen positions only) -> logits [B, L, V] ([N, V])."""
        return F.linear(self.transform(hidden), self.decoder.weight, self.bias)


def mlm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the positions with a label (``IGNORE_INDEX`` = -100 elsewhere).

    ``logits`` [B, L, V], ``labels`` [B, L] long. Zero (not NaN) when no position is labelled.
    """
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"expected logits [B, L, V] and labels [B, L]; got {list(logits.shape)}, {list(labels.shape)}")
    chosen = labels != IGNORE_INDEX
    if not bool(chosen.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[chosen], labels[chosen])


class BertForPreTraining(nn.Module):
    """BERT with both pre-training heads (§3.1): masked LM (``.mlm``) and next-sentence prediction (``.nsp``)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=True)
        self.mlm = BertMLMHead(config, self.bert.embeddings.word_embeddings)
        self.nsp = nn.Linear(config.hidden_size, 2)
        init_bert_weights(self.nsp, config.initializer_range)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None, position_ids: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Returns ``(mlm_logits [B, L, V], nsp_logits [B, 2])`` (NSP class 0 = IsNext, 1 = NotNext)."""
        out = self.bert(input_ids, token_type_ids, attention_mask, position_ids)
        return self.mlm(out.last_hidden_state), self.nsp(out.pooler_output)

    @staticmethod
    def loss(mlm_logits: Tensor, mlm_labels: Tensor, nsp_logits: Tensor | None = None,
             nsp_labels: Tensor | None = None) -> Tensor:
        """§3.1 / Appendix A.2: mean MLM cross-entropy (labels -100 ignored) + mean NSP cross-entropy."""
        loss = mlm_loss(mlm_logits, mlm_labels)
        if (nsp_logits is None) != (nsp_labels is None):
            raise ValueError("give both nsp_logits and nsp_labels, or neither")
        if nsp_logits is not None:
            if nsp_logits.dim() != 2 or nsp_logits.shape[1] != 2 or nsp_labels.shape != nsp_logits.shape[:1]:
                raise ValueError(f"expected nsp_logits [B, 2] and nsp_labels [B]; got {list(nsp_logits.shape)}, "
                                 f"{list(nsp_labels.shape)}")
            loss = loss + F.cross_entropy(nsp_logits, nsp_labels)
        return loss


class BertForMaskedLM(nn.Module):
    """BERT with the masked-LM head only (no pooler): RoBERTa's objective, and the MLM half of BERT's."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=False)
        self.mlm = BertMLMHead(config, self.bert.embeddings.word_embeddings)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None, position_ids: Tensor | None = None) -> Tensor:
        """Returns the MLM logits ``[B, L, V]``."""
        return self.mlm(self.bert(input_ids, token_type_ids, attention_mask, position_ids).last_hidden_state)

    @staticmethod
    def loss(logits: Tensor, labels: Tensor) -> Tensor:
        """Mean cross-entropy over the labelled positions (-100 elsewhere); see :func:`mlm_loss`."""
        return mlm_loss(logits, labels)


class BertForSequenceClassification(nn.Module):
    """Fine-tuning for a sequence(-pair) task (§3.2, Figure 4 a/b): ``softmax(Dropout(C) W)`` on the pooled ``C``."""

    def __init__(self, config: BertConfig, num_labels: int) -> None:
        super().__init__()
        if not isinstance(num_labels, int) or num_labels < 1:
            raise ValueError(f"num_labels must be an integer >= 1, got {num_labels!r}")
        self.config, self.num_labels = config, num_labels
        self.bert = BertModel(config, add_pooling_layer=True)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, num_labels)
        init_bert_weights(self.classifier, config.initializer_range)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None, position_ids: Tensor | None = None) -> Tensor:
        """Returns logits ``[B, num_labels]``."""
        pooled = self.bert(input_ids, token_type_ids, attention_mask, position_ids).pooler_output
        return self.classifier(self.dropout(pooled))
