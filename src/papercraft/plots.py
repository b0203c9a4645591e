"""The one figure helper: every plot an experiment writes goes through :func:`figure`.

It selects matplotlib's file-only backend (no display is needed or used), makes the axes, and on
leaving the ``with`` block lays the figure out, writes it as PNG and closes it, so that a long
run never accumulates open figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def figure(path: str | Path, *, nrows: int = 1, ncols: int = 1, size: tuple[float, float] | None = None,
           title: str | None = None, dpi: int = 110, **subplots: Any) -> Iterator[tuple[Any, Any]]:
    """``with figure("curves.png", ncols=2) as (fig, axes): ...`` writes ``curves.png``.

    Yields matplotlib's ``(figure, axes)`` as ``plt.subplots`` returns them (one ``Axes`` for a 1×1
    grid, else an array). ``size`` defaults to 5 × 3.6 inches per panel; ``title`` is the
    figure's suptitle; other keywords go to ``plt.subplots`` (e.g. ``sharey=True``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=size or (5.0 * ncols, 3.6 * nrows), **subplots)
    try:
        yield fig, axes
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)
