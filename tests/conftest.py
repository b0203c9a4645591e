"""Test-wide set-up: offline hubs, and the torchvision remedy from shared/oracles.md.

torchvision 0.28 from PyPI is a CUDA build whose compiled extension cannot load against the CPU
torch pinned here: ``import torchvision`` then fails with "operator torchvision::nms does not
exist", which also breaks timm, open_clip, diffusers and transformers model classes. Defining the
operator schemas before importing again makes the pure-Python parts (models, transforms) work; the
compiled ops (nms, roi_align) stay unavailable, and papercraft's tests never need them.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PAPERCRAFT_PROGRESS", "0")

_TORCHVISION_LIBRARY = None  # must stay referenced, or the schemas are dropped


def _import_torchvision() -> None:
    global _TORCHVISION_LIBRARY
    try:
        import torchvision  # noqa: F401
        return
    except ImportError:
        return  # not installed: tests that need it skip themselves
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    import torch

    _TORCHVISION_LIBRARY = torch.library.Library("torchvision", "DEF")
    _TORCHVISION_LIBRARY.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _TORCHVISION_LIBRARY.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    import torchvision  # noqa: F401


_import_torchvision()
