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
        "German→English data pipeline: tokenization, word vocabularies, fixed split, sacrebleu BLEU with paired bootstrap",
    ),
    deviations=(
        "Adam instead of SGD lr 0.7 with halving; 2 layers of 256 cells instead of 4 of 1000; dropout 0.2",
        "~20k short dictionary example sentences (trans-de-en) instead of WMT'14 English→French; word vocabularies of ~8k/7.5k instead of 160k/80k",
        "one training seed per arm: intervals cover test-set resampling noise only",
        "both arms train for the same number of optimizer steps, 1,500 in the full preset (about 2.5 epochs of the ~19.5k training pairs at batch 32) instead of the paper's 7.5 epochs",
    ),
    headline=Headline(
        "bleu_gain_from_reversal", "BLEU gain from reversing the source", unit="BLEU", scale=1, digits=2
    ),
    experiments=(
        Experiment(
            name="reversal",
            description="Normal vs reversed source at equal steps: test perplexity and BLEU; greedy vs beam.",
            target="papercraft.papers.seq2seq.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "max_train": 1500,
                        "test_limit": 60,
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
                        "steps": 1500,
                        "batch_size": 32,
                        "d_embed": 128,
                        "hidden": 256,
                        "layers": 2,
                        "dropout": 0.2,
                        "lr": 0.002,
                        "eval_every": 50,
                        "beam": 4,
                    },
                    budget_s=1200,
                    description="1,500 steps per arm (about 2.5 epochs), normal and reversed source",
                    threads=1,
                ),
            },
        ),
    ),
)
