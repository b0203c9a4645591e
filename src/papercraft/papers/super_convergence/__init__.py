"""Super-convergence (Smith & Topin 2017, arXiv 1708.07120): the one-cycle policy and the
learning-rate range test. Its experiment trains with :mod:`papercraft.papers.optimizers` (SGD and
the piecewise-constant schedule) and :mod:`papercraft.papers.resnet` (the CIFAR-style network).

- :class:`OneCycle` — learning rate up then down with momentum inversely, and a final annihilation;
- :func:`lr_range_test` — loss against an exponentially growing learning rate, and the suggested
  maximum; :func:`draw_range_test` / :func:`plot_range_test` draw it on given axes / to a file;
- :mod:`.experiment` — one-cycle against a piecewise-constant schedule (a CIFAR-style ResNet on Fashion-MNIST).
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'OneCycle': 'one_cycle',
    'RangeTestResult': 'range_test',
    'draw_range_test': 'range_test',
    'lr_range_test': 'range_test',
    'plot_range_test': 'range_test',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['OneCycle', 'RangeTestResult', 'draw_range_test', 'lr_range_test', 'plot_range_test']
