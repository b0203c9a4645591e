"""Super-convergence (Smith & Topin 2017, arXiv 1708.07120): the one-cycle policy and the
learning-rate range test. Builds on :mod:`papercraft.papers.optimizers` (its SGD and schedules).

- :class:`OneCycle` — learning rate up then down with momentum inversely, and a final annihilation;
- :func:`lr_range_test` / :func:`plot_range_test` — loss against an exponentially growing learning
  rate, and the suggested maximum;
- :mod:`.experiment` — one-cycle against a piecewise-constant schedule on Fashion-MNIST.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'OneCycle': 'one_cycle',
    'RangeTestResult': 'range_test',
    'lr_range_test': 'range_test',
    'plot_range_test': 'range_test',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['OneCycle', 'RangeTestResult', 'lr_range_test', 'plot_range_test']
