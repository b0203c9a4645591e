"""Sentence embeddings from a BERT encoder, the sentence-transformers way (Reimers & Gurevych 2019).

A sentence ``s`` is tokenized (``[CLS] s [SEP]``, truncated to ``max_seq_length`` tokens), encoded
by BERT into ``h_1..h_n`` [n, H], pooled, and normalized:

- mean pooling over the real tokens (``[CLS]`` and ``[SEP]`` included, padding excluded):
  ``u = sum_i m_i h_i / max(sum_i m_i, 1e-9)`` with ``m`` the attention mask;
  (``1_Pooling/config.json`` may ask instead for the ``[CLS]`` vector, the max over tokens, or the
  mean times ``sqrt(n)``);
- L2 normalization ``u / max(||u||, 1e-12)`` when ``modules.json`` lists a ``Normalize`` module, so
  that a dot product is the cosine similarity.

all-MiniLM-L6-v2 (the ``minilm`` data set, :func:`papercraft.data.minilm_dir`) is a 6-layer,
384-wide BERT distilled from MiniLM and trained contrastively on 1B sentence pairs; its files say
mean pooling, L2 normalization and a maximum of 256 tokens (``sentence_bert_config.json``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from papercraft.papers.bert.model import BertModel
from papercraft.papers.bert.pretrained import BertCheckpointError, from_pretrained
from papercraft.papers.bert.wordpiece import WordPieceTokenizer

__all__ = ["SentenceEncoder", "POOLING_MODES", "pool"]

POOLING_MODES = ("mean", "cls", "max", "mean_sqrt_len")
"""The pooling modes :class:`SentenceEncoder` implements (sentence-transformers' ``pooling_mode_*_tokens``)."""

_ST_POOLING_KEYS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls",
                    "pooling_mode_max_tokens": "max", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len"}
_ST_MODULES = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
               "sentence_transformers.models.Normalize"}


def pool(hidden: Tensor, attention_mask: Tensor, mode: str = "mean") -> Tensor:
    """Pool token states ``hidden`` [B, L, H] over the real tokens of ``attention_mask`` [B, L] (1 = real) -> [B, H]."""
    if hidden.dim() != 3 or attention_mask.shape != hidden.shape[:2]:
        raise ValueError(f"expected hidden [B, L, H] and attention_mask [B, L]; got {list(hidden.shape)}, "
                         f"{list(attention_mask.shape)}")
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)  # [B, L, 1]
    if mode == "cls":
        return hidden[:, 0]
    if mode == "max":
        return hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min).amax(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)  # [B, 1]
    mean = (hidden * mask).sum(dim=1) / counts
    if mode == "mean":
        return mean
    if mode == "mean_sqrt_len":
        return (hidden * mask).sum(dim=1) / counts.sqrt()
    raise ValueError(f"mode must be one of {POOLING_MODES}, got {mode!r}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BertCheckpointError(f"{path}: cannot be read as JSON ({exc})") from None


class SentenceEncoder:
    """BERT + WordPiece + pooling + (optional) L2 normalization: ``encode(sentences) -> [N, H]``.

    Args:
        model: the encoder (its pooler, if any, is not used).
        tokenizer: the WordPiece tokenizer of the model's vocabulary.
        pooling: one of :data:`POOLING_MODES`.
        normalize: L2-normalize the pooled vectors.
        max_seq_length: inputs are truncated to this many tokens (``[CLS]`` and ``[SEP]`` included);
            default and upper bound: the model's ``max_position_embeddings``.
    """

    def __init__(self, model: BertModel, tokenizer: WordPieceTokenizer, *, pooling: str = "mean",
                 normalize: bool = True, max_seq_length: int | None = None) -> None:
        if pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {POOLING_MODES}, got {pooling!r}")
        limit = model.config.max_position_embeddings
        if max_seq_length is None:
            max_seq_length = limit
        if not isinstance(max_seq_length, int) or not 2 <= max_seq_length <= limit:
            raise ValueError(f"max_seq_length must be an int in [2, max_position_embeddings={limit}], "
                             f"got {max_seq_length!r}")
        if len(tokenizer) > model.config.vocab_size or max(tokenizer.vocab.values()) >= model.config.vocab_size:
            raise ValueError(f"the tokenizer's vocabulary ({len(tokenizer)} tokens) does not fit the model's "
                             f"vocab_size {model.config.vocab_size}")
        self.model, self.tokenizer = model.eval(), tokenizer
        self.pooling, self.normalize, self.max_seq_length = pooling, bool(normalize), max_seq_length

    @property
    def dim(self) -> int:
        """The embedding width ``H``."""
        return self.model.config.hidden_size

    @classmethod
    def from_pretrained(cls, directory: str | Path, *, dtype: torch.dtype | None = None) -> SentenceEncoder:
        """Read a sentence-transformers (or plain Hugging Face BERT) directory.

        Needs ``config.json``, ``model.safetensors`` (or ``pytorch_model.bin``) and ``vocab.txt``.
        ``tokenizer_config.json`` gives ``do_lower_case`` (default True), ``strip_accents`` and
        ``tokenize_chinese_chars``. When ``modules.json`` is present it must list only a
        Transformer, a Pooling and optionally a Normalize module; the pooling mode comes from
        ``1_Pooling/config.json`` and ``max_seq_length`` from ``sentence_bert_config.json``. Without
        them: mean pooling, L2 normalization and the model's ``max_position_embeddings``. Problems
        raise :class:`~papercraft.papers.bert.pretrained.BertCheckpointError` naming the file.
        """
        directory = Path(directory)
        model = from_pretrained(directory, BertModel, dtype=dtype)

        vocab = directory / "vocab.txt"
        if not vocab.is_file():
            raise BertCheckpointError(f"{directory}: no vocab.txt (the WordPiece vocabulary)")
        tok_path = directory / "tokenizer_config.json"
        tok_config = _read_json(tok_path) if tok_path.is_file() else {}
        kwargs: dict[str, Any] = {}
        if tok_config.get("strip_accents") is not None:
            kwargs["strip_accents"] = bool(tok_config["strip_accents"])
        if "tokenize_chinese_chars" in tok_config:
            kwargs["tokenize_chinese_chars"] = bool(tok_config["tokenize_chinese_chars"])
        tokenizer = WordPieceTokenizer.from_file(vocab, lowercase=bool(tok_config.get("do_lower_case", True)), **kwargs)

        pooling, normalize = "mean", True
        max_seq_length = model.config.max_position_embeddings
        modules_path = directory / "modules.json"
        if modules_path.is_file():
            modules = _read_json(modules_path)
            if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
                raise BertCheckpointError(f"{modules_path}: expected a list of modules")
            types = [m.get("type") for m in modules]
            unsupported = [t for t in types if t not in _ST_MODULES]
            if unsupported:
                raise BertCheckpointError(f"{modules_path}: unsupported sentence-transformers module(s) {unsupported}; "
                                          "papercraft implements Transformer -> Pooling -> Normalize")
            normalize = "sentence_transformers.models.Normalize" in types
            for m in modules:
                if m.get("type") == "sentence_transformers.models.Pooling":
                    pooling = cls._pooling_mode(directory / m.get("path", "1_Pooling") / "config.json")
            st_config = directory / "sentence_bert_config.json"
            if st_config.is_file():
                st = _read_json(st_config)
                if st.get("do_lower_case"):
                    raise BertCheckpointError(f"{st_config}: unsupported option do_lower_case=true (lower-casing "
                                              "before the tokenizer)")
                max_seq_length = st.get("max_seq_length") or max_seq_length
        try:
            return cls(model, tokenizer, pooling=pooling, normalize=normalize, max_seq_length=max_seq_length)
        except ValueError as exc:
            raise BertCheckpointError(f"{directory}: {exc}") from None

    @staticmethod
    def _pooling_mode(path: Path) -> str:
        if not path.is_file():
            raise BertCheckpointError(f"{path}: missing (modules.json lists a Pooling module)")
        config = _read_json(path)
        chosen = [mode for key, mode in _ST_POOLING_KEYS.items() if config.get(key)]
        other = [k for k, v in config.items() if k.startswith("pooling_mode_") and v and k not in _ST_POOLING_KEYS]
        if other or len(chosen) != 1:
            raise BertCheckpointError(f"{path}: unsupported pooling {other + chosen or 'none'}; papercraft "
                                      f"implements exactly one of {list(_ST_POOLING_KEYS)}")
        return chosen[0]

    def embed_ids(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Embeddings of already tokenized, right-padded sequences: ``input_ids``, ``attention_mask``
        [B, L] (1 = real token) -> ``[B, H]`` (pooled, normalized if configured). Differentiable."""
        hidden = self.model(input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = pool(hidden, attention_mask, self.pooling)
        return F.normalize(pooled, p=2.0, dim=1) if self.normalize else pooled

    def tokenize(self, sentences: Sequence[str]) -> tuple[Tensor, Tensor]:
        """``(input_ids, attention_mask)`` [B, L] for ``sentences``, truncated to ``max_seq_length``."""
        return self.tokenizer.encode_batch(sentences, max_length=self.max_seq_length)

    @torch.inference_mode()
    def encode(self, sentences: Sequence[str], batch_size: int = 32) -> Tensor:
        """Embeddings ``[N, H]`` of ``sentences`` (in their order), in batches of ``batch_size``.

        Sentences are batched by token length (longest first) so that little padding is computed;
        padding does not change an embedding.
        """
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise ValueError(f"sentences must be a list of strings, got {type(sentences).__name__}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        param = next(self.model.parameters())
        pieces = []
        for i, s in enumerate(sentences):
            if not isinstance(s, str):
                raise ValueError(f"sentences[{i}] must be a str, got {type(s).__name__}")
            pieces.append(self.tokenizer.encode(s)[: self.max_seq_length])
        if not pieces:
            return torch.empty(0, self.dim, dtype=param.dtype)
        for row in pieces:
            row[-1] = self.tokenizer.sep_id  # truncated rows keep [SEP] last, as the tokenizer does
        order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i]))
        out = torch.empty(len(pieces), self.dim, dtype=param.dtype, device=param.device)
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            length = len(pieces[index[0]])
            ids = torch.full((len(index), length), self.tokenizer.pad_id, dtype=torch.long)
            mask = torch.zeros((len(index), length), dtype=torch.long)
            for row, i in enumerate(index):
                ids[row, :len(pieces[i])] = torch.tensor(pieces[i])
                mask[row, :len(pieces[i])] = 1
            out[index] = self.embed_ids(ids.to(param.device), mask.to(param.device))
        return out
