"""Small HTML helpers for the report: escaping, formatting values, tables, badges and the page frame.

The report is built with the standard library only (no template engine): every piece of text
that comes from the registry or a result file goes through :func:`esc`, and markup is assembled
from the helpers below. Pages link to the site's one stylesheet by a *relative* path, so the site
works offline from any location (``file://`` included).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

SITE_TITLE = "papercraft"


def esc(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any) -> str:
    """A measured value as short plain text: floats to 4 significant digits, lists and dicts compact.

    Non-finite floats arrive from ``result.json`` as strings (``"nan"``, ``"inf"``) and are shown
    as they are; ``None`` is an em dash.
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(fmt(v) for v in value) + "]"
        return text if len(text) <= 120 else text[:117] + "…]"
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
        return text if len(text) <= 120 else text[:117] + "…}"
    return str(value)


def badge(text: str, kind: str) -> str:
    """A coloured label, e.g. a status or verdict; ``kind`` picks the colour class."""
    return f'<span class="badge badge-{esc(_slug(kind))}">{esc(text)}</span>'


def verdict_badge(verdict: str | None) -> str:
    return badge(verdict, verdict) if verdict else '<span class="muted">no result</span>'


def passed_badge(passed: Any) -> str:
    if passed is True:
        return badge("pass", "pass")
    if passed is False:
        return badge("fail", "fail")
    return badge("undecided", "undecided")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())


def link(href: str, text: str, *, external: bool = False) -> str:
    """An ``<a>``; external links (arXiv) are plain links, never loaded resources."""
    rel = ' rel="noopener"' if external else ""
    return f'<a href="{esc(href)}"{rel}>{esc(text)}</a>'


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, raw: bool = False, cls: str = "") -> str:
    """A table; cells are escaped unless ``raw`` (then they must already be HTML)."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(f"<td>{cell if raw else esc(cell)}</td>" for cell in row)
        body.append(f"<tr>{cells}</tr>")
    cls_attr = f' class="{esc(cls)}"' if cls else ""
    return (f'<div class="table-wrap"><table{cls_attr}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def bullets(items: Iterable[str], *, raw: bool = False) -> str:
    lis = "".join(f"<li>{item if raw else esc(item)}</li>" for item in items)
    return f"<ul>{lis}</ul>" if lis else ""


def page(title: str, body: str, *, root: str = "") -> str:
    """A complete HTML document.

    Args:
        title: the page title (escaped here).
        body: the page's HTML.
        root: the relative path from this page to the site root (``""``, ``"../"``, ...), so the
            stylesheet and navigation links resolve without a server.
    """
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {SITE_TITLE}</title>
<link rel="stylesheet" href="{esc(root)}style.css">
</head>
<body>
<header class="site-header"><nav>
<a class="brand" href="{esc(root)}index.html">{SITE_TITLE}</a>
<a href="{esc(root)}index.html">catalogue</a>
<a href="{esc(root)}about.html">about</a>
</nav></header>
<main>
{body}
</main>
<footer class="site-footer">Built by <code>papercraft report</code> from the registry and the latest result of each entry.</footer>
</body>
</html>
"""
