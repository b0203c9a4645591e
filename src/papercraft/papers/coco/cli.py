"""``papercraft coco``: score detections with the COCO protocol, and write COCO-shapes data sets.

    papercraft coco eval GT.json DETECTIONS.json [--iou-type bbox|segm] [--json PATH]
    papercraft coco make-shapes OUT_DIR [--images N] [--size PX] [--seed S]

``eval`` prints exactly the 12 lines of pycocotools' ``COCOeval.summarize()`` and nothing else;
``--json PATH`` also writes ``{"stats": [12 floats]}`` at full precision (``COCOeval.stats`` order,
-1 where pycocotools gives -1). A malformed file is an error naming the field and its index
(exit 1); a missing file or a bad option is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from papercraft.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``coco`` with its ``eval`` and ``make-shapes`` sub-subcommands."""
    parser = subparsers.add_parser("coco", help="COCO evaluation (AP, AR) and COCO-shapes data",
                                   description=__doc__.split("\n\n")[0])
    parser.set_defaults(func=main)
    sub = parser.add_subparsers(dest="coco_command", metavar="{eval,make-shapes}")
    sub.required = True

    ev = sub.add_parser("eval", help="score detections against a COCO ground truth (pycocotools' 12 numbers)")
    ev.add_argument("gt", type=Path, metavar="GT.json", help="COCO instances file (images, annotations, categories)")
    ev.add_argument("detections", type=Path, metavar="DETECTIONS.json",
                    help="results list: image_id, category_id, score and bbox and/or segmentation")
    ev.add_argument("--iou-type", choices=["bbox", "segm"], default="bbox", help="box or mask IoU (default bbox)")
    ev.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write {\"stats\": [12 floats]} here")

    mk = sub.add_parser("make-shapes", help="write a seeded COCO-shapes set: instances.json and images/")
    mk.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    mk.add_argument("--images", type=int, default=100, metavar="N", help="number of images (default 100)")
    mk.add_argument("--size", type=int, default=128, metavar="PX", help="image side in pixels (default 128)")
    mk.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    return parser


def main(args: argparse.Namespace) -> int:
    """Run ``papercraft coco ...``; returns the exit status. Errors are PapercraftErrors."""
    if args.coco_command == "eval":
        return _eval(args)
    return _make_shapes(args)


def _eval(args: argparse.Namespace) -> int:
    from papercraft.io import write_atomic
    from papercraft.papers.coco.evaluation import stats_from_files

    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {str(args.json)!r} is a directory; give a file path")
    result = stats_from_files(args.gt, args.detections, args.iou_type)
    sys.stdout.write("\n".join(result.summary_lines()) + "\n")
    if args.json is not None:
        write_atomic(args.json, json.dumps({"stats": [float(s) for s in result.stats]}) + "\n")
    return 0


def _make_shapes(args: argparse.Namespace) -> int:
    from papercraft.papers.coco.shapes import make_shapes

    if args.images < 1:
        raise UsageError(f"--images expects a positive number of images, got {args.images}")
    if args.size < 16:
        raise UsageError(f"--size expects at least 16 pixels, got {args.size}")
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise UsageError(f"OUT_DIR {str(args.out_dir)!r} exists and is not a directory")
    dataset = make_shapes(args.images, size=args.size, seed=args.seed)
    path = dataset.write(args.out_dir)
    anns = dataset.coco["annotations"]
    crowd = sum(a["iscrowd"] for a in anns)
    print(f"wrote {path} ({len(dataset)} images of {args.size} px, {len(anns)} annotations, {crowd} crowd) "
          f"and {args.out_dir / 'images'}/")
    return 0
