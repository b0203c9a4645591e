"""Training-step throughput of papercraft's CNNs against torchvision's, with identical weights.

For AlexNet, VGG-11, GoogLeNet, ResNet-18 and ResNet-50: build torchvision's model, copy its
weights into papercraft's (the converters the tests use), and time one training step (forward,
cross-entropy, backward, SGD step) of each, alternating the two models step by step so that both
see the same machine load. Prints images/s side by side and the ratio papercraft / torchvision
(goal ≥ 0.95×), in contiguous (NCHW) and channels-last (NHWC) memory formats.

    .venv/bin/python benchmarks/bench_cnn.py                 # CPU defaults: 64 px, batch 8
    .venv/bin/python benchmarks/bench_cnn.py --size 224 --batch 32 --device cuda

torchvision is an oracle here, not a dependency of the library: it is imported with the same
remedy as tests/conftest.py (its compiled extension does not load against the CPU torch build).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

def import_torchvision():
    """torchvision with the remedy of tests/conftest.py (see shared/oracles.md), as bench_gpt.py does."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import conftest  # noqa: F401  (defines the missing torchvision operators before the import)
    import torchvision

    return torchvision


NETWORKS = ("AlexNet", "VGG-11", "GoogLeNet", "ResNet-18", "ResNet-50")


def pairs(tv):
    """(name, build papercraft model with torchvision's weights, torchvision model) for each network."""
    from papercraft.papers.cnn_case_study.alexnet import TORCHVISION_ALEXNET, AlexNet
    from papercraft.papers.cnn_case_study.alexnet import from_torchvision_state_dict as alexnet_from_tv
    from papercraft.papers.cnn_case_study.googlenet import TORCHVISION_GOOGLENET, GoogLeNet
    from papercraft.papers.cnn_case_study.googlenet import from_torchvision_state_dict as googlenet_from_tv
    from papercraft.papers.cnn_case_study.vgg import from_torchvision_state_dict as vgg_from_tv
    from papercraft.papers.cnn_case_study.vgg import vgg
    from papercraft.papers.resnet import from_torchvision_state_dict as resnet_from_tv
    from papercraft.papers.resnet import imagenet_resnet

    def build(ours_fn, convert, ref):
        with torch.device("meta"):
            ours = ours_fn()
        ours.load_state_dict(convert(ref.state_dict()), assign=True)
        return ours

    specs = [
        ("AlexNet", lambda: AlexNet(TORCHVISION_ALEXNET), alexnet_from_tv, lambda: tv.models.alexnet(weights=None)),
        ("VGG-11", lambda: vgg(11), vgg_from_tv, lambda: tv.models.vgg11(weights=None)),
        ("GoogLeNet", lambda: GoogLeNet(TORCHVISION_GOOGLENET), googlenet_from_tv,
         lambda: tv.models.googlenet(weights=None, aux_logits=True, init_weights=True)),
        ("ResNet-18", lambda: imagenet_resnet(18, stride_in_3x3=True), resnet_from_tv, lambda: tv.models.resnet18(weights=None)),
        ("ResNet-50", lambda: imagenet_resnet(50, stride_in_3x3=True), resnet_from_tv, lambda: tv.models.resnet50(weights=None)),
    ]
    assert tuple(name for name, *_ in specs) == NETWORKS
    for name, ours_fn, convert, ref_fn in specs:
        ref = ref_fn()
        yield name, build(ours_fn, convert, ref), ref


def logits_of(out):
    return out[0] if isinstance(out, tuple) else out  # GoogLeNet's training outputs (main logits first)


def train_step(model, optimizer, x, y) -> None:
    optimizer.zero_grad(set_to_none=True)
    out = model(x)
    if isinstance(out, tuple):  # GoogLeNet with auxiliary heads: the paper's 0.3-weighted loss, in both
        loss = F.cross_entropy(out[0], y) + 0.3 * sum(F.cross_entropy(o, y) for o in out[1:])
    else:
        loss = F.cross_entropy(out, y)
    loss.backward()
    optimizer.step()


def measure(ours, ref, x, y, steps: int, warmup: int, device) -> tuple[float, float]:
    """Median images/s of ours and of ref, alternating one step each."""
    opts = [torch.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9) for m in (ours, ref)]
    times: list[list[float]] = [[], []]
    for i in range(warmup + steps):
        for k, (model, opt) in enumerate(zip((ours, ref), opts)):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            train_step(model, opt, x, y)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= warmup:
                times[k].append(time.perf_counter() - t0)
    return x.shape[0] / statistics.median(times[0]), x.shape[0] / statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (224 = the papers')")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--only", nargs="*", default=None, choices=NETWORKS, metavar="NAME",
                        help=f"subset of the networks: {', '.join(NETWORKS)}")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    tv = import_torchvision()
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)
    y = torch.randint(0, 1000, (args.batch,), device=device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, "
          f"{args.size}×{args.size} px, median of {args.steps} training steps (forward+backward+SGD)")
    header = f"{'network':<11} {'format':<14} {'papercraft img/s':>17} {'torchvision img/s':>18} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, ours, ref in pairs(tv):
        if args.only and name not in args.only:
            continue
        ours.to(device).train()
        ref.to(device).train()
        for fmt in (torch.contiguous_format, torch.channels_last):
            ours.to(memory_format=fmt)
            ref.to(memory_format=fmt)
            xf = x.contiguous(memory_format=fmt)
            a, b = measure(ours, ref, xf, y, args.steps, args.warmup, device)
            label = "channels-last" if fmt == torch.channels_last else "contiguous"
            print(f"{name:<11} {label:<14} {a:>17.1f} {b:>18.1f} {a / b:>6.2f}×", flush=True)


if __name__ == "__main__":
    main()
