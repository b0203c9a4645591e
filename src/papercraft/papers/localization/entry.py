"""The ``localization`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

_QUICK = {
    "data_seed": 1,
    "image_size": 64,
    "n_train": 96,
    "n_test": 32,
    "steps": 25,
    "batch_size": 8,
    "lr": 0.003,
    "detector_widths": [8, 12, 16, 24],
    "detector_depths": [1, 1, 1, 1],
    "detector_neck": 16,
    "window_widths": [8, 12, 16],
    "window_batch_size": 64,
    "window_positives_per_object": 2,
    "window_negatives_per_image": 4,
    "window_sizes": [16, 24, 32, 48],
    "max_detections": 100,
    "groups": 4,
    "single_size": 32,
    "single_train": 192,
    "single_test": 64,
    "single_steps": 25,
    "single_batch_size": 32,
    "plot_images": 3,
}

_FULL = {
    **_QUICK,
    "image_size": 128,
    "n_train": 2000,
    "n_test": 400,
    "steps": 2500,
    "batch_size": 16,
    "detector_widths": [16, 32, 64, 128],
    "detector_depths": [1, 1, 2, 2],
    "detector_neck": 32,
    "window_widths": [16, 32, 64],
    "window_batch_size": 384,
    "window_positives_per_object": 3,
    "window_negatives_per_image": 12,
    "window_sizes": [16, 24, 32, 48, 64, 96],
    "groups": 10,
    "single_size": 64,
    "single_train": 6000,
    "single_test": 500,
    "single_steps": 1500,
    "single_batch_size": 64,
    "plot_images": 4,
}

ENTRY = Entry(
    id="localization",
    title="Detection and Localization (cs231n)",
    authors="cs231n",
    year=2016,
    claim="A small one-stage detector with non-maximum suppression scores far above a sliding-window baseline on the shapes set.",
    paper_numbers=(PaperNumber("detector vs sliding window", "far higher AP", "lecture"),),
    implements=(
        "box IoU, generalized IoU (Rezatofighi et al. 2019) and the GIoU / IoU losses, xyxy ↔ COCO xywh",
        "greedy non-maximum suppression: a readable one-box-at-a-time reference and a vectorized block-wise "
        "Cluster-NMS fixed-point version (same result, ties broken by index), and per-class (batched) NMS",
        "single-object localization: a ResNet-block CNN with a class head and a box head trained with "
        "cross-entropy + GIoU + L1 (OverFeat-style two heads)",
        "a small one-stage, centre-based detector: CenterNet (Zhou et al. 2019) with Gaussian heatmaps, the "
        "penalty-reduced focal loss, size and offset regression at stride 4, peak decoding, then NMS",
        "a sliding-window baseline: a fully convolutional window classifier (OverFeat §3.5) at six window sizes "
        "on a dense grid, then per-class NMS",
        "detect(model, images, image_ids, category_ids): COCO-format detections for the coco entry's evaluation",
    ),
    deviations=(
        "COCO-shapes (the coco entry's seeded generator: shapes and MNIST digits on textures, 128 px) instead of "
        "PASCAL VOC / COCO photographs",
        "CenterNet's DLA / hourglass backbones are replaced by six ResNet basic blocks (strides 2-16) and an "
        "FPN-style top-down path back to stride 4 (~0.6 M parameters), with 32-channel heads",
        "horizontal flips are the only augmentation (the paper also uses random scaling, cropping and colour jitter)",
        "NMS (IoU 0.5, per class) runs after CenterNet's max-pool peak extraction, which the paper uses instead of NMS",
        "the sliding-window baseline reports square windows as boxes (no box regression, one aspect ratio), as in "
        "the lecture's naive sliding window; it gets the same images and optimizer steps, a batch of windows "
        "chosen so its counted training FLOPs are of the same order as the detector's",
        "the interval of the difference is a Student-t interval over disjoint groups of test images, each scored "
        "by the full COCO protocol (a bootstrap over images would re-run the evaluation a thousand times)",
    ),
    headline=Headline("detector_AP50", "detector AP50 on held-out COCO-shapes images", digits=3),
    experiments=(
        Experiment(
            name="detection",
            description="CenterNet vs a sliding-window classifier on COCO-shapes, scored with the coco entry's "
                        "evaluation (AP, AP50 with intervals over groups of test images); single-object localization.",
            target="papercraft.papers.localization.experiment:run",
            presets={
                "quick": Preset(params=_QUICK, budget_s=30, description="64 px, 96 images, 25 steps per model",
                                threads=1),
                "full": Preset(params=_FULL, budget_s=1000,
                               description="128 px, 2000 training and 400 test images, 2500 steps per detection arm",
                               threads=2),
            },
        ),
    ),
    builds_on=("coco", "resnet"),
)
