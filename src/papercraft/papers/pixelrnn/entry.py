"""The ``pixelrnn`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="pixelrnn",
    title="Pixel Recurrent Neural Networks",
    authors="van den Oord, Kalchbrenner, Kavukcuoglu",
    year=2016,
    arxiv="1601.06759",
    claim="Autoregressive pixel models (PixelCNN, Row LSTM) reach far lower NLL than independent-pixel models.",
    paper_numbers=(PaperNumber("binarized MNIST NLL, PixelCNN", "81.30 nats", "Table 4"),),
)
