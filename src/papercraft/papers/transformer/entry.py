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
        "one joint byte-level BPE vocabulary of 1,000 tokens (from the bpe entry) on ~14.9k short dictionary sentence pairs (trans-de-en, at most 12 words a side) instead of a shared 37k BPE vocabulary on WMT'14",
        "a small model (2+2 layers, d_model 128, d_ff 256 = 2×d_model instead of 4×, about 0.4 of the LSTM baseline's counted FLOPs per step) trained on CPU for 1,500 steps (about 6.5 epochs; about 30 minutes for the full preset on 2 threads, over the 20-minute norm, because the 256-cell LSTM baseline needs that many steps to translate at all: see the seq2seq entry's history) with 3 seeds instead of WMT'14 on 8 GPUs for 12 hours",
        "the BLEU criteria are decided only if both models translate, i.e. beat their own source-blind BLEU (their translations scored against other sentences' references) by intervals over seeds and sentences",
        "LayerNorm from papercraft's normalization entry (fused kernel path in the experiment for speed)",
        "the Transformer and the seq2seq baseline train for the same number of optimizer steps on the same batches, with their counted training FLOPs reported beside BLEU and required to be no larger for the Transformer, instead of the paper's BLEU against training cost in FLOPs of separately tuned models (Table 2); the baseline is this catalogue's LSTM seq2seq (no attention), trained with its own entry's recipe, not the paper's attention-based recurrent and convolutional baselines",
    ),
    tools=("bpe",),
    history=(
        "Redesigned a second time (issue 12) because the second design's BLEU floor could not be met by its "
        "baseline: its full run (criteria 5b917e0, result db07b63) measured beam BLEU 3.13 (Transformer, d_model 96) "
        "vs 1.58 (seq2seq, 128 cells) at 1,280 equal steps, gain +1.55 with t [1.32, 1.78] and bootstrap [1.06, "
        "2.03], at 0.853 of the baseline's counted FLOPs, but the criterion stayed undecided because the LSTM was "
        "under a fixed floor of 3 BLEU. A seq2seq pilot showed that this no-attention LSTM does not reach 3 BLEU on "
        "these sentences even at the Transformer's perplexity (2.32 at test perplexity 28.4, 256 cells, 10.3 "
        "epochs), so the floor made the criterion undecidable by construction. The floor is replaced by the test "
        "it stood for: each model's BLEU must clear its source-blind BLEU by intervals over seeds and test "
        "sentences. The baseline follows the seq2seq entry's new recipe (256 cells, dropout 0.3, fused LSTM path) "
        "and the Transformer grows to d_model 128 (still under the baseline's FLOPs per step); both train 1,500 "
        "steps on 2 threads. Criteria fixed in experiment.py before the run.",
        "Redesigned (issue 12) because the first design's verdict mostly measured speed: both models trained for "
        "the same wall-clock time (420 s), so the Transformer got more steps than the Python-loop LSTM. Its last "
        "full run (commit f7b90f5, results/transformer/full-2/result.json) reached 1,460 seq2seq vs 2,125 "
        "Transformer steps with word vocabularies: beam BLEU 1.87 vs 3.02 (greedy 1.17 vs 2.89), interval "
        "[0.67, 1.70], while at equal steps (1,450) the validation NLLs were close (4.036 vs 3.998) and still "
        "falling; one seed only. The redesign trains both for the same steps on the same batches with counted "
        "FLOPs beside (a criterion requires the Transformer's to be no larger), uses a joint BPE vocabulary from "
        "the bpe entry, trains for several epochs with 3 seeds, decides the BLEU difference only when the t "
        "interval over seeds and the paired bootstrap over test sentences agree, and reads BLEU only above a "
        "floor of 3; criteria fixed in experiment.py before the run.",
    ),
    headline=Headline(
        "bleu_transformer_beam", "Transformer test BLEU (beam search)", unit="BLEU", scale=1, digits=3
    ),
    builds_on=("seq2seq", "normalization"),
    experiments=(
        Experiment(
            name="vs-seq2seq",
            description="Transformer vs the LSTM seq2seq baseline at equal training steps, 3 seeds, counted training FLOPs beside: BLEU (greedy and beam) on German→English with a joint BPE vocabulary.",
            target="papercraft.papers.transformer.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "max_train": 1500,
                        "test_limit": 60,
                        "max_words": 12,
                        "bpe_vocab": 400,
                        "seeds": 1,
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
                        "max_words": 12,
                        "bpe_vocab": 1000,
                        "seeds": 3,
                        "steps": 1500,
                        "batch_size": 64,
                        "d_model": 128,
                        "n_heads": 4,
                        "d_ff": 256,
                        "layers": 2,
                        "dropout": 0.1,
                        "label_smoothing": 0.1,
                        "warmup": 100,
                        "noam_factor": 0.35,
                        "lstm_d_embed": 128,
                        "lstm_hidden": 256,
                        "lstm_layers": 2,
                        "lstm_dropout": 0.3,
                        "lstm_lr": 0.002,
                        "eval_every": 100,
                        "beam": 4,
                        "alpha": 0.6,
                    },
                    budget_s=2400,
                    description="3 seeds × Transformer (d_model 128) and seq2seq (the seq2seq entry's reversed arm, 256 cells), 1,500 steps each (about 6.5 epochs), BPE vocabulary of 1,000",
                    threads=2,
                ),
            },
        ),
    ),
)
