"""roberta — Liu et al. 2019: RoBERTa, BERT's encoder with a better pre-training recipe.

- :mod:`.model`: :class:`RobertaConfig`, :class:`RobertaModel`, :class:`RobertaForMaskedLM`,
  :class:`RobertaForSequenceClassification` from BERT's blocks, with fairseq's padding-offset positions;
- :mod:`.pretrained`: ``from_pretrained(dir)`` for transformers' ``save_pretrained`` directories;
- :mod:`.masking`: static vs dynamic masking (§4.1) as training batches, and BERT's segment pairs;
- :mod:`.packing`: FULL-SENTENCES packing (§4.2) and SEGMENT-PAIR inputs with NSP labels;
- :mod:`.vocabulary`: a byte-level BPE vocabulary (the bpe entry) with RoBERTa's specials (§4.4);
- :mod:`.experiment`: the ablations of Tables 1-2 at toy scale.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'RobertaConfig': 'model',
    'RobertaEmbeddings': 'model',
    'RobertaModel': 'model',
    'RobertaForMaskedLM': 'model',
    'RobertaClassificationHead': 'model',
    'RobertaForSequenceClassification': 'model',
    'create_position_ids': 'model',
    'chosen_positions_loss': 'model',
    'RobertaCheckpointError': 'pretrained',
    'from_pretrained': 'pretrained',
    'load_state_dict_hf': 'pretrained',
    'config_from_hf': 'pretrained',
    'StaticMasking': 'masking',
    'DynamicMasking': 'masking',
    'MaskedBatches': 'masking',
    'SegmentPairBatches': 'masking',
    'full_sentences': 'packing',
    'segment_pairs': 'packing',
    'RobertaVocabulary': 'vocabulary',
    'train_roberta_vocabulary': 'vocabulary',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
