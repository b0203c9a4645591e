"""The ``optimizers`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="optimizers",
    title="SGD with momentum / Nesterov, Adam, AdamW (Decoupled Weight Decay Regularization), Schedule-Free SGD and AdamW",
    authors="Loshchilov & Hutter; Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky",
    year=2019,
    since=1964,
    arxiv="1711.05101",
    claim="Decoupling weight decay from the gradient step makes the good weight-decay region independent of the learning rate (AdamW vs Adam+L2), and Schedule-Free AdamW matches or beats a tuned cosine schedule without knowing the stopping time.",
    paper_numbers=(
        PaperNumber(
            "AdamW vs Adam+L2 basin of good (lr, wd)", "decoupled (axis-aligned) vs diagonal", "AdamW Fig. 2"
        ),
        PaperNumber(
            "Schedule-Free AdamW vs cosine AdamW",
            "matches or beats at equal budget",
            "Schedule-Free Fig. 1, 3",
        ),
    ),
    implements=(
        "SGD (momentum, dampening, Nesterov, L2 weight decay)",
        "Adam with L2 weight decay (AdamW paper Algorithm 2 line 6) and AdamW (line 12, decoupled)",
        "Schedule-Free SGD and AdamW (warm-up, lr-weighted averaging, train()/eval() switch between y and x)",
        "readable per-parameter updates and multi-tensor (foreach) paths, tested to agree",
        "schedules as torch LR schedulers: linear warm-up, cosine, piecewise-constant; make_schedule by name",
    ),
    deviations=(
        "Fashion-MNIST and a small MLP instead of CIFAR-10/ImageNet ResNets; (a) trains a small training subset for many epochs, so that the MLP fits it and regularization decides how well it generalizes",
        "(a) the good region is located on the final test loss (cross-entropy), not the paper's test error: on this test bed decay moved the error by at most ~1 point but the loss by ~40 % in a one-seed pilot, so an error-based optimum would be mostly noise; the error grids are reported beside it and the 'AdamW not worse' check uses the error",
        "(a) every grid cell is the mean of 2 seeds, each row has a no-decay reference, and the coupling slope is fitted only over rows whose best decay is interior and beats no decay; its interval is a parametric bootstrap over the pooled seed noise (the paper shows single-seed heatmaps)",
        "AdamW's weight decay is parameterized as torch's (lr·weight_decay); the experiment sets weight_decay = λ/lr to use the paper's λ (decay η_t·λ per step)",
        "Schedule-Free AdamW follows the authors' released code (bias correction in the denominator, weights on the running max lr), not Algorithm 1's γ_t·sqrt(1-β2^t)",
    ),
    history=(
        "Redesigned (issue 12) because in the first design weight decay barely mattered: 5,000 images for 1,000 "
        "steps of batch 128 (~26 epochs), one seed per cell. The full run (commit 496ff2f, "
        "results/optimizers/full/result.json there) measured coupling slopes of +0.77 for AdamW (paper's λ) and "
        "-0.005 for Adam+L2 (both primary criteria failed: not reproduced), but some decay beat the smallest decay by "
        "0.5 points or more in only 1 of 5 rows of each grid (the largest lr), so the 'good region' was bounded "
        "only by where decay starts to hurt, and the best AdamW cell (lr 0.01, λ 0.01, 14.98 %) sat on the grid's "
        "corner; (b) measured Schedule-Free minus cosine -0.10 points (passed). A probe found that decay changed "
        "the error by only ~0.5 points on that test bed. The redesign trains a 1,000-image subset for 250 epochs, "
        "judges the good region on the test loss (in a one-seed pilot decay moved it by ~40 % and the error by "
        "at most ~1 point), widens both weight-decay axes (to 1.0) so that every row can have an interior optimum, adds a no-decay "
        "reference per row, "
        "trains 2 seeds per cell, fits the slope only over rows where decay lowers the test loss by >= 0.05 nats "
        "with an interior best, and decides both slopes through bootstrap intervals (inconclusive when the interval straddles the "
        "threshold). The thresholds (0.35, -0.5) are the first design's. (b) moves to the new test bed with (a), "
        "whose AdamW grid tunes its cosine baseline.",
    ),
    headline=Headline(
        "b_sf_minus_cosine",
        "Schedule-Free minus cosine AdamW, test error",
        unit="points",
        scale=100,
        digits=2,
        older_keys=(("headline_sf_minus_cosine_points", 1.0),),  # results before foundation v2, in points
    ),
    experiments=(
        Experiment(
            name="adamw-and-schedule-free",
            description="(a) lr × weight-decay grids of Adam+L2 and AdamW (2 seeds per cell, no-decay references, bootstrap intervals on the coupling slopes); (b) Schedule-Free AdamW vs cosine AdamW at the same budget, several seeds",
            target="papercraft.papers.optimizers.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "n_train": 2000,
                        "hidden": 64,
                        "depth": 2,
                        "batch_size": 100,
                        "steps": 120,
                        "warmup_frac": 0.05,
                        "log_every": 5,
                        "eval_every": 40,
                        "lrs": [0.001, 0.01],
                        "l2_wds": [0.0001, 0.001, 0.01],
                        "adamw_wds": [1e-05, 0.0001, 0.001],
                        "adamw_torch_wds": [],
                        "grid_seeds": 2,
                        "metric": "test_loss",
                        "sf_lr_factors": [1.0],
                        "seeds": 2,
                    },
                    budget_s=40,
                    description="2×3 grids with no-decay references, 2 seeds per cell, 120 steps",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 1000,
                        "hidden": 128,
                        "depth": 2,
                        "batch_size": 100,
                        "steps": 2500,
                        "warmup_frac": 0.05,
                        "log_every": 10,
                        "eval_every": 50,
                        "lrs": [0.0003, 0.001, 0.003, 0.01, 0.03],
                        "l2_wds": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                        "adamw_wds": [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                        "adamw_torch_wds": [],
                        "grid_seeds": 2,
                        "metric": "test_loss",
                        "sf_lr_factors": [1.0, 2.0, 5.0],
                        "seeds": 3,
                    },
                    budget_s=900,
                    description="5×9 (AdamW) and 5×8 (Adam+L2) grids judged on the test loss, a 1,000-image subset for 250 epochs, 2 seeds per cell, no-decay references; 3 seeds for (b)",
                    threads=1,
                ),
            },
        ),
    ),
)
