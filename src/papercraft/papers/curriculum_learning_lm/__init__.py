"""curriculum-learning-lm — Campos 2021, curriculum learning for language modeling, with the
competence-based curriculum of Platanios et al. 2019.

- :mod:`.difficulty`: difficulty scorers (sequence length, unigram/bigram/trigram surprise, random)
  and the difficulty CDF;
- :mod:`.curriculum`: the competence schedules (square root, linear) and :class:`CompetenceBatches`,
  a sampler that draws each batch from the examples within the current competence;
- :mod:`.experiment`: no curriculum vs random difficulty vs difficulty curricula for a small GPT on
  Austen sentences, judged with a margin on the validation-perplexity difference.
"""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'SCORERS': 'difficulty',
    'score_difficulty': 'difficulty',
    'difficulty_cdf': 'difficulty',
    'ngram_counts': 'difficulty',
    'ngram_surprise': 'difficulty',
    'ngrams': 'difficulty',
    'random_difficulty': 'difficulty',
    'sequence_length': 'difficulty',
    'SCHEDULES': 'curriculum',
    'CompetenceBatches': 'curriculum',
    'competence': 'curriculum',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['sequence_length', 'ngrams', 'ngram_counts', 'ngram_surprise', 'random_difficulty', 'SCORERS',
           'score_difficulty', 'difficulty_cdf', 'competence', 'SCHEDULES', 'CompetenceBatches']
