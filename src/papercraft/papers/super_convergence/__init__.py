"""Super-convergence (Smith & Topin 2017, arXiv 1708.07120): the one-cycle policy and the
learning-rate range test. Builds on :mod:`papercraft.papers.optimizers` (its SGD and schedules).

- :class:`OneCycle` — learning rate up then down with momentum inversely, and a final annihilation;
- :func:`lr_range_test` / :func:`plot_range_test` — loss against an exponentially growing learning
  rate, and the suggested maximum;
- :mod:`.experiment` — one-cycle against a piecewise-constant schedule on Fashion-MNIST.
"""

from papercraft.papers.super_convergence.one_cycle import OneCycle
from papercraft.papers.super_convergence.range_test import RangeTestResult, lr_range_test, plot_range_test

__all__ = ["OneCycle", "RangeTestResult", "lr_range_test", "plot_range_test"]
