"""Test beds that several entries' experiments share, built once here (paper-agnostic).

- :mod:`.images`: image preparation (balanced subsets, padding to 32 px, standardization);
- :mod:`.fashion_mlp`: the Fashion-MNIST subset and MLP the optimizer experiments train;
- :mod:`.translation`: the German-English pairs as padded tensors, vocabularies, BLEU, equal-step
  training of any translation model with counted FLOPs;
- :mod:`.language_model`: training and evaluating any causal language model on token windows;
- :mod:`.acceptability`: held-out sentences against corrupted copies (adjacent words swapped), a
  labelled task where knowledge of the language helps (for the gpt and bert experiments);

Infrastructure imports no paper: a test bed that needs a paper's code (a tokenizer, a model)
takes it as an argument.
"""
