"""The CLI's contract: --help everywhere, input errors exit 2 with one line naming the choices."""

from __future__ import annotations

import subprocess
import sys

import pytest

from papercraft.cli import main
from papercraft.registry import registry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [[], ["list"], ["show"], ["run"], ["reproduce"], ["report"], ["data"],
                                  ["data", "list"], ["data", "get"], ["data", "verify"], ["readme"],
                                  ["bpe"], ["bpe", "train"], ["bpe", "encode"], ["generate"]])
def test_help_at_every_level(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: papercraft" in capsys.readouterr().out


@pytest.mark.parametrize("argv, expected", [
    (["run", "gtp"], "unknown entry id 'gtp' (did you mean 'gpt'?); valid choices: rethinking-generalization"),
    (["show", "resnett"], "unknown entry id 'resnett' (did you mean 'resnet'?)"),
    (["run", "rethinking-generalization", "--preset", "ful"], "invalid choice 'ful' for --preset (did you mean 'full'?); valid choices: quick, full"),
    (["run", "rethinking-generalization", "--device", "gpu"], "invalid choice 'gpu' for --device"),
    (["run", "rethinking-generalization", "--sed", "1"], "unknown option '--sed' (did you mean '--seed'?)"),
    (["run", "rethinking-generalization", "--seed", "x"], "invalid int value: 'x'"),
    (["run", "rethinking-generalization", "--set", "nonsense"], "--set expects KEY=VALUE"),
    (["run", "rethinking-generalization", "--set", "no_such_param=1"], "unknown parameter 'no_such_param'"),
    (["run", "rethinking-generalization", "--experiment", "nope"], "unknown experiment of rethinking-generalization 'nope'"),
    (["run", "vit"], "entry 'vit' is still planned"),
    (["reproduce", "rethinking-generalization", "vit"], "entry 'vit' is still planned"),
    (["lst"], "invalid choice 'lst' for COMMAND (did you mean 'list'?)"),
    (["list", "--status", "done"], "invalid choice 'done' for --status"),
    (["data", "get", "mnistt"], "unknown data set 'mnistt' (did you mean 'mnist'?)"),
    (["data", "verify", "cifar"], "unknown data set 'cifar'"),
    (["data"], "choose an action"),
])
def test_input_errors_exit_2_with_one_line(argv, expected, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("papercraft: error: ")


def test_wrong_typed_override_names_the_expected_type(capsys, monkeypatch):
    from papercraft.runner import parse_overrides
    from papercraft.errors import UsageError

    with pytest.raises(UsageError, match="parameter 'steps' expects a int like 30, got 'many'"):
        parse_overrides(["steps=many"], {"steps": 30})
    assert parse_overrides(["lr=1", "name=x", "flag=true"], {"lr": 0.1, "name": "a", "flag": False}) == {
        "lr": 1.0, "name": "x", "flag": True}


def test_list_shows_every_entry(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for entry in registry():
        assert entry.id in out
    assert "47 entries" in out


def test_show_prints_claim_and_presets(capsys):
    code, out, _ = run(capsys, "show", "rethinking-generalization")
    assert code == 0 and "claim:" in out and "preset quick" in out and "preset full" in out


def test_no_traceback_reaches_the_user_from_a_real_process():
    proc = subprocess.run([sys.executable, "-m", "papercraft", "run", "nope", "--preset", "quick"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("papercraft: error: unknown entry id 'nope'")
