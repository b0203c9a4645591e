"""Test beds that several entries' experiments share, built once here (paper-agnostic).

- :mod:`.images`: image preparation (balanced subsets, padding to 32 px, standardization);
- :mod:`.fashion_mlp`: the Fashion-MNIST subset and MLP the optimizer experiments train;
- :mod:`.translation`: the German-English pairs as padded tensors, vocabularies, BLEU;

Infrastructure imports no paper: a test bed that needs a paper's code (a tokenizer, a model)
takes it as an argument.
"""
