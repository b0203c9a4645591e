"""The shape of the house: imports follow the citation graph, infrastructure knows no paper.

Read from the source with ``ast`` (nothing is imported), so that a violation anywhere in
``src/papercraft`` fails here, whether or not a test happens to import that module:

- infrastructure (everything outside ``papercraft.papers``) imports no paper, and ``cli.py`` names
  none: entries contribute their own subcommands (``Entry.commands``);
- an entry's implementation imports only itself and the entries in its ``builds_on``, which are
  earlier papers; its experiment may also use the public implementation of its ``tools``;
- no module imports another entry's experiment module, and no module names a module of an entry it
  may not import (e.g. in a ``"module:function"`` string);
- the whole module import graph is acyclic;
- every entry with code has its tests, and declarations import no torch.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import pytest

from papercraft.registry import Entry, registry

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PAPERS = "papercraft.papers."


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "papercraft").rglob("*.py")) if "__pycache__" not in p.parts}


@cache
def lazy_exports(package: str) -> dict[str, str]:
    """``_EXPORTS`` of a lazy entry package: public name -> defining module."""
    path = modules().get(package)
    if path is None or path.name != "__init__.py":
        return {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_EXPORTS" for t in node.targets):
            return {k: f"{package}.{v}" for k, v in ast.literal_eval(node.value).items()}
    return {}


@cache
def imports_of(name: str) -> frozenset[str]:
    """The papercraft modules ``name`` imports (anywhere in the file, function-level included).

    ``from package import X`` resolves X to a submodule if it is one, or through the package's lazy
    exports to the module that defines it, so the graph is of real module dependencies.
    """
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("papercraft"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("papercraft"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules():
                    found.add(sub)
                elif alias.name in lazy_exports(target):
                    found.add(lazy_exports(target)[alias.name])
                else:
                    found.add(target)
    return frozenset(m for m in found if m != name)


def strings_of(name: str) -> set[str]:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def entry_of(module: str) -> Entry | None:
    """The entry whose package holds ``module`` (None for infrastructure)."""
    if not module.startswith(PAPERS):
        return None
    package = module[len(PAPERS):].split(".")[0]
    for entry in registry():
        if entry.id.replace("-", "_") == package:
            return entry
    raise AssertionError(f"{module} is in papers/ but no catalogue entry owns the package '{package}'")


def is_experiment(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("experiment")


def test_infrastructure_imports_no_paper():
    bad = [f"{m} imports {d}" for m in modules() if not m.startswith(PAPERS) and m != "papercraft.papers"
           for d in imports_of(m) if d.startswith(PAPERS)]
    assert not bad, "infrastructure must not import a paper:\n" + "\n".join(bad)


def test_cli_names_no_entry():
    text = modules()["papercraft.cli"].read_text(encoding="utf-8")
    assert "papercraft.papers" not in text
    ids = {e.id for e in registry()}
    named = sorted(ids & strings_of("papercraft.cli"))
    assert not named, f"cli.py names entries {named}; entries register their own subcommands (Entry.commands)"


def allowed_entries(entry: Entry, experiment: bool) -> set[str]:
    allowed = {entry.id, *entry.builds_on}
    return allowed | set(entry.tools) if experiment else allowed


def test_entries_import_only_what_they_declare():
    problems = []
    for m in modules():
        entry = entry_of(m)
        if entry is None or m.endswith(".entry") or m == entry.package:
            continue
        allowed = allowed_entries(entry, is_experiment(m))
        for dep in imports_of(m):
            dep_entry = entry_of(dep)
            if dep_entry is None or dep == dep_entry.package + ".entry":
                continue
            if dep_entry.id not in allowed:
                kind = "experiment" if is_experiment(m) else "implementation"
                problems.append(f"{m} ({kind}) imports {dep}, but {entry.id} does not declare "
                                f"{dep_entry.id} in builds_on{' or tools' if is_experiment(m) else ''}")
    assert not problems, "\n".join(problems)


def test_no_module_names_an_entry_it_may_not_import():
    """String references ("papercraft.papers.x.mod:fn" registries) count as imports too."""
    problems = []
    by_package = {e.id.replace("-", "_"): e for e in registry()}
    for m in modules():
        entry = entry_of(m)
        if entry is None or m.endswith(".entry"):
            continue
        allowed = allowed_entries(entry, is_experiment(m))
        for text in strings_of(m):
            for word in text.replace(":", " ").split():
                if word.startswith(PAPERS):
                    target = by_package.get(word[len(PAPERS):].split(".")[0])
                    if target is not None and target.id not in allowed:
                        problems.append(f"{m} names {word}")
    assert not problems, "\n".join(problems)


def test_no_module_imports_another_entrys_experiment():
    bad = [f"{m} imports {d}" for m in modules() for d in imports_of(m)
           if entry_of(d) is not None and is_experiment(d) and entry_of(d) != entry_of(m)]
    assert not bad, "\n".join(bad)


def test_builds_on_points_to_earlier_entries_without_cycles():
    reg = registry()
    for entry in reg:
        for dep in (*entry.builds_on, *entry.tools):
            assert dep in reg.ids(), f"{entry.id} names unknown entry {dep}"
            assert dep != entry.id, f"{entry.id} names itself"
        for dep in entry.builds_on:
            assert reg.get(dep).first_year <= entry.year, (
                f"{entry.id} ({entry.year}) builds on {dep}, whose first paper ({reg.get(dep).first_year}) is later")
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(entry_id: str, path: tuple[str, ...]) -> None:
        if state.get(entry_id) == 1:
            cycles.append(" -> ".join((*path, entry_id)))
            return
        if state.get(entry_id) == 2:
            return
        state[entry_id] = 1
        for dep in reg.get(entry_id).builds_on:
            visit(dep, (*path, entry_id))
        state[entry_id] = 2

    for entry in reg:
        visit(entry.id, ())
    assert not cycles, "builds_on cycles:\n" + "\n".join(cycles)


def test_module_import_graph_is_acyclic():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for dep in sorted(imports_of(m)):
            if dep not in modules():
                continue
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[m] = 2

    for m in modules():
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_every_entry_with_code_has_its_tests():
    missing = [f"{e.id}: {e.test_file}" for e in registry() if e.code_files() and not (ROOT / e.test_file).exists()]
    assert not missing, "entries with code but no tests:\n" + "\n".join(missing)


def test_declarations_import_no_torch():
    """``papercraft list``/``show`` stay instant: the registry, every entry.py and the CLI's parser
    import no torch (checked in a fresh interpreter)."""
    code = textwrap.dedent("""
        import sys
        from papercraft.registry import registry
        from papercraft.cli import build_parser
        reg = registry()
        assert len(reg) == 47
        for e in reg:
            e.status
        build_parser([])
        heavy = sorted(m for m in ("torch", "numpy", "matplotlib") if m in sys.modules)
        print(",".join(heavy))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"importing the declarations imported {out.stdout.strip()}"


def test_helper_modules_in_tests_are_not_named_like_tests():
    """pytest collects ``test_*.py``: a helper module with that name is collected as tests."""
    for path in (ROOT / "tests").rglob("test_*.py"):
        text = path.read_text(encoding="utf-8")
        assert "def test" in text, f"{path.relative_to(ROOT)} is named like a test module but defines no test"
        importers = [p for p in (ROOT / "tests").rglob("*.py")
                     if f"from {path.stem} import" in p.read_text(encoding="utf-8")
                     or f"import {path.stem}\n" in p.read_text(encoding="utf-8")]
        assert not importers, f"{path.stem} is imported as a helper by {importers}; rename it (not test_*)"


@pytest.mark.parametrize("entry_id", [e.id for e in registry() if e.code_files()])
def test_implemented_entry_packages_are_lazy(entry_id):
    """An entry package's ``__init__`` defines no code of its own and imports nothing heavy."""
    init = SRC / "papercraft" / "papers" / entry_id.replace("-", "_") / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            assert module in ("papercraft.lazy", "__future__"), f"{init}: imports {module} at package import"
