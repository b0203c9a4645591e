"""The ``multimodality`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry

ENTRY = Entry(
    id="multimodality",
    title="Multimodality: how CLIP, Fuyu, Whisper and latent diffusion fuse modalities",
    authors="papercraft",
    year=2023,
    claim="Comparing how the multimodal entries fuse modalities: contrastive embedding, token-stream patches, encoder-decoder cross-attention, conditioned denoising.",
    builds_on=("clip-resnet", "fuyu", "whisper", "stable-diffusion"),
)
