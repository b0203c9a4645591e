"""Atomic file writes: a reader (or a resumed run) never sees a half-written file.

Every file papercraft writes that something reads back (checkpoints, ``result.json``, metrics
logs, data manifests, README and report pages) goes through :func:`write_atomic`: the bytes go to
``<name>.tmp``, are flushed to disk, and the temporary file is renamed over the final name; the
directory is synced so that the rename itself survives a crash.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; return the path.

    Parent directories are created. On any error the previous file, if there was one, is intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path
