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
        "Fashion-MNIST padded to 32 px (a balanced training subset, no augmentation) and a narrow CIFAR-style ResNet (stage widths 8/16/32) instead of ResNet-56 on CIFAR-10",
        "one piecewise-constant run per seed (the ResNet recipe: lr 0.1 at batch 128 scaled linearly to the batch, ÷10 at 50% and 75%), test accuracy every epoch; one-cycle on a ladder of 1/8, 1/4 and 1/2 of its steps",
        "the target accuracy is each seed's piecewise-constant settled accuracy (mean over its last phase) minus 1 point, fixed before the run (the paper's 92% played that role for ResNet-56)",
        "the ratio is decided by a Student-t interval of the per-seed log-ratios against 3 (\"several\"); a piecewise-constant run compressed to the shortest rung is a secondary control",
        "one-cycle's max lr is the range test's lowest smoothed loss (primary arm); a secondary arm uses one tenth of it (fast.ai's lr_find convention) on the 1/8 and 1/4 rungs",
    ),
    history=(
        "Redesigned (issue 12) because the first design could not show its claim. It trained a BatchNorm MLP on "
        "10k Fashion-MNIST images and put both schedules on a √2 ladder of budgets (1 to 16 epochs), with the "
        "target at the best piecewise-constant final accuracy minus 0.5 point. Its full run (commit 40c2993, "
        "results/super-convergence/full there) had target 85.74%, reached by one-cycle (max lr 0.10 from the range "
        "test) at 420 iterations on every seed and by piecewise-constant at 420/360/320 (ratio 0.87); one-cycle at the "
        "range test's valley end (lr 3.4) never reached it. Both arms got there within about 5 epochs, near the "
        "MLP's ceiling, so the ratio measured nothing. The redesign uses a CIFAR-style ResNet, one long "
        "piecewise-constant run per seed whose first crossing of a target set from its own settled accuracy is "
        "tracked epoch by epoch, and one-cycle on a ladder of 1/8, 1/4 and 1/2 of that run. Before the full run, one "
        "probe (the full preset with one seed, on a loaded machine: 266 CPU s) measured: baseline settled at 84.8% "
        "(target 83.8%), first reached at step 680 of 1280, just after its first drop; range-test max lr 2.0; "
        "one-cycle 74.2 / 79.8 / 83.0% on the 160 / 320 / 640-step rungs, swinging down to 14% mid-cycle. The primary "
        "rule and criteria were kept; the secondary one-cycle arm at a tenth of the range-test reading was added "
        "then, to tell a mis-read range test apart from a slow schedule.",
    ),
    headline=Headline(
        "speedup", "iterations to target, piecewise-constant ÷ one-cycle (geometric mean over seeds)", unit="×", scale=1, digits=3
    ),
    builds_on=("optimizers", "resnet"),
    experiments=(
        Experiment(
            name="one-cycle-vs-piecewise",
            description="range test; one long piecewise-constant run per seed, its target crossing tracked every epoch, against one-cycle at 1/8, 1/4 and 1/2 of its steps",
            target="papercraft.papers.super_convergence.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "n_train": 640,
                        "n_test": 500,
                        "depth": 8,
                        "width": 4,
                        "batch_size": 64,
                        "epochs": 8,
                        "pc_lr": 0.05,
                        "weight_decay": 0.0001,
                        "oc_fractions": [0.125, 0.25, 0.5],
                        "pc_short_fractions": [0.125],
                        "seeds": 2,
                        "log_every": 5,
                        "range_lr_min": 0.001,
                        "range_lr_max": 10.0,
                        "range_steps": 40,
                        "max_lr_factor": 1.0,
                        "secondary_max_lr_factor": 0.1,
                        "secondary_fractions": [0.125, 0.25],
                        "pct_start": 0.45,
                        "div_factor": 20.0,
                        "final_div_factor": 1000.0,
                    },
                    budget_s=30,
                    description="ResNet-8 (width 4) on 640 images, 8-epoch baseline, 2 seeds",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 2560,
                        "n_test": 2000,
                        "depth": 14,
                        "width": 8,
                        "batch_size": 64,
                        "epochs": 32,
                        "pc_lr": 0.05,
                        "weight_decay": 0.0001,
                        "oc_fractions": [0.125, 0.25, 0.5],
                        "pc_short_fractions": [0.125],
                        "seeds": 3,
                        "log_every": 10,
                        "range_lr_min": 0.001,
                        "range_lr_max": 10.0,
                        "range_steps": 150,
                        "max_lr_factor": 1.0,
                        "secondary_max_lr_factor": 0.1,
                        "secondary_fractions": [0.125, 0.25],
                        "pct_start": 0.45,
                        "div_factor": 20.0,
                        "final_div_factor": 1000.0,
                    },
                    budget_s=900,
                    description="ResNet-14 (width 8) on 2,560 images, 32-epoch baseline, one-cycle at 4/8/16 epochs, 3 seeds",
                    threads=1,
                ),
            },
        ),
    ),
)
