"""Benchmark: ``papercraft coco eval`` vs pycocotools on the same files, bbox and segm.

Data: a COCO-shapes set of 5,000 images of 256 px and 5 categories (``make_shapes``, seed 0) with
100 synthetic detections per image (``synthetic_detections``, noise 0.1: jittered true boxes and
masks, duplicates, false positives up to 100), every detection carrying a box and a compressed-RLE
mask, as detectors' result files do. The files are generated once into ``--data-dir``.

Timed region: in a fresh Python process per run, after the imports, from reading both JSON files to
the 12 stats (pycocotools: ``COCO(gt)``, ``loadRes``, ``evaluate``, ``accumulate``, ``summarize``
with its printing discarded; papercraft: ``stats_from_files``, what ``papercraft coco eval`` runs).
One thread each (``OMP_NUM_THREADS=1`` etc.; both are single-threaded Python and numpy code). The
two tools alternate run by run; the statistic is the **median over ``--runs`` runs** (default 10).

Goals (issue 11): identical stats; papercraft ≤ 1× pycocotools' time for bbox; for segm measured
and reported, goal ≤ 1.5×.

    python benchmarks/bench_coco.py [--small] [--runs 10] [--images 5000] [--data-dir DIR]

``--small`` is a quick check: 500 images, 3 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import contextlib, io, json, sys, time
tool, iou_type, gt_path, dt_path = sys.argv[1:5]
if tool == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        e = COCOeval(gt, dt, iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    stats = [float(s) for s in e.stats]
else:
    from papercraft.papers.coco.evaluation import stats_from_files
    t0 = time.perf_counter()
    stats = [float(s) for s in stats_from_files(gt_path, dt_path, iou_type).stats]
print(json.dumps({"seconds": time.perf_counter() - t0, "stats": stats}))
"""

SINGLE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def make_data(directory: Path, n_images: int, size: int, per_image: int) -> tuple[Path, Path]:
    from papercraft.papers.coco.shapes import make_shapes
    from papercraft.papers.coco.synthetic import synthetic_detections

    gt_path, dt_path = directory / "instances.json", directory / "detections.json"
    if gt_path.exists() and dt_path.exists():
        return gt_path, dt_path
    directory.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = make_shapes(n_images, size=size, seed=0, render=False)
    dets = synthetic_detections(data.coco, 1, jitter=0.1, per_image=per_image)
    tmp = dt_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dets))
    gt_tmp = gt_path.with_suffix(".tmp")
    gt_tmp.write_text(json.dumps(data.coco))
    gt_tmp.replace(gt_path)
    tmp.replace(dt_path)
    print(f"generated {n_images} images, {len(data.coco['annotations'])} annotations, {len(dets)} detections "
          f"in {time.perf_counter() - t0:.0f} s -> {directory}")
    return gt_path, dt_path


def timed_run(tool: str, iou_type: str, gt: Path, dt: Path) -> dict:
    env = {**os.environ, **SINGLE_THREAD}
    proc = subprocess.run([sys.executable, "-c", CHILD, tool, iou_type, str(gt), str(dt)], capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} {iou_type} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="quick check: 500 images, 3 runs")
    parser.add_argument("--images", type=int, default=None, help="images (default 5000; 500 with --small)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per tool and IoU type (default 10; 3 with --small)")
    parser.add_argument("--per-image", type=int, default=100, help="detections per image (default 100)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the generated files live (reused)")
    args = parser.parse_args()
    n_images = args.images or (500 if args.small else 5000)
    runs = args.runs or (3 if args.small else 10)
    directory = args.data_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "papercraft-bench" / f"coco-{n_images}x256-{args.per_image}"
    gt, dt = make_data(directory, n_images, 256, args.per_image)
    print(f"data: {n_images} images of 256 px, 5 categories, {args.per_image} detections per image "
          f"({dt.stat().st_size / 1e6:.0f} MB of detections); machine: {platform.machine()}, {os.cpu_count()} cores; "
          f"median of {runs} runs, fresh process each, one thread")
    goals = {"bbox": 1.0, "segm": 1.5}
    for iou_type in ("bbox", "segm"):
        times: dict[str, list[float]] = {"pycocotools": [], "papercraft": []}
        stats: dict[str, list[float]] = {}
        for _ in range(runs):
            for tool in ("pycocotools", "papercraft"):
                out = timed_run(tool, iou_type, gt, dt)
                times[tool].append(out["seconds"])
                if tool in stats and stats[tool] != out["stats"]:
                    raise SystemExit(f"{tool} gave different stats on a repeated run")
                stats[tool] = out["stats"]
        ref, ours = (statistics.median(times[t]) for t in ("pycocotools", "papercraft"))
        same = stats["pycocotools"] == stats["papercraft"]
        ratio = ours / ref
        goal = goals[iou_type]
        print(f"\n{iou_type}: pycocotools {ref:.2f} s, papercraft {ours:.2f} s (median of {runs}; "
              f"pycocotools runs {min(times['pycocotools']):.2f}-{max(times['pycocotools']):.2f} s, papercraft "
              f"{min(times['papercraft']):.2f}-{max(times['papercraft']):.2f} s)")
        print(f"  time ratio papercraft / pycocotools = {ratio:.2f}x   (goal <= {goal:g}x: {'met' if ratio <= goal else 'NOT met'})")
        print(f"  identical stats: {'yes' if same else 'NO'}   (goal: identical)")
        print(f"  AP {stats['papercraft'][0]:.4f}  AP50 {stats['papercraft'][1]:.4f}  AR100 {stats['papercraft'][8]:.4f}")
        if not same:
            print(f"  pycocotools: {stats['pycocotools']}\n  papercraft:  {stats['papercraft']}")


if __name__ == "__main__":
    main()
