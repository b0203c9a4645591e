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
    (["run", "rethinking-generalization", "--preset", "ful"], "unknown preset 'ful' (did you mean 'full'?); valid choices: quick, full"),
    (["run", "rethinking-generalization", "--device", "gpu"], "invalid choice 'gpu' for --device"),
    (["run", "rethinking-generalization", "--sed", "1"], "unknown option '--sed' (did you mean '--seed'?)"),
    (["run", "rethinking-generalization", "--seed", "x"], "invalid int value: 'x'"),
    (["run", "rethinking-generalization", "--set", "nonsense"], "--set expects KEY=VALUE"),
    (["run", "rethinking-generalization", "--set", "no_such_param=1"], "unknown parameter of experiment randomization 'no_such_param'"),
    (["run", "rethinking-generalization", "--experiment", "nope"], "unknown experiment of rethinking-generalization 'nope'"),
    (["run", "vit"], "entry 'vit' is declared: it has no experiment to run yet"),
    (["reproduce", "rethinking-generalization", "vit"], "entry 'vit' is declared"),
    (["run", "rethinking-generalization", "--set", "lr=fast"], "parameter 'lr' expects float"),
    (["list", "--status", "reproduced"], "invalid choice 'reproduced' for --status"),
    (["lst"], "invalid choice 'lst' for COMMAND (did you mean 'list'?)"),
    (["list", "--status", "done"], "invalid choice 'done' for --status"),
    (["data", "get", "mnistt"], "unknown data set 'mnistt' (did you mean 'mnist'?)"),
    (["data", "verify", "cifar"], "unknown data set 'cifar'"),
    (["data"], "choose an action"),
    (["bpe", "encode", "--vocb", "gpt2"], "papercraft bpe encode: unknown option '--vocb' (did you mean '--vocab'?); "
                                          "valid options: --allow-special, --help, --vocab"),
])
def test_input_errors_exit_2_with_one_line(argv, expected, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("papercraft: error: ")


def test_wrong_typed_override_names_the_expected_type():
    from papercraft.errors import UsageError
    from papercraft.registry import Experiment, Preset

    experiment = Experiment("x", "", "m:f", {"quick": Preset({"steps": 30, "lr": 0.1, "name": "a", "flag": False}, 1),
                                            "full": Preset({"steps": 90, "lr": 0.1, "name": "b", "flag": True}, 1)})
    with pytest.raises(UsageError, match="parameter 'steps' expects int \\(e.g. 30\\), got 'many'"):
        experiment.apply_overrides("quick", ["steps=many"])
    assert experiment.apply_overrides("quick", ["lr=1", "name=x", "flag=true"]) == {
        "steps": 30, "lr": 1.0, "name": "x", "flag": True}


def test_unwritable_out_is_one_line_exit_1(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    for argv in (["run", "rethinking-generalization", "--out", str(blocker / "run")],
                 ["report", "--out", str(blocker / "site")]):
        code, _, err = run(capsys, *argv)
        assert code == 1, argv
        assert len(err.strip().splitlines()) == 1 and str(blocker) in err and "Traceback" not in err


def test_reproduce_explains_quick_presets_and_shows_the_committed_full_verdict(capsys, monkeypatch, tmp_path):
    import papercraft.cli as cli
    import papercraft.results as results
    import papercraft.runner as runner

    def fake_run_entry(entry_id, **kw):
        return tmp_path, {"entry": entry_id, "preset": "quick", "seed": 0, "verdict": "not reproduced",
                          "wall_s": 1.0, "criteria": []}

    monkeypatch.setattr(runner, "run_entry", fake_run_entry)
    monkeypatch.setattr(results, "committed_full_result", lambda entry_id: (tmp_path, {"verdict": "reproduced"}))
    monkeypatch.setattr(cli, "_build_report", lambda out, roots: tmp_path / "index.html")
    code, out, _ = run(capsys, "reproduce", "resnet")
    assert code == 0
    assert "smoke-sized" in out and "committed full-preset verdict: reproduced" in out
    summary = out.split("summary:", 1)[1].splitlines()
    row = next(line for line in summary if line.strip().startswith("resnet"))
    assert "not reproduced" in row and row.rstrip().endswith("reproduced")


def test_list_shows_every_entry(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for entry in registry():
        assert entry.id in out
    assert "47 entries" in out
    declared = sum(e.status == "declared" for e in registry())
    assert declared >= 20 and f"{declared} declared" in out  # derived: many entries have only their declaration


def test_show_prints_claim_and_presets(capsys):
    code, out, _ = run(capsys, "show", "rethinking-generalization")
    assert code == 0 and "claim:" in out and "preset quick" in out and "preset full" in out


def test_no_traceback_reaches_the_user_from_a_real_process():
    proc = subprocess.run([sys.executable, "-m", "papercraft", "run", "nope", "--preset", "quick"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("papercraft: error: unknown entry id 'nope'")
