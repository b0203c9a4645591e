"""The ``vae`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="vae",
    title="Auto-Encoding Variational Bayes",
    authors="Kingma & Welling",
    year=2013,
    arxiv="1312.6114",
    claim="The reparameterized ELBO trains a latent-variable model whose bound improves with latent size.",
    paper_numbers=(PaperNumber("MNIST ELBO vs latent size", "improves from 2 to 20 latents", "Fig. 2"),),
)
