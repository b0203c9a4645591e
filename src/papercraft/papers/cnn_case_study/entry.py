"""The ``cnn-case-study`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="cnn-case-study",
    title="CNN case study: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet",
    authors="LeCun et al.; Krizhevsky et al.; Zeiler & Fergus; Simonyan & Zisserman; Szegedy et al.",
    year=2014,
    since=1998,
    claim="The historical line of CNNs trades parameters and compute for accuracy; LeNet-5 reaches about 1% error on MNIST.",
    paper_numbers=(
        PaperNumber("LeNet-5 MNIST test error", "0.95%", "LeCun 1998, Fig. 9"),
        PaperNumber("parameters AlexNet / VGG-16", "≈61M / ≈138M", "papers"),
    ),
    implements=(
        "LeNet-5: trainable sub-sampling, C3's partial connection table (Table I), scaled tanh, RBF output with the MAP loss (eq. 9); exactly 60,000 trainable parameters",
        "AlexNet: ReLU, local response normalization (written here; checked against nn.LocalResponseNorm), overlapping 3/2 pooling, dropout, the two-GPU split as grouped convolutions",
        "ZFNet: 7×7 stride-2 first layer, stride-2 second layer (Fig. 3 map sizes checked)",
        "VGG configurations A, A-LRN, B, C (1×1 convs), D, E with and without BatchNorm (Table 2 counts checked)",
        "GoogLeNet: inception modules with 1×1 reductions, auxiliary classifiers, loss weight 0.3; the paper's layout and torchvision's",
        "32-px adaptations of each, parameter and multiply-accumulate counting, torchvision weight converters",
        "random translations (LeNet-5's distortions, reduced to shifts) as a seeded, resumable batch loader, the same for every network",
        "the historical table with per-network intervals: each later network's accuracy gain over LeNet-5, paired by seed and test image, with seed and test-image variance",
        "benchmarks/bench_cnn.py: training-step images/s of AlexNet, VGG-11, GoogLeNet, ResNet-18/50 against torchvision with copied weights, contiguous and channels-last (measured ratios: results/cnn-case-study/benchmark-cpu-64px.txt)",
    ),
    deviations=(
        "32-px adaptations (narrower, fewer strides) are trained instead of the 224-px networks; no ImageNet (none ships in any package). The comparison of architectures runs on Fashion-MNIST (a balanced 8,000-image training subset, the whole 10,000-image test set); MNIST (papercraft's 10,000 real digits) only measures LeNet-5, whose error is taken over all 10,000 digits in 5 folds of 8,000 training / 2,000 test digits",
        "one recipe for every network: Adam with cosine decay, the same epochs, batch and images, and the same augmentation (random shifts of up to ±2 px, the simplest of LeNet-5's distortions, for every network), not each paper's SGD recipe and augmentation",
        "LeNet-5's RBF prototypes are fixed random ±1 codes instead of stylized 7×12 digit bitmaps; its MAP loss constant j = 1 (the paper does not give it); Adam instead of stochastic diagonal Levenberg-Marquardt; random shifts instead of the paper's affine distortions (translation, scaling, squeezing, shearing)",
        "He initialization instead of the papers' fixed-variance Gaussians (for the 32-px VGG also in its dense layers, which the paper-size VGG keeps at N(0, 0.01²))",
    ),
    history=(
        "Redesigned (issue 12) because the first design could not rank the architectures: every network trained "
        "3 epochs (375 steps) on 8,000 images, so the table measured convergence speed (VGG-11 at 69.05% on "
        "Fashion-MNIST); LeNet-5 got no augmentation; and criterion (b) took the best of 4 later networks on one "
        "seed against LeNet-5 with a 1-point threshold and no interval. Its full run (commit fb0bc2f, "
        "results/cnn-case-study/full/result.json there) measured Fashion-MNIST accuracies LeNet-5 78.90%, AlexNet "
        "78.25%, ZFNet 77.05%, VGG-11 69.05%, GoogLeNet 82.35% (best gain 3.45 points: passed), MNIST accuracies "
        "93.20-96.20% at 3 epochs, and LeNet-5 2.75% MNIST error after 20 epochs on the documented 2,000 test "
        "digits (criterion (a), at most 2.0%: failed), so the verdict was 'not reproduced'. The redesign trains "
        "every network long enough for its validation accuracy to flatten, with one recipe and the same random "
        "shifts for all, 3 seeds, and judges each later network against LeNet-5 with an interval; LeNet-5's "
        "error is measured on all 10,000 digits (5 folds) with the same 2.0% threshold, now with an interval. "
        "Before the criteria were fixed, a one-seed pilot (6 epochs of each network on the 8,000 Fashion images, "
        "with shifts) sized the epochs; it showed the 32-px VGG's N(0, 0.01²) dense layers slowing it several-fold "
        "(73% vs 80-85% for the others), so its dense layers now get He initialization like every other layer.",
    ),
    headline=Headline("lenet5_mnist_error_pct", "LeNet-5 test error on MNIST", unit="%", scale=1, digits=3),
    experiments=(
        Experiment(
            name="historical-table",
            description="Parameters, multiply-accumulates, CPU time per epoch and Fashion-MNIST test accuracy of LeNet-5, AlexNet, ZFNet, VGG-11 and GoogLeNet (32-px adaptations) trained alike over 3 seeds, each later network's gain over LeNet-5 with a 95% interval; LeNet-5's MNIST error over all 10,000 digits vs the paper's 0.95%.",
            target="papercraft.papers.cnn_case_study.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                        "mnist_train": 1000,
                        "mnist_test": 500,
                        "mnist_folds": 2,
                        "lenet_epochs": 3,
                        "fashion_train": 300,
                        "fashion_val": 100,
                        "fashion_test": 300,
                        "epochs": 2,
                        "seeds": 2,
                        "batch_size": 50,
                        "lr": 0.001,
                        "max_shift": 2,
                    },
                    budget_s=30,
                    description="MNIST 2 folds of 1,000 digits, Fashion 300 images, 2 epochs, 2 seeds",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                        "mnist_train": 8000,
                        "mnist_test": 2000,
                        "mnist_folds": 5,
                        "lenet_epochs": 10,
                        "fashion_train": 8000,
                        "fashion_val": 1000,
                        "fashion_test": 10000,
                        "epochs": 6,
                        "seeds": 3,
                        "batch_size": 64,
                        "lr": 0.001,
                        "max_shift": 2,
                    },
                    budget_s=1000,
                    description="LeNet-5 on all 10,000 MNIST digits (5 folds, 10 epochs each); 8k Fashion subset, 6 epochs per network, 3 seeds, 10k test images",
                    threads=1,
                ),
            },
        ),
    ),
)
