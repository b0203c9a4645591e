"""The ``gan`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="gan",
    title="Generative Adversarial Networks (with DCGAN)",
    authors="Goodfellow et al.; Radford, Metz, Chintala",
    year=2014,
    arxiv="1406.2661",
    claim="A generator trained against a discriminator covers the modes of the data distribution and produces recognizable samples.",
    paper_numbers=(PaperNumber("MNIST Parzen log-likelihood", "225 ± 2", "Table 1"),),
)
