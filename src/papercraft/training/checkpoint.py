"""Checkpoints: one safetensors file per save, written atomically, validated on load.

A checkpoint holds the model's parameters and buffers, the optimizer's state, the scheduler's
state, the data loader's position, every random-number generator's state and the step, so that a
killed run resumes *exactly* (same metrics as an uninterrupted run on CPU).

Tensors go in the safetensors body; everything else (optimizer hyper-parameters, scheduler state,
RNG states of Python and NumPy, the run's identity) goes in its JSON metadata. The file is written
to ``<name>.tmp``, flushed to disk and renamed over the final name: a kill at any moment leaves
either the previous set of checkpoints or the new one, never a torn file.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from papercraft.io import write_atomic
from papercraft.errors import CheckpointError

FORMAT = "papercraft-checkpoint/1"
_NAME = re.compile(r"^step-(\d{8})\.safetensors$")


def checkpoint_path(directory: Path, step: int) -> Path:
    return Path(directory) / f"step-{step:08d}.safetensors"


def list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    """Checkpoints in ``directory`` as ``(step, path)``, oldest first (temporary files ignored)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


# --------------------------------------------------------------------------- state capture


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """All global RNG states, as (tensors, JSON-able metadata)."""
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = state
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["rng/numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.uint32).astype(np.int64))
    version, internal, gauss_next = random.getstate()
    meta = {"numpy": [kind, int(pos), int(has_gauss), float(cached)], "python": [version, list(internal), gauss_next]}
    return tensors, meta


def set_rng_state(tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any]) -> None:
    torch.set_rng_state(tensors["rng/torch"])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng/cuda/")]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    kind, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((kind, tensors["rng/numpy"].numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss_next = meta["python"]
    random.setstate((version, tuple(internal), gauss_next))


def _split_state(prefix: str, state: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Move tensors of a nested state (dicts/lists) into ``tensors``; return the JSON skeleton."""
    if isinstance(state, torch.Tensor):
        key = prefix
        tensors[key] = state.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(state, Mapping):
        return {"__dict__": [[_key_to_json(k), _split_state(f"{prefix}/{k}", v, tensors)] for k, v in state.items()]}
    if isinstance(state, (list, tuple)):
        kind = "__tuple__" if isinstance(state, tuple) else "__list__"
        return {kind: [_split_state(f"{prefix}/{i}", v, tensors) for i, v in enumerate(state)]}
    if isinstance(state, float) and (state != state or state in (float("inf"), float("-inf"))):
        return {"__float__": repr(state)}
    if state is None or isinstance(state, (bool, int, float, str)):
        return state
    raise CheckpointError(f"cannot store a {type(state).__name__} in a checkpoint (at {prefix})")


def _key_to_json(key: Any) -> Any:
    return {"__int__": key} if isinstance(key, int) else key


def _key_from_json(key: Any) -> Any:
    return key["__int__"] if isinstance(key, dict) else key


def _join_state(skeleton: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    if isinstance(skeleton, dict):
        if "__tensor__" in skeleton:
            return tensors[skeleton["__tensor__"]]
        if "__dict__" in skeleton:
            return {_key_from_json(k): _join_state(v, tensors) for k, v in skeleton["__dict__"]}
        if "__list__" in skeleton:
            return [_join_state(v, tensors) for v in skeleton["__list__"]]
        if "__tuple__" in skeleton:
            return tuple(_join_state(v, tensors) for v in skeleton["__tuple__"])
        if "__float__" in skeleton:
            return float(skeleton["__float__"])
    return skeleton


# --------------------------------------------------------------------------- save / load


def save_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    step: int,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    extra: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically to ``path``.

    ``extra`` holds further JSON-able or tensor state (the loader's position, a grad scaler, a
    ``finished`` flag). ``identity`` says which run the checkpoint belongs to; loading checks it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, value in model.state_dict().items():
        value = value.detach().cpu()
        # Tied weights (e.g. GPT-2's embedding and output layer) share storage; safetensors refuses
        # shared tensors, so store one and record the others as aliases.
        key = (value.untyped_storage().data_ptr(), value.storage_offset(), tuple(value.shape))
        if value.numel() and key in seen:
            aliases[f"model/{name}"] = seen[key]
            continue
        seen[key] = f"model/{name}"
        tensors[f"model/{name}"] = value.contiguous()
    skeleton = {
        "optimizer": _split_state("optim", optimizer.state_dict(), tensors) if optimizer is not None else None,
        "scheduler": _split_state("sched", scheduler.state_dict(), tensors) if scheduler is not None else None,
        "extra": _split_state("extra", dict(extra or {}), tensors),
    }
    rng_tensors, rng_meta = rng_state()
    tensors.update(rng_tensors)
    metadata = {
        "format": FORMAT,
        "step": str(step),
        "identity": json.dumps(dict(identity or {}), sort_keys=True),
        "state": json.dumps(skeleton),
        "rng": json.dumps(rng_meta),
        "aliases": json.dumps(aliases),
    }
    write_atomic(path, st_save(tensors, metadata=metadata))
    return path


def read_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Parse a checkpoint file into (tensors, metadata), with a clear error if it is damaged."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    try:
        tensors = st_load(data)
        header_len = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8 : 8 + header_len]).get("__metadata__") or {}
    except Exception as exc:  # safetensors raises its own error types for torn files
        raise CheckpointError(
            f"checkpoint {path} is truncated or corrupt ({len(data)} bytes; safetensors says: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). It was left untouched"
        ) from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a papercraft checkpoint (format {metadata.get('format')!r}, expected {FORMAT!r})"
        )
    return tensors, metadata


def load_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    identity: Mapping[str, Any] | None = None,
    restore_rng: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Restore a checkpoint into ``model``/``optimizer``/``scheduler``; return ``(step, extra)``.

    Raises :class:`CheckpointError` naming what differs when the file is damaged, belongs to
    another run (``identity``), or does not fit the model (missing, unexpected or reshaped
    tensors). Nothing is modified before every check has passed.
    """
    path = Path(path)
    tensors, metadata = read_checkpoint(path)
    if identity is not None:
        found = json.loads(metadata.get("identity", "{}"))
        expected = json.loads(json.dumps(dict(identity), sort_keys=True, default=str))
        differing = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
        if differing:
            detail = "; ".join(f"{k}: checkpoint has {found.get(k)!r}, this run has {expected.get(k)!r}" for k in differing)
            raise CheckpointError(f"checkpoint {path} belongs to a different run ({detail})")
    aliases = json.loads(metadata.get("aliases", "{}"))
    state = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
    for alias, target in aliases.items():
        state[alias[len("model/"):]] = tensors[target]
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = [f"'{k}' is {list(state[k].shape)} in the checkpoint but {list(own[k].shape)} in the model"
                for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or reshaped:
        parts = []
        if reshaped:
            parts.append("; ".join(reshaped[:3]) + (f" (and {len(reshaped) - 3} more)" if len(reshaped) > 3 else ""))
        if missing:
            parts.append(f"missing from the checkpoint: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
        if unexpected:
            parts.append(f"not in the model: {', '.join(unexpected[:5])}" + (" ..." if len(unexpected) > 5 else ""))
        raise CheckpointError(f"checkpoint {path} does not fit this model: {'; '.join(parts)}")
    skeleton = json.loads(metadata["state"])
    if (skeleton["optimizer"] is None) != (optimizer is None) and optimizer is not None:
        raise CheckpointError(f"checkpoint {path} has no optimizer state to resume from")
    model.load_state_dict(state)
    if optimizer is not None and skeleton["optimizer"] is not None:
        try:
            optimizer.load_state_dict(_join_state(skeleton["optimizer"], tensors))
        except (ValueError, KeyError) as exc:
            raise CheckpointError(f"checkpoint {path}: optimizer state does not fit ({exc})") from None
    if scheduler is not None and skeleton["scheduler"] is not None:
        scheduler.load_state_dict(_join_state(skeleton["scheduler"], tensors))
    if restore_rng:
        set_rng_state(tensors, json.loads(metadata["rng"]))
    return int(metadata["step"]), _join_state(skeleton["extra"], tensors)
