"""The ``segmentation`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

# Three of the generator's five categories: see the deviations.
_CATEGORIES = ["circle", "square", "digit"]

ENTRY = Entry(
    id="segmentation",
    title="Segmentation: Fully Convolutional Networks and U-Net",
    authors="Long, Shelhamer, Darrell; Ronneberger, Fischer, Brox",
    year=2015,
    arxiv="1411.4038",
    claim="Skip connections (FCN-8s, U-Net) beat FCN-32s on mean IoU and especially at boundaries.",
    paper_numbers=(
        PaperNumber("PASCAL VOC 2011 val mean IU, FCN-32s → FCN-16s → FCN-8s", "59.4 → 62.4 → 62.7", "FCN Table 2"),
        PaperNumber("PASCAL VOC 2011 val pixel accuracy, FCN-32s → FCN-8s", "89.1% → 90.3%", "FCN Table 2"),
        PaperNumber("U-Net mean IoU on PhC-U373 / DIC-HeLa cell tracking", "92.0% / 77.6%", "U-Net Table 2"),
    ),
    implements=(
        "FCN-32s, FCN-16s, FCN-8s (fcn.py): one VGG-style backbone of five conv stages with ceil-mode pooling (§4.1), "
        "the classifier convolutionalized into 1×1 fc6/fc7 and score_fr (§3.1), zero-initialized score layers on pool4 "
        "and pool3 (§4.2), summation fusion, and crop/alignment of every upsampled map",
        "upsampling as a transposed convolution initialized to bilinear interpolation (§3.3): learned for the 2× steps, "
        "fixed for the final one (§4.2); at initialization it equals F.interpolate(mode='bilinear', "
        "align_corners=False) exactly, borders included",
        "U-Net (unet.py): contracting path of double 3×3 convolutions and 2×2 max pooling doubling the channels, "
        "expanding path of 2×2 up-convolutions halving them with skip concatenation, 1×1 head (§2, Fig. 1); the "
        "tile-size constraint (H, W multiples of 2^depth) enforced with a ValueError",
        "metrics.py: confusion matrix, mean IoU over the classes present (non-empty union), pixel accuracy (FCN §5), "
        "and the boundary F-score of Csurka et al. 2013 (per image and class, Euclidean tolerance in pixels)",
        "experiment.py: FCN-32s/16s/8s and U-Net with one recipe on the coco entry's generated shapes, "
        "several seeds, paired bootstrap intervals over test images; mask, score and learning-curve plots",
        "verification without an oracle: no allowed reference implements FCN-8s or U-Net (torchvision's fcn_resnet50 "
        "has a dilated ResNet backbone and no skips), so the tests check the bilinear initialization exactly against "
        "F.interpolate, FCN-8s at initialization against chained bilinear upsampling (alignment of every crop), the "
        "metrics against hand-computed cases and a brute-force boundary F, and the quick run against a recomputation "
        "from its checkpoints",
    ),
    deviations=(
        "no ImageNet pre-training and no PASCAL VOC (neither is available here): every network is trained from "
        "scratch on the coco entry's generated shapes (semantic masks) at 64 px, so the stride-32 map has 2×2 cells "
        "(VOC's ~500 px images give about 16×12)",
        "three of the generator's five categories (circle, square, digit; 4 classes with background): triangles and "
        "stars differ from squares only by their outlines, which made recognizing the category, not localizing it, "
        "the bottleneck of small nets trained from scratch within the budget (in design runs U-Net still confused the "
        "four solid shapes uniformly after 4,000 steps while fitting their masks); the claim is about localization",
        "a small VGG-style backbone (stage widths 16/32/48/64/96 with 1, 1, 2, 2, 2 convolutions instead of VGG-16's "
        "64-512 with 2, 2, 3, 3, 3) with BatchNorm after every convolution, as training from scratch needs it; fc6 "
        "and fc7 are 1×1 convolutions of width 128 without dropout (VGG-16: 7×7 and 1×1 of width 4096, dropout 0.5); "
        "U-Net (first-level width 8, four poolings; the paper's is 64) also gets BatchNorm",
        "no 100-pixel padding of the first convolution: 'same' 3×3 convolutions and ceil-mode pooling keep every "
        "stride-s map aligned with the image, so each crop has offset 0; the transposed convolutions replicate-pad "
        "their input by one cell (Caffe's FCN pads with zeros and crops the border away)",
        "FCN-16s and FCN-8s are trained all at once, not stage-wise from FCN-32s (§4.2), with AdamW and a cosine "
        "schedule instead of SGD with momentum, and the same budget in steps for every model",
        "U-Net's convolutions are padded (the paper's are unpadded and crop the skip maps), and neither its "
        "border-weighted loss (eq. 2, for separating touching cells) nor its elastic deformations are used: all "
        "models train with the plain per-pixel cross-entropy on the same batches",
        "'especially at boundaries' is measured as the boundary F gain over FCN-32s exceeding the mean IoU gain, "
        "both in absolute points; BF uses a tolerance of 1 px (Csurka et al. suggest 0.75% of the diagonal, 0.7 px "
        "at 64 px)",
    ),
    headline=Headline("fcn8s_miou_gain", "mean IoU, FCN-8s minus FCN-32s", unit="points", scale=100, digits=3),
    builds_on=("cnn-case-study",),
    tools=("coco",),
    experiments=(
        Experiment(
            name="skips",
            description="FCN-32s, FCN-8s and U-Net (FCN-16s optional) trained alike on generated shapes (64 px, 4 classes); "
                        "held-out mean IoU and boundary F, gains over FCN-32s with bootstrap intervals, seeds paired.",
            target="papercraft.papers.segmentation.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "models": ["fcn32s", "fcn8s", "unet"],
                        "categories": _CATEGORIES,
                        "size": 64,
                        "max_objects": 4,
                        "n_train": 96,
                        "n_test": 48,
                        "data_seed": 0,
                        "seeds": 1,
                        "steps": 30,
                        "batch_size": 8,
                        "lr": 0.001,
                        "weight_decay": 0.0001,
                        "warmup_steps": 3,
                        "fcn_convs": [1, 1, 1, 1, 1],
                        "fcn_widths": [8, 12, 16, 24, 32],
                        "fc_width": 32,
                        "dropout": 0.0,
                        "unet_width": 4,
                        "unet_depth": 4,
                        "boundary_tolerance": 1.0,
                        "test_points": 2,
                        "bootstrap_samples": 200,
                        "chance_margin": 0.05,
                        "plot_images": 3,
                    },
                    budget_s=30,
                    description="three models, one seed, 30 steps on 96 images",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        # FCN-16s is left out to fit 2,000 steps in the budget (add it with --set models=...).
                        "models": ["fcn32s", "fcn8s", "unet"],
                        "categories": _CATEGORIES,
                        "size": 64,
                        "max_objects": 4,
                        "n_train": 3000,
                        "n_test": 300,
                        "data_seed": 0,
                        "seeds": 2,
                        "steps": 2000,
                        "batch_size": 16,
                        "lr": 0.001,
                        "weight_decay": 0.0001,
                        "warmup_steps": 100,
                        "fcn_convs": [1, 1, 2, 2, 2],
                        "fcn_widths": [16, 32, 48, 64, 96],
                        "fc_width": 128,
                        "dropout": 0.0,
                        "unet_width": 8,
                        "unet_depth": 4,
                        "boundary_tolerance": 1.0,
                        "test_points": 5,
                        "bootstrap_samples": 1000,
                        "chance_margin": 0.05,
                        "plot_images": 5,
                    },
                    budget_s=1200,
                    description="FCN-32s, FCN-8s and U-Net, two seeds, 2,000 steps of batch 16 each",
                    threads=1,
                ),
            },
        ),
    ),
)
