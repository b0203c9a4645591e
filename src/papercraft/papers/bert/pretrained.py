"""Loading Hugging-Face-format BERT checkpoints (``save_pretrained`` directories) into papercraft's BERT.

A directory holds ``config.json`` and the weights: ``model.safetensors`` (or a sharded
``model.safetensors.index.json``, or the older ``pytorch_model.bin``). papercraft's module names
mirror transformers' (:mod:`papercraft.papers.bert.model`), so the mapping is short:

===============================================  =====================================
transformers key                                 papercraft key
===============================================  =====================================
``bert.X`` (or bare ``X`` from a ``BertModel``)  ``bert.X`` (``X`` for :class:`BertModel`)
``cls.predictions.transform.*``                  ``mlm.transform.*``
``cls.predictions.bias``                         ``mlm.bias``
``cls.predictions.decoder.weight``               tied to ``bert.embeddings.word_embeddings.weight``
``cls.predictions.decoder.bias``                 tied to ``cls.predictions.bias``
``cls.seq_relationship.*``                       ``nsp.*``
``classifier.*``                                 ``classifier.*``
``*.LayerNorm.gamma`` / ``.beta`` (old TF ports)  ``*.LayerNorm.weight`` / ``.bias``
``embeddings.position_ids``                      (a buffer of 0..511 in older files; ignored)
===============================================  =====================================

Heads the target model lacks (``cls.*`` into a :class:`BertModel`, the pooler into a
:class:`BertForMaskedLM`) are dropped, as when fine-tuning from a pre-training checkpoint; every
other unexpected key, every missing key, every wrong shape and every configuration option that
papercraft's BERT does not implement raises :class:`BertCheckpointError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from papercraft import hf_checkpoint
from papercraft.errors import CheckpointError
from papercraft.papers.bert.model import (
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)

__all__ = ["BertCheckpointError", "config_from_hf", "read_hf_config", "read_hf_state_dict",
           "load_state_dict_hf", "from_pretrained"]

M = TypeVar("M", bound=nn.Module)


class BertCheckpointError(CheckpointError, ValueError):
    """A directory or state dict that is not a BERT checkpoint papercraft can load (exit status 1)."""


_CONFIG_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                  "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_dropout_prob",
                  "attention_probs_dropout_prob", "pad_token_id", "hidden_act", "initializer_range")

# Options transformers' BertConfig may carry that change the computation: value(s) papercraft implements.
_SUPPORTED = {
    "position_embedding_type": ("absolute",),  # relative_key(_query): Shaw et al. / Huang et al., not BERT
    "hidden_act": ("gelu",),
    "is_decoder": (False,),
    "add_cross_attention": (False,),
    "chunk_size_feed_forward": (0,),  # only a memory trick, but say so rather than guess
    "embedding_size": (None,),  # ALBERT-style factorized embeddings
}


def config_from_hf(hf: Mapping[str, Any], *, source: str = "config.json") -> BertConfig:
    """A :class:`BertConfig` from a transformers ``config.json`` dict.

    ``model_type`` must be ``"bert"`` (or absent); options papercraft does not implement
    (``position_embedding_type`` other than ``"absolute"``, ``hidden_act`` other than ``"gelu"``,
    a decoder, cross-attention, ...) raise :class:`BertCheckpointError` naming the option.
    """
    if not isinstance(hf, Mapping):
        raise BertCheckpointError(f"{source}: expected a JSON object, got {type(hf).__name__}")
    model_type = hf.get("model_type", "bert")
    if model_type != "bert":
        raise BertCheckpointError(f"{source}: model_type is {model_type!r}, not 'bert': not a BERT checkpoint")
    for option, allowed in _SUPPORTED.items():
        if option in hf and hf[option] not in allowed:
            raise BertCheckpointError(f"{source}: unsupported option {option}={hf[option]!r} "
                                      f"(papercraft's BERT implements {option}={allowed[0]!r})")
    if "vocab_size" not in hf:
        raise BertCheckpointError(f"{source}: has no vocab_size")
    kwargs = {k: hf[k] for k in _CONFIG_FIELDS if k in hf and hf[k] is not None}
    try:
        return BertConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise BertCheckpointError(f"{source}: {exc}") from None


def read_hf_config(directory: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint directory (errors name the directory and what is wrong)."""
    return hf_checkpoint.read_config(directory, BertCheckpointError, "BERT")


def read_hf_state_dict(directory: str | Path) -> dict[str, Tensor]:
    """The tensors of ``model.safetensors`` (sharded or not) or ``pytorch_model.bin`` in ``directory``."""
    return hf_checkpoint.read_state_dict(directory, BertCheckpointError, "BERT")


def _rename(key: str) -> str | None:
    """A transformers key -> papercraft's, with the ``bert.`` prefix kept as given; None = tied/ignored."""
    if key.endswith(".gamma"):
        key = key[: -len(".gamma")] + ".weight"
    elif key.endswith(".beta"):
        key = key[: -len(".beta")] + ".bias"
    if key.endswith("embeddings.position_ids") or key in ("cls.predictions.decoder.weight",
                                                          "cls.predictions.decoder.bias"):
        return None
    if key.startswith("cls.predictions."):
        return "mlm." + key[len("cls.predictions."):]
    if key.startswith("cls.seq_relationship."):
        return "nsp." + key[len("cls.seq_relationship."):]
    return key


def _is_encoder_key(key: str) -> bool:
    return key.split(".", 1)[0] in ("embeddings", "encoder", "pooler")


def load_state_dict_hf(model: nn.Module, state_dict: Mapping[str, Tensor], *, assign: bool = False) -> None:
    """Copy a transformers BERT state dict into ``model`` (any of papercraft's BERT classes), in place.

    Accepts the keys of ``BertModel`` (bare) as well as of the ``Bert*`` heads (``bert.`` prefix).
    Missing keys, unexpected keys and shape mismatches raise :class:`BertCheckpointError` naming them.
    The tied decoder weight, if stored, must equal the word embeddings. ``assign=True`` makes the
    (dtype-converted) checkpoint tensors the parameters instead of copying into them; the MLM
    decoder is then re-tied to the word embeddings.
    """
    base = isinstance(model, BertModel)
    target = model.state_dict()
    own_tied = {k for k in target if k.endswith("mlm.decoder.weight")}
    mapped: dict[str, Tensor] = {}
    unexpected: list[str] = []
    for key, value in state_dict.items():
        new = _rename(key)
        if new is None:
            continue
        # Align the ``bert.`` prefix with the target: bare keys for BertModel, prefixed otherwise.
        if base and new.startswith("bert."):
            new = new[len("bert."):]
        elif not base and _is_encoder_key(new):
            new = "bert." + new
        if new not in target:
            heads_we_lack = new.startswith(("mlm.", "nsp.", "classifier.")) or ".pooler." in f".{new}"
            if heads_we_lack:
                continue  # a pre-training head (or pooler) the target model does not have
            unexpected.append(key)
            continue
        mapped[new] = value
    hf_checkpoint.check_mapped(target, mapped, BertCheckpointError, unexpected=unexpected, optional=own_tied)
    tied = "cls.predictions.decoder.weight"
    if tied in state_dict and own_tied:
        word = mapped["bert.embeddings.word_embeddings.weight"]
        if state_dict[tied].shape != word.shape or not torch.equal(state_dict[tied].to(word.dtype), word):
            raise BertCheckpointError(f"{tied} differs from the word embeddings; papercraft's MLM decoder is tied")
    if assign:
        mapped = {k: v.to(dtype=target[k].dtype) for k, v in mapped.items()}
    with torch.no_grad():
        model.load_state_dict(mapped, strict=False, assign=assign)
    if assign and hasattr(model, "mlm"):
        model.mlm.decoder.weight = model.bert.embeddings.word_embeddings.weight


def _has(state: Mapping[str, Tensor], suffix: str) -> bool:
    return any(k == suffix or k.endswith("." + suffix) or k == "bert." + suffix for k in state)


def from_pretrained(directory: str | Path, model_class: type[M] = BertModel, *,
                    num_labels: int | None = None, dtype: torch.dtype | None = None) -> M:
    """Load a transformers ``save_pretrained`` directory into papercraft's ``model_class``.

    ``model_class``: :class:`BertModel` (with a pooler iff the checkpoint has one),
    :class:`BertForPreTraining`, :class:`BertForMaskedLM` or :class:`BertForSequenceClassification`.
    For the classifier, ``num_labels`` is read from the checkpoint's ``classifier`` weights; a
    checkpoint without them (a pre-trained encoder) needs an explicit ``num_labels`` and gets a
    freshly initialized classifier. Returns the model in eval mode, in ``dtype`` if given (else
    float32). Errors (:class:`BertCheckpointError`, a ``PapercraftError``) name the problem.
    """
    supported = (BertModel, BertForPreTraining, BertForMaskedLM, BertForSequenceClassification)
    if model_class not in supported:
        raise ValueError(f"model_class must be one of {', '.join(c.__name__ for c in supported)}, got {model_class!r}")
    directory = Path(directory)
    config = config_from_hf(read_hf_config(directory), source=str(directory / "config.json"))
    state = read_hf_state_dict(directory)
    if model_class is BertForSequenceClassification:
        stored = state.get("classifier.weight")
        if stored is not None:
            if num_labels is not None and num_labels != stored.shape[0]:
                raise BertCheckpointError(f"num_labels={num_labels} but the checkpoint's classifier has "
                                          f"{stored.shape[0]} labels")
            num_labels = int(stored.shape[0])
        elif num_labels is None:
            raise BertCheckpointError(f"{directory}: the checkpoint has no classifier; pass num_labels to "
                                      "start a new one")
        else:  # a new head on a pre-trained encoder, initialized as BERT initializes it
            fresh = BertForSequenceClassification(
                BertConfig(**{**config.to_dict(), "num_hidden_layers": 1, "vocab_size": 1, "pad_token_id": 0,
                              "max_position_embeddings": 1, "type_vocab_size": 1}), num_labels).classifier
            state = {**state, "classifier.weight": fresh.weight.detach(), "classifier.bias": fresh.bias.detach()}
    if model_class is BertModel:
        model: nn.Module = BertModel(config, add_pooling_layer=_has(state, "pooler.dense.weight"))
    elif model_class is BertForSequenceClassification:
        model = BertForSequenceClassification(config, num_labels)
    else:
        model = model_class(config)
    if dtype is not None:
        model.to(dtype)
    # The checkpoint's (dtype-converted) tensors become the parameters: no second copy of the weights.
    load_state_dict_hf(model, state, assign=True)
    return model.eval()  # type: ignore[return-value]
