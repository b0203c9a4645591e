"""Loading Hugging-Face-format RoBERTa checkpoints (``save_pretrained`` directories).

The files are read by the bert entry's readers (:func:`~papercraft.papers.bert.pretrained.read_hf_config`,
:func:`~papercraft.papers.bert.pretrained.read_hf_state_dict`: ``config.json`` and
``model.safetensors``, sharded, or ``pytorch_model.bin``). The key mapping:

=========================================  =====================================
transformers key                           papercraft key
=========================================  =====================================
``roberta.X`` (bare ``X`` from a           ``roberta.X`` (``X`` for :class:`RobertaModel`)
``RobertaModel``)
``lm_head.dense.*``                        ``lm_head.transform.dense.*`` (BERT's MLM head)
``lm_head.layer_norm.*``                   ``lm_head.transform.LayerNorm.*``
``lm_head.bias``                           ``lm_head.bias``
``lm_head.decoder.weight`` / ``.bias``     tied to the word embeddings / ``lm_head.bias``
``classifier.dense.*``, ``.out_proj.*``    ``classifier.*`` (same names)
``embeddings.position_ids``                (a buffer in older files; ignored)
=========================================  =====================================

Heads the target lacks (``lm_head.*`` into a :class:`RobertaModel`, the pooler into a
:class:`RobertaForMaskedLM`) are dropped; every other unexpected key, every missing key, every
wrong shape and every configuration option papercraft's RoBERTa does not implement raises
:class:`RobertaCheckpointError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from papercraft import hf_checkpoint
from papercraft.papers.bert.pretrained import BertCheckpointError, read_hf_config, read_hf_state_dict
from papercraft.papers.roberta.model import (
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForSequenceClassification,
    RobertaModel,
)

__all__ = ["RobertaCheckpointError", "config_from_hf", "load_state_dict_hf", "from_pretrained"]

M = TypeVar("M", bound=nn.Module)


class RobertaCheckpointError(BertCheckpointError):
    """A directory or state dict that is not a RoBERTa checkpoint papercraft can load (exit status 1)."""


_CONFIG_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                  "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_dropout_prob",
                  "attention_probs_dropout_prob", "pad_token_id", "hidden_act", "initializer_range")

# Options a transformers RobertaConfig may carry that change the computation: the value(s) implemented.
_SUPPORTED: dict[str, tuple[Any, ...]] = {
    "position_embedding_type": ("absolute",),
    "hidden_act": ("gelu",),
    "is_decoder": (False,),
    "add_cross_attention": (False,),
    "chunk_size_feed_forward": (0,),
    "tie_word_embeddings": (True,),  # the LM head's decoder is the word-embedding matrix
}


def config_from_hf(hf: Mapping[str, Any], *, source: str = "config.json") -> RobertaConfig:
    """A :class:`RobertaConfig` from a transformers ``config.json`` dict.

    ``model_type`` must be ``"roberta"``; ``vocab_size``, ``max_position_embeddings`` and
    ``pad_token_id`` must be given (RoBERTa's positions depend on the last two). Unsupported
    options raise :class:`RobertaCheckpointError` naming the option.
    """
    if not isinstance(hf, Mapping):
        raise RobertaCheckpointError(f"{source}: expected a JSON object, got {type(hf).__name__}")
    model_type = hf.get("model_type")
    if model_type != "roberta":
        raise RobertaCheckpointError(f"{source}: model_type is {model_type!r}, not 'roberta': not a RoBERTa checkpoint")
    for option, allowed in _SUPPORTED.items():
        if option in hf and hf[option] not in allowed:
            raise RobertaCheckpointError(f"{source}: unsupported option {option}={hf[option]!r} "
                                         f"(papercraft's RoBERTa implements {option}={allowed[0]!r})")
    for needed in ("vocab_size", "max_position_embeddings", "pad_token_id"):
        if hf.get(needed) is None:
            raise RobertaCheckpointError(f"{source}: has no {needed}")
    kwargs = {k: hf[k] for k in _CONFIG_FIELDS if k in hf and hf[k] is not None}
    try:
        return RobertaConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise RobertaCheckpointError(f"{source}: {exc}") from None


_HEAD_RENAMES = (("lm_head.dense.", "lm_head.transform.dense."),
                 ("lm_head.layer_norm.", "lm_head.transform.LayerNorm."))
_TIED = ("lm_head.decoder.weight", "lm_head.decoder.bias")


def _rename(key: str, base: bool) -> str | None:
    """A transformers key -> papercraft's for a model with (``base=False``) or without the ``roberta.`` prefix."""
    if key.endswith("embeddings.position_ids") or key in _TIED:
        return None
    for old, new in _HEAD_RENAMES:
        if key.startswith(old):
            return new + key[len(old):]
    if base and key.startswith("roberta."):
        return key[len("roberta."):]
    if not base and key.split(".", 1)[0] in ("embeddings", "encoder", "pooler"):
        return "roberta." + key
    return key


def load_state_dict_hf(model: nn.Module, state_dict: Mapping[str, Tensor]) -> None:
    """Copy a transformers RoBERTa state dict into ``model`` (any of papercraft's RoBERTa classes), in place.

    Missing keys, unexpected keys and shape mismatches raise :class:`RobertaCheckpointError` naming
    them; a stored ``lm_head.decoder.weight`` must equal the word embeddings (papercraft's is tied)
    and a stored ``lm_head.decoder.bias`` must equal ``lm_head.bias``.
    """
    base = isinstance(model, RobertaModel)
    target = model.state_dict()
    tied_own = {k for k in target if k.endswith("lm_head.decoder.weight")}
    mapped: dict[str, Tensor] = {}
    unexpected: list[str] = []
    for key, value in state_dict.items():
        new = _rename(key, base)
        if new is None:
            continue
        if new not in target:
            if new.startswith(("lm_head.", "classifier.")) or ".pooler." in f".{new}":
                continue  # a head (or the pooler) the target model does not have
            unexpected.append(key)
            continue
        mapped[new] = value
    hf_checkpoint.check_mapped(target, mapped, RobertaCheckpointError, unexpected=unexpected, optional=tied_own)
    if tied_own:
        for stored, own in (("lm_head.decoder.weight", "roberta.embeddings.word_embeddings.weight"),
                            ("lm_head.decoder.bias", "lm_head.bias")):
            if stored in state_dict:
                ours = mapped[own]
                if state_dict[stored].shape != ours.shape or not torch.equal(state_dict[stored].to(ours.dtype), ours):
                    raise RobertaCheckpointError(f"{stored} differs from {own}; papercraft's LM head is tied to it")
    with torch.no_grad():
        model.load_state_dict(mapped, strict=False)


def from_pretrained(directory: str | Path, model_class: type[M] = RobertaForMaskedLM, *,
                    num_labels: int | None = None, dtype: torch.dtype | None = None) -> M:
    """Load a transformers ``save_pretrained`` directory into papercraft's ``model_class``.

    ``model_class``: :class:`RobertaForMaskedLM` (default), :class:`RobertaModel` (with a pooler
    iff the checkpoint has one) or :class:`RobertaForSequenceClassification` (``num_labels`` from the
    checkpoint's classifier, or given for a new head on a pre-trained encoder). Returns the model
    in eval mode, in ``dtype`` if given. Errors (:class:`RobertaCheckpointError`, exit status 1)
    name the missing key, the wrong shape or the unsupported option.
    """
    supported = (RobertaForMaskedLM, RobertaModel, RobertaForSequenceClassification)
    if model_class not in supported:
        raise ValueError(f"model_class must be one of {', '.join(c.__name__ for c in supported)}, got {model_class!r}")
    directory = Path(directory)
    try:
        hf = read_hf_config(directory)
        state = read_hf_state_dict(directory)
    except RobertaCheckpointError:
        raise
    except BertCheckpointError as exc:  # the readers' messages say "BERT": say RoBERTa
        raise RobertaCheckpointError(str(exc).replace("BERT", "RoBERTa")) from None
    config = config_from_hf(hf, source=str(directory / "config.json"))
    if model_class is RobertaModel:
        has_pooler = any(k.endswith("pooler.dense.weight") for k in state)
        model: nn.Module = RobertaModel(config, add_pooling_layer=has_pooler)
    elif model_class is RobertaForSequenceClassification:
        stored = state.get("classifier.out_proj.weight")
        if stored is not None:
            if num_labels is not None and num_labels != stored.shape[0]:
                raise RobertaCheckpointError(f"num_labels={num_labels} but the checkpoint's classifier has "
                                             f"{stored.shape[0]} labels")
            num_labels = int(stored.shape[0])
        elif num_labels is None:
            raise RobertaCheckpointError(f"{directory}: the checkpoint has no classifier; pass num_labels to "
                                         "start a new one")
        model = RobertaForSequenceClassification(config, num_labels)
        if stored is None:  # a new head on a pre-trained encoder keeps its fresh initialization
            state = {**state, **{f"classifier.{k}": v for k, v in model.classifier.state_dict().items()}}
    else:
        model = RobertaForMaskedLM(config)
    if dtype is not None:
        model.to(dtype)
    load_state_dict_hf(model, state)
    return model.eval()  # type: ignore[return-value]
