"""The ``seq2seq`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="seq2seq",
    title="Sequence to Sequence Learning with Neural Networks",
    authors="Sutskever, Vinyals, Le",
    year=2014,
    arxiv="1409.3215",
    claim="A deep LSTM encoder-decoder translates well, and reversing the source sentence lowers perplexity and raises BLEU; beam search beats greedy decoding.",
    paper_numbers=(
        PaperNumber("test perplexity, normal → reversed source", "5.8 → 4.7", "§3.3"),
        PaperNumber("BLEU, normal → reversed source", "25.9 → 30.6", "§3.3"),
    ),
    implements=(
        "LSTM cell and multi-layer LSTM written from the gate equations (checked against nn.LSTM: outputs and gradients), padding that carries the state through",
        "encoder-decoder with a fixed-size state (no attention), source reversal as a model flag",
        "batched beam search (beam 1 = greedy; an exhaustive beam finds the brute-force optimum), greedy decoding",
        "German→English test bed: tokenization, a joint byte-level BPE vocabulary (bpe entry) or word vocabularies, fixed split, sacrebleu BLEU with paired bootstrap over test sentences, perplexity by source-length bucket",
    ),
    deviations=(
        "Adam with warm-up and cosine decay instead of SGD lr 0.7 with halving; 2 layers of 128 cells with 64-dim embeddings instead of 4 of 1000; dropout 0.2",
        "~14.9k short dictionary example sentence pairs (trans-de-en, at most 12 words a side) instead of WMT'14 English→French; one joint byte-level BPE vocabulary of 1,000 tokens (bpe entry) instead of word vocabularies of 160k/80k",
        "both arms train for the same number of optimizer steps (1,280 at batch 64, about 5.5 epochs, in the full preset) with 3 training seeds, instead of the paper's 7.5 epochs with one model per setting; the full preset therefore takes about 30 minutes, over the 20-minute norm (the issue allows up to 40 with the reason): in a one-seed pilot the LSTM's validation loss was still falling steeply at 2.3 epochs (4.97 -> 4.70 -> 4.49 nats per token at 0.75/1.5/2.3 epochs), and BLEU must be well off its floor for the comparison to mean anything",
    ),
    tools=("bpe",),
    history=(
        "Redesigned (issue 12) because the first design could not show the claim either way: both arms sat at the "
        "BLEU floor. Its full run (commit f474110, results/seq2seq/full/result.json; the later commit dad7dfc "
        "only dropped an override run) trained each arm for a wall-clock budget of 420 s on a loaded machine, "
        "185 steps (0.3 epoch) with word vocabularies of 8,262/7,519: test perplexity 144.5 (normal) vs 144.0 "
        "(reversed), beam BLEU 0.16 vs 0.15, and the BLEU criterion counted that tie as a failure. The redesign "
        "trains for a fixed number of steps (several epochs) on a joint BPE vocabulary from the bpe entry, with 3 "
        "seeds, decides each difference only when the t interval over seeds and the paired bootstrap over test "
        "sentences agree (a tie is inconclusive), reads BLEU only above a floor of 3, and reports perplexity by "
        "source-length bucket; criteria fixed in experiment.py before the run.",
    ),
    headline=Headline(
        "bleu_gain_from_reversal", "BLEU gain from reversing the source", unit="BLEU", scale=1, digits=2
    ),
    experiments=(
        Experiment(
            name="reversal",
            description="Normal vs reversed source at equal steps, 3 seeds: test perplexity (also by source length) and BLEU; greedy vs beam.",
            target="papercraft.papers.seq2seq.experiment:run",
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
                        "d_embed": 32,
                        "hidden": 48,
                        "layers": 2,
                        "dropout": 0.1,
                        "lr": 0.003,
                        "eval_every": 6,
                        "beam": 3,
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
                        "steps": 1280,
                        "batch_size": 64,
                        "d_embed": 64,
                        "hidden": 128,
                        "layers": 2,
                        "dropout": 0.2,
                        "lr": 0.002,
                        "eval_every": 80,
                        "beam": 4,
                    },
                    budget_s=2100,
                    description="3 seeds × normal and reversed source, 1,280 steps each (about 5.5 epochs of ~14.9k pairs of at most 12 words), BPE vocabulary of 1,000",
                    threads=1,
                ),
            },
        ),
    ),
)
