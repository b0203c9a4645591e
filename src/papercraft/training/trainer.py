"""The trainer every experiment uses.

It owns the loop and everything around it that is not the paper's contribution: progress bar,
periodic evaluation, metrics as JSON lines, atomic checkpoints and exact resume, a stop on
non-finite loss, gradient clipping, mixed precision on CUDA, and DDP under ``torchrun``.

The experiment supplies the paper-specific parts as functions:

- ``loss_fn(model, batch) -> (loss, metrics)``: one forward pass on a batch, the scalar loss to
  minimise and a dict of floats to log (e.g. batch accuracy);
- ``evaluate(model) -> metrics`` (optional): called every ``eval_every`` steps and at the end;
- ``stop_when(eval_metrics) -> bool`` (optional): ends training early, e.g. once the training set
  is fitted.

``metrics.jsonl`` holds one JSON object per line, ``{"step": s, "split": "train"|"eval", ...}``.
It holds no timings, so two runs with the same seed produce byte-identical logs on CPU.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from papercraft.errors import NonFiniteLossError
from papercraft.io import write_atomic
from papercraft.training import distributed
from papercraft.training.checkpoint import checkpoint_path, list_checkpoints, load_checkpoint, save_checkpoint

LossFn = Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, Mapping[str, float]]]
EvalFn = Callable[[nn.Module], Mapping[str, float]]
StopFn = Callable[[Mapping[str, float]], bool]


@dataclass
class TrainConfig:
    """How long and how to train.

    Attributes:
        max_steps: optimizer steps to run (fewer if ``stop_when`` fires).
        eval_every: evaluate every this many steps (0: only at the end).
        checkpoint_every: save a checkpoint every this many steps (0: only at the end). Needs an
            ``out_dir``.
        log_every: log training metrics every this many steps.
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        amp: mixed precision on CUDA (bf16 where supported, else fp16 with loss scaling); ignored
            on CPU, where training stays in float32 so that runs are reproducible.
        keep_checkpoints: how many of the newest checkpoints to keep.
        desc: label of the progress bar.
        unit: what the throughput counts, ``"samples"`` or ``"tokens"`` (``loss_fn`` reports the
            token count under the metric key ``"tokens"``).
    """

    max_steps: int
    eval_every: int = 0
    checkpoint_every: int = 0
    log_every: int = 1
    grad_clip: float | None = None
    amp: bool = True
    keep_checkpoints: int = 2
    desc: str = "train"
    unit: str = "samples"

    def __post_init__(self) -> None:
        if self.max_steps < 0:
            raise ValueError(f"max_steps must be >= 0, got {self.max_steps}")
        for name in ("eval_every", "checkpoint_every", "log_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be positive or None, got {self.grad_clip}")
        if self.unit not in ("samples", "tokens"):
            raise ValueError(f"unit must be 'samples' or 'tokens', got {self.unit!r}")


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` returns."""

    step: int  # optimizer steps taken in total
    stopped_early: bool  # stop_when fired
    history: list[dict[str, Any]] = field(default_factory=list)  # every metrics.jsonl record
    wall_s: float = 0.0  # wall time of the training, summed over the attempts of a resumed run

    def evals(self) -> list[dict[str, Any]]:
        return [r for r in self.history if r["split"] == "eval"]

    def last_eval(self) -> dict[str, Any]:
        evals = self.evals()
        return evals[-1] if evals else {}


def progress_enabled() -> bool:
    """Show progress bars on a terminal only; ``PAPERCRAFT_PROGRESS=0/1`` overrides."""
    forced = os.environ.get("PAPERCRAFT_PROGRESS")
    if forced is not None:
        return forced not in ("0", "", "false", "no")
    return sys.stderr.isatty()


class Trainer:
    """Runs ``config.max_steps`` optimizer steps of ``loss_fn`` over ``data``.

    Args:
        model: the module to train (moved to ``device``; wrapped in DDP under torchrun).
        optimizer: any ``torch.optim.Optimizer`` over ``model``'s parameters.
        loss_fn: ``(model, batch) -> (scalar loss, metrics)``.
        data: an iterator of batches (tuples of tensors), e.g. :class:`TensorBatches`; if it has
            ``state_dict``/``load_state_dict`` its position is checkpointed, and if it has
            ``shard`` it is sharded across DDP ranks.
        config: :class:`TrainConfig`.
        out_dir: where ``metrics.jsonl`` and ``checkpoints/`` go (None: nothing is written).
        scheduler: an LR scheduler stepped after every optimizer step.
        evaluate, stop_when: see the module docstring.
        device: where to train.
        resume: continue from the newest checkpoint in ``out_dir`` if there is one.
        identity: JSON-able description of the run, stored in checkpoints and checked on resume so
            that a checkpoint of another configuration is refused.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: LossFn,
                 data: Iterator[tuple[torch.Tensor, ...]], config: TrainConfig, *,
                 out_dir: Path | None = None, scheduler: Any = None, evaluate: EvalFn | None = None,
                 stop_when: StopFn | None = None, device: torch.device | str = "cpu", resume: bool = False,
                 identity: Mapping[str, Any] | None = None) -> None:
        self.device = distributed.setup(torch.device(device))
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.data = data
        self.config = config
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.scheduler = scheduler
        self.evaluate = evaluate
        self.stop_when = stop_when
        self.resume = resume
        self.identity = dict(identity or {})
        self.world_size = distributed.world_size()
        self.rank = distributed.rank()
        if self.world_size > 1 and hasattr(data, "shard"):
            data.shard(self.rank, self.world_size)  # type: ignore[attr-defined]
        self.train_model: nn.Module = model
        if self.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_model = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        self.use_amp = config.amp and self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)
        if (config.checkpoint_every or resume) and self.out_dir is None:
            raise ValueError("checkpointing and resume need an out_dir")

    # ------------------------------------------------------------------ files

    @property
    def metrics_path(self) -> Path | None:
        return self.out_dir / "metrics.jsonl" if self.out_dir else None

    @property
    def checkpoint_dir(self) -> Path | None:
        return self.out_dir / "checkpoints" if self.out_dir else None

    def _write(self, record: dict[str, Any], history: list[dict[str, Any]]) -> None:
        history.append(record)
        if self.metrics_path is not None and distributed.is_main():
            with open(self.metrics_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def _save(self, step: int, finished: bool) -> None:
        if self.checkpoint_dir is None or not distributed.is_main():
            return
        extra: dict[str, Any] = {"finished": finished, "stopped_early": self._stopped,
                                 "wall_s": self._wall_before + (time.perf_counter() - self._started)}
        if hasattr(self.data, "state_dict"):
            extra["data"] = self.data.state_dict()  # type: ignore[attr-defined]
        if self.scaler.is_enabled():
            extra["grad_scaler"] = self.scaler.state_dict()
        save_checkpoint(checkpoint_path(self.checkpoint_dir, step), model=self.model, step=step,
                        optimizer=self.optimizer, scheduler=self.scheduler, extra=extra, identity=self.identity)
        # Older checkpoints go only after the new one is safely on disk.
        for _, old in list_checkpoints(self.checkpoint_dir)[:-self.config.keep_checkpoints]:
            old.unlink(missing_ok=True)

    def _restore(self) -> tuple[int, bool, list[dict[str, Any]]]:
        """Load the newest checkpoint; return (step, finished, history up to that step)."""
        checkpoints = list_checkpoints(self.checkpoint_dir) if self.checkpoint_dir else []
        if not checkpoints:
            return 0, False, self._reset_log()
        step_saved, path = checkpoints[-1]
        step, extra = load_checkpoint(path, model=self.model, optimizer=self.optimizer,
                                      scheduler=self.scheduler, identity=self.identity)
        # Training time of the earlier attempts, so that a resumed sub-run keeps its own timing.
        self._wall_before = float(extra.get("wall_s", 0.0))
        self._stopped = bool(extra.get("stopped_early", False))
        if "data" in extra and hasattr(self.data, "load_state_dict"):
            self.data.load_state_dict(extra["data"])  # type: ignore[attr-defined]
        if "grad_scaler" in extra:
            self.scaler.load_state_dict(extra["grad_scaler"])
        # Records written after the checkpoint will be written again by the resumed run.
        history = []
        if self.metrics_path is not None and self.metrics_path.exists():
            for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if record.get("step", math.inf) <= step:
                        history.append(record)
            if distributed.is_main():
                write_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in history))
        return step, bool(extra.get("finished", False)), history

    def _reset_log(self) -> list[dict[str, Any]]:
        if self.metrics_path is not None and distributed.is_main():
            self.metrics_path.parent.mkdir(parents=True, exist_ok=True)
            self.metrics_path.write_text("", encoding="utf-8")
        return []

    # ------------------------------------------------------------------ loop

    def _run_eval(self, step: int, history: list[dict[str, Any]]) -> dict[str, Any]:
        if self.evaluate is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            metrics = {k: float(v) for k, v in self.evaluate(self.model).items()}
        self.model.train(was_training)
        record = {"step": step, "split": "eval", **metrics}
        self._write(record, history)
        return record

    def fit(self) -> TrainResult:
        """Train; return the step reached, whether ``stop_when`` fired and the metrics history."""
        self._started = time.perf_counter()
        self._wall_before, self._stopped = 0.0, False
        cfg = self.config
        if self.resume:
            step, finished, history = self._restore()
            if finished:  # nothing left to do: report the finished run's own step count and time
                return TrainResult(step, self._stopped, history, self._wall_before)
        else:
            step, history = 0, self._reset_log()
        self.model.train()
        bar = None
        if distributed.is_main() and progress_enabled():
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.max_steps, initial=step, desc=cfg.desc, unit="step", dynamic_ncols=True,
                       leave=False, file=sys.stderr)
        stopped = False
        last_eval_step = -1
        window_start, window_count = time.perf_counter(), 0
        try:
            while step < cfg.max_steps:
                batch = tuple(t.to(self.device, non_blocking=True) for t in next(self.data))
                with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
                    loss, metrics = self.loss_fn(self.train_model, batch)
                loss_value = distributed.all_reduce_mean(loss.detach().float()).item()
                if not math.isfinite(loss_value):
                    kept = list_checkpoints(self.checkpoint_dir) if self.checkpoint_dir else []
                    where = f"; the last good checkpoint is {kept[-1][1]} (step {kept[-1][0]})" if kept else ""
                    raise NonFiniteLossError(
                        f"loss became {loss_value} at step {step + 1}, training stopped{where}. "
                        f"Lower the learning rate or clip gradients")
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                if cfg.grad_clip is not None:
                    self.scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                if self.scheduler is not None:
                    self.scheduler.step()
                step += 1
                count = float(metrics.get("tokens", batch[0].shape[0])) * self.world_size
                window_count += count
                if cfg.log_every and step % cfg.log_every == 0:
                    record = {"step": step, "split": "train", "loss": loss_value,
                              "lr": self.optimizer.param_groups[0]["lr"]}
                    record.update({k: float(distributed.all_reduce_mean(torch.as_tensor(float(v))).item())
                                   for k, v in metrics.items() if k != "tokens"})
                    self._write(record, history)
                eval_record: dict[str, Any] = {}
                if cfg.eval_every and step % cfg.eval_every == 0:
                    eval_record = self._run_eval(step, history)
                    last_eval_step = step
                    if self.stop_when is not None and self.stop_when(eval_record):
                        stopped = self._stopped = True
                if bar is not None:
                    now = time.perf_counter()
                    rate = window_count / max(now - window_start, 1e-9)
                    postfix = {"loss": f"{loss_value:.4g}", f"{cfg.unit}/s": f"{rate:,.0f}"}
                    postfix.update({k: f"{v:.4g}" for k, v in eval_record.items() if k not in ("step", "split")})
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(1)
                    if now - window_start > 5:
                        window_start, window_count = now, 0
                if stopped:
                    break
                if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.max_steps:
                    self._save(step, finished=False)
            if last_eval_step != step:
                self._run_eval(step, history)
            self._save(step, finished=True)
        finally:
            if bar is not None:
                bar.close()
        return TrainResult(step, stopped, history, self._wall_before + time.perf_counter() - self._started)
