"""papercraft's offline-first data layer (WIP: see sets.py for the data sets)."""

from papercraft.data.cache import data_root
from papercraft.data.sets import DATASETS, DataSet, get, is_available, require, verify
from papercraft.data.loaders import Split, load_fashion_mnist, load_mnist, stratified_split

__all__ = ["DATASETS", "DataSet", "Split", "data_root", "get", "is_available", "load_fashion_mnist",
           "load_mnist", "require", "stratified_split", "verify"]
