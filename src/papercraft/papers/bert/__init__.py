"""bert — Devlin et al. 2018, "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding".

- :mod:`.model`: the post-LN encoder with segment embeddings and the pooler, the tied masked-LM
  head, the NSP head, ``BertForPreTraining`` / ``BertForMaskedLM`` / ``BertForSequenceClassification``;
- :mod:`.masking`: 80/10/10 masking for the MLM objective, sentence pairs for NSP;
- :mod:`.pretrained`: ``from_pretrained(dir)`` for Hugging-Face-format checkpoints;
- :mod:`.wordpiece`: the WordPiece tokenizer (basic tokenizer + greedy longest-match-first);
- :mod:`.sentence`: sentence embeddings (mean pooling + L2 normalization) with real MiniLM weights;
- :mod:`.similarity`: word-similarity evaluation (Spearman against human judgments, with baselines).
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'IS_NEXT': 'masking',
    'NOT_NEXT': 'masking',
    'mask_tokens': 'masking',
    'nsp_pairs': 'masking',
    'BertConfig': 'model',
    'BertEmbeddings': 'model',
    'BertEncoder': 'model',
    'BertForMaskedLM': 'model',
    'BertForPreTraining': 'model',
    'BertForSequenceClassification': 'model',
    'BertLayer': 'model',
    'BertMLMHead': 'model',
    'BertModel': 'model',
    'BertOutput': 'model',
    'BertPooler': 'model',
    'IGNORE_INDEX': 'model',
    'init_bert_weights': 'model',
    'mlm_loss': 'model',
    'BertCheckpointError': 'pretrained',
    'from_pretrained': 'pretrained',
    'load_state_dict_hf': 'pretrained',
    'SentenceEncoder': 'sentence',
    'ngram_jaccard': 'similarity',
    'spearman_gain_interval': 'similarity',
    'spearman_interval': 'similarity',
    'WordPieceTokenizer': 'wordpiece',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
