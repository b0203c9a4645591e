"""Running an entry's experiments: run directories, the context experiments get, ``result.json``.

An experiment is a function ``run(ctx: RunContext) -> Outcome``. The runner resolves the preset
and its parameters, makes the run directory, calls each experiment of the entry, computes the
verdict from the criteria the experiment returned and writes ``result.json`` beside the metrics
logs and plots.

Run directories default to ``runs/<id>/<preset>-seed<N>-<timestamp>`` under the current directory
(``PAPERCRAFT_RUNS`` overrides ``runs``). ``--resume`` without ``--out`` continues the newest
unfinished run of the same entry, preset and seed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papercraft import __version__
from papercraft.errors import PapercraftError, UsageError, unknown_choice
from papercraft.paths import REPO_ROOT
from papercraft.registry import Entry, Experiment, registry
from papercraft.results import (
    RESULT_FILE,
    RESULT_SCHEMA,
    VERDICT_RULE,
    Outcome,
    Plot,
    part_verdicts,
    to_jsonable,
    verdict_of,
    write_json_atomic,
)



def runs_root() -> Path:
    """Where ``papercraft run`` puts run directories: ``$PAPERCRAFT_RUNS`` or ``./runs``."""
    return Path(os.environ.get("PAPERCRAFT_RUNS", "runs"))


def default_result_roots() -> list[Path]:
    """Where results are looked for: the repository's committed ``results/`` and :func:`runs_root`."""
    return [REPO_ROOT / "results", runs_root()]


def resolve_device(name: str):
    """``auto`` → CUDA if available else CPU; ``cuda`` without a GPU is a usage error."""
    import torch

    if name not in ("auto", "cpu", "cuda"):
        raise unknown_choice("device", name, ["auto", "cpu", "cuda"])
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA device is available (use --device cpu or auto)")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


@dataclass
class RunContext:
    """What an experiment function receives, and the helpers that carry its plumbing.

    Attributes:
        entry: the catalogue entry.
        experiment: the experiment being run.
        preset: the preset's name (``"quick"``, ``"full"``, ...).
        params: the preset's parameters (after ``--set`` overrides).
        seed: the base seed; experiments needing several seeds use :meth:`seeds`.
        device: the ``torch.device`` to use.
        out_dir: this experiment's directory (plots, sub-runs' metrics and checkpoints).
        resume: continue interrupted sub-runs from their checkpoints.

    The runner records what the helpers saw: every seed :meth:`seeds` handed out, every sub-run's
    steps and time (:meth:`train`), every figure (:meth:`figure`).
    """

    entry: Entry
    experiment: Experiment
    preset: str
    params: dict[str, Any]
    seed: int
    device: Any
    out_dir: Path
    resume: bool = False
    log_lines: list[str] = field(default_factory=list)
    used_seeds: set[int] = field(default_factory=set)
    subruns: dict[str, dict[str, Any]] = field(default_factory=dict)
    plots: list[Plot] = field(default_factory=list)

    def seeds(self, n: int) -> list[int]:
        """``n`` seeds derived from the base seed (the base seed first); recorded in ``result.json``."""
        if n < 1:
            raise ValueError(f"seeds: n must be >= 1, got {n}")
        out = [self.seed + 1000 * i for i in range(n)]
        self.used_seeds.update(out)
        return out

    def subdir(self, name: str) -> Path:
        """A directory for one sub-run (e.g. one corruption level), created on demand."""
        path = self.out_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def path(self, name: str) -> Path:
        """Path of an artefact (e.g. a plot) in this experiment's directory."""
        return self.out_dir / name

    def log(self, message: str) -> None:
        """A line of progress for the user (stderr) and for ``log.txt`` of the run."""
        from papercraft.training import distributed

        self.log_lines.append(message)
        if distributed.is_main():
            print(f"[{self.entry.id}] {message}", file=sys.stderr, flush=True)

    def train(self, name: str, model: Any, optimizer: Any, loss_fn: Any, data: Any, *, steps: int,
              seed: int | None = None, scheduler: Any = None, evaluate: Any = None, stop_when: Any = None,
              eval_every: int = 0, log_every: int = 10, checkpoint_every: int = 0, grad_clip: float | None = None,
              unit: str = "samples", amp: bool = True, identity: Mapping[str, Any] | None = None) -> Any:
        """Train one named sub-run with :class:`papercraft.training.Trainer` and return its
        :class:`~papercraft.training.TrainResult`.

        The sub-run gets its own directory (``<experiment>/<name>/``: ``metrics.jsonl`` and
        ``checkpoints/``), this run's device and ``--resume``, a progress bar labelled ``name``,
        and a checkpoint identity made of the entry, experiment, preset, parameters, sub-run name
        and ``seed`` (plus ``identity``), so that resuming with other settings is refused. Its
        steps and training time, kept across resumes, go into ``result.json`` under ``subruns``.

        Args:
            steps: the budget in optimizer steps (fewer if ``stop_when`` fires).
            seed: the sub-run's seed, if it has its own (recorded with the seeds used).
            Others: as :class:`papercraft.training.TrainConfig` and :class:`~papercraft.training.Trainer`.
        """
        from papercraft.training import TrainConfig, Trainer

        if name in self.subruns:
            raise ValueError(f"sub-run name {name!r} is used twice in experiment {self.experiment.name}")
        if seed is not None:
            self.used_seeds.add(int(seed))
        # The parameters go in flat, so that a refused resume names the parameter that differs.
        full_identity = {**self.params, "entry": self.entry.id, "experiment": self.experiment.name,
                         "preset": self.preset, "sub_run": name, "sub_run_seed": seed, **dict(identity or {})}
        trainer = Trainer(model, optimizer, loss_fn, data,
                          TrainConfig(max_steps=steps, eval_every=eval_every, checkpoint_every=checkpoint_every,
                                      log_every=log_every, grad_clip=grad_clip, amp=amp, desc=name, unit=unit),
                          out_dir=self.subdir(name), scheduler=scheduler, evaluate=evaluate, stop_when=stop_when,
                          device=self.device, resume=self.resume, identity=full_identity)
        result = trainer.fit()
        self.subruns[name] = {"steps": result.step, "stopped_early": result.stopped_early,
                              "wall_s": round(result.wall_s, 2)}
        return result

    def figure(self, filename: str, caption: str, **kwargs: Any) -> Any:
        """``with ctx.figure("curves.png", "caption", ncols=2) as (fig, axes): ...`` writes the plot
        into this experiment's directory and adds it, with its caption, to the result
        (:func:`papercraft.plots.figure` takes the keywords)."""
        from papercraft.plots import figure

        self.plots.append(Plot(filename, caption))
        return figure(self.path(filename), **kwargs)


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Set torch's intra-op threads to ``n`` for the ``with`` block, then restore them."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def git_commit() -> str | None:
    """The commit of the source tree papercraft runs from (``+dirty`` if modified), if known."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine_description(device: Any) -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"device": str(device), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform()}
    if getattr(device, "type", "") == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children, in seconds.

    Recorded beside the wall time: on a shared machine the wall time is inflated by other work,
    while the CPU time mostly is not, so the two together say what a run costs.
    """
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _earlier_attempts(run_dir: Path) -> list[dict[str, Any]]:
    """What is known of the attempts before a resume: a finished attempt's recorded wall time, or
    for a killed one the time of the last file it wrote."""
    previous = json.loads((run_dir / RESULT_FILE).read_text()) if (run_dir / RESULT_FILE).exists() else None
    if previous:
        return [*previous.get("earlier_attempts", []),
                {"started_at": previous.get("started_at"), "finished_at": previous.get("finished_at"),
                 "wall_s": previous.get("wall_s"), "how": "finished; result.json rewritten by this resume"}]
    times = [p.stat().st_mtime for p in run_dir.rglob("*") if p.is_file()]
    if not times:
        return []
    last = _dt.datetime.fromtimestamp(max(times), _dt.timezone.utc).isoformat(timespec="seconds")
    return [{"last_write": last, "how": "interrupted; no result.json was written"}]


def _load_average() -> list[float] | None:
    """The 1/5/15-minute load averages at the end of the run (how busy the machine was)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def choose_run_dir(entry: Entry, preset: str, seed: int, out: Path | None, resume: bool) -> Path:
    if out is not None:
        if resume and not Path(out).is_dir():
            raise UsageError(f"--resume: {out} does not exist (nothing to resume)")
        return Path(out)
    base = runs_root() / entry.id
    if resume:
        candidates = sorted(p for p in base.glob(f"{preset}-seed{seed}-*") if p.is_dir() and not (p / RESULT_FILE).exists())
        if not candidates:
            raise UsageError(f"--resume: no unfinished {preset} run of {entry.id} with seed {seed} under {base}")
        return candidates[-1]
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return base / f"{preset}-seed{seed}-{stamp}"


def make_run_dir(path: Path) -> Path:
    """Create the run directory, or fail with one line saying why (exit status 1)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".papercraft-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise PapercraftError(f"cannot write the run directory {path}: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise PapercraftError(f"the run directory {path} is not a directory")
    return path


def _subrun_timings(exp_dir: Path) -> dict[str, Any]:
    """Sub-run timings recorded by an earlier attempt of this experiment (kept across resumes)."""
    path = exp_dir / "subruns.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _non_measurements(numbers: Any, key: str = "") -> list[str]:
    """Keys of ``Outcome.numbers`` that hold a path (a directory or file is not a measurement)."""
    if isinstance(numbers, dict):
        return [k for name, value in numbers.items() for k in _non_measurements(value, f"{key}.{name}" if key else str(name))]
    if isinstance(numbers, (list, tuple)):
        return [k for i, value in enumerate(numbers) for k in _non_measurements(value, f"{key}[{i}]")]
    if isinstance(numbers, Path) or (isinstance(numbers, str) and os.sep in numbers and os.path.exists(numbers)):
        return [key]
    return []


def run_entry(entry_id: str, *, preset: str = "quick", seed: int = 0, device: str = "auto",
              out: Path | None = None, resume: bool = False, overrides: Sequence[str] = (),
              experiments: Sequence[str] | None = None) -> tuple[Path, dict[str, Any]]:
    """Run an entry's experiments; return the run directory and the result written there.

    The runner owns the plumbing every experiment shares: the preset's parameters (with validated
    ``--set`` overrides), torch threads (``Preset.threads``), the run directory, the device, the
    timing, and ``result.json`` with the verdict computed from the experiment's criteria.
    """
    from papercraft.training import distributed

    entry = registry().require_runnable(entry_id)
    selected = [entry.experiment(name) for name in experiments] if experiments else list(entry.experiments)
    for experiment in selected:
        experiment.preset(preset)  # unknown preset: usage error naming the declared ones
    if overrides and len(selected) > 1:
        raise UsageError(f"--set applies to one experiment; choose it with --experiment "
                         f"({', '.join(e.name for e in selected)})")
    params_by_exp = {e.name: e.apply_overrides(preset, list(overrides)) for e in selected}
    torch_device = distributed.setup(resolve_device(device))
    run_dir = choose_run_dir(entry, preset, seed, out, resume)
    if distributed.world_size() > 1:  # every rank must use rank 0's (timestamped) directory
        import torch.distributed as dist

        chosen = [str(run_dir)]
        dist.broadcast_object_list(chosen, src=0)
        run_dir = Path(chosen[0])
    make_run_dir(run_dir)
    earlier_attempts = _earlier_attempts(run_dir) if resume else []
    started_at, started, cpu_started = _now(), time.perf_counter(), cpu_seconds()
    experiment_results: dict[str, Any] = {}
    all_criteria = []
    used_seeds: set[int] = {seed}
    threads_used: dict[str, int] = {}
    for experiment in selected:
        exp_dir = make_run_dir(run_dir / experiment.name)
        threads = experiment.preset(preset).threads
        threads_used[experiment.name] = threads
        ctx = RunContext(entry=entry, experiment=experiment, preset=preset, params=params_by_exp[experiment.name],
                         seed=seed, device=torch_device, out_dir=exp_dir, resume=resume)
        t0 = time.perf_counter()
        function = experiment.load()
        with torch_threads(threads):
            outcome = function(ctx)
        if not isinstance(outcome, Outcome):
            raise PapercraftError(f"experiment {experiment.target} returned {type(outcome).__name__}, not an Outcome")
        paths = _non_measurements(outcome.numbers)
        if paths:
            raise PapercraftError(f"experiment {experiment.target} put paths among its measured numbers "
                                  f"({', '.join(paths)}); numbers hold measurements only")
        used_seeds |= ctx.used_seeds
        all_criteria.extend(outcome.criteria)
        plots = [*ctx.plots, *[p for p in outcome.plots if p.path not in {q.path for q in ctx.plots}]]
        for plot in plots:  # plot paths become relative to the run directory
            if not plot.path.startswith(experiment.name + "/"):
                plot.path = str(Path(experiment.name) / plot.path)
        # A sub-run finished by an earlier attempt keeps the timing that attempt recorded.
        subruns = {**_subrun_timings(exp_dir), **ctx.subruns}
        if distributed.is_main():
            write_json_atomic(exp_dir / "subruns.json", subruns)
        experiment_results[experiment.name] = {
            "description": experiment.description,
            "params": ctx.params,
            "threads": threads,
            "numbers": outcome.numbers,
            "criteria": outcome.criteria,
            "verdict": verdict_of(outcome.criteria),
            "parts": part_verdicts(outcome.criteria),
            "plots": plots,
            "tables": outcome.tables,
            "notes": outcome.notes,
            "subruns": subruns,
            "wall_s": round(time.perf_counter() - t0, 2),
            "budget_s": experiment.preset(preset).budget_s,
        }
        if distributed.is_main() and ctx.log_lines:
            with open(exp_dir / "log.txt", "a", encoding="utf-8") as handle:
                handle.write("\n".join(ctx.log_lines) + "\n")
    headline = None
    if entry.headline:
        for res in experiment_results.values():
            if entry.headline.key in res["numbers"]:
                headline = {"key": entry.headline.key, "label": entry.headline.label,
                            "value": res["numbers"][entry.headline.key],
                            "shown": entry.headline.format(res["numbers"][entry.headline.key])}
    result = {
        "schema": RESULT_SCHEMA,
        "entry": entry.id,
        "title": entry.title,
        "preset": preset,
        "overrides": list(overrides),
        "seed": seed,
        "seeds": sorted(used_seeds),
        "threads": threads_used,
        "experiments": experiment_results,
        "verdict": verdict_of(all_criteria),
        "verdict_rule": VERDICT_RULE,
        "criteria": all_criteria,
        "headline": headline,
        "started_at": started_at,
        "finished_at": _now(),
        "wall_s": round(time.perf_counter() - started, 2),
        "cpu_s": round(cpu_seconds() - cpu_started, 2),
        # A resumed run's wall_s covers its last attempt only; the earlier ones are listed here,
        # and each experiment's "subruns" keep their own training times.
        "earlier_attempts": earlier_attempts,
        "load_average": _load_average(),
        "machine": machine_description(torch_device),
        "world_size": distributed.world_size(),
        "papercraft_version": __version__,
        "git_commit": git_commit(),
        "command": " ".join(["papercraft", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("papercraft") else None,
    }
    result = to_jsonable(result)
    if distributed.is_main():
        write_json_atomic(run_dir / RESULT_FILE, result)
    return run_dir, result
