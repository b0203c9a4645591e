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
        "Adam with warm-up and cosine decay instead of SGD lr 0.7 with halving; 2 layers of 256 cells with 128-dim embeddings instead of 4 of 1000; dropout 0.3",
        "~14.9k short dictionary example sentence pairs (trans-de-en, at most 12 words a side) instead of WMT'14 English→French; one joint byte-level BPE vocabulary of 1,000 tokens (bpe entry) instead of word vocabularies of 160k/80k",
        "both arms train for the same number of optimizer steps (1,500 at batch 64, about 6.5 epochs, in the full preset) with 3 training seeds, instead of the paper's 7.5 epochs with one model per setting; the full preset therefore takes about 35 minutes on 2 threads, over the 20-minute norm (the issue allows up to 40 with the reason): a 128-cell LSTM levels off at a validation NLL of 3.71 nats per token (pilot, 13.8 epochs), the 256-cell one reaches 3.39 at 6.9 epochs and is not yet overfitting, and a BLEU comparison needs models that translate",
        "the BLEU criteria are decided only if both arms translate, i.e. beat their own source-blind BLEU (their translations scored against other sentences' references) by intervals over seeds and sentences, instead of reading BLEU at any level",
    ),
    tools=("bpe",),
    history=(
        "Redesigned a second time (issue 12) because the second design's BLEU floor could not be met: its full run "
        "(criteria 5b917e0, result e85098f) passed the perplexity criterion (reversal lowers test log-perplexity by "
        "0.017 [0.013, 0.022] per token) but left both BLEU criteria undecided under a fixed floor of 3 BLEU "
        "(normal 1.14, reversed 1.58 with 2 layers of 128 cells at 1,280 steps). A one-seed pilot of the reversed "
        "arm then trained 2 layers of 256 cells for 2,400 steps (10.3 epochs) to a test perplexity of 28.4 (NLL "
        "3.35, the Transformer entry's level) and still scored only 2.32 beam BLEU (greedy 1.54): without "
        "attention this LSTM does not reach 3 BLEU on these sentences in a CPU budget, so the floor made the BLEU "
        "claims undecidable by construction. The floor, an absolute number chosen without a pilot, is replaced by "
        "a test of what it stood for, that BLEU ranks translations rather than frequent words: each arm's BLEU "
        "must clear its source-blind BLEU by intervals over seeds and test sentences. The LSTM grows to 256 cells "
        "(dropout 0.3) and trains 1,500 steps on 2 threads, through a fused LSTM path tested equal to the readable "
        "one (on these padded batches it saves only ~5-10% of a step: benchmarks/bench_lstm.py). Criteria fixed in "
        "experiment.py before the run.",
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
                        "steps": 1500,
                        "batch_size": 64,
                        "d_embed": 128,
                        "hidden": 256,
                        "layers": 2,
                        "dropout": 0.3,
                        "lr": 0.002,
                        "eval_every": 100,
                        "beam": 4,
                    },
                    budget_s=2400,
                    description="3 seeds × normal and reversed source, 1,500 steps each (about 6.5 epochs of ~14.9k pairs of at most 12 words), 2 layers of 256 cells, BPE vocabulary of 1,000",
                    threads=2,
                ),
            },
        ),
    ),
)
