"""Which result is shown for an entry, and what a result records: results that cannot mislead."""

from __future__ import annotations

from pathlib import Path

from papercraft.results import (
    LEGACY_NOTE,
    RESULT_SCHEMA,
    committed_full_result,
    is_legacy,
    latest_result,
    overrides_of,
)


def result(preset: str, finished: str, **kw) -> tuple[Path, dict]:
    return Path(f"/runs/{preset}-{finished}"), {"entry": "e", "preset": preset, "finished_at": finished,
                                                 "schema": RESULT_SCHEMA, "overrides": [], **kw}


def test_runs_with_overrides_are_never_shown():
    full = result("full", "2026-01-01")
    overridden = result("full", "2026-02-01", overrides=["train_seconds=900"])
    assert latest_result([full, overridden]) == full
    assert latest_result([overridden]) is None


def test_legacy_results_are_judged_by_their_recorded_command():
    legacy = (Path("/r"), {"entry": "seq2seq", "preset": "full", "finished_at": "2026-01-02",
                           "command": "papercraft run seq2seq --preset full --set train_seconds=900.0 --out x"})
    plain = (Path("/p"), {"entry": "seq2seq", "preset": "full", "finished_at": "2026-01-01",
                          "command": "papercraft run seq2seq --preset full --out y"})
    assert overrides_of(legacy[1]) == ["train_seconds=900.0"] and overrides_of(plain[1]) == []
    assert overrides_of({"entry": "x"}) is None
    assert latest_result([legacy, plain]) == plain
    assert is_legacy(plain[1]) and not is_legacy(result("full", "x")[1]) and "foundation v2" in LEGACY_NOTE


def test_undeclared_presets_and_newer_quick_runs_do_not_hide_the_full_run():
    full = result("full", "2026-01-01")
    quick = result("quick", "2026-03-01")
    odd = result("full-900s", "2026-04-01")
    assert latest_result([full, quick, odd], presets={"quick", "full"}) == full
    assert latest_result([quick, odd], presets={"quick", "full"}) == quick


def test_seq2seq_override_run_is_not_its_shown_result():
    shown = committed_full_result("seq2seq")
    assert shown is not None and "900" not in (shown[1].get("command") or "")
