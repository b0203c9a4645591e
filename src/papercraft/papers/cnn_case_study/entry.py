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
        "benchmarks/bench_cnn.py: training-step images/s of AlexNet, VGG-11, GoogLeNet, ResNet-18/50 against torchvision with copied weights, contiguous and channels-last (measured ratios: results/cnn-case-study/benchmark-cpu-64px.txt)",
    ),
    deviations=(
        "32-px adaptations (narrower, fewer strides) are trained instead of the 224-px networks; no ImageNet (none ships in any package): MNIST 8,000/2,000 and a balanced 8,000/2,000 Fashion-MNIST subset",
        "every adaptation trains 3 epochs with Adam + cosine decay (one recipe for all), not each paper's SGD recipe",
        "LeNet-5's RBF prototypes are fixed random ±1 codes instead of stylized 7×12 digit bitmaps; its MAP loss constant j = 1 (the paper does not give it); Adam instead of stochastic diagonal Levenberg-Marquardt",
        "He initialization instead of the papers' fixed-variance Gaussians",
    ),
    headline=Headline("lenet5_mnist_error_pct", "LeNet-5 test error on MNIST", unit="%", scale=1, digits=3),
    experiments=(
        Experiment(
            name="historical-table",
            description="Parameters, multiply-accumulates, time per epoch and test accuracy of LeNet-5, AlexNet, ZFNet, VGG-11 and GoogLeNet (32-px adaptations) on MNIST and Fashion-MNIST; LeNet-5 vs the paper's 0.95% MNIST error.",
            target="papercraft.papers.cnn_case_study.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                        "mnist_train": 200,
                        "mnist_test": 100,
                        "fashion_train": 200,
                        "fashion_test": 100,
                        "epochs": 1,
                        "lenet_epochs": 2,
                        "batch_size": 50,
                        "lr": 0.001,
                    },
                    budget_s=40,
                    description="200 images per data set, 1 epoch",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                        "mnist_train": 8000,
                        "mnist_test": 2000,
                        "fashion_train": 8000,
                        "fashion_test": 2000,
                        "epochs": 3,
                        "lenet_epochs": 20,
                        "batch_size": 64,
                        "lr": 0.001,
                    },
                    budget_s=1000,
                    description="all MNIST digits, 8k/2k Fashion subset, 3 epochs each",
                    threads=1,
                ),
            },
        ),
    ),
)
