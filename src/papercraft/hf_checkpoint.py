"""Reading Hugging-Face ``save_pretrained`` directories: ``config.json`` and the weights.

Paper-agnostic: each entry's ``pretrained.py`` maps the configuration and the key names of its own
architecture; this module only reads the files, with errors (of the entry's own error class) that
name the directory and what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Collection, Mapping
from typing import Any

import torch
from torch import Tensor


def read_config(directory: str | Path, error: type[Exception], kind: str) -> dict[str, Any]:
    """The parsed ``config.json`` of a ``kind`` (e.g. "BERT") checkpoint directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise error(f"{directory}: not a directory (expected a {kind} checkpoint directory "
                    "with config.json and model.safetensors)")
    path = directory / "config.json"
    if not path.is_file():
        raise error(f"{directory}: no config.json: not a {kind} checkpoint directory")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None


def read_state_dict(directory: str | Path, error: type[Exception], kind: str) -> dict[str, Tensor]:
    """The tensors of ``model.safetensors`` (sharded or not) or ``pytorch_model.bin`` in ``directory``."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = Path(directory)
    single, index, legacy = (directory / "model.safetensors", directory / "model.safetensors.index.json",
                             directory / "pytorch_model.bin")
    try:
        if single.is_file():
            return load_file(single)
        if index.is_file():
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            state: dict[str, Tensor] = {}
            for shard in sorted(set(weight_map.values())):
                state.update(load_file(directory / shard))
            return state
        if legacy.is_file():
            state = torch.load(legacy, map_location="cpu", weights_only=True)
            if not isinstance(state, dict):
                raise error(f"{legacy}: expected a state dict, got {type(state).__name__}")
            return state
    except (SafetensorError, OSError, KeyError, json.JSONDecodeError, RuntimeError) as exc:
        raise error(f"{directory}: cannot read the weights ({type(exc).__name__}: {exc})") from None
    raise error(f"{directory}: no model.safetensors (or pytorch_model.bin): not a {kind} checkpoint")


def check_mapped(target: Mapping[str, Tensor], mapped: Mapping[str, Tensor], error: type[Exception], *,
                 unexpected: Collection[str] = (), optional: Collection[str] = ()) -> None:
    """Refuse a mapped checkpoint that does not fit the model's ``state_dict()`` ``target``.

    Raises ``error`` naming the checkpoint's ``unexpected`` keys (already found by the caller's
    key mapping), then the target keys missing from ``mapped`` (except ``optional`` ones, e.g. a
    tied weight the model derives itself), then every shape that differs.
    """
    if unexpected:
        raise error(f"unexpected key(s) in the checkpoint: {', '.join(sorted(unexpected))}")
    missing = sorted(k for k in target if k not in mapped and k not in optional)
    if missing:
        raise error(f"missing key(s) in the checkpoint: {', '.join(missing)}")
    wrong = [f"{k}: checkpoint {list(v.shape)} vs model {list(target[k].shape)}"
             for k, v in mapped.items() if tuple(v.shape) != tuple(target[k].shape)]
    if wrong:
        raise error("shape mismatch: " + "; ".join(wrong))
