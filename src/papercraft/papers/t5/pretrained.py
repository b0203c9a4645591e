"""Loading Hugging-Face-format T5 checkpoints (``T5ForConditionalGeneration.save_pretrained``
directories) into papercraft's :class:`~papercraft.papers.t5.model.T5ForConditionalGeneration`.

A directory holds ``config.json`` and ``model.safetensors`` (or a sharded
``model.safetensors.index.json``, or the older ``pytorch_model.bin``). The key mapping, for the
stack ``s`` in ``encoder``/``decoder`` and layer ``i``:

==========================================================  ========================================
transformers key                                            papercraft key
==========================================================  ========================================
``shared.weight``                                           ``shared.weight``
``s.block.0.layer.0.SelfAttention.relative_attention_bias``  ``s.relative_bias.embedding``
``s.block.i.layer.0.SelfAttention.{q,k,v,o}``               ``s.layers.i.self_attn.{q,k,v,o}``
``s.block.i.layer.0.layer_norm``                            ``s.layers.i.self_attn_norm``
``decoder.block.i.layer.1.EncDecAttention.{q,k,v,o}``       ``decoder.layers.i.cross_attn.{q,k,v,o}``
``decoder.block.i.layer.1.layer_norm``                      ``decoder.layers.i.cross_attn_norm``
``s.block.i.layer.-1.DenseReluDense.{wi,wi_0,wi_1,wo}``     ``s.layers.i.ff.{wi,wi_0,wi_1,wo}``
``s.block.i.layer.-1.layer_norm``                           ``s.layers.i.ff_norm``
``s.final_layer_norm``                                      ``s.final_norm``
``lm_head.weight``                                          ``lm_head.weight`` (untied) / must equal ``shared`` (tied)
``encoder.embed_tokens``, ``decoder.embed_tokens``          must equal ``shared`` (older files store them)
==========================================================  ========================================

(``layer.-1`` is ``layer.1`` in the encoder, ``layer.2`` in the decoder.)
``decoder.block.0.layer.1.EncDecAttention.relative_attention_bias``, which some old checkpoints
carry but no T5 uses, is ignored as transformers ignores it. Every other unexpected key, every
missing key, every wrong shape and every configuration option papercraft's T5 does not implement
raises :class:`T5CheckpointError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from papercraft import hf_checkpoint
from papercraft.errors import CheckpointError
from papercraft.papers.t5.model import FEED_FORWARD_PROJ, T5Config, T5ForConditionalGeneration

__all__ = ["T5CheckpointError", "config_from_hf", "read_hf_config", "read_hf_state_dict", "hf_to_papercraft_key",
           "load_hf_state_dict", "from_pretrained"]


class T5CheckpointError(CheckpointError, ValueError):
    """A directory or state dict that is not a T5 checkpoint papercraft can load (exit status 1)."""


_CONFIG_FIELDS = ("vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_decoder_layers", "num_heads",
                  "relative_attention_num_buckets", "relative_attention_max_distance", "dropout_rate",
                  "layer_norm_epsilon", "feed_forward_proj", "pad_token_id", "eos_token_id", "decoder_start_token_id")

# Options a transformers T5Config may carry that change the computation: the values implemented.
_SUPPORTED: dict[str, tuple[Any, ...]] = {
    "is_encoder_decoder": (True,),
    "is_decoder": (False,),
    "add_cross_attention": (False,),
    "feed_forward_proj": FEED_FORWARD_PROJ,
    "dense_act_fn": ("relu", "gelu_new"),  # derived from feed_forward_proj by transformers
    "is_gated_act": (False, True),
}
_IGNORED_KEYS = ("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",)
_COPIES_OF_SHARED = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")


def config_from_hf(hf: Mapping[str, Any], *, source: str = "config.json") -> T5Config:
    """A :class:`T5Config` from a transformers ``config.json`` dict.

    ``model_type`` must be ``"t5"`` (or absent). ``tie_word_embeddings`` (default True) and, when
    present, ``scale_decoder_outputs`` (written by transformers >= 5) decide the output layer.
    """
    if not isinstance(hf, Mapping):
        raise T5CheckpointError(f"{source}: expected a JSON object, got {type(hf).__name__}")
    model_type = hf.get("model_type", "t5")
    if model_type != "t5":
        raise T5CheckpointError(f"{source}: model_type is {model_type!r}, not 't5': not a T5 checkpoint")
    for option, allowed in _SUPPORTED.items():
        if option in hf and hf[option] not in allowed:
            raise T5CheckpointError(f"{source}: unsupported option {option}={hf[option]!r} (papercraft's T5 "
                                    f"implements {option} in {list(allowed)})")
    if hf.get("feed_forward_proj") == "gated-gelu" and hf.get("dense_act_fn", "gelu_new") != "gelu_new":
        raise T5CheckpointError(f"{source}: unsupported option dense_act_fn={hf['dense_act_fn']!r} with a gated "
                                f"feed-forward (papercraft's gated-gelu is the tanh GELU, 'gelu_new')")
    if "vocab_size" not in hf:
        raise T5CheckpointError(f"{source}: has no vocab_size")
    kwargs = {k: hf[k] for k in _CONFIG_FIELDS if k in hf and hf[k] is not None}
    for name in ("eos_token_id", "pad_token_id"):
        if isinstance(kwargs.get(name), list):
            if not kwargs[name]:
                raise T5CheckpointError(f"{source}: {name} is an empty list")
            kwargs[name] = kwargs[name][0]
    tie = hf.get("tie_word_embeddings", True)
    kwargs["tie_word_embeddings"] = bool(tie)
    if hf.get("scale_decoder_outputs") is not None:
        kwargs["scale_decoder_outputs"] = bool(hf["scale_decoder_outputs"])
    try:
        return T5Config(**kwargs)
    except (TypeError, ValueError) as exc:
        raise T5CheckpointError(f"{source}: {exc}") from None


def read_hf_config(directory: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint directory (errors name the directory and what is wrong)."""
    return hf_checkpoint.read_config(directory, T5CheckpointError, "T5")


def read_hf_state_dict(directory: str | Path) -> dict[str, Tensor]:
    """The tensors of ``model.safetensors`` (sharded or not) or ``pytorch_model.bin`` in ``directory``."""
    return hf_checkpoint.read_state_dict(directory, T5CheckpointError, "T5")


_BLOCK = re.compile(r"(encoder|decoder)\.block\.(\d+)\.layer\.(\d+)\.(.+)")


def hf_to_papercraft_key(key: str) -> str | None:
    """transformers' name of a T5 tensor -> papercraft's (see the module docstring); None for a key
    with no papercraft counterpart (the caller decides whether that is an error)."""
    if key in ("shared.weight", "lm_head.weight"):
        return key
    for stack in ("encoder", "decoder"):
        if key == f"{stack}.final_layer_norm.weight":
            return f"{stack}.final_norm.weight"
    match = _BLOCK.fullmatch(key)
    if match is None:
        return None
    stack, block, sub, rest = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
    ff_index = 2 if stack == "decoder" else 1
    prefix = f"{stack}.layers.{block}."
    if sub == 0:
        if rest == "SelfAttention.relative_attention_bias.weight":
            return f"{stack}.relative_bias.embedding.weight" if block == 0 else None
        if rest == "layer_norm.weight":
            return prefix + "self_attn_norm.weight"
        m = re.fullmatch(r"SelfAttention\.([qkvo])\.weight", rest)
        return prefix + f"self_attn.{m.group(1)}.weight" if m else None
    if sub == 1 and stack == "decoder":
        if rest == "layer_norm.weight":
            return prefix + "cross_attn_norm.weight"
        m = re.fullmatch(r"EncDecAttention\.([qkvo])\.weight", rest)
        return prefix + f"cross_attn.{m.group(1)}.weight" if m else None
    if sub == ff_index:
        if rest == "layer_norm.weight":
            return prefix + "ff_norm.weight"
        m = re.fullmatch(r"DenseReluDense\.(wi|wi_0|wi_1|wo)\.weight", rest)
        return prefix + f"ff.{m.group(1)}.weight" if m else None
    return None


def load_hf_state_dict(model: T5ForConditionalGeneration, state_dict: Mapping[str, Tensor]) -> None:
    """Copy a transformers ``T5ForConditionalGeneration`` state dict into ``model``, in place.

    Missing keys, unexpected keys and shape mismatches raise :class:`T5CheckpointError` naming them.
    Stored copies of the shared embedding (``*.embed_tokens.weight``, and ``lm_head.weight`` when
    the model is tied) must equal ``shared.weight``.
    """
    target = model.state_dict()
    tied = model.lm_head is None
    mapped: dict[str, Tensor] = {}
    copies: dict[str, Tensor] = {}
    unexpected: list[str] = []
    for key, value in state_dict.items():
        if key in _IGNORED_KEYS:
            continue
        if key in _COPIES_OF_SHARED or (tied and key == "lm_head.weight"):
            copies[key] = value
            continue
        new = hf_to_papercraft_key(key)
        if new is None or new not in target:
            unexpected.append(key)
            continue
        mapped[new] = value
    if "shared.weight" not in mapped and copies.get("encoder.embed_tokens.weight") is not None:
        mapped["shared.weight"] = copies.pop("encoder.embed_tokens.weight")  # a file that kept only a copy
    hf_checkpoint.check_mapped(target, mapped, T5CheckpointError, unexpected=unexpected)
    shared = mapped["shared.weight"]
    for key, value in copies.items():
        if value.shape != shared.shape or not torch.equal(value.to(shared.dtype), shared):
            what = "the output layer is tied to it (tie_word_embeddings)" if key == "lm_head.weight" else "it is shared"
            raise T5CheckpointError(f"{key} differs from shared.weight, but {what}")
    with torch.no_grad():
        model.load_state_dict(mapped, strict=True)


def from_pretrained(directory: str | Path, *, dtype: torch.dtype | None = None) -> T5ForConditionalGeneration:
    """Load a transformers ``T5ForConditionalGeneration.save_pretrained`` directory.

    Returns papercraft's model in eval mode, in ``dtype`` if given (else float32). Errors
    (:class:`T5CheckpointError`, a ``PapercraftError``) name the missing or unexpected key, the
    shape, or the configuration option.
    """
    directory = Path(directory)
    config = config_from_hf(read_hf_config(directory), source=str(directory / "config.json"))
    state = read_hf_state_dict(directory)
    if not config.tie_word_embeddings and "lm_head.weight" not in state:
        raise T5CheckpointError(f"{directory}: tie_word_embeddings is false but the checkpoint has no lm_head.weight")
    model = T5ForConditionalGeneration(config)
    if dtype is not None:
        model.to(dtype)
    load_hf_state_dict(model, state)
    return model.eval()
