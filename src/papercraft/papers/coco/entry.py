"""The ``coco`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Command, Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="coco",
    title="Microsoft COCO: Common Objects in Context",
    authors="Lin et al.",
    year=2014,
    arxiv="1405.0312",
    claim="The COCO evaluation protocol (AP averaged over IoU .5:.95, by object size, and AR) scores detections and masks.",
    paper_numbers=(
        PaperNumber("IoU thresholds", ".50:.05:.95", "detection eval"),
        PaperNumber("recall points of the interpolated precision", "101 (0:.01:1)", "detection eval"),
        PaperNumber("object size ranges (area in pixels)", "small < 32², medium 32²–96², large > 96²", "detection eval"),
        PaperNumber("detections per image for AR", "1, 10, 100", "detection eval"),
    ),
    implements=(
        "a reader for COCO annotation and result files (images, categories, boxes, polygons, compressed and "
        "uncompressed RLE, crowd flags) that names the field and index of anything malformed",
        "COCO's run-length encoding: encode, decode, area, box, union, IoU with crowd semantics, the compressed "
        "string code, and polygon rasterization operation for operation as pycocotools' rleFrPoly",
        "the evaluation protocol for bbox and segm: per-image greedy matching at 10 IoU thresholds, crowd "
        "regions, area ranges, maxDets 1/10/100, 101-point interpolated precision, the 12 summary numbers; a "
        "readable version and an array version tested to agree bit for bit",
        "loadRes semantics: a file is box-style or mask-style by its first detection; a box-style detection's "
        "area is its box's even when it carries a mask",
        "COCO-shapes: a seeded generator of COCO-format data (circles, squares, triangles, stars, MNIST digits on "
        "textured backgrounds) with visible-extent polygons, occlusion, all three size ranges and crowd regions",
        "`papercraft coco eval` (the 12 lines of pycocotools' summarize) and `papercraft coco make-shapes`",
    ),
    deviations=(
        "no real COCO (none is available offline): the protocol is exercised on generated COCO-shapes data",
        "the detections are seeded synthetic ones (jittered true boxes and masks, duplicates, class confusions, "
        "false positives at several noise levels), not a trained detector's: the localization entry's detector "
        "is scored by this protocol on its own page",
        "a detection of a category the ground truth does not list is an error; pycocotools silently ignores it",
        "an empty detection list scores as no detections; pycocotools' loadRes raises an IndexError on it",
        "the verdict's criteria are internal (two implementations agree bit for bit, protocol identities, perfect "
        "detections score 1): the library may not import pycocotools, so parity with it is checked by the tests, "
        "which re-score the ground truth and detections files this experiment writes",
    ),
    headline=Headline("max_fast_vs_reference_difference", "largest difference between the two evaluators",
                      digits=3),
    commands=(Command("coco", "papercraft.papers.coco.cli", "COCO evaluation (AP/AR) and COCO-shapes data"),),
    experiments=(
        Experiment(
            name="protocol",
            description="COCO-shapes with synthetic detections at several noise levels, scored for boxes and "
                        "masks by both evaluators: agreement, protocol identities, AP against IoU threshold "
                        "and object size, precision-recall curves.",
            target="papercraft.papers.coco.experiment:run",
            presets={
                "quick": Preset(
                    params={"n_images": 40, "size": 128, "jitters": [0.03, 0.1, 0.25], "per_image": 0,
                            "reference_images": 40},
                    budget_s=30,
                    description="40 images of 128 px, 3 noise levels",
                ),
                "full": Preset(
                    params={"n_images": 2000, "size": 256, "jitters": [0.02, 0.05, 0.1, 0.2, 0.35], "per_image": 0,
                            "reference_images": 2000},
                    budget_s=300,
                    description="2,000 images of 256 px, 5 noise levels, both evaluators on every image",
                ),
            },
        ),
    ),
)
