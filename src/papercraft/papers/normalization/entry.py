"""The ``normalization`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="normalization",
    title="Normalization layers: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, RMSNorm",
    authors="Ioffe & Szegedy; Ba, Kiros, Hinton; Ulyanov et al.; Wu & He; Zhang & Sennrich",
    year=2019,
    since=2015,
    arxiv="1910.07467",
    claim="RMSNorm matches LayerNorm at lower cost, BatchNorm degrades at tiny batches while GroupNorm and LayerNorm do not, and LayerNorm speeds up recurrent-network training.",
    paper_numbers=(
        PaperNumber("RMSNorm speed-up over LayerNorm", "7-64%", "RMSNorm §5"),
        PaperNumber("ResNet-50 ImageNet error at batch 2, BN vs GN", "34.7% vs 24.1%", "GroupNorm Fig. 1"),
    ),
    implements=(
        "BatchNorm (running mean and unbiased running variance, momentum or cumulative average, eval mode) for [N, C], [N, C, L] and [N, C, H, W]",
        "LayerNorm (over any trailing dims; a fused F.layer_norm path tested equal)",
        "InstanceNorm, GroupNorm (G = 1 is LayerNorm over C,H,W; G = C is InstanceNorm)",
        "RMSNorm",
        "an LSTM cell (equal to nn.LSTM) and its layer-normalized version (Ba et al. Eq. 20-22)",
    ),
    deviations=(
        "Small scale throughout: a 4-layer width-96 GPT on Jane Austen (not the RMSNorm paper's translation models), a 3-layer CNN on Fashion-MNIST (not ResNet-50 on ImageNet), a character-level LSTM on Austen (not the LayerNorm paper's tasks).",
        "InstanceNorm has no running statistics (torch's default track_running_stats=False).",
        "In the LayerNorm LSTM the per-gate biases of the two input normalizations are folded into the LSTM's own biases (they are redundant).",
        "One seed per configuration, to fit the 2-core budget: the intervals that decide (a) and (b) are paired bootstraps over the held-out windows, the interleaved timing repetitions and the test images, which capture the noise of those samples but not the spread over seeds.",
        "(b) uses a fixed epoch budget (3,000 images x 2 epochs) with the learning rate scaled linearly with the batch, so larger batches take fewer steps; BatchNorm's loss of ground is therefore measured against GroupNorm and LayerNorm at equal batch size rather than against its own error at a large batch.",
    ),
    headline=Headline(
        "step_time_ratio", "RMSNorm ÷ LayerNorm training-step time", unit="×", scale=1, digits=3
    ),
    tools=("gpt", "bpe"),
    experiments=(
        Experiment(
            name="rmsnorm_gpt",
            description="(a) RMSNorm vs LayerNorm in a GPT-2: held-out loss and time per step",
            target="papercraft.papers.normalization.experiment:run_rmsnorm_gpt",
            presets={
                "quick": Preset(
                    params={
                        "vocab_size": 320,
                        "max_chars": 20000,
                        "context": 32,
                        "n_layer": 1,
                        "d_model": 32,
                        "n_head": 2,
                        "batch_size": 8,
                        "steps": 6,
                        "eval_every": 0,
                        "eval_windows": 8,
                        "timing_reps": 2,
                        "lr": 0.003,
                    },
                    budget_s=15,
                    description="",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "vocab_size": 1024,
                        "max_chars": 0,
                        "context": 64,
                        "n_layer": 4,
                        "d_model": 96,
                        "n_head": 4,
                        "batch_size": 16,
                        "steps": 250,
                        "eval_every": 50,
                        "eval_windows": 64,
                        "timing_reps": 30,
                        "lr": 0.002,
                    },
                    budget_s=300,
                    description="",
                    threads=1,
                ),
            },
        ),
        Experiment(
            name="small_batch",
            description="(b) BatchNorm vs GroupNorm vs LayerNorm at batch sizes 2-64 on Fashion-MNIST",
            target="papercraft.papers.normalization.experiment:run_small_batch",
            presets={
                "quick": Preset(
                    params={
                        "n_train": 64,
                        "n_test": 100,
                        "batch_sizes": [2, 16],
                        "norms": ["batchnorm", "groupnorm", "layernorm"],
                        "epochs": 1,
                        "base_lr": 0.05,
                        "base_batch": 32,
                        "groups": 8,
                    },
                    budget_s=15,
                    description="",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 3000,
                        "n_test": 2000,
                        "batch_sizes": [2, 4, 16, 64],
                        "norms": ["batchnorm", "groupnorm", "layernorm"],
                        "epochs": 2,
                        "base_lr": 0.05,
                        "base_batch": 32,
                        "groups": 8,
                    },
                    budget_s=300,
                    description="",
                    threads=1,
                ),
            },
        ),
        Experiment(
            name="lstm_layernorm",
            description="(c) a character LSTM language model with and without layer normalization",
            target="papercraft.papers.normalization.experiment:run_lstm_layernorm",
            presets={
                "quick": Preset(
                    params={
                        "max_chars": 20000,
                        "context": 16,
                        "batch_size": 8,
                        "embed": 16,
                        "hidden": 32,
                        "steps": 6,
                        "eval_every": 3,
                        "eval_windows": 4,
                        "lr": 0.003,
                    },
                    budget_s=10,
                    description="",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "max_chars": 0,
                        "context": 48,
                        "batch_size": 32,
                        "embed": 64,
                        "hidden": 128,
                        "steps": 500,
                        "eval_every": 50,
                        "eval_windows": 64,
                        "lr": 0.002,
                    },
                    budget_s=300,
                    description="",
                    threads=1,
                ),
            },
        ),
    ),
)
