"""The ``bert`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Command, Entry, Experiment, Headline, PaperNumber, Preset

# The pre-training + fine-tuning experiment's parameters. The word-similarity experiment reuses the
# model this experiment pre-trains (or pre-trains the same one itself, with these parameters).
_PRETRAINING_QUICK = {
    "vocab_size": 320,
    "heldout": "Persuasion",
    "max_chars": 20000,
    "context": 32,
    "layers": 1,
    "hidden": 32,
    "heads": 2,
    "intermediate": 64,
    "pretrain_dropout": 0.0,
    "dropout": 0.1,
    "mask_probability": 0.15,
    "pretrain_steps": 200,
    "pretrain_batch_size": 16,
    "pretrain_lr": 0.003,
    "eval_every": 100,
    "eval_windows": 32,
    "min_words": 4,
    "max_words": 20,
    "max_sentences": 200,
    "test_fraction": 0.5,
    "dev_fraction": 0.25,
    "corruption": "shuffle",
    "ft_seeds": 3,
    "ft_steps": 100,
    "ft_batch_size": 16,
    "ft_lrs": [0.003, 0.01],
}

_PRETRAINING_FULL = {
    "vocab_size": 1024,
    "heldout": "Persuasion",
    "max_chars": 0,
    "context": 32,
    "layers": 2,
    "hidden": 128,
    "heads": 4,
    "intermediate": 512,
    "pretrain_dropout": 0.0,
    "dropout": 0.1,
    "mask_probability": 0.15,
    "pretrain_steps": 8000,
    "pretrain_batch_size": 32,
    "pretrain_lr": 0.001,
    "eval_every": 500,
    "eval_windows": 256,
    "min_words": 4,
    "max_words": 20,
    "max_sentences": 0,
    "test_fraction": 0.7,
    "dev_fraction": 0.25,
    "corruption": "shuffle",
    "ft_seeds": 5,
    "ft_steps": 400,
    "ft_batch_size": 32,
    "ft_lrs": [0.0001, 0.0003, 0.001],
}

ENTRY = Entry(
    id="bert",
    title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    authors="Devlin, Chang, Lee, Toutanova",
    year=2018,
    arxiv="1810.04805",
    claim="Masked-language-model pre-training of a bidirectional encoder, then fine-tuning, beats training the same model from scratch on downstream tasks.",
    paper_numbers=(
        PaperNumber("GLUE average, BERT-base", "79.6", "Table 1"),
        PaperNumber("CoLA (acceptability) Matthews corr., BERT-base", "52.1", "Table 1"),
    ),
    implements=(
        "post-LN BERT encoder (§3): token + learned position + segment embeddings with LayerNorm, exact-GELU feed-forward, pooler tanh(W h_[CLS]); module names mirror Hugging Face's so state dicts map 1:1",
        "masked-LM head tied to the word embeddings (plus an output bias) and next-sentence head on the pooled output: BertForPreTraining (MLM + NSP loss), BertForMaskedLM, BertForSequenceClassification",
        "attention through the fused F.scaled_dot_product_attention kernel, checked against the transformer entry's written-out eq. (1)",
        "80/10/10 masking of 15 % of the non-special positions (§3.1, Appendix A.1) and NSP sentence pairs (50 % IsNext, 50 % a random sentence of another document)",
        "from_pretrained(dir) of Hugging-Face save_pretrained directories (config.json + model.safetensors or pytorch_model.bin) into BertModel / BertForPreTraining / BertForMaskedLM / BertForSequenceClassification; missing or unexpected keys, wrong shapes and unsupported options are errors naming them",
        "sentence embeddings the sentence-transformers way (mean pooling over the attention mask, L2 normalization, truncation to max_seq_length, read from modules.json, 1_Pooling/config.json and sentence_bert_config.json) with the real all-MiniLM-L6-v2 weights (papercraft data get minilm)",
        "a WordPiece tokenizer: BERT's basic tokenizer (cleaning, CJK splitting, lower-casing and accent stripping per the vocabulary's config, punctuation splitting) then greedy longest-match-first word pieces with [UNK]; special tokens, segment pairs, padded batches, decoding",
        "`papercraft bert tokenize|embed|similarity` (JSON lines in, JSON lines out)",
        "the pre-training + fine-tuning experiment: a small BERT pre-trained with MLM only (80/10/10 masking, fresh masks every batch) on five Austen novels with a byte-level BPE vocabulary, then fine-tuned as a [CLS]/pooler classifier on an acceptability task (held-out-novel sentences vs word-shuffled copies) against the same architecture fine-tuned from random initialization with the same steps, labels and seeds, each arm's learning rate chosen on a development split (BERT §4.1)",
        "word-similarity evaluation (`bert.similarity`): cosine of mean-pooled word embeddings, random per-word vectors, character-trigram Jaccard similarity; Spearman against human scores with bootstrap intervals over word pairs and a paired bootstrap of the margin over the best baseline",
    ),
    deviations=(
        "Toy pre-training: a 2-layer, width-128 BERT (0.4M non-embedding parameters) on five Jane Austen novels (1.2M BPE tokens, about 7 epochs) instead of BERT-base on BooksCorpus + Wikipedia (3.3B words, 40 epochs); 32-token windows instead of 512.",
        "A 1,024-token byte-level BPE vocabulary trained on the pre-training novels (the bpe entry's trainer, as the gpt entry uses) instead of a 30,000-token WordPiece vocabulary; [PAD], [CLS], [SEP] and [MASK] are appended after the BPE ids.",
        "MLM only, no next-sentence prediction: the pre-training inputs are [CLS] + contiguous text + [SEP] (RoBERTa's packing; its ablation found NSP unnecessary) and the downstream task is single-sentence. The pooler is therefore not pre-trained; fine-tuning trains it in both arms.",
        "Masks are drawn afresh for every batch (dynamic, as RoBERTa) from a seeded generator, instead of BERT's ten static copies of the data.",
        "No dropout during pre-training (BERT: 0.1): the toy model under-fits, and dropout only slows it; fine-tuning keeps BERT's 0.1.",
        "The downstream task stands in for CoLA: sentences of the held-out novel (Persuasion), each paired with a copy whose words are shuffled (papercraft.testbeds.acceptability), split by sentence into a fine-tuning set of a few hundred sentences and a test set. Shuffling rather than swapping two adjacent words, because with a single swap the from-scratch baseline stayed at chance.",
        "Both arms are fine-tuned for the same steps with the same schedule (10% warm-up, cosine to 0) and seeds; each arm's peak learning rate is chosen from a 3-value grid on a development split of the fine-tuning set with the first seed (BERT §4.1 chooses among 4 rates on Dev).",
        "Masked positions are drawn independently with probability 0.15 (as Hugging Face's collator does); the original create_pretraining_data.py picks exactly round(0.15 n) positions per sequence. NSP pairs are trimmed from the end, not from a random side.",
        "WordPiece character classes come from Python's unicodedata (Unicode 14.0); Hugging Face's Rust tokenizer uses other Unicode tables, so 559 code points tokenize differently (pinned in the tests). Unassigned code points are kept, as Hugging Face's tokenizer does; BERT's original Python tokenizer drops them.",
        "Word similarity embeds each word alone as a one-word sentence (mean pooling over [CLS] word-pieces [SEP]), so no pair is dropped: a word outside a vocabulary is split into word pieces (or BPE tokens) rather than skipped.",
    ),
    headline=Headline(
        "finetune_gain", "acceptability accuracy gain from MLM pre-training", unit="points", scale=100, digits=3
    ),
    builds_on=("transformer",),
    tools=("bpe", "gpt"),
    commands=(
        Command("bert", "papercraft.papers.bert.cli", "tokenize, embed and compare sentences with BERT / MiniLM"),
    ),
    experiments=(
        Experiment(
            name="pretraining",
            description="MLM pre-training on Austen, then fine-tuning on held-out-novel acceptability, vs the same model fine-tuned from scratch (>= 3 seeds)",
            target="papercraft.papers.bert.experiment:run_pretraining",
            presets={
                "quick": Preset(
                    params=_PRETRAINING_QUICK,
                    budget_s=30,
                    description="a smoke test: a 1-layer width-32 BERT, 200 pre-training steps on a corpus slice, 2 x 2 learning-rate trials and 3 x 2 fine-tunings of 100 steps",
                    threads=1,
                ),
                "full": Preset(
                    params=_PRETRAINING_FULL,
                    budget_s=720,
                    description="2-layer width-128 BERT, 8,000 MLM steps of 32 x 32 tokens (about 7 epochs); 3 x 2 learning-rate trials and 5 seeds x 2 arms x 400 fine-tuning steps",
                    threads=1,
                ),
            },
        ),
        Experiment(
            name="word_similarity",
            description="real weights: MiniLM word embeddings vs human similarity scores (WordSim-353, SimLex-999), Spearman, beside random, character-trigram and Austen-BERT baselines",
            target="papercraft.papers.bert.experiment:run_word_similarity",
            presets={
                "quick": Preset(
                    params={"datasets": ["wordsim353", "simlex999"], "max_pairs": 80, "bootstrap": 200,
                            "random_dim": 384, "ngram": 3, "austen_bert": True},
                    budget_s=30,
                    description="80 pairs of each set, 200 bootstrap resamples, the quick Austen BERT",
                    threads=1,
                ),
                "full": Preset(
                    params={"datasets": ["wordsim353", "simlex999"], "max_pairs": 0, "bootstrap": 2000,
                            "random_dim": 384, "ngram": 3, "austen_bert": True},
                    budget_s=60,
                    description="all 353 + 999 pairs, 2,000 paired bootstrap resamples; reuses the pretraining experiment's model of the same run (run alone, it pre-trains that model first: ~7 more minutes)",
                    threads=1,
                ),
            },
        ),
    ),
)
