"""Build the static report site from the registry and the latest result of each entry.

Layout of the site (every link is relative, so it works offline from any directory)::

    index.html                  catalogue table grouped by section, counts by status and verdict
    about.html                  the verdict rule and how to reproduce a result
    style.css                   the one stylesheet (system fonts, no external resources)
    entries/<id>.html           one page per entry (a "planned" page when there is no result)
    entries/<id>/<plot path>    the plots of the entry's shown result, copied from its run directory
    code/<repo path>.html       each source file of an entry (and its tests), escaped, line-numbered

Results are discovered with :func:`papercraft.results.find_results` and chosen with
:func:`papercraft.results.latest_result` (the newest ``full`` run, else the newest run). A broken
result file is skipped with a warning; it never stops the build.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from papercraft.io import write_atomic
from papercraft import __version__
from papercraft.errors import PapercraftError
from papercraft.registry import STATUSES, Entry, Registry, registry
from papercraft.report.markup import (
    badge,
    bullets,
    esc,
    fmt,
    link,
    page,
    passed_badge,
    table,
    verdict_badge,
)
from papercraft.results import (
    LEGACY_NOTE,
    RESULT_FILE,
    VERDICT_RULE,
    VERDICTS,
    find_results,
    is_legacy,
    latest_result,
    overrides_of,
    read_result,
)
from papercraft.runner import REPO_ROOT, default_result_roots

DEFAULT_RESULT_ROOTS: tuple[Path, ...] = tuple(default_result_roots())
"""Where results are looked for: the committed full-preset results (``results/<id>/`` at the
repository root) and local runs (``./runs``, or ``$PAPERCRAFT_RUNS``)."""

SITE_MARKER = ".papercraft-report"  # marks a directory this module built, so rebuilding may replace it
STATIC_DIR = Path(__file__).parent / "static"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


class ReportError(PapercraftError, ValueError):
    """The report cannot be written where asked (e.g. a non-report directory would be overwritten)."""


# ----------------------------------------------------------------------------------------- build


def build_report(out_dir: Path, result_roots: Sequence[Path] | None = DEFAULT_RESULT_ROOTS, *,
                 repo_root: Path = REPO_ROOT, reg: Registry | None = None,
                 warn: Callable[[str], None] | None = None) -> Path:
    """Build the static site into ``out_dir`` and return the path of its ``index.html``.

    Args:
        out_dir: the site directory. It is replaced as a whole; if it exists it must be empty or a
            site built by this function (it holds ``.papercraft-report``), so a wrong path cannot
            wipe unrelated files.
        result_roots: directories searched (recursively) for ``result.json`` files; ``None`` means
            :func:`papercraft.runner.default_result_roots` as of this call.
        repo_root: the repository whose source files are rendered and linked.
        reg: the registry (default: the catalogue).
        warn: called with each warning line (default: printed to stderr).

    Raises:
        ReportError: ``out_dir`` exists and is neither empty nor a previous report.
    """
    out_dir = Path(out_dir)
    result_roots = default_result_roots() if result_roots is None else [Path(r) for r in result_roots]
    reg = reg if reg is not None else registry()
    warnings: list[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        (warn or (lambda m: print(f"papercraft report: warning: {m}", file=sys.stderr)))(message)

    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).exists())):
        raise ReportError(f"refusing to overwrite {out_dir}: it is not empty and is not a papercraft report "
                          f"(no {SITE_MARKER} file); choose an empty or new directory")

    chosen, counts = _choose_results(reg, result_roots, _warn)
    build_dir = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    if build_dir.exists():
        shutil.rmtree(build_dir)
    (build_dir / "entries").mkdir(parents=True)
    try:
        shutil.copyfile(STATIC_DIR / "style.css", build_dir / "style.css")
        (build_dir / SITE_MARKER).write_text("built by papercraft.report.build_report\n", encoding="utf-8")
        code_pages: dict[str, list[str]] = {}
        for entry in reg:
            code_pages[entry.id] = _write_code_pages(entry, repo_root, build_dir)
        for entry in reg:
            run = chosen.get(entry.id)
            try:
                body = _entry_page(entry, run, reg, build_dir, code_pages[entry.id], repo_root, _warn,
                                   n_results=counts.get(entry.id, 0))
            except Exception as exc:  # a result with an unexpected shape must not stop the build
                _warn(f"{entry.id}: could not render result {run[0] if run else ''} ({type(exc).__name__}: {exc}); "
                      f"showing the entry without it")
                chosen.pop(entry.id, None)
                body = _entry_page(entry, None, reg, build_dir, code_pages[entry.id], repo_root, _warn)
            _write(build_dir / "entries" / f"{entry.id}.html", page(entry.title, body, root="../"))
        _write(build_dir / "index.html", page("catalogue", _index_page(reg, chosen, warnings)))
        _write(build_dir / "about.html", page("about", _about_page(result_roots, repo_root)))
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    _replace_dir(build_dir, out_dir)
    return out_dir / "index.html"


def _replace_dir(new: Path, target: Path) -> None:
    """Move the freshly built site into place; the previous site is removed only after the move."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


# ------------------------------------------------------------------------------ result discovery

Run = tuple[Path, dict[str, Any]]


def _choose_results(reg: Registry, roots: Sequence[Path],
                    warn: Callable[[str], None]) -> tuple[dict[str, Run], dict[str, int]]:
    """The result shown for each entry and how many usable results each has; broken files and
    unknown entries are skipped with a warning."""
    for root in roots:  # find_results skips unreadable files silently; say which ones
        root = Path(root)
        if root.is_dir():
            for path in sorted(root.rglob(RESULT_FILE)):
                result = read_result(path.parent)
                if result is None:
                    warn(f"skipped {path}: not readable as JSON")
                elif not isinstance(result, dict) or "entry" not in result:
                    warn(f"skipped {path}: no 'entry' field")
    known = set(reg.ids())
    chosen: dict[str, Run] = {}
    counts: dict[str, int] = {}
    for entry_id, runs in find_results(roots).items():
        if entry_id not in known:
            warn(f"skipped {len(runs)} result(s) of unknown entry '{entry_id}' (first: {runs[0][0]})")
            continue
        valid = []
        for run_dir, result in runs:
            problem = _shape_problem(result)
            if problem:
                warn(f"skipped {run_dir / RESULT_FILE}: {problem}")
            else:
                valid.append((run_dir, result))
        entry = reg.get(entry_id)
        best = latest_result(valid, {name for x in entry.experiments for name in x.presets})
        if best is not None:
            chosen[entry_id] = best
            counts[entry_id] = len(valid)
    return chosen, counts


def _shape_problem(result: dict[str, Any]) -> str | None:
    """Why a result cannot be shown (the fields the pages rely on), or None if it can."""
    experiments = result.get("experiments")
    if not isinstance(experiments, dict):
        return "'experiments' is missing or not an object"
    for name, exp in experiments.items():
        if not isinstance(exp, dict):
            return f"experiment '{name}' is not an object"
        for key in ("criteria", "plots", "tables", "notes"):
            if key in exp and not isinstance(exp[key], list):
                return f"experiment '{name}': '{key}' is not a list"
    if result.get("verdict") is not None and result["verdict"] not in VERDICTS:
        return f"unknown verdict {result['verdict']!r} (expected one of {', '.join(VERDICTS)})"
    return None


def headline_of(entry: Entry, result: dict[str, Any] | None) -> tuple[str, str] | None:
    """Our headline number as ``(human label, value with its unit)``, from the entry's declared
    :class:`~papercraft.registry.Headline` looked up in the result's numbers (under an older key
    with its own scale for results written before the key was renamed)."""
    if not result or entry.headline is None:
        return None
    keys = [(entry.headline.key, entry.headline.scale), *entry.headline.older_keys]
    for key, scale in keys:
        for exp in (result.get("experiments") or {}).values():
            numbers = exp.get("numbers") if isinstance(exp, dict) else None
            if isinstance(numbers, dict) and key in numbers:
                return entry.headline.label, entry.headline.format(numbers[key], scale)
    return None


def _date(iso: Any) -> str:
    try:
        stamp = _dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso or "—")
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(_dt.timezone.utc)
        return stamp.strftime("%Y-%m-%d %H:%M UTC")
    return stamp.strftime("%Y-%m-%d %H:%M")


def _display_path(path: Path, repo_root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(repo_root).resolve()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------- index


def _index_page(reg: Registry, chosen: dict[str, Run], warnings: list[str]) -> str:
    status_counts = {s: sum(e.status == s for e in reg) for s in STATUSES}
    verdict_counts = {v: sum(1 for r in chosen.values() if r[1].get("verdict") == v) for v in VERDICTS}
    verdict_counts["no result"] = len(reg) - len(chosen)
    counts = (
        '<div class="counts"><div><h3>Status</h3>'
        + " ".join(f'<span class="count">{badge(s, s)} <b>{n}</b></span>' for s, n in status_counts.items())
        + '</div><div><h3>Verdict</h3>'
        + " ".join(f'<span class="count">{badge(v, v)} <b>{n}</b></span>' for v, n in verdict_counts.items())
        + "</div></div>"
    )
    head = "".join(f"<th>{c}</th>" for c in ("entry", "year", "status", "verdict", "ours", "paper", "result"))
    sections: list[str] = []
    by_section: dict[str, list[Entry]] = {}
    for entry in reg:
        if entry.section not in by_section:
            sections.append(entry.section)
        by_section.setdefault(entry.section, []).append(entry)
    bodies = []
    for section in sections:
        rows = [f'<tr class="section-row"><th colspan="7" id="{esc(_anchor(section))}">{esc(section)}</th></tr>']
        for entry in by_section[section]:
            rows.append(_index_row(entry, chosen.get(entry.id)))
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    jump = '<nav class="sections">' + " · ".join(link(f"#{_anchor(sec)}", sec) for sec in sections) + "</nav>"
    catalogue = jump + (f'<div class="table-wrap"><table class="catalogue"><thead><tr>{head}</tr></thead>'
                 f'{"".join(bodies)}</table></div>')
    warn_html = ""
    if warnings:
        warn_html = (f'<details class="warnings"><summary>{len(warnings)} result file(s) skipped while building'
                     f'</summary>{bullets(warnings)}</details>')
    return (
        "<h1>papercraft</h1>"
        '<p class="lede">The deep-learning reading list rebuilt from scratch in Python and PyTorch: each entry is '
        "implemented, verified against a trusted reference implementation, reproduced by an experiment on real "
        "data with a computed verdict, and explained on its page.</p>"
        f'<p>{len(reg)} entries. {link("about.html", "How verdicts are computed and how to reproduce them")}.</p>'
        + counts + catalogue + warn_html
    )


def _anchor(section: str) -> str:
    return "section-" + section.split(".", 1)[0].strip().lower()


def _index_row(entry: Entry, run: Run | None) -> str:
    result = run[1] if run else None
    ours = '<span class="muted">—</span>'
    head = headline_of(entry, result)
    if head is not None:
        ours = f'<span class="num">{esc(head[1])}</span><br><span class="small muted">{esc(head[0])}</span>'
    paper = '<span class="muted">—</span>'
    if entry.paper_numbers:
        first = entry.paper_numbers[0]
        paper = f'<span class="num">{esc(first.value)}</span><br><span class="small muted">{esc(first.label)}</span>'
    when = '<span class="muted">—</span>'
    if result:
        when = f'{esc(result.get("preset", "?"))}<br><span class="small muted">{esc(_date(result.get("finished_at")))}</span>'
    cells = [
        f'<a class="entry-id" href="entries/{esc(entry.id)}.html" title="{esc(entry.claim)}">{esc(entry.id)}</a><br>'
        f'<span class="small">{esc(entry.title)}</span>',
        esc(entry.year),
        badge(entry.status, entry.status),
        verdict_badge(result.get("verdict") if result else None),
        ours,
        paper,
        when,
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


# --------------------------------------------------------------------------------- entry pages


def _entry_page(entry: Entry, run: Run | None, reg: Registry, site: Path, code_files: list[str],
                repo_root: Path, warn: Callable[[str], None], n_results: int = 0) -> str:
    result = run[1] if run else None
    parts = [f"<h1>{esc(entry.title)}</h1>", _entry_meta(entry, result)]
    parts.append(f'<section><h2>Claim</h2><p class="claim">{esc(entry.claim)}</p></section>')
    parts.append(_relations(entry, reg))
    if result is None:
        parts.append(_planned_section(entry, has_code=bool(code_files)))
    else:
        parts.append("<section><h2>What is implemented</h2>"
                     + (bullets(entry.implements) or '<p class="muted">Not listed.</p>') + "</section>")
    parts.append(_numbers_section(entry, result))
    if result is not None and run is not None:
        parts.append(_verdict_section(result))
        for name, exp in (result.get("experiments") or {}).items():
            parts.append(_experiment_section(entry, name, exp, run[0], site, warn))
    parts.append("<section><h2>Deviations from the paper</h2>"
                 + (bullets(entry.deviations) or '<p class="muted">None recorded.</p>') + "</section>")
    if entry.history:
        parts.append("<section><h2>Design history</h2>" + bullets(entry.history) + "</section>")
    if result is not None and run is not None:
        parts.append(_run_facts(result, run[0], repo_root, n_results))
    parts.append(_source_section(entry, code_files, repo_root))
    return "\n".join(parts)


def _entry_meta(entry: Entry, result: dict[str, Any] | None) -> str:
    bits = [esc(entry.authors), esc(entry.year)]
    if entry.arxiv_url:
        bits.append(link(entry.arxiv_url, f"arXiv {entry.arxiv}", external=True))
    bits.append(esc(entry.section))
    badges = f'status {badge(entry.status, entry.status)} · verdict {verdict_badge(result.get("verdict") if result else None)}'
    return f'<p class="meta">{" · ".join(bits)}</p><p class="badges">{badges}</p>'


def _relations(entry: Entry, reg: Registry) -> str:
    known = set(reg.ids())
    out = []
    if entry.builds_on:
        links = ", ".join(link(f"{i}.html", i) if i in known else esc(i) for i in entry.builds_on)
        out.append(f"<p><b>Builds on:</b> {links}</p>")
    later = [e.id for e in reg if entry.id in e.builds_on]
    if later:
        out.append("<p><b>Built on by:</b> " + ", ".join(link(f"{i}.html", i) for i in later) + "</p>")
    return "".join(out)


def _planned_section(entry: Entry, has_code: bool) -> str:
    if entry.status == "declared" and not has_code:
        lead = "This entry is declared: the paper, its claim and its numbers are on the map; it has no code or result yet."
    elif entry.status in ("declared", "implemented"):
        lead = "This entry's code is being written (see the source below); it has no result yet."
    else:
        lead = (f"This entry is {esc(entry.status)} but has no result yet; run "
                f"<code>papercraft run {esc(entry.id)} --preset full</code> to produce one.")
    planned = bullets(entry.implements) or '<p class="muted">The implementation plan is in the catalogue.</p>'
    return f'<section class="planned"><h2>Planned</h2><p>{lead}</p><h3>What will be implemented</h3>{planned}</section>'


def _numbers_section(entry: Entry, result: dict[str, Any] | None) -> str:
    paper = (table(["paper's number", "paper", "source"], [(p.label, p.value, p.source) for p in entry.paper_numbers])
             if entry.paper_numbers else '<p class="muted">No headline numbers recorded.</p>')
    if result is None:
        ours = '<p class="muted">No measured numbers yet.</p>'
    else:
        head = headline_of(entry, result)
        ours = (f'<p class="headline">{esc(head[0])}: <b class="num">{esc(head[1])}</b> '
                f'({esc(result.get("preset", "?"))} preset)</p>' if head else '<p class="muted">No headline number.</p>')
        if is_legacy(result):
            ours += f'<p class="legacy small"><b>Older run.</b> {esc(LEGACY_NOTE)}</p>'
        experiments = {k: v for k, v in (result.get("experiments") or {}).items() if isinstance(v.get("numbers"), dict)}
        prefix = len(experiments) > 1  # keys are only unique within one experiment
        rows = [(f"{name}/{key}" if prefix else key, fmt(value))
                for name, exp in experiments.items() for key, value in exp["numbers"].items()]
        if rows:
            ours += table(["measured", "value"], rows, cls="numbers")
    return (f'<section><h2>The paper\'s numbers and ours</h2><div class="side-by-side">'
            f'<div><h3>Paper</h3>{paper}</div><div><h3>Ours</h3>{ours}</div></div></section>')


def _verdict_section(result: dict[str, Any]) -> str:
    rule = result.get("verdict_rule") or VERDICT_RULE
    return (f'<section><h2>Verdict</h2><p class="verdict">{verdict_badge(result.get("verdict"))}</p>'
            f'<p class="small">Rule: {esc(rule)}.</p></section>')


def _experiment_section(entry: Entry, name: str, exp: dict[str, Any], run_dir: Path, site: Path,
                        warn: Callable[[str], None]) -> str:
    out = [f'<section class="experiment"><h2>Experiment: {esc(name)}</h2>']
    if exp.get("description"):
        out.append(f"<p>{esc(exp['description'])}</p>")
    out.append(f'<p>Verdict of this experiment: {verdict_badge(exp.get("verdict"))}</p>')
    parts = exp.get("parts")
    criteria = [c for c in exp.get("criteria") or [] if isinstance(c, dict)]
    if isinstance(parts, dict) and parts:
        rows = []
        for part, verdict in parts.items():
            in_part = [c for c in criteria if (c.get("part") or "-") == part]
            primary = sum(1 for c in in_part if c.get("primary", True))
            # A part with only secondary criteria has its own verdict, but it does not change the overall one.
            counted = (f"{primary} primary, {len(in_part) - primary} secondary" if primary
                       else f"{len(in_part)} secondary only: does not change the verdict")
            rows.append((esc(part), verdict_badge(verdict), esc(counted)))
        out.append("<h3>Per-part verdicts</h3>" + table(["part", "verdict", "criteria"], rows, raw=True))
    if criteria:
        rows = [(esc(c.get("part") or "-"), f"<b>{esc(c.get('name', ''))}</b><br>{esc(c.get('statement', ''))}",
                 f'<span class="num">{esc(fmt(c.get("measured")))}</span>',
                 f'<span class="num">{esc(fmt(c.get("threshold")))}</span>',
                 passed_badge(c.get("passed")), "primary" if c.get("primary", True) else "secondary")
                for c in criteria]
        out.append("<h3>Criteria</h3>" + table(["part", "criterion", "measured", "threshold", "passed", "kind"], rows,
                                               raw=True, cls="criteria"))
    for t in exp.get("tables") or []:
        if isinstance(t, dict) and isinstance(t.get("rows"), list):
            rows = [[fmt(v) for v in row] if isinstance(row, list) else [fmt(row)] for row in t["rows"]]
            out.append(f"<h3>{esc(t.get('title', 'Table'))}</h3>" + table([str(c) for c in t.get("columns") or []], rows))
    figures = [_figure(entry, p, run_dir, site, warn) for p in exp.get("plots") or [] if isinstance(p, dict)]
    if figures:
        out.append('<h3>Plots</h3><div class="plots">' + "".join(figures) + "</div>")
    if exp.get("notes"):
        out.append("<h3>Notes</h3>" + bullets(str(n) for n in exp["notes"]))
    params = exp.get("params")
    if isinstance(params, dict) and params:
        out.append("<details><summary>Parameters</summary>"
                   + table(["parameter", "value"], [(k, fmt(v)) for k, v in params.items()]) + "</details>")
    out.append("</section>")
    return "".join(out)


def _figure(entry: Entry, plot: dict[str, Any], run_dir: Path, site: Path, warn: Callable[[str], None]) -> str:
    """Copy one plot into ``entries/<id>/`` and return its ``<figure>``; a missing file is shown as such."""
    rel = Path(str(plot.get("path", "")))
    caption = esc(plot.get("caption", ""))
    source = (run_dir / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or not str(rel) or not source.is_file():
        warn(f"{entry.id}: plot {rel} is not a file inside {run_dir}")
        return (f'<figure class="missing"><p class="muted">Plot <code>{esc(rel)}</code> is missing from the run '
                f"directory.</p><figcaption>{caption}</figcaption></figure>")
    target = site / "entries" / entry.id / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    href = f"{entry.id}/{rel.as_posix()}"
    if rel.suffix.lower() in IMAGE_SUFFIXES:
        shown = f'<a href="{esc(href)}"><img src="{esc(href)}" alt="{caption}"></a>'
    else:
        shown = link(href, rel.name)
    return f"<figure>{shown}<figcaption>{caption}</figcaption></figure>"


def _run_facts(result: dict[str, Any], run_dir: Path, repo_root: Path, n_results: int = 1) -> str:
    machine = result.get("machine") if isinstance(result.get("machine"), dict) else {}
    exps = result.get("experiments") or {}
    budgets = [e.get("budget_s") for e in exps.values() if isinstance(e.get("budget_s"), (int, float))]
    budget = f" (budget {fmt(float(sum(budgets)))} s)" if budgets else ""
    machine_text = ", ".join(f"{k} {fmt(v)}" for k, v in machine.items() if k not in ("torch",)) or "—"
    overrides = overrides_of(result)
    rows = [
        ("preset", result.get("preset")),
        ("overrides (--set)", "none" if overrides == [] else ("not recorded" if overrides is None else " ".join(overrides))),
        ("seed", result.get("seed")),
        ("seeds used", fmt(result.get("seeds"))),
        ("torch threads", fmt(result.get("threads")) if result.get("threads") else "not recorded"),
        ("wall time", f"{fmt(result.get('wall_s'))} s{budget}"),
    ]
    if is_legacy(result):
        rows.insert(0, ("recorded by", "the runner before foundation v2: " + LEGACY_NOTE))
    for name, e in exps.items():
        rows.append((f"wall time of {name}", f"{fmt(e.get('wall_s'))} s of a {fmt(e.get('budget_s'))} s budget"))
        subruns = e.get("subruns")
        if isinstance(subruns, dict) and subruns:
            rows.append((f"sub-runs of {name} (steps, training wall time)",
                         "; ".join(f"{k}: {fmt(v.get('steps'))} steps, {fmt(v.get('wall_s'))} s"
                                   for k, v in subruns.items() if isinstance(v, dict))))
    for i, attempt in enumerate(result.get("earlier_attempts") or [], 1):
        if isinstance(attempt, dict):
            rows.append((f"earlier attempt {i} (this run was resumed)",
                         ", ".join(f"{k.replace('_', ' ')} {fmt(v)}" for k, v in attempt.items())))
    if result.get("cpu_s") is not None:
        rows.append(("CPU time (user + system)", f"{fmt(result.get('cpu_s'))} s"))
    if result.get("load_average"):
        rows.append(("load average at the end (1/5/15 min)",
                     " / ".join(fmt(x) for x in result["load_average"])
                     + " — above the core count, other work slowed this run and its wall time"))
    rows += [
        ("machine", machine_text),
        ("torch", machine.get("torch", "—")),
        ("processes", result.get("world_size", 1)),
        ("papercraft version", result.get("papercraft_version", "—")),
        ("git commit", result.get("git_commit") or "—"),
        ("started", _date(result.get("started_at"))),
        ("finished", _date(result.get("finished_at"))),
        ("command", result.get("command") or f"papercraft run {result.get('entry')} --preset {result.get('preset')} "
                                               f"--seed {result.get('seed')}"),
        ("run directory", _display_path(run_dir, repo_root)),
        ("results found", f"{n_results} (shown: the newest full-preset run of a declared preset without "
                          "overrides if any, else the newest such run)"),
    ]
    return "<section><h2>The run</h2>" + table(["fact", "value"], [(k, fmt(v)) for k, v in rows], cls="facts") + "</section>"


# ------------------------------------------------------------------------------- source files


def entry_source_files(entry: Entry, repo_root: Path) -> list[Path]:
    """The entry's package files and its test files, as paths relative to ``repo_root``."""
    repo_root = Path(repo_root)
    pkg = entry.id.replace("-", "_")
    files: list[Path] = []
    package_dir = repo_root / entry.source_dir
    if package_dir.is_dir():
        files += sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)
    test_file = repo_root / "tests" / "papers" / f"test_{pkg}.py"
    if test_file.is_file():
        files.append(test_file)
    for name in dict.fromkeys((pkg, entry.id)):
        test_dir = repo_root / "tests" / "papers" / name
        if test_dir.is_dir():
            files += sorted(p for p in test_dir.rglob("*.py") if "__pycache__" not in p.parts)
    return [p.relative_to(repo_root) for p in files]


def _write_code_pages(entry: Entry, repo_root: Path, site: Path) -> list[str]:
    """Render the entry's source files to ``code/<path>.html``; returns their repo-relative paths."""
    written = []
    for rel in entry_source_files(entry, repo_root):
        try:
            text = (Path(repo_root) / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        depth = len(rel.parts)  # code/ + the path's directories
        root = "../" * depth
        lines = text.splitlines()
        width = len(str(len(lines)))
        numbered = "\n".join(
            f'<a class="ln" id="L{i}" href="#L{i}">{str(i).rjust(width)}</a>  {esc(line)}' for i, line in enumerate(lines, 1)
        )
        back = f'{root}entries/{esc(entry.id)}.html'
        body = (f'<h1 class="code-title"><code>{esc(rel.as_posix())}</code></h1>'
                f'<p>Source of {link(back, entry.id)} · {len(lines)} lines</p><pre class="code">{numbered}</pre>')
        _write(site / "code" / f"{rel.as_posix()}.html", page(rel.name, body, root=root))
        written.append(rel.as_posix())
    return written


def _source_section(entry: Entry, code_files: list[str], repo_root: Path) -> str:
    if not code_files:
        return (f'<section><h2>Source</h2><p class="muted">No source yet; it will live in '
                f'<code>{esc(entry.source_dir)}/</code>.</p></section>')
    rows = [f'<li>{link(f"../code/{path}.html", path)}</li>' for path in code_files]
    targets = []
    for experiment in entry.experiments:  # where each experiment function starts, e.g. experiment.py#L42
        module, _, function = experiment.target.partition(":")
        path = "src/" + module.replace(".", "/") + ".py"
        if path in code_files:
            line = _definition_line(Path(repo_root) / path, function)
            anchor = f"#L{line}" if line else ""
            targets.append(f"<li>experiment <b>{esc(experiment.name)}</b>: "
                           f"{link(f'../code/{path}.html{anchor}', experiment.target)}</li>")
    experiments = f"<h3>Experiments</h3><ul>{''.join(targets)}</ul>" if targets else ""
    return f'<section><h2>Source</h2><ul class="files">{"".join(rows)}</ul>{experiments}</section>'


def _definition_line(path: Path, function: str) -> int | None:
    """The line number of ``def function(`` at the top level of ``path``, if found."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, 1):
        if line.startswith((f"def {function}(", f"async def {function}(")):
            return number
    return None


# ------------------------------------------------------------------------------------- about


def _about_page(result_roots: Sequence[Path], repo_root: Path) -> str:
    roots = bullets(f"{_display_path(Path(r), repo_root)}" for r in result_roots)
    return (
        "<h1>About this report</h1>"
        "<p>Every entry of the catalogue is a paper or topic rebuilt from scratch in PyTorch. Its experiment "
        "states explicit criteria in code before the results are seen; the verdict is computed from them.</p>"
        f"<h2>Verdict rule</h2><p>{esc(VERDICT_RULE)}.</p>"
        "<p>Secondary criteria are shown beside the verdict but do not change it. Criteria are grouped into parts "
        "(the sub-claims of the catalogue), each with its own verdict.</p>"
        "<h2>Statuses</h2><p>How far the work on an entry got, derived from the files (never typed by hand). "
        "A status is not a verdict: a measured entry's claim may well not have reproduced.</p>" + bullets([
            "declared: its entry.py states the paper, the claim and the paper's numbers",
            "implemented: its package has code",
            "tested: its tests (parity with a reference implementation, equivalences, the quick preset) exist",
            "measured: a full-preset result of a declared preset is committed",
        ])
        + "<h2>Reproducing a result</h2>"
        "<pre>papercraft run ID --preset full     # writes runs/ID/full-seed0-&lt;time&gt;/result.json\n"
        "papercraft report                    # rebuilds this site from the latest results</pre>"
        "<p>Each entry shows its newest <code>full</code>-preset result if there is one, else its newest result, "
        "among runs of a declared preset without <code>--set</code> overrides. "
        "Results were looked for in:</p>" + roots
        + f'<p class="small">papercraft {esc(__version__)}</p>'
    )
