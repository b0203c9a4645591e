"""The ``stable-diffusion`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, PaperNumber

ENTRY = Entry(
    id="stable-diffusion",
    title="High-Resolution Image Synthesis with Latent Diffusion Models",
    authors="Rombach, Blattmann, Lorenz, Esser, Ommer",
    year=2022,
    arxiv="2112.10752",
    claim="Diffusion in an autoencoder's latent space with cross-attention conditioning generates images of the prompted class; guidance trades diversity for accuracy.",
    paper_numbers=(PaperNumber("FID, LDM-4 text-to-image (MS-COCO)", "12.63", "Table 2"),),
    builds_on=("vae", "transformer"),
)
