"""The on-disk cache: where data sets live, their manifests and checksums.

Layout::

    data_root()/                    $PAPERCRAFT_DATA, else ($XDG_CACHE_HOME or ~/.cache)/papercraft
        mnist/
            manifest.json           {"name", "source", "version", "fetched_at", "files": {relpath: {"sha256", "bytes"}}}
            images-idx3-ubyte.gz
            ...
        mnist.partial/              only while a `get` is running; renamed to mnist/ when complete

A data set is *available* when its directory holds a ``manifest.json``. The manifest is written last,
and the directory is renamed into place only after that, so an interrupted ``get`` never leaves a
half data set where a loader could find it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from papercraft.io import write_atomic

MANIFEST = "manifest.json"


def data_root() -> Path:
    """The cache directory: ``$PAPERCRAFT_DATA`` if set, else the user cache dir + ``/papercraft``."""
    override = os.environ.get("PAPERCRAFT_DATA")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "papercraft"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict | None:
    """The parsed ``manifest.json`` of a data set directory, or None when there is none."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(directory: Path, *, name: str, source: str, version: str,
                   extra: dict | None = None) -> dict:
    """Checksum every file under ``directory`` (except the manifest) and write ``manifest.json``."""
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST:
            continue
        files[rel] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    manifest = {
        "name": name,
        "source": source,
        "version": version,
        "fetched_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "files": files,
    }
    if extra:
        manifest.update(extra)
    write_atomic(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def check_manifest(directory: Path) -> list[str]:
    """Problems with a data set directory: missing, resized or modified files (empty list = ok)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return [f"{directory}: no {MANIFEST}"]
    problems = []
    for rel, info in manifest.get("files", {}).items():
        path = directory / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        size = path.stat().st_size
        if size != info["bytes"]:
            problems.append(f"{rel}: {size} bytes, expected {info['bytes']}")
            continue
        actual = sha256_of(path)
        if actual != info["sha256"]:
            problems.append(f"{rel}: sha256 {actual}, expected {info['sha256']}")
    return problems


@contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A fresh ``final.partial`` directory that replaces ``final`` only if the block succeeds.

    On an exception the partial directory is removed and any previous ``final`` is left untouched.
    """
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = final.with_name(final.name + ".old")
    if final.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    os.replace(partial, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def sha256_bytes(blob: bytes) -> str:
    """Hex sha256 of a byte string."""
    return hashlib.sha256(blob).hexdigest()
