"""Zhang, Bengio, Hardt, Recht & Vinyals 2017, "Understanding deep learning requires rethinking
generalization" (ICLR 2017, arXiv 1611.03530).

The claim (Section 2, "Effective capacity of neural networks"): standard architectures trained with
standard SGD-style optimisers fit a training set whose labels are replaced by random labels
perfectly (100% training accuracy), and also fit randomized *inputs* (shuffled pixels, per-image
random pixel permutations, Gaussian noise). Fitting random labels takes only "a small constant
factor" more steps than fitting the true labels (Fig. 1b), the test error then rises steadily with
the fraction of corrupted labels up to chance (Fig. 1c), and explicit regularizers (weight decay,
dropout, data augmentation) do not prevent the fit (Section 3, Table 1/4). So the *capacity* of the
model family alone cannot explain why these networks generalize on real labels.

Modules:

- :mod:`.randomization` — the paper's randomization tests (Section 2): label corruption with
  probability/fraction ``p``, shuffled pixels (one fixed permutation), random pixels (a different
  permutation per image), Gaussian inputs, and random-shift augmentation.
- :mod:`.models` — the paper's MNIST MLP (one hidden layer of 512 units, Table 2) and a small CNN.
- :mod:`.experiment` — the reproduction on real MNIST digits (Fig. 1a-c and the regularizer claim).
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'MLP': 'models',
    'SmallCNN': 'models',
    'build_model': 'models',
    'INPUT_RANDOMIZATIONS': 'randomization',
    'ShiftAugmentedBatches': 'randomization',
    'corrupt_labels': 'randomization',
    'fixed_pixel_permutation': 'randomization',
    'gaussian_inputs': 'randomization',
    'random_pixels': 'randomization',
    'random_shift': 'randomization',
    'randomize_inputs': 'randomization',
    'shuffle_pixels': 'randomization',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['MLP', 'SmallCNN', 'build_model', 'INPUT_RANDOMIZATIONS', 'ShiftAugmentedBatches', 'corrupt_labels', 'fixed_pixel_permutation', 'gaussian_inputs', 'random_pixels', 'random_shift', 'randomize_inputs', 'shuffle_pixels']
