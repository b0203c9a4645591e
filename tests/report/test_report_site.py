"""The static report: every entry on the index, result and planned pages, offline-only resources."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from papercraft.registry import registry
from papercraft.report import ReportError, build_report
from papercraft.report.markup import esc, fmt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ENTRY = "rethinking-generalization"  # the entry the fixtures give a result (tests/report/conftest.py)
HOSTILE_NOTE = "<script>alert('x')</script> & friends"  # a note of that result, as conftest writes it


class _Refs(HTMLParser):
    """Collects ``(tag, attribute, value)`` of every href/src in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "srcset", "data", "poster", "action") and value is not None:
                self.refs.append((tag, name, value))


def refs_of(path: Path) -> list[tuple[str, str, str]]:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.refs


def test_index_lists_every_entry_with_a_page(built_site):
    site, _ = built_site
    index = (site / "index.html").read_text(encoding="utf-8")
    ids = registry().ids()
    assert len(ids) == 47
    for entry_id in ids:
        assert f'href="entries/{entry_id}.html"' in index, entry_id
        assert (site / "entries" / f"{entry_id}.html").is_file(), entry_id
    # Catalogue order is kept within the table.
    positions = [index.index(f'href="entries/{i}.html"') for i in ids]
    assert positions == sorted(positions)
    # Counts: one result shown per entry that has a usable one (rethinking-generalization and resnet).
    assert re.search(r"badge-reproduced\">reproduced</span> <b>2</b></span>", index), "verdict counts"
    assert re.search(r"no result</span> <b>45</b>", index)


def test_index_shows_headline_beside_paper_number(built_site):
    site, _ = built_site
    index = (site / "index.html").read_text(encoding="utf-8")
    row = index[index.index(f'href="entries/{ENTRY}.html"'):]
    row = row[: row.index("</tr>")]
    # The headline with its human label and unit, never the raw key.
    assert "99.8%" in row and "train accuracy on random labels" in row and "train_acc_random_labels" not in row
    first_paper = registry().get(ENTRY).paper_numbers[0]
    assert esc(first_paper.value) in row
    assert "full" in row and "0.123" not in row  # the newer quick run does not hide the full one


def test_entry_page_with_result(built_site):
    site, _ = built_site
    page = (site / "entries" / f"{ENTRY}.html").read_text(encoding="utf-8")
    entry = registry().get(ENTRY)
    assert esc(entry.claim) in page
    assert 'href="https://arxiv.org/abs/1611.03530"' in page
    for number in entry.paper_numbers:
        assert esc(number.label) in page and esc(number.source) in page
    for deviation in entry.deviations:
        assert esc(deviation) in page
    for statement in ("train accuracy at p=1 &gt;= 0.99", "time-to-fit ratio &lt;= 5", "difference beyond seed noise"):
        assert statement in page
    assert page.count("badge-pass") == 2 and "badge-undecided" in page
    assert "Per-part verdicts" in page and "Accuracy by corruption level" in page
    assert "test_acc_random_labels" in page and fmt(0.1012) in page
    assert "Rule: reproduced if every primary criterion passed" in page
    assert "torch" in page and "git commit" in page and "budget" in page
    assert "<td>results found</td><td>2 (shown: the newest full-preset run" in page  # the full and the quick run
    assert "1 secondary only: does not change the verdict" in page  # part c holds only a secondary criterion
    # Text from result files is escaped, never interpreted.
    assert "<script>" not in page and esc(HOSTILE_NOTE) in page


def test_entry_page_plots_are_copied_pngs(built_site):
    site, _ = built_site
    page_path = site / "entries" / f"{ENTRY}.html"
    images = [value for tag, attr, value in refs_of(page_path) if tag == "img"]
    assert len(images) == 2
    for src in images:
        target = (page_path.parent / unquote(src)).resolve()
        assert target.is_relative_to(site.resolve() / "entries" / ENTRY)
        assert target.read_bytes()[:8] == PNG_MAGIC
    page = page_path.read_text(encoding="utf-8")
    assert "Training loss per corruption type (paper Fig. 1a)" in page


def test_planned_page_says_what_is_planned(built_site):
    site, _ = built_site
    entry = next(e for e in registry() if e.status == "declared")
    page = (site / "entries" / f"{entry.id}.html").read_text(encoding="utf-8")
    assert "This entry is declared" in page
    assert esc(entry.claim) in page
    for number in entry.paper_numbers:
        assert esc(number.label) in page
    assert "<img" not in page and "Criteria" not in page


def test_source_files_are_rendered_and_linked(built_site):
    site, _ = built_site
    page_path = site / "entries" / f"{ENTRY}.html"
    code_links = [v for tag, attr, v in refs_of(page_path) if tag == "a" and "/code/" in v]
    assert sorted({Path(v.split("#")[0]).name for v in code_links}) == [
        "__init__.py.html", "experiment.py.html", "test_rethinking_generalization.py.html"]
    # The experiment function is linked at its definition (the fake repo's experiment.py defines run on line 1).
    target = registry().get(ENTRY).experiments[0].target
    if target == "papercraft.papers.rethinking_generalization.experiment:run":
        assert "../code/src/papercraft/papers/rethinking_generalization/experiment.py.html#L1" in code_links
    code = (site / "code/src/papercraft/papers/rethinking_generalization/experiment.py.html").read_text()
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in code and 'id="L2"' in code
    assert "<code>src/papercraft/papers/rethinking_generalization/experiment.py</code>" in code


def test_broken_results_are_skipped_with_warnings(built_site):
    site, warnings = built_site
    text = "\n".join(warnings)
    assert re.search(r"transformer-xl/result\.json: not readable", text)
    assert re.search(r"gpt/result\.json: 'experiments' is missing or not an object", text)
    assert "unknown entry 'no-such-entry'" in text
    assert "absent.png" in text and "escapes" not in text and "../rethinking-generalization" in text
    # The entries behind broken files still get pages; resnet shows its result without the bad plots.
    assert "This entry is declared" in (site / "entries/transformer-xl.html").read_text()
    resnet = (site / "entries/resnet.html").read_text()
    assert "<img" not in resnet and resnet.count('class="missing"') == 2
    assert "result file(s) skipped" in (site / "index.html").read_text()


def test_every_local_link_resolves_and_nothing_remote_is_loaded(built_site):
    site, _ = built_site
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 47
    for page in pages:
        for tag, attr, value in refs_of(page):
            parts = urlsplit(value)
            if parts.scheme or value.startswith("//"):
                # Remote addresses may only be plain links (arXiv), never loaded resources.
                assert tag == "a" and parts.scheme == "https", f"{page}: remote {tag} {attr}={value}"
                continue
            if not parts.path:  # a fragment on the same page
                assert f'id="{parts.fragment}"' in page.read_text(encoding="utf-8"), f"{page}: no anchor {value}"
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(site)}: broken link {value}"
            if parts.fragment and target.suffix == ".html":
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{page}: no anchor {value}"
    css = (site / "style.css").read_text()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_no_results_still_builds_every_page(tmp_path, fake_repo):
    index = build_report(tmp_path / "site", [tmp_path / "nowhere"], repo_root=fake_repo, warn=lambda m: None)
    page = (index.parent / "entries" / f"{ENTRY}.html").read_text()
    assert "has no result yet" in page and f"papercraft run {ENTRY} --preset full" in page
    assert len(list((index.parent / "entries").glob("*.html"))) == 47


def test_rebuild_replaces_a_report_but_not_a_foreign_directory(tmp_path, fake_repo):
    site = tmp_path / "site"
    build_report(site, [], repo_root=fake_repo, warn=lambda m: None)
    (site / "entries" / "stale.html").write_text("old")
    build_report(site, [], repo_root=fake_repo, warn=lambda m: None)
    assert not (site / "entries" / "stale.html").exists() and (site / "index.html").is_file()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(ReportError, match="refusing to overwrite"):
        build_report(foreign, [], repo_root=fake_repo, warn=lambda m: None)
    assert (foreign / "precious.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".*building*"))


@pytest.mark.parametrize("value, text", [
    (None, "—"), (True, "yes"), (3, "3"), (0.99751, "0.9975"), (1e-5, "1.000e-05"), ("nan", "nan"),
    (float("inf"), "inf"), ([0.5, 2], "[0.5, 2]"),
])
def test_fmt(value, text):
    assert fmt(value) == text


def test_design_history_is_on_the_page(built_site):
    site, _ = built_site
    entry = registry().get("bpe")
    assert entry.history, "bpe records why its experiment was redesigned"
    page = (site / "entries" / "bpe.html").read_text(encoding="utf-8")
    assert "Design history" in page
    for item in entry.history:
        assert esc(item) in page
    assert "Design history" not in (site / "entries" / f"{ENTRY}.html").read_text(encoding="utf-8")
