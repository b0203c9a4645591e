"""End-to-end infrastructure tests through the real CLI: SIGKILL + --resume, DDP, bad checkpoints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

DRIVER = Path(__file__).with_name("toy_entry.py")


def run_cli(*args: str, env_extra: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAPERCRAFT_PROGRESS": "0", "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, str(DRIVER), *args], capture_output=True, text=True, timeout=timeout, env=env)


def metrics(run_dir: Path) -> dict[str, list[dict]]:
    return {sub: [json.loads(line) for line in (run_dir / "toy" / sub / "metrics.jsonl").read_text().splitlines()]
            for sub in ("a", "b")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted") / "run"
    proc = run_cli("run", "toy", "--device", "cpu", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_same_seed_gives_identical_metrics(uninterrupted, tmp_path):
    proc = run_cli("run", "toy", "--device", "cpu", "--out", str(tmp_path / "again"))
    assert proc.returncode == 0, proc.stderr
    assert metrics(tmp_path / "again") == metrics(uninterrupted)
    assert metrics(uninterrupted)["b"][-1]["step"] == 30


def test_sigkill_then_resume_reproduces_the_uninterrupted_metrics(uninterrupted, tmp_path):
    out = tmp_path / "killed"
    env = {**os.environ, "PAPERCRAFT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(DRIVER), "run", "toy", "--device", "cpu", "--out", str(out),
                             "--set", "sleep=0.05"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill once sub-run "b" (the second) has written a checkpoint but before it finishes.
    deadline = time.time() + 90
    ckpt_dir = out / "toy" / "b" / "checkpoints"
    while time.time() < deadline:
        if ckpt_dir.is_dir() and any(p.name.startswith("step-00000010") for p in ckpt_dir.iterdir()):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the run never reached its step-10 checkpoint: " + proc.stderr.read().decode())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "result.json").exists()
    lines_at_kill = (out / "toy" / "b" / "metrics.jsonl").read_text().splitlines()
    assert 0 < len(lines_at_kill)
    resumed = run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--resume", "--set", "sleep=0.05")
    assert resumed.returncode == 0, resumed.stderr
    assert metrics(out) == metrics(uninterrupted)
    result = json.loads((out / "result.json").read_text())
    assert result["verdict"] == "reproduced"
    assert [a["how"] for a in result["earlier_attempts"]] == ["interrupted; no result.json was written"]
    # Sub-run "a" finished before the kill: the resume keeps its own steps and training time
    # (read back from its final checkpoint), instead of reporting 0 s for it.
    subruns = result["experiments"]["toy"]["subruns"]
    assert subruns["a"]["steps"] == 30 and subruns["a"]["wall_s"] >= 30 * 0.05
    assert subruns["b"]["steps"] == 30 and subruns["b"]["wall_s"] >= 30 * 0.05
    assert result["overrides"] == ["sleep=0.05"] and result["schema"] == 2
    assert result["seeds"] == [0, 1]  # every seed a sub-run used, not only the base seed
    assert result["threads"] == {"toy": 1}


def test_truncated_checkpoint_is_a_clear_error_and_the_previous_one_survives(tmp_path):
    out = tmp_path / "run"
    first = run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--set", "steps=12")
    assert first.returncode == 0, first.stderr
    ckpts = sorted((out / "toy" / "b" / "checkpoints").iterdir())
    assert [p.name for p in ckpts] == ["step-00000010.safetensors", "step-00000012.safetensors"]
    previous_bytes = ckpts[0].read_bytes()
    latest = ckpts[-1]
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    (out / "result.json").unlink()
    proc = run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--resume", "--set", "steps=12")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "truncated or corrupt" in proc.stderr and "step-00000012" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert ckpts[0].read_bytes() == previous_bytes


def test_mismatched_checkpoint_is_a_clear_error(tmp_path):
    out = tmp_path / "run"
    assert run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--set", "steps=10").returncode == 0
    (out / "result.json").unlink()
    proc = run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--resume", "--set", "steps=10",
                   "--set", "width=48")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "belongs to a different run" in proc.stderr and "width" in proc.stderr


def test_non_finite_loss_stops_with_a_message_and_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("run", "toy", "--device", "cpu", "--out", str(out), "--set", "nan_at=13")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "loss became nan at step 13" in proc.stderr
    assert "step-00000010.safetensors" in proc.stderr
    assert (out / "toy" / "b" / "checkpoints" / "step-00000010.safetensors").exists()


@pytest.mark.slow
def test_ddp_two_processes_equal_one_process_with_the_same_global_batch(tmp_path):
    single, double = tmp_path / "single.pt", tmp_path / "ddp.pt"
    args = ["run", "toy", "--device", "cpu", "--set", "dropout=0.0", "--set", "steps=12"]
    one = run_cli(*args, "--out", str(tmp_path / "one"), "--set", f"save_params={single}")
    assert one.returncode == 0, one.stderr
    env = {**os.environ, "PAPERCRAFT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          str(DRIVER), *args, "--out", str(tmp_path / "two"), "--set", f"save_params={double}"],
                         capture_output=True, text=True, timeout=180, env=env)
    assert two.returncode == 0, two.stderr[-3000:]
    result = json.loads((tmp_path / "two" / "result.json").read_text())
    assert result["world_size"] == 2
    a, b = torch.load(single), torch.load(double)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-5, atol=1e-6)
    # and training did move the parameters (the comparison is not between two untouched inits)
    torch.manual_seed(1)
    fresh = __import__("toy_entry").toy_model(32, 0.0).state_dict()
    assert not torch.allclose(a["0.weight"], fresh["0.weight"])
