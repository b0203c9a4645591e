"""The ``transformer`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="transformer",
    title="Attention Is All You Need",
    authors="Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin",
    year=2017,
    arxiv="1706.03762",
    claim="An encoder-decoder built only from attention reaches higher BLEU than recurrent sequence models at a fraction of the training cost.",
    paper_numbers=(PaperNumber("BLEU WMT14 EN-DE (base / big)", "27.3 / 28.4", "Table 2"),),
    implements=(
        "scaled dot-product attention (eq. 1) with padding and causal masks (end-aligned for KV caches); multi-head self- and cross-attention (§3.2.2) with a KV cache; sinusoidal (§3.5) and learned positions",
        "encoder-decoder (Figure 1): post-LN sub-layers (pre-LN switch), embeddings × sqrt(d_model), target embedding tied to the output projection",
        "label smoothing (§5.4), the warm-up schedule (eq. 3), greedy decoding and beam search with the GNMT length penalty (§6.1), incremental decoding with per-layer caches",
    ),
    deviations=(
        "word-level vocabularies (separate German/English) instead of a shared 37k BPE vocabulary",
        "a small model (2+2 layers, d_model 128) trained for 1,800 steps (about 3 epochs) on CPU on ~20k short dictionary sentences (trans-de-en) instead of WMT'14 on 8 GPUs for 12 hours",
        "LayerNorm from papercraft's normalization entry (fused kernel path in the experiment for speed)",
        "the Transformer and the seq2seq baseline train for the same number of optimizer steps, with their counted training FLOPs reported beside BLEU, instead of the paper's BLEU against training cost in FLOPs of separately tuned models (Table 2); the baseline is this catalogue's LSTM seq2seq (no attention), not the paper's attention-based recurrent and convolutional baselines",
    ),
    headline=Headline(
        "bleu_transformer_beam", "Transformer test BLEU (beam search)", unit="BLEU", scale=1, digits=3
    ),
    builds_on=("seq2seq", "normalization"),
    experiments=(
        Experiment(
            name="vs-seq2seq",
            description="Transformer vs the LSTM seq2seq baseline at equal training steps, counted training FLOPs beside: BLEU (greedy and beam) on German→English.",
            target="papercraft.papers.transformer.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "max_train": 1500,
                        "test_limit": 60,
                        "steps": 12,
                        "batch_size": 32,
                        "d_model": 32,
                        "n_heads": 4,
                        "d_ff": 64,
                        "layers": 1,
                        "dropout": 0.1,
                        "label_smoothing": 0.1,
                        "warmup": 10,
                        "noam_factor": 1.0,
                        "lstm_d_embed": 32,
                        "lstm_hidden": 48,
                        "lstm_layers": 2,
                        "lstm_dropout": 0.1,
                        "lstm_lr": 0.003,
                        "eval_every": 6,
                        "beam": 3,
                        "alpha": 0.6,
                    },
                    budget_s=30,
                    description="plumbing check on a slice of the data",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "max_train": 0,
                        "test_limit": 0,
                        "steps": 1800,
                        "batch_size": 32,
                        "d_model": 128,
                        "n_heads": 4,
                        "d_ff": 512,
                        "layers": 2,
                        "dropout": 0.1,
                        "label_smoothing": 0.1,
                        "warmup": 200,
                        "noam_factor": 0.5,
                        "lstm_d_embed": 128,
                        "lstm_hidden": 256,
                        "lstm_layers": 2,
                        "lstm_dropout": 0.2,
                        "lstm_lr": 0.002,
                        "eval_every": 50,
                        "beam": 4,
                        "alpha": 0.6,
                    },
                    budget_s=1200,
                    description="1,800 steps (about 3 epochs) for each model",
                    threads=1,
                ),
            },
        ),
    ),
)
