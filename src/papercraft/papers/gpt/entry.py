"""The ``gpt`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Command, Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="gpt",
    title="Improving Language Understanding by Generative Pre-Training (GPT) / Language Models are Unsupervised Multitask Learners (GPT-2)",
    authors="Radford, Narasimhan, Salimans, Sutskever; Radford, Wu, Child, Luan, Amodei, Sutskever",
    year=2019,
    claim="Held-out language-modelling loss falls smoothly (log-linearly) with model size, and generative pre-training followed by fine-tuning beats training the same classifier from scratch.",
    paper_numbers=(
        PaperNumber("WebText perplexity vs size", "falls with every size up to 1.5B", "GPT-2 Fig. 4"),
        PaperNumber(
            "GPT-1 average gain from pre-training",
            "large; e.g. 14.8 points without pre-training on GLUE tasks",
            "GPT Table 5",
        ),
    ),
    implements=(
        "one decoder-only Transformer with the GPT-1/GPT-2 differences explicit (variant='gpt1': post-LN; variant='gpt2': pre-LN, final LayerNorm, residual projections initialized with 0.02/sqrt(2·n_layer))",
        "learned positions, tied input/output embeddings, tanh-GELU MLP",
        "the normalization layer passed in as a factory (default: the normalization entry's LayerNorm), so another experiment can swap in RMSNorm without a configuration flag",
        "KV cache (cached logits equal uncached), sampling with temperature, top-k and top-p",
        "GPT-1 fine-tuning: classifier on the last token with the auxiliary LM loss (Eq. 3, λ = 0.5)",
        "loaders for Hugging-Face GPT2LMHeadModel / OpenAIGPTLMHeadModel state dicts (Conv1D transposed, c_attn split)",
        "a chunked output layer + cross-entropy (custom autograd) that never materializes the [tokens, vocab] logits",
        "papercraft generate from a trained checkpoint",
    ),
    deviations=(
        "Toy scale: models of 0.006M-0.8M non-embedding parameters on Jane Austen's novels (3.2M characters of training text, Persuasion held out) instead of 117M-1.5B on WebText.",
        "A 1,024-token byte-level BPE vocabulary trained on the training novels (the bpe entry's trainer) instead of GPT-2's 50,257 tokens.",
        "All sizes are trained for the same number of steps (not to convergence), so the fitted exponent mixes model size with sample efficiency.",
        "The fine-tuning task is authorship-style classification (which of five novels a passage is from) with few labels, standing in for GPT-1's GLUE tasks.",
    ),
    headline=Headline(
        "power_law_alpha", "power-law exponent α of loss vs parameters", unit="", scale=1, digits=3
    ),
    builds_on=("transformer", "bpe", "normalization"),
    commands=(
        Command("generate", "papercraft.papers.gpt.cli", "continue a prompt with a trained GPT checkpoint"),
    ),
    experiments=(
        Experiment(
            name="scaling_and_finetuning",
            description="(a) held-out loss vs model size with a fitted power law; (b) pre-training + fine-tuning vs from scratch on a few-label novel classification task",
            target="papercraft.papers.gpt.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "vocab_size": 320,
                        "heldout": "Persuasion",
                        "max_chars": 20000,
                        "context": 32,
                        "sizes": [[1, 16, 2], [1, 24, 2], [1, 32, 2], [2, 32, 2]],
                        "steps": 12,
                        "batch_size": 8,
                        "lr": 0.003,
                        "eval_every": 0,
                        "eval_windows": 16,
                        "final_eval_windows": 32,
                        "ft_length": 32,
                        "labels_per_class": 6,
                        "test_per_class": 8,
                        "ft_seeds": 1,
                        "ft_steps": 4,
                        "ft_batch_size": 8,
                        "ft_lr": 0.001,
                        "lm_weight": 0.5,
                        "sample_tokens": 10,
                    },
                    budget_s=30,
                    description="a smoke test: tiny corpus slice, 4 tiny models, a few steps",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "vocab_size": 1024,
                        "heldout": "Persuasion",
                        "max_chars": 0,
                        "context": 64,
                        "sizes": [[2, 16, 2], [2, 32, 2], [2, 64, 2], [3, 96, 3], [4, 128, 4]],
                        "steps": 300,
                        "batch_size": 16,
                        "lr": 0.002,
                        "eval_every": 100,
                        "eval_windows": 64,
                        "final_eval_windows": 400,
                        "ft_length": 64,
                        "labels_per_class": 16,
                        "test_per_class": 60,
                        "ft_seeds": 2,
                        "ft_steps": 60,
                        "ft_batch_size": 16,
                        "ft_lr": 0.0003,
                        "lm_weight": 0.5,
                        "sample_tokens": 60,
                    },
                    budget_s=900,
                    description="5 sizes (0.006M-0.8M non-embedding params) x 300 steps x 1,024 tokens; 2 fine-tuning seeds",
                    threads=1,
                ),
            },
        ),
    ),
)
