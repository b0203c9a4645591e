"""The ``bpe`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Command, Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="bpe",
    title="GPT-2 byte-level BPE",
    authors="Radford, Wu, Child, Luan, Amodei, Sutskever; Sennrich, Haddow, Birch",
    year=2019,
    claim="Byte-level BPE encodes any text with no unknown tokens, and its compression improves with vocabulary size.",
    paper_numbers=(PaperNumber("GPT-2 vocabulary size", "50,257", "GPT-2 §2.2"),),
    implements=(
        "GPT-2's byte↔unicode table and pre-tokenization pattern (and the cl100k pattern)",
        "rank-based BPE encoder with a pre-token cache (heap merge for long pieces)",
        "decoding with invalid UTF-8 replaced, special tokens (rejected unless allowed)",
        "BPE trainer with incremental pair counts and a lazy max-heap; its merges equal HF tokenizers' byte-level trainer's merge for merge (both break count ties by the smaller pair of ids, bytes in GPT-2's order), so there is no tie-break difference to explain",
        "tiktoken rank files and vocab.json/merges.txt, both ways, with clear errors on corrupt files",
        "GPT-2's real vocabulary (`papercraft data get gpt2-bpe`)",
        "`papercraft bpe train|encode|decode`",
    ),
    deviations=(
        "Pre-tokenization uses the `regex` package's Unicode tables (Unicode 17), not tiktoken's older Rust tables, so code points assigned as letters/numbers in newer Unicode versions can be split differently from tiktoken (`benchmarks/bench_bpe.py --sweep` counts them).",
    ),
    headline=Headline(
        "bytes_per_token_at_largest",
        "bytes per token at the largest vocabulary",
        unit="bytes",
        scale=1,
        digits=3,
    ),
    commands=(
        Command(
            "bpe", "papercraft.papers.bpe.cli", "byte-level BPE tokenizer: train a vocabulary, encode, decode"
        ),
    ),
    experiments=(
        Experiment(
            name="compression",
            description="bytes per token on held-out Austen / German / a code-point sample vs vocabulary size, papercraft-trained vocabularies and GPT-2's",
            target="papercraft.papers.bpe.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "train_chars": 300000,
                        "held_out_chars": 100000,
                        "vocab_sizes": [256, 512, 1024, 2048],
                    },
                    budget_s=30,
                    description="300k characters, vocabularies up to 2,048",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "train_chars": 4000000,
                        "held_out_chars": 500000,
                        "vocab_sizes": [256, 512, 1024, 2048, 4096, 8192, 16384],
                    },
                    budget_s=120,
                    description="five novels (3.6M characters), vocabularies up to 16,384",
                    threads=1,
                ),
            },
        ),
    ),
)
