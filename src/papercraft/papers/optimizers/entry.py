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
        "Fashion-MNIST (a 10k-image subset) and a small MLP instead of CIFAR-10/ImageNet ResNets",
        "AdamW's weight decay is parameterized as torch's (lr·weight_decay); the experiment sets weight_decay = λ/lr to use the paper's λ (decay η_t·λ per step)",
        "Schedule-Free AdamW follows the authors' released code (bias correction in the denominator, weights on the running max lr), not Algorithm 1's γ_t·sqrt(1-β2^t)",
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
            description="(a) lr × weight-decay grids of Adam+L2 and AdamW; (b) Schedule-Free AdamW vs cosine AdamW at the same budget, several seeds",
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
                        "l2_wds": [0.0001, 0.01],
                        "adamw_wds": [1e-05, 0.001],
                        "adamw_torch_wds": [],
                        "sf_lr_factors": [1.0],
                        "seeds": 2,
                    },
                    budget_s=40,
                    description="2×2 grids, 120 steps, 2 seeds",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 5000,
                        "hidden": 128,
                        "depth": 2,
                        "batch_size": 128,
                        "steps": 1000,
                        "warmup_frac": 0.05,
                        "log_every": 10,
                        "eval_every": 50,
                        "lrs": [0.0001, 0.0003, 0.001, 0.003, 0.01],
                        "l2_wds": [1e-05, 0.0001, 0.001, 0.01, 0.1],
                        "adamw_wds": [1e-06, 1e-05, 0.0001, 0.001, 0.01],
                        "adamw_torch_wds": [0.001, 0.01, 0.1, 1.0, 10.0],
                        "sf_lr_factors": [1.0, 2.0, 5.0],
                        "seeds": 3,
                    },
                    budget_s=900,
                    description="three 5×5 grids, 1000 steps; 3 seeds for (b)",
                    threads=1,
                ),
            },
        ),
    ),
)
