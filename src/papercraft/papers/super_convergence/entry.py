"""The ``super-convergence`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="super-convergence",
    title="Super-Convergence: Very Fast Training of Neural Networks Using Large Learning Rates",
    authors="Smith & Topin",
    year=2017,
    arxiv="1708.07120",
    claim="The one-cycle policy with a large maximum learning rate reaches a target accuracy in several times fewer iterations than a piecewise-constant schedule.",
    paper_numbers=(
        PaperNumber(
            "iterations to 92% test accuracy, ResNet-56 CIFAR-10",
            "≈10k (one-cycle) vs ≈80k (step)",
            "Fig. 1a",
        ),
    ),
    implements=(
        "the one-cycle policy (lr up then down, momentum inversely, final annihilation; two- and three-phase, linear or cosine), equal to torch's OneCycleLR",
        "the learning-rate range test with the suggested maximum learning rate and its plot",
    ),
    deviations=(
        "Fashion-MNIST (a 10k-image subset) and an MLP with BatchNorm instead of ResNet-56 on CIFAR-10",
        "iterations to target measured on a √2 ladder of budgets (each schedule's shortest budget that reaches it)",
        "the target accuracy is the piecewise-constant schedule's final accuracy after 16 epochs minus 0.5 points (the paper's 92% played that role for ResNet-56)",
    ),
    headline=Headline(
        "speedup", "iterations to target, piecewise-constant ÷ one-cycle", unit="×", scale=1, digits=3
    ),
    builds_on=("optimizers",),
    experiments=(
        Experiment(
            name="one-cycle-vs-piecewise",
            description="range test; iterations to a target test accuracy, one-cycle vs piecewise-constant, several seeds",
            target="papercraft.papers.super_convergence.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "n_train": 2000,
                        "n_test": 2000,
                        "hidden": 64,
                        "depth": 2,
                        "batch_size": 100,
                        "eval_every": 10,
                        "log_every": 5,
                        "weight_decay": 0.0005,
                        "rungs": 4,
                        "seeds": 2,
                        "range_lr_min": 0.001,
                        "range_lr_max": 10.0,
                        "range_steps": 60,
                        "max_lr_factor": 1.0,
                        "valley_factor": 1.5,
                        "pct_start": 0.45,
                        "div_factor": 20.0,
                        "final_div_factor": 1000.0,
                        "pc_lrs": [0.1],
                        "target_margin": 0.01,
                    },
                    budget_s=40,
                    description="2k images, 4-rung ladder, 2 seeds",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 10000,
                        "n_test": 10000,
                        "hidden": 128,
                        "depth": 2,
                        "batch_size": 128,
                        "eval_every": 20,
                        "log_every": 10,
                        "weight_decay": 0.0005,
                        "rungs": 9,
                        "seeds": 3,
                        "range_lr_min": 0.001,
                        "range_lr_max": 10.0,
                        "range_steps": 200,
                        "max_lr_factor": 1.0,
                        "valley_factor": 1.5,
                        "pct_start": 0.45,
                        "div_factor": 20.0,
                        "final_div_factor": 1000.0,
                        "pc_lrs": [0.03, 0.1, 0.3],
                        "target_margin": 0.005,
                    },
                    budget_s=900,
                    description="10k images, ladder 1-16 epochs, 3 seeds",
                    threads=1,
                ),
            },
        ),
    ),
)
