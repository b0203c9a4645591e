"""The fixed, documented train/test split rule (per class, the first round(0.8 n) in order train)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papercraft.data import interleave_by_class, stratified_split


def test_mnist_class_counts_give_exactly_8000_2000():
    counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    labels = np.repeat(np.arange(10), counts)  # file order: all of 0.json, then 1.json, ...
    train, test = stratified_split(labels)
    assert len(train) == 8000 and len(test) == 2000
    assert np.bincount(labels[train]).tolist() == [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=200), st.sampled_from([0.5, 0.8, 0.9]))
def test_split_rule(labels, fraction):
    labels = np.array(labels)
    train, test = stratified_split(labels, fraction)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(labels)))  # a partition
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        k = int(np.floor(fraction * len(where) + 0.5))
        in_train = train[labels[train] == c]
        assert in_train.tolist() == where[:k].tolist()  # the first k in order, order kept
        assert test[labels[test] == c].tolist() == where[k:].tolist()


def test_interleave_spreads_classes_evenly():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 3)
    order = interleave_by_class(labels)
    assert labels[order].tolist() == [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0]
    assert sorted(order.tolist()) == list(range(12))
    assert [i for i in order if labels[i] == 0] == list(range(6))  # order within a class kept


def test_bad_fraction():
    with pytest.raises(ValueError, match=r"train_fraction must lie in \(0, 1\)"):
        stratified_split(np.zeros(3), 1.0)


def test_importing_the_data_layer_does_not_import_torch():
    code = "import sys, papercraft.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
